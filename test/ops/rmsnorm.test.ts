// rmsNorm against the float64 reference; gradients for x and weight against finite differences.
import { describe, expect, it } from "vitest";
import * as S from "../../src/index.js";
import { checkForwardBackward } from "../helpers/grad.js";
import { expectClose, expectSlmkitError } from "../helpers/expect.js";
import { FLOAT_DTYPES, floatInput } from "../helpers/tensors.js";
import { elementwiseTol } from "../helpers/tolerance.js";
import * as R from "../reference/index.js";

const rng = new R.Rng(5150);

/** The row's mean square is a sum of C terms (sqrt(C) roundings), then rsqrt and two products. */
function tol(dtype: "f32" | "bf16", want: R.Ref, C: number): R.Ref {
  const base = elementwiseTol(dtype, want, 3);
  const acc = 8 * R.unitRoundoff.f32 * Math.sqrt(C);
  return R.ref(want.shape, (i) => base.data[i]! + acc * Math.abs(want.data[i]!));
}

describe("rmsNorm forward", () => {
  for (const dtype of FLOAT_DTYPES) {
    it(`${dtype} on [N, C] and [B, T, C] with awkward C`, () => {
      for (const shape of [
        [1, 1],
        [3, 7],
        [2, 5, 64],
        [4, 517],
        [1031, 67],
        [3, 4099],
      ]) {
        for (const eps of [1e-5, 1e-6, 0.5]) {
          S.tidy(() => {
            const C = shape[shape.length - 1]!;
            const x = floatInput(rng.ref(shape, -3, 3), dtype);
            const w = floatInput(rng.ref([C], 0.5, 1.5), dtype);
            const y = S.rmsNorm(x.t, w.t, eps);
            expect(y.dtype).toBe(dtype);
            const want = R.rmsNorm(x.r, w.r, eps);
            expectClose(y, want, tol(dtype, want, C), `rmsNorm [${shape}] eps ${eps}`);
          });
        }
      }
    });
  }
  it("eps defaults to 1e-5", () => {
    const x = floatInput(rng.ref([2, 3], -0.01, 0.01), "f32");
    const w = floatInput(R.full([3], 1), "f32");
    const want = R.rmsNorm(x.r, w.r, 1e-5);
    expectClose(S.rmsNorm(x.t, w.t), want, tol("f32", want, 3));
  });
  it("takes a non-contiguous x", () => {
    const x = floatInput(rng.ref([6, 4]), "f32");
    const w = floatInput(rng.ref([6]), "f32");
    const want = R.rmsNorm(R.views.transpose(x.r, 0, 1), w.r);
    expectClose(S.rmsNorm(S.transpose(x.t, 0, 1), w.t), want, tol("f32", want, 6));
  });
  it("a row of zeros gives zeros (no NaN)", () => {
    const y = S.rmsNorm(S.zeros([2, 8]), S.ones([8]));
    expect(Array.from(y.dataSync()).every((v) => v === 0)).toBe(true);
  });
});

describe("rmsNorm backward", () => {
  for (const dtype of FLOAT_DTYPES) {
    for (const shape of [
      [3, 5],
      [2, 2, 8],
      [1, 1],
    ]) {
      it(`${dtype} [${shape}]: grads of x and weight`, () => {
        const C = shape[shape.length - 1]!;
        checkForwardBackward({
          dtype,
          rng,
          ops: 8,
          label: "rmsNorm",
          inputs: [rng.ref(shape, -2, 2), rng.ref([C], 0.5, 1.5)],
          lib: ([x, w]) => S.rmsNorm(x!, w!, 1e-5),
          ref: ([x, w]) => R.rmsNorm(x!, w!, 1e-5),
          forwardTol: (w) => tol(dtype, w, C),
        });
      });
    }
  }
});

describe("rmsNorm errors", () => {
  it("weight must be [C]; dtypes must match; eps must be >= 0", () => {
    const x = S.zeros([2, 4]);
    expectSlmkitError(() => S.rmsNorm(x, S.zeros([3])), ["rmsNorm", "[2, 4]", "[3]"], S.ShapeError);
    expectSlmkitError(() => S.rmsNorm(x, S.zeros([1, 4])), ["rmsNorm", "[1, 4]"], S.ShapeError);
    expectSlmkitError(() => S.rmsNorm(x, S.zeros([4], { dtype: "bf16" }) as never), ["rmsNorm", "bf16"], S.DTypeError);
    expectSlmkitError(
      () => S.rmsNorm(S.zeros([2, 4], { dtype: "i32" }) as never, S.zeros([4]) as never),
      ["rmsNorm", "i32"],
      S.DTypeError,
    );
    expectSlmkitError(() => S.rmsNorm(x, S.zeros([4]), -1), ["rmsNorm", "eps"], S.ArgumentError);
  });
});
