// swiglu(gate, up) = silu(gate) * up against the reference; both gradients against finite differences.
import { describe, expect, it } from "vitest";
import * as S from "../../src/index.js";
import { checkForwardBackward } from "../helpers/grad.js";
import { expectClose, expectSlmkitError } from "../helpers/expect.js";
import { FLOAT_DTYPES, floatInput } from "../helpers/tensors.js";
import { elementwiseTol } from "../helpers/tolerance.js";
import * as R from "../reference/index.js";

const rng = new R.Rng(808);

describe("swiglu", () => {
  for (const dtype of FLOAT_DTYPES) {
    it(`${dtype} forward on awkward shapes`, () => {
      for (const shape of [[1], [7], [3, 5], [2, 3, 11], [1031, 517]]) {
        S.tidy(() => {
          const g = floatInput(rng.ref(shape, -6, 6), dtype);
          const u = floatInput(rng.ref(shape, -2, 2), dtype);
          const y = S.swiglu(g.t, u.t);
          expect(y.dtype).toBe(dtype);
          const want = R.swiglu(g.r, u.r);
          expectClose(y, want, elementwiseTol(dtype, want, 2), `swiglu [${shape}]`);
        });
      }
    });
    it(`${dtype} backward`, () => {
      for (const shape of [
        [4, 6],
        [2, 1, 3],
      ]) {
        checkForwardBackward({
          dtype,
          rng,
          ops: 6,
          label: "swiglu",
          inputs: [rng.ref(shape, -4, 4), rng.ref(shape)],
          lib: ([g, u]) => S.swiglu(g!, u!),
          ref: ([g, u]) => R.swiglu(g!, u!),
          forwardTol: (w) => elementwiseTol(dtype, w, 2),
        });
      }
    });
  }
  it("takes non-contiguous halves of one projection (the usual split of a fused gate/up matmul)", () => {
    const gu = floatInput(rng.ref([5, 8], -3, 3), "f32");
    const [g, u] = S.chunk(gu.t, 2, -1);
    const [gr, ur] = R.views.chunk(gu.r, 2, -1);
    const want = R.swiglu(gr!, ur!);
    expectClose(S.swiglu(g!, u!), want, elementwiseTol("f32", want, 2));
  });
  it("shape and dtype mismatches are errors naming swiglu and both shapes", () => {
    expectSlmkitError(() => S.swiglu(S.zeros([2, 3]), S.zeros([3, 2])), ["swiglu", "[2, 3]", "[3, 2]"], S.ShapeError);
    expectSlmkitError(() => S.swiglu(S.zeros([2]), S.zeros([2], { dtype: "bf16" }) as never), ["swiglu"], S.DTypeError);
  });
});
