import { ArgumentError } from "../errors.js";
import { checkOption, checkStep } from "./options.js";
import type { PhaseStart, Schedule } from "./schedule.js";
import { linearWarmup } from "./shapes.js";

export interface ConstantScheduleOptions {
  lr: number;
  /** Linear warmup from 0 over steps [0, warmupSteps). Default 0. */
  warmupSteps?: number;
}

/**
 * A constant learning rate, optionally after a linear warmup.
 *
 * @example
 * const s = new ConstantSchedule({ lr: 1e-3, warmupSteps: 10 });
 * s.at(5); // 5e-4
 */
export class ConstantSchedule implements Schedule {
  readonly lr: number;
  readonly warmupSteps: number;

  constructor(options: ConstantScheduleOptions) {
    if (typeof options !== "object" || options === null)
      throw new ArgumentError("ConstantSchedule: expected an options object { lr, warmupSteps }");
    this.lr = checkOption("ConstantSchedule", "lr", options.lr, { min: 0 });
    this.warmupSteps = checkOption("ConstantSchedule", "warmupSteps", options.warmupSteps ?? 0, {
      integer: true,
      min: 0,
    });
  }

  at(step: number): number {
    checkStep("ConstantSchedule", step);
    return step < this.warmupSteps ? this.lr * linearWarmup(step, this.warmupSteps) : this.lr;
  }

  phaseStarts(): PhaseStart[] {
    return this.warmupSteps > 0
      ? [
          { step: 0, phase: "warmup" },
          { step: this.warmupSteps, phase: "constant" },
        ]
      : [];
  }

  toJSON(): { kind: "constant" } & Required<ConstantScheduleOptions> {
    return { kind: "constant", lr: this.lr, warmupSteps: this.warmupSteps };
  }
}
