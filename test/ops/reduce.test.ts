// Reductions over arbitrary axes with keepdim: every dtype, forward against the float64 reference,
// backward against finite differences; empty axes, NaN, ties and non-contiguous inputs.
import { describe, expect, it } from "vitest";
import * as S from "../../src/index.js";
import { checkForwardBackward } from "../helpers/grad.js";
import { expectClose, expectEqualValues, expectSlmkitError } from "../helpers/expect.js";
import { FLOAT_DTYPES, floatInput, fromRef } from "../helpers/tensors.js";
import { accumulationTol, elementwiseTol } from "../helpers/tolerance.js";
import * as R from "../reference/index.js";

const rng = new R.Rng(777);

type Dim = number | number[] | undefined;

const CASES: { shape: number[]; dims: Dim[] }[] = [
  { shape: [], dims: [undefined] },
  { shape: [13], dims: [undefined, 0, -1] },
  { shape: [3, 4, 5], dims: [undefined, 0, 1, 2, -1, [0, 2], [1, 2], [0, 1], [2, 0, 1]] },
  { shape: [2, 1, 7], dims: [1, [0, 1]] },
  { shape: [1031, 517], dims: [0, 1, undefined] },
];

/** How many terms each output element of a reduction over `dim` combines. */
function countOf(shape: number[], dim: Dim): number {
  if (shape.length === 0) return 1;
  const axes =
    dim === undefined
      ? shape.map((_, i) => i)
      : (Array.isArray(dim) ? dim : [dim]).map((d) => (d < 0 ? d + shape.length : d));
  return axes.reduce((a, d) => a * shape[d]!, 1);
}

function sumTol(dtype: "f32" | "bf16", x: R.Ref, dim: Dim, keepdim: boolean, want: R.Ref): R.Ref {
  const norms = R.sqrt(R.sum(R.mul(x, x), { dim, keepdim }));
  return accumulationTol(dtype, want, norms, countOf(x.shape, dim));
}

const reduceFn = (name: string) => (S as unknown as Record<string, (x: S.Tensor, o?: object) => S.Tensor>)[name]!;

describe("sum, max, min forward", () => {
  for (const name of ["sum", "max", "min"] as const) {
    for (const dtype of ["f32", "bf16", "i32"] as const) {
      it(`${name} ${dtype} over every axis combination, keepdim on and off`, () => {
        for (const { shape, dims } of CASES) {
          for (const dim of dims) {
            for (const keepdim of [false, true]) {
              S.tidy(() => {
                const x = dtype === "i32" ? rng.intRef(shape, -1000, 1000) : R.roundRef(rng.ref(shape), dtype);
                const y = reduceFn(name)(fromRef(x, dtype), { dim, keepdim });
                expect(y.dtype).toBe(dtype);
                const want = R[name](x, { dim, keepdim });
                const label = `${name} [${shape}] dim=${JSON.stringify(dim)} keepdim=${keepdim}`;
                if (dtype === "i32" || name !== "sum") expectEqualValues(y, want, label);
                else expectClose(y, want, sumTol(dtype, x, dim, keepdim, want), label);
              });
            }
          }
        }
      });
    }
  }
});

describe("argmax, argmin", () => {
  for (const name of ["argmax", "argmin"] as const) {
    for (const dtype of ["f32", "bf16", "i32"] as const) {
      it(`${name} ${dtype}: first index of the extreme, per dim and flattened`, () => {
        // Few distinct values so that ties are common.
        const x = R.ref([6, 5, 4], () => rng.int(-3, 3));
        const t = fromRef(x, dtype);
        for (const dim of [0, 1, 2, -1]) {
          for (const keepdim of [false, true]) {
            const y = S[name](t, { dim, keepdim });
            expect(y.dtype).toBe("i32");
            expectEqualValues(y, R[name](x, { dim, keepdim }), `${name} dim=${dim}`);
          }
        }
        expectEqualValues(S[name](t), R[name](x), `${name} flattened`);
      });
    }
  }
  it("argmax over a large row crossing thread boundaries", () => {
    const x = R.roundRef(rng.ref([517, 1031]), "f32");
    expectEqualValues(S.argmax(fromRef(x, "f32"), { dim: 1 }), R.argmax(x, { dim: 1 }));
    expectEqualValues(S.argmax(fromRef(x, "f32"), { dim: 0 }), R.argmax(x, { dim: 0 }));
  });
  it("NaN is the max: max returns NaN and argmax its index", () => {
    const x = S.tensor([
      [1, NaN, 5],
      [2, 3, 4],
    ]);
    expect(Number.isNaN(S.max(x, { dim: 1 }).dataSync()[0]!)).toBe(true);
    expect(Array.from(S.argmax(x, { dim: 1 }).dataSync())).toEqual([1, 2]);
    expect(Number.isNaN(S.min(x).item())).toBe(true);
  });
});

