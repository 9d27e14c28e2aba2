import type { Tensor } from "../tensor/tensor.js";

/**
 * A set of parameters that share optimiser settings. Models build these (MiniCPM's μP groups, for
 * example) and optimisers consume them; the learning rate of a group is the schedule's value times
 * `lrMultiplier`, so one schedule drives every group.
 *
 * @example
 * const groups: ParameterGroup[] = [
 *   { name: "matrices", params: [w1, w2], lrMultiplier: 1 / 4, weightDecay: 0.1 },
 *   { name: "vectors", params: [norm], lrMultiplier: 1, weightDecay: 0 },
 * ];
 */
export interface ParameterGroup {
  /** A short name that identifies the group in logs and saved optimiser state. */
  readonly name: string;
  /** fp32 master weights with `requiresGrad`. Each parameter belongs to exactly one group. */
  readonly params: readonly Tensor<"f32">[];
  /** Multiplies the scheduled learning rate for this group (μP: 1/m for 2-D weights). */
  readonly lrMultiplier: number;
  /** Decoupled weight decay (AdamW), applied as lr · weightDecay · param. */
  readonly weightDecay: number;
  /** Parameter names (same order as `params`), used to save and load optimiser state by name. */
  readonly paramNames?: readonly string[];
}
