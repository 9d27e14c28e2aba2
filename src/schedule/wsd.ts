import { ArgumentError } from "../errors.js";
import { checkChoice, checkOption, checkStep } from "./options.js";
import type { PhaseStart, Schedule } from "./schedule.js";
import { DECAY_SHAPES, type DecayShape, WARMUP_SHAPES, type WarmupShape, decayFactor, warmupFactor } from "./shapes.js";

export type WsdDecay = DecayShape | "exponential";
export type WsdPhase = "warmup" | "stable" | "decay" | "done";

/**
 * Whose edges WSD follows; the stable phase and the decay's progress are the same in both.
 * - "huggingface": transformers' `get_wsd_schedule`. The warmup starts at the floor (every warmup and decay
 *   factor f maps to f·(1 − minLrRatio) + minLrRatio), the decay ends at the floor and stays there.
 * - "minicpm": MiniCPM's own training code (the CPM framework's WarmupStableExp / WarmupStableDrop
 *   schedulers). The warmup starts at 0 (no floor); the exponential decay peakLr·0.5^(t / halfLife) has no
 *   floor and keeps halving past decaySteps (MiniCPM set the length of a run by when it stopped, not by the
 *   schedule); the other decay shapes are floored as in "huggingface" (WarmupStableDrop's linear drop to
 *   0.1·peakLr is decay "linear" with minLrRatio 0.1).
 */
export type WsdConvention = "huggingface" | "minicpm";
const CONVENTIONS = ["huggingface", "minicpm"] as const satisfies readonly WsdConvention[];

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
  /**
   * The floor as a fraction of peakLr; every warmup/decay factor f maps to f·(1 − r) + r (under "minicpm" the
   * decay factors only: its warmup starts at 0, and its exponential decay has no floor, so r must be 0 there).
   * Default 0.
   */
  minLrRatio?: number;
  /** Whose edges to follow (see WsdConvention). Default "huggingface". */
  convention?: WsdConvention;
}

/**
 * Warmup–stable–decay (MiniCPM): warmup for steps [0, W) with progress s/W, peakLr on [W, W+S), decay on
 * [W+S, W+S+D) with progress (s − W − S)/D (or t = s − W − S steps for the exponential decay), then the floor
 * peakLr·minLrRatio. With convention "huggingface" (the default) it equals peakLr × transformers'
 * `get_wsd_schedule` multiplier step for step; with "minicpm" it follows MiniCPM's training code: warmup from
 * 0, and an exponential decay that keeps halving past the decay steps (see WsdConvention).
 * Branch a decay off any stable step with `decayFrom`.
 *
 * @example
 * const wsd = new WSD({ peakLr: 0.01, warmupSteps: 100, stableSteps: 9000, decaySteps: 900, decay: "exponential", halfLife: 200, convention: "minicpm" });
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
  readonly convention: WsdConvention;

  constructor(options: WSDOptions) {
    if (typeof options !== "object" || options === null)
      throw new ArgumentError("WSD: expected an options object { peakLr, warmupSteps, stableSteps, decaySteps, ... }");
    this.peakLr = checkOption("WSD", "peakLr", options.peakLr, { min: 0 });
    this.warmupSteps = checkOption("WSD", "warmupSteps", options.warmupSteps, { integer: true, min: 0 });
    this.stableSteps = checkOption("WSD", "stableSteps", options.stableSteps, { integer: true, min: 0 });
    this.decaySteps = checkOption("WSD", "decaySteps", options.decaySteps, { integer: true, min: 0 });
    this.warmup = checkChoice("WSD", "warmup", options.warmup ?? "linear", WARMUP_SHAPES);
    this.decay = checkChoice("WSD", "decay", options.decay ?? "cosine", [...DECAY_SHAPES, "exponential"] as const);
    this.minLrRatio = checkOption("WSD", "minLrRatio", options.minLrRatio ?? 0, { min: 0, max: 1 });
    this.convention = checkChoice("WSD", "convention", options.convention ?? "huggingface", CONVENTIONS);
    if (this.decay === "exponential") this.halfLife = checkOption("WSD", "halfLife", options.halfLife, { above: 0 });
    else if (options.halfLife !== undefined)
      throw new ArgumentError(`WSD: halfLife applies to decay "exponential" only, got decay "${this.decay}"`);
    if (this.convention === "minicpm" && this.decay === "exponential" && this.minLrRatio !== 0) {
      throw new ArgumentError(
        `WSD: MiniCPM's exponential decay has no floor, so minLrRatio must be 0 with convention "minicpm", got ${this.minLrRatio}`,
      );
    }
  }

  /** MiniCPM's exponential decay never reaches a floor: it keeps halving after the decay steps. */
  private get decaysForever(): boolean {
    return this.convention === "minicpm" && this.decay === "exponential";
  }

  /** Warmup + stable + decay steps; from this step on the rate is peakLr·minLrRatio (except MiniCPM's exponential decay). */
  get totalSteps(): number {
    return this.warmupSteps + this.stableSteps + this.decaySteps;
  }

  at(step: number): number {
    checkStep("WSD", step);
    const w = this.warmupSteps;
    const decayStart = w + this.stableSteps;
    const floor = (f: number): number => this.peakLr * (f * (1 - this.minLrRatio) + this.minLrRatio);
    if (step < w) {
      const f = warmupFactor(this.warmup, step / w);
      return this.convention === "minicpm" ? this.peakLr * f : floor(f);
    }
    if (step < decayStart) return this.peakLr;
    if (this.decaysForever) return this.peakLr * 0.5 ** ((step - decayStart) / this.halfLife!);
    if (step < this.totalSteps) {
      const t = step - decayStart;
      return floor(
        this.decay === "exponential" ? 0.5 ** (t / this.halfLife!) : decayFactor(this.decay, t / this.decaySteps),
      );
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
      throw new ArgumentError(
        `WSD.decayFrom: step must be a whole number in the stable phase [${this.warmupSteps}, ${end}], got ${String(step)}`,
      );
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
      convention: this.convention,
      ...(this.halfLife !== undefined ? { halfLife: this.halfLife } : {}),
    };
  }
}
