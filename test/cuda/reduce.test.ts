// CUDA reductions against the CPU kernels: every reduction and dtype, the row path (reduced axis last),
// the column path (axis in the middle), split reductions (few long rows or columns), NaN/infinity,
// ties, empty axes and i32 wrap-around.
import { describe, expect, it } from "vitest";
import {
  argmax,
  argmin,
  cast,
  logsumexp,
  max,
  min,
  mul,
  randn,
  sqrt,
  sum,
  tensor,
  type Tensor,
  zeros,
} from "../../src/index.js";
import { ref } from "../reference/index.js";
import { expectClose } from "../helpers/expect.js";
import { accumulationTol } from "../helpers/tolerance.js";
import { FLOAT_DTYPES, toRef } from "../helpers/tensors.js";
import { gpuStatus, onBoth } from "./gpu.js";

// [shape, dim]: rows (I == 1), many short rows, columns, few long rows/columns (split into chunks).
const CASES: [number[], number | number[] | undefined][] = [
  [[1], undefined],
  [[7, 1000], 1],
  [[70001, 3], 1],
  [[5, 2049], 1],
  [[3, 5, 257], 1],
  [[2, 100003, 3], 1],
  [[1000003], undefined],
  [[2, 1500007], 1],
  [[129, 67], 0],
];

describe.skipIf(!gpuStatus.available)("CUDA reductions", () => {
  for (const dtype of FLOAT_DTYPES) {
    for (const [shape, dim] of CASES) {
      it(`sum and logsumexp ${dtype} [${shape}] dim ${dim}`, () => {
        const x = randn(shape, { dtype });
        const n = dim === undefined ? x.numel : shape[dim as number]!;
        const s = onBoth([x], (t) => sum(t, { dim }));
        // Both backends carry the accumulation error; the tolerance is one backend's, doubled.
        const norms = toRef(sqrt(sum(mul(x, x), { dim })));
        const tol = accumulationTol(dtype, s.cpu, norms, n);
        expectClose(
          s.cuda,
          s.cpu,
          ref(tol.shape, (i) => 2 * tol.data[i]!),
          "sum",
        );
        const l = onBoth([x], (t) => logsumexp(t, { dim }));
        // lse = m + log(s): an absolute error of s's relative error, which accumulation bounds like a sum
        // of n terms of norm <= s (termNorms 1), plus a few f32 ulps of exp/log per backend.
        const ltol = accumulationTol(
          dtype,
          l.cpu,
          ref(l.cpu.shape, () => 1),
          n,
        );
        expectClose(
          l.cuda,
          l.cpu,
          ref(ltol.shape, (i) => 2 * ltol.data[i]! + 1e-6),
          "logsumexp",
        );
      });
      it(`max, min, argmax, argmin ${dtype} [${shape}] dim ${dim} (exact)`, () => {
        // Few distinct values, so ties are common and the first index must win.
        const x = cast(cast(mul(randn(shape), 2), "i32"), dtype);
        for (const f of [max, min]) {
          const r = onBoth([x], (t) => f(t, { dim }));
          expect(Array.from(r.cuda.data)).toEqual(Array.from(r.cpu.data));
        }
        if (dim !== undefined && !Array.isArray(dim)) {
          for (const f of [argmax, argmin]) {
            const r = onBoth([x], (t) => f(t, { dim: dim as number }));
            expect(Array.from(r.cuda.data)).toEqual(Array.from(r.cpu.data));
          }
        }
      });
    }
  }

  it("ties give the first index; NaN wins max/min/argmax/argmin and poisons sum and logsumexp", () => {
    const x = tensor([
      [1, 3, 3, 2],
      [NaN, 5, NaN, 1],
      [-1, -1, -2, -2],
      [Infinity, 1, 2, 3],
      [-Infinity, -Infinity, -Infinity, -Infinity],
    ]);
    const g = x.to("cuda");
    expect(Array.from(argmax(g, { dim: 1 }).to("cpu").dataSync())).toEqual([1, 0, 0, 0, 0]);
    expect(Array.from(argmin(g, { dim: 1 }).to("cpu").dataSync())).toEqual([0, 0, 2, 1, 0]);
    expect(Array.from(max(g, { dim: 1 }).to("cpu").dataSync())).toEqual([3, NaN, -1, Infinity, -Infinity]);
    expect(Array.from(min(g, { dim: 1 }).to("cpu").dataSync())).toEqual([1, NaN, -2, 1, -Infinity]);
    expect(Array.from(sum(g, { dim: 1 }).to("cpu").dataSync())).toEqual([9, NaN, -6, Infinity, -Infinity]);
    const l = logsumexp(g, { dim: 1 }).to("cpu").dataSync();
    expect(l[1]).toBeNaN();
    expect(l[3]).toBe(Infinity);
    expect(l[4]).toBe(-Infinity);
    expect(l[0]).toBeCloseTo(Math.log(Math.exp(1) + 2 * Math.exp(3) + Math.exp(2)), 5);
  });

  it("i32 sums accumulate in i64 and wrap on store; i32 max/argmax exact", () => {
    const x = tensor(new Int32Array(Array.from({ length: 3 * 4099 }, (_, i) => (i * 2654435761) | 0)), {
      shape: [3, 4099],
    });
    for (const f of [sum, max, min] as ((t: Tensor, o: { dim: number }) => Tensor)[]) {
      const r = onBoth([x], (t) => f(t, { dim: 1 }));
      expect(Array.from(r.cuda.data)).toEqual(Array.from(r.cpu.data));
    }
    const r = onBoth([x], (t) => argmax(t, { dim: 0 }));
    expect(Array.from(r.cuda.data)).toEqual(Array.from(r.cpu.data));
  });

  it("an empty axis: sum 0, logsumexp -Infinity, max an error naming the kernel", () => {
    const x = zeros([3, 0, 2], { device: "cuda" });
    expect(Array.from(sum(x, { dim: 1 }).to("cpu").dataSync())).toEqual([0, 0, 0, 0, 0, 0]);
    expect(Array.from(logsumexp(x, { dim: 1 }).to("cpu").dataSync())).toEqual(Array(6).fill(-Infinity));
    expect(() => max(x, { dim: 1 })).toThrow(/max/);
  });

  it("repeated runs give bit-identical results (no atomics)", () => {
    const x = randn([3, 1000003], { device: "cuda" });
    const a = sum(x, { dim: 1 }).to("cpu").dataSync();
    const b = sum(x, { dim: 1 }).to("cpu").dataSync();
    expect(Array.from(b)).toEqual(Array.from(a));
  });
});
