import { WarmupDecaySchedule, type WarmupDecayOptions } from "./warmup_decay.js";

/**
 * Linear warmup, then a straight line from peakLr down to minLr at totalSteps, then minLr.
 *
 * @example
 * const s = new LinearSchedule({ peakLr: 1e-3, warmupSteps: 10, totalSteps: 110 });
 * s.at(60); // 5e-4
 */
export class LinearSchedule extends WarmupDecaySchedule {
  constructor(options: WarmupDecayOptions) {
    super("LinearSchedule", "linear", options);
  }

  toJSON(): { kind: "linear" } & Required<WarmupDecayOptions> {
    return { kind: "linear", ...this.options() };
  }
}
