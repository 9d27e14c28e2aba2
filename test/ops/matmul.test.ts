// matmul with torch.matmul's rules (vectors, broadcast batch dims) against the float64 reference, on
// shapes that cross tile and thread boundaries and on strided operands; gradients by finite differences.
import { describe, expect, it } from "vitest";
import * as S from "../../src/index.js";
import { checkForwardBackward } from "../helpers/grad.js";
import { expectClose, expectSlmkitError } from "../helpers/expect.js";
import { FLOAT_DTYPES, floatInput } from "../helpers/tensors.js";
import { matmulTol } from "../helpers/tolerance.js";
import * as R from "../reference/index.js";

const rng = new R.Rng(1729);

const SHAPES: [number[], number[]][] = [
  [
    [1, 1],
    [1, 1],
  ],
  [
    [3, 5],
    [5, 7],
  ],
  [
    [1, 17],
    [17, 1],
  ],
  [
    [13, 1],
    [1, 11],
  ],
  [
    [64, 64],
    [64, 64],
  ],
  [
    [65, 33],
    [33, 129],
  ],
  [
    [257, 127],
    [127, 67],
  ],
  [
    [1031, 517],
    [517, 31],
  ],
  [
    [7, 1031],
    [1031, 9],
  ],
  [
    [2, 3, 5, 7],
    [7, 4],
  ],
  [
    [2, 1, 5, 7],
    [3, 7, 4],
  ],
  [
    [4, 6, 8],
    [4, 8, 2],
  ],
  [[5], [5]],
  [[5], [5, 3]],
  [[4, 5], [5]],
  [[2, 3, 5], [5]],
  [[5], [2, 5, 3]],
  [
    [0, 4],
    [4, 3],
  ],
  [
    [3, 0],
    [0, 2],
  ],
];

describe("matmul forward", () => {
  for (const dtype of FLOAT_DTYPES) {
    it(`${dtype} on ${SHAPES.length} shape pairs`, () => {
      for (const [sa, sb] of SHAPES) {
        S.tidy(() => {
          const a = floatInput(rng.ref(sa), dtype);
          const b = floatInput(rng.ref(sb), dtype);
          const y = S.matmul(a.t, b.t);
          expect(y.dtype).toBe(dtype);
          const want = R.matmul(a.r, b.r);
          expectClose(y, want, matmulTol(dtype, a.r, b.r, want), `matmul [${sa}] @ [${sb}]`);
        });
      }
    });
  }
  it("strided operands: transposed, step-sliced, expanded batch (stride 0)", () => {
    const a = floatInput(rng.ref([37, 21]), "f32");
    const b = floatInput(rng.ref([45, 37]), "f32");
    const cases: [S.Tensor<"f32">, S.Tensor<"f32">, R.Ref, R.Ref][] = [
      [S.transpose(a.t, 0, 1), S.transpose(b.t, 0, 1), R.views.transpose(a.r, 0, 1), R.views.transpose(b.r, 0, 1)],
      [S.slice(b.t, 0, 0, undefined, 2), a.t, R.views.slice(b.r, 0, 0, undefined, 2), a.r],
      [S.expand(S.unsqueeze(b.t, 0), [3, 45, 37]), a.t, R.broadcastTo(b.r, [3, 45, 37]), a.r],
      [
        S.transpose(S.expand(S.unsqueeze(a.t, 0), [2, 37, 21]), 1, 2),
        S.transpose(b.t, 0, 1),
        R.views.transpose(R.broadcastTo(a.r, [2, 37, 21]), 1, 2),
        R.views.transpose(b.r, 0, 1),
      ],
    ];
    for (const [x, y, xr, yr] of cases) {
      const want = R.matmul(xr, yr);
      expectClose(S.matmul(x, y), want, matmulTol("f32", xr, yr, want));
    }
  });
  it("the method form and an all-ones check (exact sums of small integers)", () => {
    const y = S.ones([33, 129]).matmul(S.ones([129, 7]));
    expect(Array.from(y.dataSync()).every((v) => v === 129)).toBe(true);
  });
});

describe("matmul backward", () => {
  const pairs: [number[], number[]][] = [
    [
      [3, 4],
      [4, 2],
    ],
    [
      [2, 1, 3, 4],
      [3, 4, 2],
    ],
    [[4], [4, 3]],
    [[3, 4], [4]],
    [[4], [4]],
  ];
  for (const dtype of FLOAT_DTYPES) {
    for (const [sa, sb] of pairs) {
      it(`${dtype} [${sa}] @ [${sb}]`, () => {
        checkForwardBackward({
          dtype,
          rng,
          ops: 4,
          label: "matmul",
          inputs: [rng.ref(sa), rng.ref(sb)],
          lib: ([a, b]) => S.matmul(a as S.Tensor<"f32">, b as S.Tensor<"f32">),
          ref: ([a, b]) => R.matmul(a!, b!),
        });
      });
    }
  }
});

describe("matmul errors", () => {
  it("inner sizes, 0-d operands, dtype mismatch and integer inputs name matmul and the shapes", () => {
    expectSlmkitError(() => S.matmul(S.zeros([2, 3]), S.zeros([4, 5])), ["matmul", "[2, 3]", "[4, 5]"], S.ShapeError);
    expectSlmkitError(() => S.matmul(S.zeros([]), S.zeros([3])), ["matmul"], S.ShapeError);
    expectSlmkitError(() => S.matmul(S.zeros([2, 3, 4]), S.zeros([3, 4, 2])), ["matmul"], S.ShapeError);
    expectSlmkitError(() => S.matmul(S.zeros([2, 2]), S.zeros([2, 2], { dtype: "bf16" }) as never), ["matmul", "bf16"]);
    expectSlmkitError(
      () => S.matmul(S.zeros([2, 2], { dtype: "i32" }) as never, S.zeros([2, 2], { dtype: "i32" }) as never),
      ["matmul", "i32"],
      S.DTypeError,
    );
  });
});