describe("mean, logsumexp, var, norm forward", () => {
  const ops: Record<
    string,
    {
      lib: (x: S.Tensor, dim: Dim, keepdim: boolean) => S.Tensor;
      ref: (x: R.Ref, dim: Dim, keepdim: boolean) => R.Ref;
      scale: number;
    }
  > = {
    mean: {
      lib: (x, dim, keepdim) => S.mean(x as S.Tensor<"f32">, { dim, keepdim }),
      ref: (x, dim, keepdim) => R.mean(x, { dim, keepdim }),
      scale: 2,
    },
    logsumexp: {
      lib: (x, dim, keepdim) => S.logsumexp(x as S.Tensor<"f32">, { dim, keepdim }),
      ref: (x, dim, keepdim) => R.logsumexp(x, { dim, keepdim }),
      scale: 2,
    },
    var: {
      lib: (x, dim, keepdim) => S.var(x as S.Tensor<"f32">, { dim, keepdim }),
      ref: (x, dim, keepdim) => R.variance(x, { dim, keepdim }),
      scale: 6,
    },
    "var correction 0": {
      lib: (x, dim, keepdim) => S.var(x as S.Tensor<"f32">, { dim, keepdim, correction: 0 }),
      ref: (x, dim, keepdim) => R.variance(x, { dim, keepdim, correction: 0 }),
      scale: 6,
    },
    norm: {
      lib: (x, dim, keepdim) => S.norm(x as S.Tensor<"f32">, { dim, keepdim }),
      ref: (x, dim, keepdim) => R.norm(x, { dim, keepdim }),
      scale: 3,
    },
    "norm p=1": {
      lib: (x, dim, keepdim) => S.norm(x as S.Tensor<"f32">, { dim, keepdim, p: 1 }),
      ref: (x, dim, keepdim) => R.norm(x, { dim, keepdim, p: 1 }),
      scale: 2,
    },
    "norm p=3": {
      lib: (x, dim, keepdim) => S.norm(x as S.Tensor<"f32">, { dim, keepdim, p: 3 }),
      ref: (x, dim, keepdim) => R.norm(x, { dim, keepdim, p: 3 }),
      scale: 4,
    },
  };
  for (const [name, op] of Object.entries(ops)) {
    for (const dtype of FLOAT_DTYPES) {
      it(`${name} ${dtype}`, () => {
        for (const { shape, dims } of CASES.slice(1)) {
          for (const dim of dims) {
            for (const keepdim of [false, true]) {
              S.tidy(() => {
                // Positive-mean data so that var and mean are not dominated by cancellation.
                const { t, r } = floatInput(rng.ref(shape, -1, 2), dtype);
                const want = op.ref(r, dim, keepdim);
                const n = countOf(shape, dim);
                const tol = R.add(
                  elementwiseTol(dtype, want, op.scale),
                  R.full(want.shape, 8 * R.unitRoundoff.f32 * Math.sqrt(n) * op.scale),
                );
                expectClose(
                  op.lib(t, dim, keepdim),
                  want,
                  tol,
                  `${name} [${shape}] dim=${JSON.stringify(dim)} keepdim=${keepdim}`,
                );
              });
            }
          }
        }
      });
    }
  }
  it("logsumexp is stable for large inputs and gives -Infinity for an all -Infinity row", () => {
    const y = S.logsumexp(
      S.tensor([
        [1000, 1000],
        [-Infinity, -Infinity],
      ]),
      { dim: 1 },
    );
    const v = y.dataSync();
    expect(v[0]).toBeCloseTo(1000 + Math.LN2, 3);
    expect(v[1]).toBe(-Infinity);
  });
});

