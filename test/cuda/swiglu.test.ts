// swiglu_forward / swiglu_backward on CUDA against the float64 reference (forward) and the CPU backend
// (backward, which test/ops/swiglu.test.ts checks against finite differences).
import { describe, expect, it } from "vitest";
import * as S from "../../src/index.js";
import { swigluBackward } from "../../src/ops/swiglu.js";
import { expectClose } from "../helpers/expect.js";
import { FLOAT_DTYPES, floatInput, toRef } from "../helpers/tensors.js";
import { elementwiseTol, gradTol } from "../helpers/tolerance.js";
import * as R from "../reference/index.js";
import { gpuStatus, onGpu } from "./gpu.js";

const rng = new R.Rng(2024);

// numel not a multiple of the 16-byte pack (tail path), one element, and a large odd size.
const SHAPES: [number, number][] = [
  [1, 1],
  [7, 9],
  [3, 4099],
  [64, 5760],
  [1, 131073],
];

describe.skipIf(!gpuStatus.available)("CUDA swiglu", () => {
  for (const dtype of FLOAT_DTYPES) {
    it(`${dtype}: forward against the float64 reference, backward against the CPU`, () => {
      for (const shape of SHAPES) {
        S.tidy(() => {
          const gate = floatInput(rng.ref(shape, -6, 6), dtype);
          const up = floatInput(rng.ref(shape, -2, 2), dtype);
          const gy = floatInput(rng.ref(shape, -1, 1), dtype);
          const y = S.swiglu(onGpu(gate.t), onGpu(up.t));
          expect(y.device).toBe("cuda");
          const want = R.swiglu(gate.r, up.r);
          expectClose(y, want, elementwiseTol(dtype, want, 2), `swiglu ${dtype} [${shape}]`);
          const [gg, gu] = swigluBackward(onGpu(gate.t), onGpu(up.t), onGpu(gy.t));
          const [ggCpu, guCpu] = swigluBackward(gate.t, up.t, gy.t).map(toRef) as [R.Ref, R.Ref];
          expectClose(gg, ggCpu, gradTol(dtype, ggCpu, 3), `ggate ${dtype} [${shape}]`);
          expectClose(gu, guCpu, gradTol(dtype, guCpu, 3), `gup ${dtype} [${shape}]`);
        });
      }
    });
  }
  it("strided inputs (a transposed gate) and extreme gates", () => {
    S.tidy(() => {
      const gate = floatInput(rng.ref([9, 5], -3, 3), "f32");
      const up = floatInput(rng.ref([5, 9]), "f32");
      const want = R.swiglu(R.views.transpose(gate.r, 0, 1), up.r);
      expectClose(S.swiglu(S.transpose(onGpu(gate.t), 0, 1), onGpu(up.t)), want, elementwiseTol("f32", want, 2));
      const ext = floatInput(R.ref([1, 4], [-200, -90, 90, 200]), "f32");
      const ones = floatInput(R.full([1, 4], 1), "f32");
      const wantExt = R.swiglu(ext.r, ones.r);
      expectClose(S.swiglu(onGpu(ext.t), onGpu(ones.t)), wantExt, elementwiseTol("f32", wantExt, 2));
    });
  });
});
