// cross_entropy_forward / cross_entropy_backward on CUDA against the float64 reference: per-row losses
// (reduction "none", so only these kernels run on the GPU) and glogits = gloss * (softmax - onehot),
// up to the MiniCPM vocabulary (V = 122753, odd, so rows start at every 16-byte phase).
import { describe, expect, it } from "vitest";
import * as S from "../../src/index.js";
import { crossEntropyBackward } from "../../src/ops/cross_entropy.js";
import { expectClose } from "../helpers/expect.js";
import { FLOAT_DTYPES, floatInput, fromRef, toRef } from "../helpers/tensors.js";
import { elementwiseTol } from "../helpers/tolerance.js";
import * as R from "../reference/index.js";
import { gpuStatus, onGpu } from "./gpu.js";

const rng = new R.Rng(6021);
const i32 = (r: R.Ref) => fromRef(r, "i32") as S.Tensor<"i32">;

/** Targets in [0, V) with about a quarter of the rows set to `ignore`. */
function targets(N: number, V: number, ignore = -100): R.Ref {
  return R.ref([N], () => (rng.next() < 0.25 ? ignore : rng.int(0, V)));
}

/** A loss is lse - logit: the lse sums V exponentials (sqrt(V) roundings), output is f32. */
function lossTol(want: R.Ref, V: number): R.Ref {
  const base = elementwiseTol("f32", want, 2);
  return R.ref(
    want.shape,
    (i) => base.data[i]! + 8 * R.unitRoundoff.f32 * Math.sqrt(V) * Math.max(1, Math.abs(want.data[i]!)),
  );
}

/** Per-row log-sum-exp in float64. */
function lseOf(x: R.Ref): R.Ref {
  const [N, V] = x.shape as [number, number];
  return R.ref([N], (r) => R.logsumexpOf(Array.from(x.data.subarray(r * V, (r + 1) * V))));
}

/** gloss[r] * (softmax(x[r]) - onehot(t[r])), zero on ignored rows, in float64. */
function gradRef(x: R.Ref, t: R.Ref, lse: R.Ref, gloss: R.Ref, ignore: number): R.Ref {
  const V = x.shape[1]!;
  return R.ref(x.shape, (i) => {
    const r = Math.floor(i / V),
      c = i % V;
    if (t.data[r] === ignore) return 0;
    return gloss.data[r]! * (Math.exp(x.data[i]! - lse.data[r]!) - (c === t.data[r] ? 1 : 0));
  });
}

/**
 * softmax - onehot: the exp carries a few f32 ulps of its argument x - lse (so an error relative to the
 * probability p, scaled by |gloss|, which matters at the target where p - 1 cancels), plus one rounding
 * of the result to the dtype.
 */
function gradTolOf(dtype: "f32" | "bf16", want: R.Ref, x: R.Ref, lse: R.Ref, gloss: R.Ref): R.Ref {
  const V = x.shape[1]!;
  const out = dtype === "f32" ? 4 * R.unitRoundoff.f32 : 2 * R.unitRoundoff.bf16;
  return R.ref(want.shape, (i) => {
    const r = Math.floor(i / V);
    const p = Math.exp(x.data[i]! - lse.data[r]!);
    const arg = Math.abs(x.data[i]!) + Math.abs(lse.data[r]!);
    return 1e-12 + out * Math.abs(want.data[i]!) + 16 * R.unitRoundoff.f32 * (1 + arg) * p * Math.abs(gloss.data[r]!);
  });
}

// Widths 1, 7, 2304 (packs only), 4097 and 122753 (odd: rows start at every 16-byte phase, heads and
// tails one element at a time); 2100 rows of 7 is more rows than any block count.
const SHAPES: [number, number][] = [
  [1, 1],
  [7, 3],
  [2100, 7],
  [33, 517],
  [9, 2304],
  [5, 4097],
  [8, 32003],
  [3, 122753],
];