describe("reductions on non-contiguous inputs", () => {
  it("sum, max, logsumexp, var over a transposed and a step-sliced view", () => {
    S.tidy(() => {
      const { t, r } = floatInput(rng.ref([9, 6, 5]), "f32");
      const views: [S.Tensor<"f32">, R.Ref][] = [
        [S.permute(t, [2, 0, 1]), R.views.permute(r, [2, 0, 1])],
        [S.slice(t, 1, 0, undefined, 2), R.views.slice(r, 1, 0, undefined, 2)],
      ];
      for (const [v, rv] of views) {
        for (const dim of [0, [1, 2], -1] as Dim[]) {
          expectClose(S.sum(v, { dim }), R.sum(rv, { dim }), 1e-5, "sum");
          expectClose(S.max(v, { dim }), R.max(rv, { dim }), 0, "max");
          expectClose(S.logsumexp(v as S.Tensor<"f32">, { dim }), R.logsumexp(rv, { dim }), 1e-5, "logsumexp");
          expectClose(S.var(v as S.Tensor<"f32">, { dim }), R.variance(rv, { dim }), 1e-5, "var");
        }
      }
    });
  });
});

describe("variance corner cases", () => {
  it("one element with correction 1 is NaN (0/0, as torch.var); with correction 0 it is 0", () => {
    expect(Number.isNaN(S.var(S.tensor([5])).item())).toBe(true);
    expect(S.var(S.tensor([5]), { correction: 0 }).item()).toBe(0);
    expect(Array.from(S.var(S.tensor([[1, 2, 3]]), { dim: 0 }).dataSync()).every(Number.isNaN)).toBe(true);
  });
});

describe("norm and var of large f32 values", () => {
  it("do not overflow where the result fits f32 (values above 1.8e19, whose squares do not); float64 reference", () => {
    for (const scale of [1e19, 3e19, 1e30]) {
      S.tidy(() => {
        // 3·2·4 values of magnitude around `scale`, so the squares overflow f32 but the norms and variances fit.
        const x = R.mul(rng.ref([3, 2, 4], -1, 1), R.full([3, 2, 4], scale));
        const t = S.tensor(Float32Array.from(x.data), { shape: x.shape });
        const f32 = R.roundRef(x, "f32");
        for (const dim of [undefined, 2, [0, 2]] as Dim[]) {
          const wantNorm = R.norm(f32, { dim, keepdim: true });
          expectClose(
            S.norm(t, { dim, keepdim: true }),
            wantNorm,
            R.mul(R.abs(wantNorm), R.full(wantNorm.shape, 1e-5)),
            `norm ${scale} dim=${JSON.stringify(dim)}`,
          );
          if (scale > 1e19) continue; // the variance itself exceeds f32 there
          const wantVar = R.variance(f32, { dim });
          expectClose(
            S.var(t, { dim }),
            wantVar,
            R.mul(R.abs(wantVar), R.full(wantVar.shape, 1e-4)),
            `var ${scale} dim=${JSON.stringify(dim)}`,
          );
        }
      });
    }
  });
  it("still give Infinity for infinite inputs, NaN for NaN, 0 for zeros, and the gradient x / norm", () => {
    expect(S.norm(S.tensor([Infinity, 1])).item()).toBe(Infinity);
    expect(Number.isNaN(S.norm(S.tensor([NaN, 1])).item())).toBe(true);
    expect(S.norm(S.zeros([3])).item()).toBe(0);
    expect(S.var(S.zeros([3])).item()).toBe(0);
    const x = S.tensor([3e20, 4e20], { requiresGrad: true });
    S.backward(S.norm(x));
    expectClose(x.grad!, R.fromNested([0.6, 0.8]), 1e-6, "grad");
  });
});

describe("empty reductions", () => {
  it("sum over an empty axis is 0, logsumexp is -Infinity", () => {
    const x = S.zeros([3, 0, 2]);
    expect(S.sum(x, { dim: 1 }).toArray()).toEqual([
      [0, 0],
      [0, 0],
      [0, 0],
    ]);
    expect(S.sum(x).item()).toBe(0);
    expect(Array.from(S.logsumexp(x, { dim: 1 }).dataSync())).toEqual(new Array(6).fill(-Infinity));
    expect(S.sum(x, { dim: 0 }).shape).toEqual([0, 2]);
  });
  it("max, min, argmax over an empty axis are ShapeErrors naming the op and shape", () => {
    const x = S.zeros([3, 0]);
    for (const name of ["max", "min", "argmax", "argmin"]) {
      expectSlmkitError(() => reduceFn(name)(x, { dim: 1 }), [name, "[3, 0]"], S.ShapeError);
    }
  });
});

