import { ArgumentError } from "../errors.js";
import { checkChoice, checkOption, checkStep } from "./options.js";
import type { PhaseStart, Schedule } from "./schedule.js";
import { DECAY_SHAPES, type DecayShape, WARMUP_SHAPES, type WarmupShape, decayFactor, warmupFactor } from "./shapes.js";

export type WsdDecay = DecayShape | "exponential";
export type WsdPhase = "warmup" | "stable" | "decay" | "done";

export interface WSDOptions {
  peakLr: number;
  warmupSteps: number;
  stableSteps: number;
  decaySteps: number;
  /** Default "linear". */
  warmup?: WarmupShape;
  /** Default "cosine" (as transformers); MiniCPM used "exponential". */
  decay?: WsdDecay;
  /** Half-life in steps of the exponential decay f(t) = 0.5^(t / halfLife); required for it, unused otherwise. */
  halfLife?: number;
  /** The floor as a fraction of peakLr; every warmup/decay factor f maps to f·(1 − r) + r. Default 0. */
  minLrRatio?: number;
}

/**
 * Warmup–stable–decay (MiniCPM). Equals peakLr × transformers' `get_wsd_schedule` multiplier step for step:
 * warmup for steps [0, W) with progress s/W, peakLr on [W, W+S), decay on [W+S, W+S+D) with progress
 * (s − W − S)/D, then peakLr·minLrRatio. Branch a decay off any stable step with `decayFrom`.
 *
 * @example
 * const wsd = new WSD({ peakLr: 0.01, warmupSteps: 100, stableSteps: 9000, decaySteps: 900, decay: "exponential", halfLife: 200, minLrRatio: 0.1 });
 * const branch = wsd.decayFrom(5000, 500); // a finished model at step 5500 from the same stable run
 * optimizer.step(branch.at(step));
 */
export class WSD implements Schedule {
  readonly peakLr: number;
  readonly warmupSteps: number;
  readonly stableSteps: number;
  readonly decaySteps: number;
  readonly warmup: WarmupShape;
  readonly decay: WsdDecay;
  readonly halfLife: number | undefined;
  readonly minLrRatio: number;

  constructor(options: WSDOptions) {
    if (typeof options !== "object" || options === null) throw new ArgumentError("WSD: expected an options object { peakLr, warmupSteps, stableSteps, decaySteps, ... }");
    this.peakLr = checkOption("WSD", "peakLr", options.peakLr, { min: 0 });
    this.warmupSteps = checkOption("WSD", "warmupSteps", options.warmupSteps, { integer: true, min: 0 });
    this.stableSteps = checkOption("WSD", "stableSteps", options.stableSteps, { integer: true, min: 0 });
    this.decaySteps = checkOption("WSD", "decaySteps", options.decaySteps, { integer: true, min: 0 });
    this.warmup = checkChoice("WSD", "warmup", options.warmup ?? "linear", WARMUP_SHAPES);
    this.decay = checkChoice("WSD", "decay", options.decay ?? "cosine", [...DECAY_SHAPES, "exponential"] as const);
    this.minLrRatio = checkOption("WSD", "minLrRatio", options.minLrRatio ?? 0, { min: 0, max: 1 });
    if (this.decay === "exponential") this.halfLife = checkOption("WSD", "halfLife", options.halfLife, { above: 0 });
    else if (options.halfLife !== undefined) throw new ArgumentError(`WSD: halfLife applies to decay "exponential" only, got decay "${this.decay}"`);
  }

  /** Warmup + stable + decay steps; from this step on the rate is peakLr·minLrRatio. */
  get totalSteps(): number {
    return this.warmupSteps + this.stableSteps + this.decaySteps;
  }

  at(step: number): number {
    checkStep("WSD", step);
    const w = this.warmupSteps;
    const decayStart = w + this.stableSteps;
    const floor = (f: number): number => this.peakLr * (f * (1 - this.minLrRatio) + this.minLrRatio);
    if (step < w) return floor(warmupFactor(this.warmup, step / w));
    if (step < decayStart) return this.peakLr;
    if (step < this.totalSteps) {
      const t = step - decayStart;
      return floor(this.decay === "exponential" ? 0.5 ** (t / this.halfLife!) : decayFactor(this.decay, t / this.decaySteps));
    }
    return this.peakLr * this.minLrRatio;
  }

  /** Which phase `step` falls in (for logs and plot markers). */
  phase(step: number): WsdPhase {
    checkStep("WSD", step);
    if (step < this.warmupSteps) return "warmup";
    if (step < this.warmupSteps + this.stableSteps) return "stable";
    return step < this.totalSteps ? "decay" : "done";
  }

  phaseStarts(): PhaseStart[] {
    const starts: PhaseStart[] = [];
    if (this.warmupSteps > 0) starts.push({ step: 0, phase: "warmup" });
    if (this.stableSteps > 0) starts.push({ step: this.warmupSteps, phase: "stable" });
    if (this.decaySteps > 0) starts.push({ step: this.warmupSteps + this.stableSteps, phase: "decay" });
    starts.push({ step: this.totalSteps, phase: "done" });
    return starts;
  }

  /**
   * The same run with its decay moved to start at `step` (any step of the stable phase, or its end) and last
   * `decaySteps`: identical to this schedule before `step`, so training resumes from a stable checkpoint.
   */
  decayFrom(step: number, decaySteps: number): WSD {
    const end = this.warmupSteps + this.stableSteps;
    if (!Number.isInteger(step) || step < this.warmupSteps || step > end) {
      throw new ArgumentError(`WSD.decayFrom: step must be a whole number in the stable phase [${this.warmupSteps}, ${end}], got ${String(step)}`);
    }
    return new WSD({ ...this.toJSON(), stableSteps: step - this.warmupSteps, decaySteps });
  }

  toJSON(): { kind: "wsd" } & Required<Omit<WSDOptions, "halfLife">> & { halfLife?: number } {
    return {
      kind: "wsd",
      peakLr: this.peakLr,
      warmupSteps: this.warmupSteps,
      stableSteps: this.stableSteps,
      decaySteps: this.decaySteps,
      warmup: this.warmup,
      decay: this.decay,
      minLrRatio: this.minLrRatio,
      ...(this.halfLife !== undefined ? { halfLife: this.halfLife } : {}),
    };
  }
}
