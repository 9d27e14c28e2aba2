import { ArgumentError, DTypeError, ShapeError, show } from "../errors.js";
import { expectTensor } from "../tensor/tensor.js";
import type { DType, FloatDType, NumericDType } from "../tensor/dtype.js";
import { expectDType, isFloat } from "../tensor/dtype.js";
import { noGrad } from "../tensor/graph.js";
import { cleanupOnError } from "../tensor/scope.js";
import { formatShape, normAxis } from "../tensor/shape.js";
import type { Tensor } from "../tensor/tensor.js";
import { arange } from "./creation.js";
import { commonDevice, contiguousAs, emptyTensor, runKernel } from "./dispatch.js";
import { eq } from "./elementwise.js";
import { cast } from "./operands.js";
import { item } from "./readback.js";
import { record } from "./record.js";
import { max, min } from "./reduce.js";
import { contiguous, reshape, unsqueeze } from "./views.js";

function checkIndex(op: string, index: Tensor): void {
  expectTensor(op, "index", index);
  if (index.dtype !== "i32") throw new DTypeError(`${op}: index must have dtype i32, got ${index.dtype}`);
}

/** Sizes before, at and after `dim`: the [O, A, I] view the indexing kernels take. */
function split3(shape: readonly number[], dim: number): [number, number, number] {
  const prod = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);
  return [prod(shape.slice(0, dim)), shape[dim] ?? 1, prod(shape.slice(dim + 1))];
}

/** Runs `fn` on contiguous versions of tensors, disposing the copies afterwards. */
function withContiguous<T>(tensors: readonly Tensor[], fn: (c: Tensor[]) => T): T {
  const c = noGrad(() => tensors.map((t) => contiguous(t)));
  try {
    return fn(c);
  } finally {
    c.forEach((t, i) => t !== tensors[i] && t.dispose());
  }
}

/**
 * Rows of `x` along `dim` picked by a 1-D i32 index.
 *
 * @example
 * indexSelect(x, 0, tensor([2, 0], { dtype: "i32" }));
 */
export function indexSelect<D extends NumericDType>(x: Tensor<D>, dim: number, index: Tensor<"i32">): Tensor<D> {
  return cleanupOnError(() => selectRows("indexSelect", x, dim, index));
}

/** indexSelect under the name of the op the user called (embedding reports its own name). */
function selectRows<D extends NumericDType>(op: string, x: Tensor<D>, dim: number, index: Tensor<"i32">): Tensor<D> {
  expectTensor(op, "x", x);
  checkIndex(op, index);
  commonDevice(op, [x, index]);
  expectDType(op, "x", x.dtype, ["f32", "bf16", "i32"]);
  if (index.ndim !== 1) throw new ShapeError(`${op}: index must be 1-D, got ${formatShape(index.shape)}`);
  const d = normAxis(op, dim, x.ndim);
  const [O, A, I] = split3(x.shape, d);
  const n = index.shape[0]!;
  const shape = x.shape.slice();
  shape[d] = n;
  const y = emptyTensor(shape, x.dtype, x.device);
  withContiguous([x, index], ([cx, ci]) =>
    runKernel(op, "index_select", [contiguousAs(cx!, [O, A, I]), ci!], [contiguousAs(y, [O, n, I])]),
  );
  if (isFloat(x.dtype)) record("indexSelect", [x], y, { dim: d }, [index]);
  return y;
}

/**
 * Looks up rows of `weight` [V, C] for every id in `indices` (any shape): result [...indices.shape, C].
 * The backward pass scatter-adds into the rows that were used.
 *
 * @example
 * embedding(wte, tokens); // tokens i32 [B, T] -> [B, T, C]
 */
export function embedding<D extends NumericDType>(weight: Tensor<D>, indices: Tensor<"i32">): Tensor<D> {
  return cleanupOnError(() => {
    expectTensor("embedding", "weight", weight);
    checkIndex("embedding", indices);
    if (weight.ndim !== 2) throw new ShapeError(`embedding: weight must be [V, C], got ${formatShape(weight.shape)}`);
    const flat = noGrad(() => reshape(indices, [indices.numel]));
    const rows = selectRows("embedding", weight, 0, flat);
    const y = reshape(rows, [...indices.shape, weight.shape[1]!]);
    if (flat !== indices) flat.dispose();
    if (y !== rows) rows.dispose();
    return y;
  });
}

/**
 * Values of `x` along `dim` at the positions in `index` (same rank as x; every other size equal).
 *
 * @example
 * gather(logProbs, 1, unsqueeze(targets, 1)); // pick each row's target
 */
