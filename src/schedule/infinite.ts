import { ArgumentError } from "../errors.js";
import { checkChoice, checkOption, checkStep } from "./options.js";
import type { PhaseStart, Schedule } from "./schedule.js";
import { linearWarmup } from "./shapes.js";

export const COOLDOWN_SHAPES = ["cosine", "inverse-sqrt"] as const;
export type CooldownShape = (typeof COOLDOWN_SHAPES)[number];

export interface InfiniteScheduleOptions {
  peakLr: number;
  /** Linear warmup from 0 over [0, warmupSteps). */
  warmupSteps: number;
  /** Cooldown from peakLr to constantLr over [warmupSteps, warmupSteps + cooldownSteps). */
  cooldownSteps: number;
  constantLr: number;
  /** Default "cosine". */
  cooldown?: CooldownShape;
  /** Steepness α of the inverse-sqrt cooldown h(x) = 1/sqrt(1 + αx) − 1. Default 1; unused for cosine. */
  alpha?: number;
  /** The step where the final anneal starts (after the cooldown); absent: constant forever. */
  annealStart?: number;
  /** Anneal length T_ann (required with annealStart). */
  annealSteps?: number;
  /** The rate the anneal ends at and stays at (required with annealStart, > 0). */
  minLr?: number;
}

/**
 * An infinite schedule (Ibrahim et al. 2024, continual pre-training): warmup → cooldown to constantLr →
 * constant for as long as data comes → optionally an anneal ηc·(ηmin/ηc)^(u/T_ann) whenever a finished model
 * is wanted (branch one off with `annealFrom`). Cooldown at t steps after warmup, T = cooldownSteps:
 * cosine ηc + (ηmax − ηc)/2·(cos(πt/T) + 1); inverse-sqrt ηmax + (ηc − ηmax)·h(t/T)/h(1).
 *
 * @example
 * const s = new InfiniteSchedule({ peakLr: 3e-4, warmupSteps: 100, cooldownSteps: 2000, constantLr: 1e-4, cooldown: "inverse-sqrt", alpha: 10 });
 * const finished = s.annealFrom(50_000, 1000, 1e-5);
 */
export class InfiniteSchedule implements Schedule {
  readonly peakLr: number;
  readonly warmupSteps: number;
  readonly cooldownSteps: number;
  readonly constantLr: number;
  readonly cooldown: CooldownShape;
  readonly alpha: number;
  readonly anneal: { start: number; steps: number; minLr: number } | undefined;

  constructor(options: InfiniteScheduleOptions) {
    const name = "InfiniteSchedule";
    if (typeof options !== "object" || options === null)
      throw new ArgumentError(
        `${name}: expected an options object { peakLr, warmupSteps, cooldownSteps, constantLr, ... }`,
      );
    this.peakLr = checkOption(name, "peakLr", options.peakLr, { min: 0 });
    this.warmupSteps = checkOption(name, "warmupSteps", options.warmupSteps, { integer: true, min: 0 });
    this.cooldownSteps = checkOption(name, "cooldownSteps", options.cooldownSteps, { integer: true, min: 0 });
    this.constantLr = checkOption(name, "constantLr", options.constantLr, { above: 0, max: this.peakLr });
    this.cooldown = checkChoice(name, "cooldown", options.cooldown ?? "cosine", COOLDOWN_SHAPES);
    this.alpha = checkOption(name, "alpha", options.alpha ?? 1, { above: 0 });
    if (options.annealStart === undefined) {
      if (options.annealSteps !== undefined || options.minLr !== undefined)
        throw new ArgumentError(`${name}: annealSteps and minLr need annealStart`);
      this.anneal = undefined;
    } else {
      this.anneal = {
        start: checkOption(name, "annealStart", options.annealStart, {
          integer: true,
          min: this.warmupSteps + this.cooldownSteps,
        }),
        steps: checkOption(name, "annealSteps", options.annealSteps, { integer: true, min: 1 }),
        minLr: checkOption(name, "minLr", options.minLr, { above: 0, max: this.constantLr }),
      };
    }
  }

  at(step: number): number {
    checkStep("InfiniteSchedule", step);
    const { peakLr, constantLr } = this;
    if (step < this.warmupSteps) return peakLr * linearWarmup(step, this.warmupSteps);
    const t = step - this.warmupSteps;
    if (t < this.cooldownSteps) {
      const x = t / this.cooldownSteps;
      if (this.cooldown === "cosine") return constantLr + ((peakLr - constantLr) / 2) * (Math.cos(Math.PI * x) + 1);
      const h = (v: number): number => 1 / Math.sqrt(1 + this.alpha * v) - 1;
      return peakLr + ((constantLr - peakLr) * h(x)) / h(1);
    }
    if (this.anneal === undefined || step < this.anneal.start) return constantLr;
    const u = Math.min(step - this.anneal.start, this.anneal.steps);
    return constantLr * (this.anneal.minLr / constantLr) ** (u / this.anneal.steps);
  }

  phaseStarts(): PhaseStart[] {
    const starts: PhaseStart[] = [];
    if (this.warmupSteps > 0) starts.push({ step: 0, phase: "warmup" });
    if (this.cooldownSteps > 0) starts.push({ step: this.warmupSteps, phase: "cooldown" });
    starts.push({ step: this.warmupSteps + this.cooldownSteps, phase: "constant" });
    if (this.anneal)
      starts.push(
        { step: this.anneal.start, phase: "anneal" },
        { step: this.anneal.start + this.anneal.steps, phase: "done" },
      );
    return starts;
  }

  /** The same schedule with an anneal to `minLr` over `annealSteps` starting at `step` (replacing any anneal). */
  annealFrom(step: number, annealSteps: number, minLr: number): InfiniteSchedule {
    return new InfiniteSchedule({ ...this.toJSON(), annealStart: step, annealSteps, minLr });
  }

  toJSON(): { kind: "infinite" } & Pick<InfiniteScheduleOptions, keyof InfiniteScheduleOptions> {
    return {
      kind: "infinite",
      peakLr: this.peakLr,
      warmupSteps: this.warmupSteps,
      cooldownSteps: this.cooldownSteps,
      constantLr: this.constantLr,
      cooldown: this.cooldown,
      alpha: this.alpha,
      ...(this.anneal
        ? { annealStart: this.anneal.start, annealSteps: this.anneal.steps, minLr: this.anneal.minLr }
        : {}),
    };
  }
}
