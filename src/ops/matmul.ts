import { DTypeError, ShapeError } from "../errors.js";
import { expectTensor } from "../tensor/tensor.js";
import type { FloatDType } from "../tensor/dtype.js";
import { expectDType } from "../tensor/dtype.js";
import { noGrad } from "../tensor/graph.js";
import { broadcastShapes, formatShape } from "../tensor/shape.js";
import type { Tensor } from "../tensor/tensor.js";
import { commonDevice, emptyTensor, runKernel, type ViewArg } from "./dispatch.js";
import { record } from "./record.js";
import { contiguous, expand, unsqueeze } from "./views.js";

/**
 * `t` as a [Bt, rows, cols] view for the kernel: batch dims broadcast to `batch` and collapsed into one
 * stride when the layout allows, else materialised by a copy (returned in `temp`).
 */
function asBatched(t: Tensor, batch: readonly number[]): { view: ViewArg; temp?: Tensor } {
  const rows = t.shape[t.ndim - 2]!;
  const cols = t.shape[t.ndim - 1]!;
  const bt = batch.reduce((a, s) => a * s, 1);
  const lead = batch.length - (t.ndim - 2);
  const strides = batch.map((s, i) => (i < lead || t.shape[i - lead] === 1 ? 0 : t.strides[i - lead]!));
  // The batch collapses to one stride if every non-trivial batch dim follows the next one's layout.
  const dims = batch.map((s, i) => ({ s, st: strides[i]! })).filter((d) => d.s !== 1);
  const allZero = dims.every((d) => d.st === 0);
  const collapsible =
    allZero || dims.every((d, i) => i === dims.length - 1 || d.st === dims[i + 1]!.st * dims[i + 1]!.s);
  const inner = [t.strides[t.ndim - 2]!, t.strides[t.ndim - 1]!];
  if (collapsible) {
    const batchStride = dims.length === 0 || allZero ? 0 : dims[dims.length - 1]!.st;
    return {
      view: { tensor: t, shape: [bt, rows, cols], strides: [batchStride, inner[0]!, inner[1]!], offset: t.offset },
    };
  }
  const temp = noGrad(() => {
    const e = expand(t, [...batch, rows, cols]);
    const c = contiguous(e);
    e.dispose();
    return c;
  });
  return { view: { tensor: temp, shape: [bt, rows, cols], strides: [rows * cols, cols, 1], offset: 0 }, temp };
}

/**
 * Matrix product with torch.matmul's rules: 1-D operands are vectors, leading dims broadcast as batch.
 * Accumulates in f32.
 *
 * @example
 * matmul(randn([8, 16, 32]), randn([32, 64])); // [8, 16, 64]
 */
export function matmul<D extends FloatDType>(a: Tensor<D>, b: Tensor<NoInfer<D>>): Tensor<D> {
  expectTensor("matmul", "a", a);
  expectTensor("matmul", "b", b);
  commonDevice("matmul", [a, b]);
  expectDType("matmul", "a", a.dtype, ["f32", "bf16"]);
  if (a.dtype !== b.dtype) throw new DTypeError(`matmul: a and b must share a dtype, got ${a.dtype} and ${b.dtype}`);
  if (a.ndim === 0 || b.ndim === 0)
    throw new ShapeError(
      `matmul: both operands need at least 1 dim, got ${formatShape(a.shape)} and ${formatShape(b.shape)}`,
    );
  // Vectors become matrices for the kernel and their unit dim is dropped from the result.
  const a2 = a.ndim === 1 ? noGrad(() => unsqueeze(a, 0)) : a;
  const b2 = b.ndim === 1 ? noGrad(() => unsqueeze(b, -1)) : b;
  const M = a2.shape[a2.shape.length - 2]!;
  const K = a2.shape[a2.shape.length - 1]!;
  const K2 = b2.shape[b2.shape.length - 2]!;
  const N = b2.shape[b2.shape.length - 1]!;
  if (K !== K2)
    throw new ShapeError(
      `matmul: inner sizes differ: ${formatShape(a.shape)} @ ${formatShape(b.shape)} (${K} vs ${K2})`,
    );
  const batch = broadcastShapes("matmul", a2.shape.slice(0, -2), b2.shape.slice(0, -2));
  const av = asBatched(a2, batch);
  const bv = asBatched(b2, batch);
  const outShape = [...batch, ...(a.ndim === 1 ? [] : [M]), ...(b.ndim === 1 ? [] : [N])];
  const y = emptyTensor(outShape, a.dtype, a.device);
  const bt = batch.reduce((p, s) => p * s, 1);
  runKernel(
    "matmul",
    "matmul",
    [av.view, bv.view],
    [{ tensor: y, shape: [bt, M, N], strides: [M * N, N, 1], offset: 0 }],
  );
  for (const t of [av.temp, bv.temp]) t?.dispose();
  if (a2 !== a) a2.dispose();
  if (b2 !== b) b2.dispose();
  record("matmul", [a, b], y);
  return y;
}
