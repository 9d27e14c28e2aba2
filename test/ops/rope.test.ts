// rope (rotate-half, KERNELS.md) against the reference, with position offsets; gradient = inverse rotation.
import { describe, expect, it } from "vitest";
import * as S from "../../src/index.js";
import { checkForwardBackward } from "../helpers/grad.js";
import { expectClose, expectSlmkitError } from "../helpers/expect.js";
import { FLOAT_DTYPES, floatInput } from "../helpers/tensors.js";
import { elementwiseTol } from "../helpers/tolerance.js";
import * as R from "../reference/index.js";

const rng = new R.Rng(1618);

/** Two products and a sum of rounded values: relative to the pair's magnitude, not each output. */
function tol(dtype: "f32" | "bf16", x: R.Ref, want: R.Ref): R.Ref {
  const D = x.shape[3]!;
  const half = D / 2;
  const base = elementwiseTol(dtype, want, 2);
  return R.ref(want.shape, (i) => {
    const d = i % D;
    const j = d < half ? i + half : i - half;
    const pair = Math.hypot(x.data[i]!, x.data[j]!);
    return base.data[i]! + (dtype === "f32" ? 4e-6 : 2 * R.unitRoundoff.bf16) * pair;
  });
}

describe("rope forward", () => {
  for (const dtype of FLOAT_DTYPES) {
    it(`${dtype}: head dims 2..130, offsets 0..4096, theta 10000 and 1e6`, () => {
      const cases: [number[], number, number][] = [
        [[1, 1, 1, 2], 0, 10000],
        [[2, 3, 5, 8], 0, 10000],
        [[1, 2, 7, 6], 3, 10000],
        [[1, 4, 67, 64], 0, 10000],
        [[2, 2, 3, 130], 4096, 10000],
        [[1, 2, 9, 32], 100, 1e6],
      ];
      for (const [shape, positionOffset, theta] of cases) {
        S.tidy(() => {
          const x = floatInput(rng.ref(shape), dtype);
          const y = S.rope(x.t, { theta, positionOffset });
          expect(y.dtype).toBe(dtype);
          const want = R.rope(x.r, { theta, positionOffset });
          expectClose(y, want, tol(dtype, x.r, want), `rope [${shape}] offset ${positionOffset} theta ${theta}`);
        });
      }
    });
  }
  it("defaults: theta 10000, positionOffset 0", () => {
    const x = floatInput(rng.ref([1, 2, 4, 8]), "f32");
    const want = R.rope(x.r, { theta: 10000, positionOffset: 0 });
    expectClose(S.rope(x.t), want, tol("f32", x.r, want));
  });
  it("decoding one token at offset p equals row p of the full sequence", () => {
    const x = floatInput(rng.ref([1, 2, 6, 16]), "f32");
    const full = S.rope(x.t);
    const last = S.rope(S.slice(x.t, 2, 5, 6), { positionOffset: 5 });
    expectClose(last, R.roundRef(R.views.slice(R.ref([1, 2, 6, 16], full.dataSync()), 2, 5, 6), "f32"), 1e-6);
  });
  it("takes the usual transposed [B, T, H, D] -> [B, H, T, D] view", () => {
    const x = floatInput(rng.ref([2, 5, 3, 8]), "f32");
    const xr = R.views.transpose(x.r, 1, 2);
    const want = R.rope(xr, { theta: 500, positionOffset: 2 });
    expectClose(S.rope(S.transpose(x.t, 1, 2), { theta: 500, positionOffset: 2 }), want, tol("f32", xr, want));
  });
});

describe("rope backward", () => {
  for (const dtype of FLOAT_DTYPES) {
    it(`${dtype}`, () => {
      checkForwardBackward({
        dtype,
        rng,
        ops: 3,
        label: "rope",
        inputs: [rng.ref([1, 2, 3, 6])],
        lib: ([x]) => S.rope(x!, { theta: 100, positionOffset: 7 }),
        ref: ([x]) => R.rope(x!, { theta: 100, positionOffset: 7 }),
        forwardTol: (w) => elementwiseTol(dtype, w, 4),
      });
    });
  }
});

describe("rope errors", () => {
  it("x must be 4-D with an even head dim; theta > 0; positionOffset a whole number", () => {
    expectSlmkitError(() => S.rope(S.zeros([2, 3, 4])), ["rope", "[2, 3, 4]"], S.ShapeError);
    expectSlmkitError(() => S.rope(S.zeros([1, 1, 2, 5])), ["rope", "[1, 1, 2, 5]"], S.ShapeError);
    expectSlmkitError(() => S.rope(S.zeros([1, 1, 2, 4]), { theta: 0 }), ["rope", "theta"], S.ArgumentError);
    expectSlmkitError(
      () => S.rope(S.zeros([1, 1, 2, 4]), { positionOffset: -1 }),
      ["rope", "positionOffset"],
      S.ArgumentError,
    );
    expectSlmkitError(
      () => S.rope(S.zeros([1, 1, 2, 4]), { positionOffset: 1.5 }),
      ["rope", "positionOffset"],
      S.ArgumentError,
    );
    expectSlmkitError(() => S.rope(S.zeros([1, 1, 2, 4], { dtype: "i32" }) as never), ["rope", "i32"], S.DTypeError);
  });
});