export function gather<D extends NumericDType>(x: Tensor<D>, dim: number, index: Tensor<"i32">): Tensor<D> {
  return cleanupOnError(() => {
    expectTensor("gather", "x", x);
    checkIndex("gather", index);
    commonDevice("gather", [x, index]);
    expectDType("gather", "x", x.dtype, ["f32", "bf16", "i32"]);
    const d = normAxis("gather", dim, x.ndim);
    if (index.ndim !== x.ndim || index.shape.some((s, i) => i !== d && s !== x.shape[i])) {
      throw new ShapeError(
        `gather: index ${formatShape(index.shape)} must match x ${formatShape(x.shape)} in every dim but ${d}`,
      );
    }
    const [O, A, I] = split3(x.shape, d);
    const n = index.shape[d] ?? 1;
    const y = emptyTensor(index.shape, x.dtype, x.device);
    withContiguous([x, index], ([cx, ci]) =>
      runKernel(
        "gather",
        "gather",
        [contiguousAs(cx!, [O, A, I]), contiguousAs(ci!, [O, n, I])],
        [contiguousAs(y, [O, n, I])],
      ),
    );
    if (isFloat(x.dtype)) record("gather", [x], y, { dim: d }, [index]);
    return y;
  });
}

/**
 * One-hot rows: an i32 tensor [...indices.shape, numClasses] with a 1 at each index.
 *
 * @example
 * oneHot(tensor([0, 2], { dtype: "i32" }), 3); // [[1, 0, 0], [0, 0, 1]]
 */
export function oneHot(indices: Tensor<"i32">, numClasses: number): Tensor<"i32"> {
  expectTensor("oneHot", "indices", indices);
  checkIndex("oneHot", indices);
  if (!Number.isInteger(numClasses) || numClasses < 1)
    throw new ArgumentError(`oneHot: numClasses must be a whole number >= 1, got ${numClasses}`);
  if (indices.numel > 0) {
    // Out-of-range ids would silently give all-zero rows; PyTorch refuses them, and so do we.
    const [lo, hi] = noGrad(() =>
      [min(indices), max(indices)].map((t) => {
        const v = item(t);
        t.dispose();
        return v;
      }),
    );
    if (lo! < 0 || hi! >= numClasses)
      throw new ArgumentError(`oneHot: indices must lie in [0, ${numClasses}), got values from ${lo} to ${hi}`);
  }
  return noGrad(() => {
    const classes = arange(0, numClasses, 1, { dtype: "i32", device: indices.device });
    const column = unsqueeze(indices, -1);
    const hits = eq(column, classes);
    const y = cast(hits, "i32");
    for (const t of [classes, column, hits]) t.dispose();
    return y;
  });
}

function triangle<D extends DType>(op: "triu" | "tril", x: Tensor<D>, diagonal: number): Tensor<D> {
  expectTensor(op, "x", x);
  if (x.ndim < 2) throw new ShapeError(`${op}: x must have at least 2 dims, got ${formatShape(x.shape)}`);
  if (!Number.isInteger(diagonal)) throw new ArgumentError(`${op}: diagonal must be an integer, got ${show(diagonal)}`);
  const M = x.shape[x.ndim - 2]!;
  const N = x.shape[x.ndim - 1]!;
  const bt = x.numel / Math.max(1, M * N) || 0;
  const y = emptyTensor(x.shape, x.dtype, x.device);
  withContiguous([x], ([cx]) =>
    runKernel(op, op, [contiguousAs(cx!, [bt, M, N])], [contiguousAs(y, [bt, M, N])], { k: diagonal }),
  );
  if (isFloat(x.dtype)) record(op, [x], y, { diagonal });
  return y;
}

/** The upper triangle of the last two dims (j - i >= diagonal), zeros elsewhere. */
export function triu<D extends DType>(x: Tensor<D>, diagonal = 0): Tensor<D> {
  return triangle("triu", x, diagonal);
}

/** The lower triangle of the last two dims (j - i <= diagonal), zeros elsewhere. */
export function tril<D extends DType>(x: Tensor<D>, diagonal = 0): Tensor<D> {
  return triangle("tril", x, diagonal);
}

/** Adds rows of `src` into a zero tensor of `shape` at `index` along `dim` (indexSelect's gradient). */
export function indexAdd<D extends FloatDType>(
  src: Tensor<D>,
  shape: readonly number[],
  dim: number,
  index: Tensor<"i32">,
): Tensor<D> {
  const [O, A, I] = split3(shape, dim);
  const n = index.shape[0]!;
  const y = emptyTensor(shape, src.dtype, src.device);
  runKernel("indexSelect backward", "fill", [], [y], { value: 0 });
  withContiguous([src, index], ([cs, ci]) =>
    runKernel("indexSelect backward", "index_add", [contiguousAs(cs!, [O, n, I]), ci!], [contiguousAs(y, [O, A, I])]),
  );
  return y;
}

/** Adds `src` into a zero tensor of `shape` at `index` positions along `dim` (gather's gradient). */
export function scatterAdd<D extends FloatDType>(
  src: Tensor<D>,
  shape: readonly number[],
  dim: number,
  index: Tensor<"i32">,
): Tensor<D> {
  const [O, A, I] = split3(shape, dim);
  const n = index.shape[dim] ?? 1;
  const y = emptyTensor(shape, src.dtype, src.device);
  runKernel("gather backward", "fill", [], [y], { value: 0 });
  withContiguous([src, index], ([cs, ci]) =>
    runKernel(
      "gather backward",
      "scatter_add",
      [contiguousAs(cs!, [O, n, I]), contiguousAs(ci!, [O, n, I])],
      [contiguousAs(y, [O, A, I])],
    ),
  );
  return y;
}