describe.skipIf(!gpuStatus.available)("CUDA cross_entropy_forward", () => {
  for (const dtype of FLOAT_DTYPES) {
    it(`${dtype}: per-row losses with ignored rows, up to V = 122753`, () => {
      for (const [N, V] of SHAPES) {
        S.tidy(() => {
          const logits = floatInput(rng.ref([N, V], -8, 8), dtype);
          const t = targets(N, V);
          const y = S.crossEntropy(onGpu(logits.t), onGpu(i32(t)), { reduction: "none" });
          expect(y.device).toBe("cuda");
          const want = R.crossEntropy(logits.r, t, { reduction: "none" });
          expectClose(y, want, lossTol(want, V), `crossEntropy ${dtype} [${N}, ${V}]`);
        });
      }
    });
  }
  it("custom ignoreIndex inside the vocabulary, large logits, NaN and -inf rows as the CPU backend", () => {
    S.tidy(() => {
      const logits = floatInput(rng.ref([10, 6]), "f32");
      const t = targets(10, 6, 0);
      const want = R.crossEntropy(logits.r, t, { ignoreIndex: 0, reduction: "none" });
      expectClose(
        S.crossEntropy(onGpu(logits.t), onGpu(i32(t)), { ignoreIndex: 0, reduction: "none" }),
        want,
        lossTol(want, 6),
      );
      const big = floatInput(rng.ref([4, 1000], 5000, 9000), "f32");
      const tb = targets(4, 1000);
      const wantBig = R.crossEntropy(big.r, tb, { reduction: "none" });
      expectClose(S.crossEntropy(onGpu(big.t), onGpu(i32(tb)), { reduction: "none" }), wantBig, lossTol(wantBig, 1000));
      const odd = S.tensor([
        [0, NaN, 1, 2],
        [-Infinity, -Infinity, -Infinity, -Infinity],
        [1, 2, 3, 4],
      ]);
      const to = i32(R.ref([3], [1, 0, 2]));
      const cpu = toRef(S.crossEntropy(odd, to, { reduction: "none" }));
      expectClose(S.crossEntropy(onGpu(odd), onGpu(to), { reduction: "none" }), cpu, lossTol(cpu, 4));
    });
  });
  it("a target outside [0, V) that is not ignoreIndex gives a NaN loss and gradient row, no sync, others intact", () => {
    S.tidy(() => {
      const logits = floatInput(rng.ref([4, 5], -2, 2), "f32");
      const t = R.ref([4], [0, 5, -100, -7]);
      const y = toRef(S.crossEntropy(onGpu(logits.t), onGpu(i32(t)), { reduction: "none" }));
      expect(Number.isNaN(y.data[1]!) && Number.isNaN(y.data[3]!)).toBe(true);
      const good = R.crossEntropy(logits.r, R.ref([4], [0, -100, -100, -100]), { reduction: "none" });
      expect(y.data[0]).toBeCloseTo(good.data[0]!, 5);
      expect(y.data[2]).toBe(0);
      const lse = R.roundRef(lseOf(logits.r), "f32");
      const g = toRef(
        crossEntropyBackward(
          onGpu(logits.t),
          onGpu(i32(t)),
          onGpu(fromRef(lse, "f32")),
          S.ones([4], { device: "cuda" }),
          undefined,
          -100,
          "none",
        ),
      );
      const row = (r: number) => Array.from(g.data.subarray(r * 5, (r + 1) * 5));
      expect(row(1).every(Number.isNaN) && row(3).every(Number.isNaN)).toBe(true);
      expect(row(2)).toEqual([0, 0, 0, 0, 0]);
      expect(row(0).every(Number.isFinite)).toBe(true);
    });
  });
});

describe.skipIf(!gpuStatus.available)("CUDA cross_entropy_backward", () => {
  for (const dtype of FLOAT_DTYPES) {
    it(`${dtype}: glogits = gloss * (softmax - onehot), ignored rows zero`, () => {
      for (const [N, V] of SHAPES) {
        S.tidy(() => {
          const logits = floatInput(rng.ref([N, V], -8, 8), dtype);
          const t = targets(N, V);
          const lse = R.roundRef(lseOf(logits.r), "f32");
          const gloss = R.roundRef(rng.ref([N], -2, 2), "f32");
          const g = crossEntropyBackward(
            onGpu(logits.t),
            onGpu(i32(t)),
            onGpu(fromRef(lse, "f32")),
            onGpu(fromRef(gloss, "f32")),
            undefined,
            -100,
            "none",
          );
          expect(g.device).toBe("cuda");
          expect(g.dtype).toBe(dtype);
          const want = gradRef(logits.r, t, lse, gloss, -100);
          expectClose(g, want, gradTolOf(dtype, want, logits.r, lse, gloss), `glogits ${dtype} [${N}, ${V}]`);
        });
      }
    });
  }
});
