import { WarmupDecaySchedule, type WarmupDecayOptions } from "./warmup_decay.js";

/**
 * Linear warmup, then a half cosine from peakLr down to minLr at totalSteps, then minLr.
 *
 * @example
 * const s = new CosineSchedule({ peakLr: 3e-4, warmupSteps: 100, totalSteps: 10_000, minLr: 3e-5 });
 * s.at(5_050); // halfway down: 1.65e-4
 */
export class CosineSchedule extends WarmupDecaySchedule {
  constructor(options: WarmupDecayOptions) {
    super("CosineSchedule", "cosine", options);
  }

  toJSON(): { kind: "cosine" } & Required<WarmupDecayOptions> {
    return { kind: "cosine", ...this.options() };
  }
}
