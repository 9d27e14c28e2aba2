import { ArgumentError } from "../errors.js";
import { checkOption, checkStep } from "./options.js";
import type { PhaseStart, Schedule } from "./schedule.js";
import { type DecayShape, decayFactor, linearWarmup } from "./shapes.js";

export interface WarmupDecayOptions {
  peakLr: number;
  /** Linear warmup from 0 over steps [0, warmupSteps). Default 0. */
  warmupSteps?: number;
  /** The decay ends here: minLr from this step on. */
  totalSteps: number;
  /** The floor the decay ends at. Default 0. */
  minLr?: number;
}

/**
 * Linear warmup, then one decay curve from peakLr to minLr over [warmupSteps, totalSteps), then minLr.
 * The shared body of CosineSchedule and LinearSchedule (transformers' cosine/linear schedules with a floor).
 */
export abstract class WarmupDecaySchedule implements Schedule {
  readonly peakLr: number;
  readonly warmupSteps: number;
  readonly totalSteps: number;
  readonly minLr: number;

  protected constructor(
    private readonly label: string,
    private readonly shape: DecayShape,
    options: WarmupDecayOptions,
  ) {
    if (typeof options !== "object" || options === null)
      throw new ArgumentError(`${label}: expected an options object { peakLr, warmupSteps, totalSteps, minLr }`);
    this.peakLr = checkOption(label, "peakLr", options.peakLr, { min: 0 });
    this.warmupSteps = checkOption(label, "warmupSteps", options.warmupSteps ?? 0, { integer: true, min: 0 });
    this.totalSteps = checkOption(label, "totalSteps", options.totalSteps, { integer: true, min: this.warmupSteps });
    this.minLr = checkOption(label, "minLr", options.minLr ?? 0, { min: 0, max: this.peakLr });
  }

  at(step: number): number {
    checkStep(this.label, step);
    if (step < this.warmupSteps) return this.peakLr * linearWarmup(step, this.warmupSteps);
    if (step >= this.totalSteps) return this.minLr;
    const q = (step - this.warmupSteps) / (this.totalSteps - this.warmupSteps);
    return this.minLr + (this.peakLr - this.minLr) * decayFactor(this.shape, q);
  }

  phaseStarts(): PhaseStart[] {
    const starts: PhaseStart[] = this.warmupSteps > 0 ? [{ step: 0, phase: "warmup" }] : [];
    return [...starts, { step: this.warmupSteps, phase: "decay" }, { step: this.totalSteps, phase: "done" }];
  }

  abstract toJSON(): { kind: string } & Required<WarmupDecayOptions>;

  protected options(): Required<WarmupDecayOptions> {
    return { peakLr: this.peakLr, warmupSteps: this.warmupSteps, totalSteps: this.totalSteps, minLr: this.minLr };
  }
}
