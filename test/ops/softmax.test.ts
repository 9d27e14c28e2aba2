// softmax / logSoftmax over any dim: forward against the reference, backward against finite differences.
import { describe, expect, it } from "vitest";
import * as S from "../../src/index.js";
import { checkForwardBackward } from "../helpers/grad.js";
import { expectClose, expectSlmkitError } from "../helpers/expect.js";
import { FLOAT_DTYPES, floatInput } from "../helpers/tensors.js";
import { elementwiseTol } from "../helpers/tolerance.js";
import * as R from "../reference/index.js";

const rng = new R.Rng(31337);

/** Normalising a row of n terms adds about sqrt(n) roundings to each output (relative). */
function rowTol(dtype: "f32" | "bf16", want: R.Ref, n: number, log: boolean): R.Ref {
  const base = elementwiseTol(dtype, want, 2);
  const acc = 8 * R.unitRoundoff.f32 * Math.sqrt(n);
  return R.ref(want.shape, (i) => base.data[i]! + acc * (log ? 1 : Math.abs(want.data[i]!)));
}

const fns = {
  softmax: { lib: S.softmax, ref: R.softmax, log: false },
  logSoftmax: { lib: S.logSoftmax, ref: R.logSoftmax, log: true },
} as const;

describe("softmax and logSoftmax forward", () => {
  const cases: [number[], number][] = [
    [[1], 0],
    [[7], -1],
    [[3, 5], 0],
    [[3, 5], 1],
    [[2, 3, 4], 1],
    [[4, 1, 3], 1],
    [[5, 4099], -1],
    [[1031, 67], 0],
  ];
  for (const [name, f] of Object.entries(fns)) {
    for (const dtype of FLOAT_DTYPES) {
      it(`${name} ${dtype}`, () => {
        for (const [shape, dim] of cases) {
          S.tidy(() => {
            const { t, r } = floatInput(rng.ref(shape, -8, 8), dtype);
            const y = f.lib(t, dim);
            expect(y.dtype).toBe(dtype);
            const want = f.ref(r, dim);
            expectClose(
              y,
              want,
              rowTol(dtype, want, shape[dim < 0 ? dim + shape.length : dim]!, f.log),
              `${name} [${shape}] dim ${dim}`,
            );
          });
        }
      });
    }
    it(`${name} uses the last dim by default and takes non-contiguous input`, () => {
      const { t, r } = floatInput(rng.ref([6, 5]), "f32");
      const want = f.ref(r, -1);
      expectClose(f.lib(t), want, rowTol("f32", want, 5, f.log));
      const tt = S.transpose(t, 0, 1);
      const wantT = f.ref(R.views.transpose(r, 0, 1), 0);
      expectClose(f.lib(tt, 0), wantT, rowTol("f32", wantT, 6, f.log));
    });
  }
  it("is stable for large logits and handles -Infinity entries", () => {
    const x = S.tensor([
      [1000, 1001, 999],
      [-Infinity, 0, 0],
    ]);
    const want = R.softmax(
      R.fromNested([
        [1000, 1001, 999],
        [-Infinity, 0, 0],
      ]),
      -1,
    );
    expectClose(S.softmax(x), want, 1e-6);
    expect(Array.from(S.logSoftmax(S.tensor([-Infinity, 0, 0])).dataSync())).toEqual(
      [-Infinity, -Math.LN2, -Math.LN2].map(Math.fround),
    );
  });
  it("logSoftmax of large logits keeps f32 precision ((x - max) - log(sum), not x - (max + log(sum)))", () => {
    // x - max is exact here; only log(sum) rounds, so the result is good to a few f32 ulps (~1e-7).
    const want = R.logSoftmax(R.fromNested([[1000, 1001, 999]]), -1);
    expectClose(S.logSoftmax(S.tensor([[1000, 1001, 999]])), want, elementwiseTol("f32", want));
  });
  it("rows sum to 1", () => {
    const p = S.softmax(S.randn([8, 333]));
    expectClose(S.sum(p, { dim: -1 }), R.full([8], 1), 1e-5);
  });
});

describe("softmax and logSoftmax backward", () => {
  for (const [name, f] of Object.entries(fns)) {
    for (const dtype of FLOAT_DTYPES) {
      for (const [shape, dim] of [
        [[3, 5], -1],
        [[4, 3, 2], 1],
        [[6], 0],
      ] as [number[], number][]) {
        it(`${name} ${dtype} [${shape}] dim ${dim}`, () => {
          checkForwardBackward({
            dtype,
            rng,
            ops: 4,
            label: name,
            inputs: [rng.ref(shape, -3, 3)],
            lib: ([x]) => f.lib(x as S.Tensor<"f32">, dim),
            ref: ([x]) => f.ref(x!, dim),
            forwardTol: (w) => rowTol(dtype, w, shape[dim < 0 ? dim + shape.length : dim]!, f.log),
          });
        });
      }
    }
  }
});

describe("softmax errors", () => {
  it("integer input and bad dims are rejected naming the op", () => {
    expectSlmkitError(() => S.softmax(S.tensor([1, 2], { dtype: "i32" }) as never), ["softmax", "i32"], S.DTypeError);
    expectSlmkitError(() => S.logSoftmax(S.zeros([2, 3]), 2), ["logSoftmax"], S.ArgumentError);
  });
});
