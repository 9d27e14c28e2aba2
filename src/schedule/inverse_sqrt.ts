import { ArgumentError } from "../errors.js";
import { checkOption, checkStep } from "./options.js";
import type { PhaseStart, Schedule } from "./schedule.js";
import { linearWarmup } from "./shapes.js";

export interface InverseSqrtScheduleOptions {
  peakLr: number;
  /** Linear warmup over [0, warmupSteps); at least 1, since the decay is peakLr·sqrt(warmupSteps/step). */
  warmupSteps: number;
}

/**
 * Linear warmup to peakLr, then peakLr·sqrt(warmupSteps / step) (the original Transformer's decay).
 *
 * @example
 * const s = new InverseSqrtSchedule({ peakLr: 1e-3, warmupSteps: 100 });
 * s.at(400); // 5e-4
 */
export class InverseSqrtSchedule implements Schedule {
  readonly peakLr: number;
  readonly warmupSteps: number;

  constructor(options: InverseSqrtScheduleOptions) {
    if (typeof options !== "object" || options === null)
      throw new ArgumentError("InverseSqrtSchedule: expected an options object { peakLr, warmupSteps }");
    this.peakLr = checkOption("InverseSqrtSchedule", "peakLr", options.peakLr, { min: 0 });
    this.warmupSteps = checkOption("InverseSqrtSchedule", "warmupSteps", options.warmupSteps, {
      integer: true,
      min: 1,
    });
  }

  at(step: number): number {
    checkStep("InverseSqrtSchedule", step);
    if (step < this.warmupSteps) return this.peakLr * linearWarmup(step, this.warmupSteps);
    return this.peakLr * Math.sqrt(this.warmupSteps / step);
  }

  phaseStarts(): PhaseStart[] {
    return [
      { step: 0, phase: "warmup" },
      { step: this.warmupSteps, phase: "decay" },
    ];
  }

  toJSON(): { kind: "inverse-sqrt" } & Required<InverseSqrtScheduleOptions> {
    return { kind: "inverse-sqrt", peakLr: this.peakLr, warmupSteps: this.warmupSteps };
  }
}