describe("reductions backward", () => {
  const shapes: [number[], Dim, boolean][] = [
    [[4, 5], undefined, false],
    [[3, 4, 2], 1, false],
    [[3, 4, 2], [0, 2], true],
    [[2, 3, 4], -1, true],
  ];
  const cases: Record<
    string,
    {
      lib: (x: S.Tensor<"f32" | "bf16">, dim: Dim, keepdim: boolean) => S.Tensor;
      ref: (x: R.Ref, dim: Dim, keepdim: boolean) => R.Ref;
      ops: number;
    }
  > = {
    sum: {
      lib: (x, dim, keepdim) => S.sum(x, { dim, keepdim }),
      ref: (x, dim, keepdim) => R.sum(x, { dim, keepdim }),
      ops: 2,
    },
    mean: {
      lib: (x, dim, keepdim) => S.mean(x, { dim, keepdim }),
      ref: (x, dim, keepdim) => R.mean(x, { dim, keepdim }),
      ops: 3,
    },
    max: {
      lib: (x, dim, keepdim) => S.max(x, { dim, keepdim }),
      ref: (x, dim, keepdim) => R.max(x, { dim, keepdim }),
      ops: 3,
    },
    min: {
      lib: (x, dim, keepdim) => S.min(x, { dim, keepdim }),
      ref: (x, dim, keepdim) => R.min(x, { dim, keepdim }),
      ops: 3,
    },
    logsumexp: {
      lib: (x, dim, keepdim) => S.logsumexp(x, { dim, keepdim }),
      ref: (x, dim, keepdim) => R.logsumexp(x, { dim, keepdim }),
      ops: 4,
    },
    var: {
      lib: (x, dim, keepdim) => S.var(x, { dim, keepdim }),
      ref: (x, dim, keepdim) => R.variance(x, { dim, keepdim }),
      ops: 8,
    },
    norm: {
      lib: (x, dim, keepdim) => S.norm(x, { dim, keepdim }),
      ref: (x, dim, keepdim) => R.norm(x, { dim, keepdim }),
      ops: 6,
    },
    "norm p=3": {
      lib: (x, dim, keepdim) => S.norm(x, { dim, keepdim, p: 3 }),
      ref: (x, dim, keepdim) => R.norm(x, { dim, keepdim, p: 3 }),
      ops: 10,
    },
  };
  for (const [name, c] of Object.entries(cases)) {
    for (const dtype of FLOAT_DTYPES) {
      it(`${name} ${dtype}`, () => {
        for (const [shape, dim, keepdim] of shapes) {
          // Distinct values (a shuffled grid plus a small jitter) so max/min have no ties; away from 0 for norms.
          const n = R.numel(shape);
          const perm = Array.from({ length: n }, (_, i) => i).sort(() => rng.next() - 0.5);
          const x = R.ref(shape, (i) => ((perm[i]! - n / 2 + 0.5) / n) * 4 + 0.1);
          checkForwardBackward({
            dtype,
            rng,
            ops: c.ops,
            label: `${name} [${shape}] dim=${JSON.stringify(dim)}`,
            inputs: [x],
            lib: ([t]) => c.lib(t as S.Tensor<"f32">, dim, keepdim),
            ref: ([r]) => c.ref(r!, dim, keepdim),
            forwardTol: (w) => elementwiseTol(dtype, w, 8),
          });
        }
      });
    }
  }
});

describe("reduction argument errors", () => {
  it("dims out of range or repeated are ArgumentErrors naming the op", () => {
    const x = S.zeros([2, 3]);
    expectSlmkitError(() => S.sum(x, { dim: 2 }), ["sum", "2"], S.ArgumentError);
    expectSlmkitError(() => S.max(x, { dim: [0, -2] }), ["max"], S.ArgumentError);
    expectSlmkitError(() => S.sum(x, { dim: 0.5 }), ["sum"], S.ArgumentError);
  });
  it("float-only reductions reject i32", () => {
    const x = S.tensor([1, 2], { dtype: "i32" });
    expectSlmkitError(() => S.mean(x as unknown as S.Tensor<"f32">), ["mean", "i32"], S.DTypeError);
    expectSlmkitError(() => S.logsumexp(x as unknown as S.Tensor<"f32">), ["logsumexp", "i32"], S.DTypeError);
  });
});
