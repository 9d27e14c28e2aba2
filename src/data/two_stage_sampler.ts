import { ArgumentError } from "../errors.js";
import type { Batch, BatchSource, JSONValue } from "./batch.js";

/** Options of `TwoStageSampler`. */
export interface TwoStageSamplerOptions {
  /** Batches of the first stage (the stable phase's mixture). */
  first: BatchSource;
  /** Batches from `switchAt` on (the decay's mixture, e.g. with high-quality or SFT data mixed in). */
  second: BatchSource;
  /**
   * Batches drawn before the switch: the WSD decay's first step times the Trainer's gradAccumSteps, so that
   * every micro-batch of the decay comes from `second`.
   */
  switchAt: number;
}

/**
 * MiniCPM's two-stage pre-training as a batch source: the first `switchAt` batches come from `first`, all later
 * ones from `second`. The paper mixes high-quality (SFT-like) data into the decay phase of WSD, which beats
 * adding it afterwards. Its state holds both sources' positions and the batches drawn, so a resumed run
 * continues in the right stage at the right place.
 *
 * @example
 * const decay = new MixtureSampler([{ name: "web", source: web2, weight: 0.7 }, { name: "sft", source: sft, weight: 0.3 }], { seed: 0 });
 * const train = new TwoStageSampler({ first: web, second: decay, switchAt: wsd.warmupSteps + wsd.stableSteps });
 * await new Trainer({ model, optimizer, schedule: wsd, train, steps: wsd.totalSteps }).fit();
 */
export class TwoStageSampler implements BatchSource {
  readonly switchAt: number;
  private readonly first: BatchSource;
  private readonly second: BatchSource;
  private drawn = 0;

  constructor(options: TwoStageSamplerOptions) {
    const name = "TwoStageSampler";
    if (options === null || typeof options !== "object")
      throw new ArgumentError(`${name}: expected { first, second, switchAt }`);
    for (const key of ["first", "second"] as const) {
      if (typeof options[key]?.next !== "function") throw new ArgumentError(`${name}: ${key} must be a batch source`);
    }
    if (!Number.isSafeInteger(options.switchAt) || options.switchAt < 0)
      throw new ArgumentError(`${name}: switchAt must be a whole number >= 0, got ${String(options.switchAt)}`);
    this.first = options.first;
    this.second = options.second;
    this.switchAt = options.switchAt;
  }

  /** Which stage the next batch comes from. */
  get stage(): "first" | "second" {
    return this.drawn < this.switchAt ? "first" : "second";
  }

  next(): Batch {
    const source = this.drawn < this.switchAt ? this.first : this.second;
    this.drawn++;
    return source.next();
  }

  state(): JSONValue {
    return { kind: "TwoStageSampler", drawn: this.drawn, first: this.first.state(), second: this.second.state() };
  }

  setState(state: JSONValue): void {
    const s = state as { kind?: unknown; drawn?: unknown; first?: JSONValue; second?: JSONValue } | null;
    if (
      s === null ||
      typeof s !== "object" ||
      s.kind !== "TwoStageSampler" ||
      !Number.isSafeInteger(s.drawn) ||
      (s.drawn as number) < 0
    )
      throw new ArgumentError("TwoStageSampler.setState: not the state of a TwoStageSampler");
    this.first.setState(s.first!);
    this.second.setState(s.second!);
    this.drawn = s.drawn as number;
  }
}
