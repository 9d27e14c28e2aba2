// crossEntropy against the float64 reference (PyTorch semantics: ignoreIndex rows add nothing, "mean"
// divides by the kept rows); the logits' gradient against finite differences.
import { describe, expect, it } from "vitest";
import * as S from "../../src/index.js";
import { checkForwardBackward } from "../helpers/grad.js";
import { expectClose, expectSlmkitError } from "../helpers/expect.js";
import { FLOAT_DTYPES, floatInput, fromRef } from "../helpers/tensors.js";
import { elementwiseTol } from "../helpers/tolerance.js";
import * as R from "../reference/index.js";

const rng = new R.Rng(2718);
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

describe("crossEntropy forward", () => {
  for (const dtype of FLOAT_DTYPES) {
    it(`${dtype}: reductions none/sum/mean over awkward N and V, with ignored rows`, () => {
      for (const [N, V] of [
        [1, 1],
        [1, 5],
        [7, 3],
        [33, 517],
        [8, 32003],
      ] as [number, number][]) {
        S.tidy(() => {
          const logits = floatInput(rng.ref([N, V], -6, 6), dtype);
          const t = targets(N, V);
          if (t.data.every((v) => v === -100)) t.data[0] = 0;
          for (const reduction of ["none", "sum", "mean"] as const) {
            const y = S.crossEntropy(logits.t, i32(t), { reduction });
            expect(y.dtype).toBe("f32");
            const want = R.crossEntropy(logits.r, t, { reduction });
            expectClose(
              y,
              want,
              lossTol(want, V * (reduction === "none" ? 1 : N)),
              `crossEntropy [${N}, ${V}] ${reduction}`,
            );
          }
          const want = R.crossEntropy(logits.r, t);
          expectClose(S.crossEntropy(logits.t, i32(t)), want, lossTol(want, V * N), "default reduction is mean");
        });
      }
    });
  }
  it("custom ignoreIndex (e.g. a padding id inside the vocabulary)", () => {
    const logits = floatInput(rng.ref([10, 6]), "f32");
    const t = targets(10, 6, 0);
    for (const reduction of ["none", "mean"] as const) {
      const want = R.crossEntropy(logits.r, t, { ignoreIndex: 0, reduction });
      expectClose(S.crossEntropy(logits.t, i32(t), { ignoreIndex: 0, reduction }), want, lossTol(want, 60));
    }
  });
  it("logits [B, T, V] with targets [B, T]", () => {
    const logits = floatInput(rng.ref([2, 3, 9]), "f32");
    const t = rng.intRef([2, 3], 0, 9);
    const want = R.crossEntropy(R.views.reshape(logits.r, [6, 9]), R.views.reshape(t, [6]));
    expectClose(S.crossEntropy(logits.t, i32(t)), want, lossTol(want, 54));
    expect(S.crossEntropy(logits.t, i32(t), { reduction: "none" }).shape).toEqual([2, 3]);
  });
  it("is stable at large logits", () => {
    const logits = floatInput(
      R.fromNested([
        [1000, 0, -1000],
        [50, 60, 70],
      ]),
      "f32",
    );
    const t = R.fromNested([1, 2]);
    const want = R.crossEntropy(logits.r, t, { reduction: "none" });
    expectClose(S.crossEntropy(logits.t, i32(t), { reduction: "none" }), want, lossTol(want, 3));
  });
  it("mean over a batch where every row is ignored is NaN (0/0, as PyTorch)", () => {
    const y = S.crossEntropy(S.zeros([3, 4]), S.full([3], -100, { dtype: "i32" }));
    expect(Number.isNaN(y.item())).toBe(true);
    expect(S.crossEntropy(S.zeros([3, 4]), S.full([3], -100, { dtype: "i32" }), { reduction: "sum" }).item()).toBe(0);
  });
  it("takes non-contiguous logits", () => {
    const logits = floatInput(rng.ref([7, 4]), "f32");
    const t = rng.intRef([4], 0, 7);
    const want = R.crossEntropy(R.views.transpose(logits.r, 0, 1), t);
    expectClose(S.crossEntropy(S.transpose(logits.t, 0, 1), i32(t)), want, lossTol(want, 28));
  });
});

describe("crossEntropy backward", () => {
  for (const dtype of FLOAT_DTYPES) {
    for (const reduction of ["mean", "sum", "none"] as const) {
      it(`${dtype} ${reduction}: softmax - onehot, zero on ignored rows`, () => {
        const t = R.fromNested([2, -100, 0, 4, 4]);
        checkForwardBackward({
          dtype,
          rng,
          ops: 4,
          outDtype: "f32",
          label: `crossEntropy ${reduction}`,
          inputs: [rng.ref([5, 5], -3, 3)],
          lib: ([l]) => S.crossEntropy(l!, i32(t), { reduction }),
          ref: ([l]) => R.crossEntropy(l!, t, { reduction }),
          forwardTol: (w) => lossTol(w, 25),
        });
      });
    }
  }
  it("gradient of a large vocabulary row sums to 0 and matches softmax - onehot", () => {
    const logits = floatInput(rng.ref([4, 5003], -4, 4), "f32", true);
    const t = R.fromNested([17, 5002, 0, 2500]);
    S.crossEntropy(logits.t, i32(t), { reduction: "sum" }).backward();
    const want = R.sub(R.softmax(logits.r, 1), R.oneHot(t, 5003));
    expectClose(logits.t.grad!, want, 1e-6);
  });
});

describe("crossEntropy errors", () => {
  const logits = S.zeros([3, 5]);
  it("targets out of range are SlmkitErrors naming crossEntropy (never a crash)", () => {
    expectSlmkitError(() => S.crossEntropy(logits, S.tensor([0, 5, 1], { dtype: "i32" })), ["crossEntropy"]);
    expectSlmkitError(() => S.crossEntropy(logits, S.tensor([0, -1, 1], { dtype: "i32" })), ["crossEntropy"]);
  });
  it("shape, dtype and option mistakes name the argument and shapes", () => {
    expectSlmkitError(
      () => S.crossEntropy(logits, S.tensor([0, 1], { dtype: "i32" })),
      ["crossEntropy", "[3, 5]", "[2]"],
      S.ShapeError,
    );
    expectSlmkitError(
      () => S.crossEntropy(logits, S.tensor([0, 1, 2]) as never),
      ["crossEntropy", "targets", "f32"],
      S.DTypeError,
    );
    expectSlmkitError(
      () => S.crossEntropy(S.zeros([3, 5], { dtype: "i32" }) as never, S.tensor([0, 1, 2], { dtype: "i32" })),
      ["crossEntropy", "logits"],
      S.DTypeError,
    );
    expectSlmkitError(
      () => S.crossEntropy(logits, S.tensor([0, 1, 2], { dtype: "i32" }), { reduction: "avg" as never }),
      ["crossEntropy", "reduction"],
      S.ArgumentError,
    );
    expectSlmkitError(
      () => S.crossEntropy(logits, S.tensor([0, 1, 2], { dtype: "i32" }), { ignoreIndex: 0.5 }),
      ["crossEntropy", "ignoreIndex"],
      S.ArgumentError,
    );
  });
});
