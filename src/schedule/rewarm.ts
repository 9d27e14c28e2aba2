import { ArgumentError } from "../errors.js";
import { checkOption, checkStep } from "./options.js";
import type { PhaseStart, Schedule } from "./schedule.js";
import { decayFactor } from "./shapes.js";

export interface RewarmScheduleOptions {
  /** The first step of the new data phase. */
  startStep: number;
  /** Linear re-warm from startLr to peakLr over [startStep, startStep + rewarmSteps) (about 1% of the new steps). */
  rewarmSteps: number;
  peakLr: number;
  /** Cosine re-decay from peakLr to minLr over the next decaySteps, then minLr. */
  decaySteps: number;
  /** Default 0.1·peakLr (Ibrahim et al. 2024). */
  minLr?: number;
  /** Where the re-warm starts from. Default 0. */
  startLr?: number;
  /** The schedule of the earlier phase, used before startStep; absent: steps before startStep are an error. */
  previous?: Schedule;
}

/**
 * Re-warm and re-decay for continual pre-training on new data: from `startStep` the rate rises linearly to a
 * new peak, then decays along a half cosine to a floor (default 0.1·peak). Before `startStep` it follows the
 * earlier phase's schedule when one is given, so one schedule covers the whole run.
 *
 * @example
 * const first = new CosineSchedule({ peakLr: 3e-4, warmupSteps: 100, totalSteps: 10_000, minLr: 3e-5 });
 * const s = new RewarmSchedule({ previous: first, startStep: 10_000, rewarmSteps: 100, peakLr: 3e-4, decaySteps: 9_900 });
 */
export class RewarmSchedule implements Schedule {
  readonly startStep: number;
  readonly rewarmSteps: number;
  readonly peakLr: number;
  readonly decaySteps: number;
  readonly minLr: number;
  readonly startLr: number;
  readonly previous: Schedule | undefined;

  constructor(options: RewarmScheduleOptions) {
    const name = "RewarmSchedule";
    if (typeof options !== "object" || options === null)
      throw new ArgumentError(
        `${name}: expected an options object { startStep, rewarmSteps, peakLr, decaySteps, ... }`,
      );
    this.startStep = checkOption(name, "startStep", options.startStep, { integer: true, min: 0 });
    this.rewarmSteps = checkOption(name, "rewarmSteps", options.rewarmSteps, { integer: true, min: 0 });
    this.peakLr = checkOption(name, "peakLr", options.peakLr, { min: 0 });
    this.decaySteps = checkOption(name, "decaySteps", options.decaySteps, { integer: true, min: 0 });
    this.minLr = checkOption(name, "minLr", options.minLr ?? 0.1 * this.peakLr, { min: 0, max: this.peakLr });
    this.startLr = checkOption(name, "startLr", options.startLr ?? 0, { min: 0 });
    if (
      options.previous !== undefined &&
      (typeof options.previous !== "object" || typeof options.previous.at !== "function")
    ) {
      throw new ArgumentError(`${name}: previous must be a Schedule, got ${typeof options.previous}`);
    }
    this.previous = options.previous;
  }

  get totalSteps(): number {
    return this.startStep + this.rewarmSteps + this.decaySteps;
  }

  at(step: number): number {
    checkStep("RewarmSchedule", step);
    if (step < this.startStep) {
      if (this.previous === undefined)
        throw new ArgumentError(
          `RewarmSchedule: step ${step} is before startStep ${this.startStep} and no previous schedule was given`,
        );
      return this.previous.at(step);
    }
    const u = step - this.startStep;
    if (u < this.rewarmSteps) return this.startLr + ((this.peakLr - this.startLr) * u) / this.rewarmSteps;
    const t = u - this.rewarmSteps;
    if (t >= this.decaySteps) return this.minLr;
    return this.minLr + (this.peakLr - this.minLr) * decayFactor("cosine", t / this.decaySteps);
  }

  phaseStarts(): PhaseStart[] {
    const before = this.previous?.phaseStarts?.().filter((p) => p.step < this.startStep) ?? [];
    const rewarm: PhaseStart[] = this.rewarmSteps > 0 ? [{ step: this.startStep, phase: "re-warm" }] : [];
    return [
      ...before,
      ...rewarm,
      { step: this.startStep + this.rewarmSteps, phase: "re-decay" },
      { step: this.totalSteps, phase: "done" },
    ];
  }

  toJSON(): { kind: "rewarm" } & Record<string, unknown> {
    return {
      kind: "rewarm",
      startStep: this.startStep,
      rewarmSteps: this.rewarmSteps,
      peakLr: this.peakLr,
      decaySteps: this.decaySteps,
      minLr: this.minLr,
      startLr: this.startLr,
      ...(this.previous ? { previous: this.previous.toJSON() } : {}),
    };
  }
}
