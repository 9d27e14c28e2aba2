// rope_forward / rope_backward on CUDA: the forward against the float64 reference, the backward as the
// inverse rotation (it must undo the forward) and against the CPU backend.
import { describe, expect, it } from "vitest";
import * as S from "../../src/index.js";
import { ropeBackward } from "../../src/ops/rope.js";
import { expectClose } from "../helpers/expect.js";
import { FLOAT_DTYPES, floatInput, toRef } from "../helpers/tensors.js";
import { elementwiseTol } from "../helpers/tolerance.js";
import * as R from "../reference/index.js";
import { gpuStatus, onGpu } from "./gpu.js";

const rng = new R.Rng(3141);

// Odd T and head counts, D = 2 (one pair), 64 and an odd number of pairs (D = 6).
const SHAPES: [number, number, number, number][] = [
  [1, 1, 1, 2],
  [2, 3, 7, 64],
  [1, 2, 5, 6],
  [1, 4, 129, 128],
];

describe.skipIf(!gpuStatus.available)("CUDA rope", () => {
  for (const dtype of FLOAT_DTYPES) {
    it(`${dtype}: forward against the float64 reference, backward against the CPU`, () => {
      for (const shape of SHAPES) {
        for (const opts of [{}, { theta: 500, positionOffset: 4099 }]) {
          S.tidy(() => {
            const x = floatInput(rng.ref(shape, -2, 2), dtype);
            const y = S.rope(onGpu(x.t), opts);
            expect(y.device).toBe("cuda");
            const want = R.rope(x.r, opts);
            // Two products and a sum of values up to |x|: tolerance on the row's scale.
            expectClose(
              y,
              want,
              elementwiseTol(
                dtype,
                R.ref(want.shape, () => 4),
                2,
              ),
              `rope ${dtype} [${shape}]`,
            );
            const attrs = { theta: opts.theta ?? 10000, position_offset: opts.positionOffset ?? 0 };
            const gx = ropeBackward(onGpu(x.t), attrs);
            const wantGx = toRef(ropeBackward(x.t, attrs));
            expectClose(
              gx,
              wantGx,
              elementwiseTol(
                dtype,
                R.ref(wantGx.shape, () => 4),
                2,
              ),
              `rope backward ${dtype} [${shape}]`,
            );
          });
        }
      }
    });
  }
  it("the backward undoes the forward (f32)", () => {
    S.tidy(() => {
      const x = floatInput(rng.ref([2, 2, 33, 64]), "f32");
      const back = ropeBackward(S.rope(onGpu(x.t), { positionOffset: 17 }), { theta: 10000, position_offset: 17 });
      expectClose(back, x.r, 1e-5);
    });
  });
});
