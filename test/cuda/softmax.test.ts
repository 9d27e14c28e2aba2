// CUDA softmax and log-softmax, forward and backward, against the CPU kernels: narrow rows (a warp per
// row), wide rows (a block per row) up to a 122,753-wide vocabulary, more than 2^16 rows, NaN/-inf rows,
// and gradients through autograd on CUDA.
import { describe, expect, it } from "vitest";
import { backward, logSoftmax, mul, randn, softmax, sum, tensor, type Tensor } from "../../src/index.js";
import { expectClose } from "../helpers/expect.js";
import { gradTol } from "../helpers/tolerance.js";
import { FLOAT_DTYPES, toRef } from "../helpers/tensors.js";
import { ref, type Ref } from "../reference/index.js";
import { gpuStatus, onBoth } from "./gpu.js";

const SHAPES = [
  [1, 1],
  [3, 7],
  [5, 1000],
  [4, 1025],
  [3, 4099],
  [2, 122753],
  [70001, 5],
];

// Softmax outputs are in [0, 1]; the error is a few f32 roundings of exp and of the row sum (relative
// u * sqrt(V) at worst for random data), so the bound scales with sqrt(V); log-softmax adds |x - m|
// times u. bf16: one ulp of the stored result per backend.
function softmaxTol(dtype: "f32" | "bf16", want: Ref, V: number): Ref {
  const rel = dtype === "f32" ? 8 * 2 ** -24 * Math.sqrt(V) + 4e-6 : 2 * 2 ** -8;
  return ref(
    want.shape,
    (i) => 1e-7 + rel * Math.abs(want.data[i]!) + (dtype === "f32" ? 1e-6 : 1e-3) * (want.data[i]! < 0 ? 1 : 0),
  );
}

describe.skipIf(!gpuStatus.available)("CUDA softmax", () => {
  for (const dtype of FLOAT_DTYPES) {
    for (const shape of SHAPES) {
      it(`softmax and logSoftmax ${dtype} [${shape}]: forward and backward kernels`, () => {
        const V = shape[1]!;
        const x = randn(shape, { dtype, std: 3 });
        const gy = randn(shape, { dtype });
        for (const f of [softmax, logSoftmax]) {
          const y = onBoth([x], (t) => f(t as Tensor<"f32">));
          expectClose(y.cuda, y.cpu, softmaxTol(dtype, y.cpu, V), `${f.name} forward`);
          // Backward through autograd: d/dx sum(f(x) * gy) runs the backward kernel with gy.
          const g = onBoth([x, gy], (t, w) => {
            const leaf = t.detach();
            leaf.requiresGrad = true;
            backward(sum(mul(f(leaf as Tensor<"f32">), w)));
            return leaf.grad!;
          });
          expectClose(g.cuda, g.cpu, gradTol(dtype, g.cpu, 4 + Math.log2(V)), `${f.name} backward`);
        }
      });
    }
  }

  it("rows with NaN, all -inf or +inf give NaN rows; a -inf entry gets probability 0", () => {
    const x = tensor([
      [1, NaN, 2, 3],
      [-Infinity, -Infinity, -Infinity, -Infinity],
      [1, Infinity, 2, 3],
      [-Infinity, 0, 0, -Infinity],
    ]);
    const y = softmax(x.to("cuda")).to("cpu");
    const want = softmax(x);
    expectClose(toRef(y), toRef(want), 1e-7, "softmax special rows");
    const got = Array.from(y.dataSync());
    expect(got.slice(0, 12).every(Number.isNaN)).toBe(true);
    expect(got.slice(12)).toEqual([0, 0.5, 0.5, 0]);
    expectClose(toRef(logSoftmax(x.to("cuda")).to("cpu")), toRef(logSoftmax(x)), 1e-6, "logSoftmax special rows");
  });
});
