import { ArgumentError, DTypeError, ShapeError } from "../errors.js";
import { expectTensor } from "../tensor/tensor.js";
import type { FloatDType } from "../tensor/dtype.js";
import { noGrad } from "../tensor/graph.js";
import { cleanupOnError } from "../tensor/scope.js";
import { formatShape } from "../tensor/shape.js";
import type { Tensor } from "../tensor/tensor.js";
import { commonDevice, contiguousAs, emptyTensor, runKernel } from "./dispatch.js";
import { div, ne } from "./elementwise.js";
import { checkFloatArgs, contiguousInputs } from "./fused_util.js";
import { record } from "./record.js";
import { contiguous, expand, reshape } from "./views.js";
import { cast } from "./operands.js";
import { sum } from "./reduce.js";

/** Options of crossEntropy(). */
export interface CrossEntropyOptions {
  /** Target value whose rows add no loss and no gradient. Default -100 (as PyTorch). */
  ignoreIndex?: number;
  /** "mean" over non-ignored rows (default), "sum", or "none" for per-row losses. */
  reduction?: "mean" | "sum" | "none";
}

/**
 * Cross-entropy of logits [N, V] (or [..., V]) against i32 targets [N] (or [...]), in f32. Log-softmax
 * is fused into the kernel; probabilities are never materialised.
 *
 * @example
 * const loss = crossEntropy(logits.reshape([-1, vocab]), targets.reshape([-1]));
 */
export function crossEntropy(
  logits: Tensor<FloatDType>,
  targets: Tensor<"i32">,
  opts: CrossEntropyOptions = {},
): Tensor<"f32"> {
  return cleanupOnError(() => {
    checkFloatArgs("crossEntropy", { logits });
    expectTensor("crossEntropy", "targets", targets);
    commonDevice("crossEntropy", [logits, targets]);
    if (targets.dtype !== "i32")
      throw new DTypeError(`crossEntropy: targets must have dtype i32, got ${targets.dtype}`);
    const V = logits.shape[logits.ndim - 1]!;
    if (logits.ndim < 1 || targets.ndim !== logits.ndim - 1 || targets.shape.some((s, i) => s !== logits.shape[i])) {
      throw new ShapeError(
        `crossEntropy: targets must have logits' shape without the last dim, got logits ${formatShape(logits.shape)} and targets ${formatShape(targets.shape)}`,
      );
    }
    const ignoreIndex = opts.ignoreIndex ?? -100;
    const reduction = opts.reduction ?? "mean";
    if (!Number.isInteger(ignoreIndex))
      throw new ArgumentError(`crossEntropy: ignoreIndex must be an integer, got ${ignoreIndex}`);
    if (!["mean", "sum", "none"].includes(reduction))
      throw new ArgumentError(`crossEntropy: reduction must be "mean", "sum" or "none", got ${String(reduction)}`);
    const N = targets.numel;
    const rows = emptyTensor(targets.shape, "f32", logits.device);
    const lse = emptyTensor([N], "f32", logits.device);
    const { c, release } = contiguousInputs([logits, targets]);
    runKernel(
      "crossEntropy",
      "cross_entropy_forward",
      [contiguousAs(c[0]!, [N, V]), contiguousAs(c[1]!, [N])],
      [contiguousAs(rows, [N]), lse],
      { ignore_index: ignoreIndex },
    );
    release();
    const { loss, count } = noGrad(() => reduce(rows, targets, ignoreIndex, reduction));
    record("crossEntropy", [logits], loss, { ignoreIndex, reduction }, [lse, targets, ...(count ? [count] : [])]);
    for (const t of [lse, count]) t?.dispose();
    if (loss !== rows) rows.dispose();
    return loss;
  });
}

function reduce(
  rows: Tensor<"f32">,
  targets: Tensor<"i32">,
  ignoreIndex: number,
  reduction: string,
): { loss: Tensor<"f32">; count?: Tensor<"f32"> } {
  if (reduction === "none") return { loss: rows };
  const total = sum(rows);
  if (reduction === "sum") return { loss: total };
  const kept = ne(targets, ignoreIndex);
  const keptF = cast(kept, "f32");
  const count = sum(keptF);
  const loss = div(total, count);
  for (const t of [total, kept, keptF]) t.dispose();
  return { loss, count };
}

/**
 * The gradient of crossEntropy for the logits: per-row upstream gradients (g spread over the rows and
 * divided by the kept-row count for "mean") fed to the fused backward kernel.
 */
export function crossEntropyBackward(
  logits: Tensor<FloatDType>,
  targets: Tensor<"i32">,
  lse: Tensor<"f32">,
  g: Tensor<"f32">,
  count: Tensor<"f32"> | undefined,
  ignoreIndex: number,
  reduction: string,
): Tensor<FloatDType> {
  const V = logits.shape[logits.ndim - 1]!;
  const N = targets.numel;
  const perRow = reduction === "mean" ? div(g, count!) : g;
  const spread = noGrad(() => contiguous(expand(reshape(perRow, reduction === "none" ? [N] : [1]), [N])));
  const glogits = emptyTensor(logits.shape, logits.dtype, logits.device);
  const { c, release } = contiguousInputs([logits, targets]);
  runKernel(
    "crossEntropy backward",
    "cross_entropy_backward",
    [contiguousAs(c[0]!, [N, V]), contiguousAs(c[1]!, [N]), lse, spread],
    [contiguousAs(glogits, [N, V])],
    { ignore_index: ignoreIndex },
  );
  release();
  if (perRow !== g) perRow.dispose();
  spread.dispose();
  return glogits;
}
