import { ArgumentError } from "../errors.js";
import { cast } from "../ops/operands.js";
import { record } from "../ops/record.js";
import { detach } from "../ops/views.js";
import { noGrad } from "../tensor/graph.js";
import { keep } from "../tensor/scope.js";
import type { Tensor } from "../tensor/tensor.js";
import { copyInto } from "./copy.js";

/**
 * The bf16 compute copy ("shadow") of each fp32 master parameter in mixed precision (DESIGN.md rule 8).
 * The forward pass reads the shadow instead of casting the master on every call; the fused AdamW step
 * rewrites master and shadow in one pass (src/optim/adamw.ts looks the shadow up here), and
 * Module.loadStateDict re-derives it. Keyed weakly, so a parameter dropped by its module drops its shadow.
 */
const shadows = new WeakMap<Tensor<"f32">, Tensor<"bf16">>();

/** The bf16 shadow of `param`, or undefined when it has none. */
export function shadowOf(param: Tensor<"f32">): Tensor<"bf16"> | undefined {
  return shadows.get(param);
}

/** Gives `param` a bf16 shadow (round to nearest even of its current values) unless it has one; returns it. */
export function attachShadow(param: Tensor<"f32">): Tensor<"bf16"> {
  let shadow = shadows.get(param);
  if (!shadow) {
    if (param.dtype !== "f32")
      throw new ArgumentError(`attachShadow: only f32 master parameters get a bf16 shadow, got ${param.dtype}`);
    shadow = keep(noGrad(() => cast(param, "bf16")));
    shadows.set(param, shadow);
  }
  return shadow;
}

/** Frees the shadow of `param` (if any); the forward pass then reads the master again. */
export function detachShadow(param: Tensor<"f32">): void {
  shadows.get(param)?.dispose();
  shadows.delete(param);
}

/** Re-derives the shadow of `param` from its master after the master was written outside AdamW. */
export function syncShadow(param: Tensor<"f32">): void {
  const shadow = shadows.get(param);
  if (shadow) copyInto(shadow, param, "syncShadow");
}

/**
 * What a layer computes with: the bf16 shadow when `param` has one, else `param` itself. The shadow is
 * returned as a fresh view recorded as cast(param, "bf16"), so backward() casts its gradient to f32 and
 * accumulates it into the master's `.grad`; nothing is computed or copied in the forward pass. The caller
 * disposes the view like any op result.
 *
 * @example
 * const w = computeWeight(linear.weight); // Tensor<"bf16"> with a gradient path to the f32 master
 */
export function computeWeight(param: Tensor<"f32">): Tensor<"f32" | "bf16"> {
  const shadow = shadows.get(param);
  if (!shadow) return param;
  const view = detach(shadow);
  record("cast", [param], view);
  return view;
}
