// Unary, binary, comparison, clamp and where: every dtype, forward against the float64 reference and
// backward against finite differences, on awkward and non-contiguous shapes.
import { describe, expect, it } from "vitest";
import * as S from "../../src/index.js";
import { checkForwardBackward } from "../helpers/grad.js";
import { expectClose, expectEqualValues } from "../helpers/expect.js";
import { FLOAT_DTYPES, floatInput, fromRef, toRef } from "../helpers/tensors.js";
import { elementwiseTol, gradTol } from "../helpers/tolerance.js";
import * as R from "../reference/index.js";

const rng = new R.Rng(20261123);

/** Input ranges where each function is smooth and well-conditioned (kinks and poles kept away). */
const DOMAIN: Record<R.UnaryName, [number, number]> = {
  neg: [-4, 4],
  abs: [-4, 4],
  exp: [-6, 6],
  log: [0.05, 8],
  sqrt: [0.01, 8],
  rsqrt: [0.05, 8],
  sin: [-6, 6],
  cos: [-6, 6],
  tanh: [-4, 4],
  sigmoid: [-8, 8],
  relu: [-4, 4],
  silu: [-6, 6],
  gelu: [-5, 5],
  erf: [-3, 3],
};
const UNARY = Object.keys(DOMAIN) as R.UnaryName[];

/** Values in [lo, hi) that stay at least `gap` away from 0 (for functions with a kink at 0). */
function awayFromZero(shape: number[], lo: number, hi: number, gap = 0.05): R.Ref {
  return R.ref(shape, () => {
    let v = 0;
    while (Math.abs(v) < gap) v = rng.uniform(lo, hi);
    return v;
  });
}

function unaryInput(name: R.UnaryName, shape: number[]): R.Ref {
  const [lo, hi] = DOMAIN[name];
  return name === "abs" || name === "relu" ? awayFromZero(shape, lo, hi) : rng.ref(shape, lo, hi);
}

const unaryFn = (name: R.UnaryName) => S[name] as (x: S.Tensor) => S.Tensor;

describe("unary ops forward", () => {
  const shapes = [[], [1], [13], [4, 7, 3], [1031, 517]];
  for (const name of UNARY) {
    for (const dtype of FLOAT_DTYPES) {
      it(`${name} ${dtype} on shapes ${shapes.map((s) => `[${s}]`).join(" ")}`, () => {
        for (const shape of shapes) {
          const { t, r } = floatInput(unaryInput(name, shape), dtype);
          const y = unaryFn(name)(t);
          expect(y.dtype).toBe(dtype);
          const want = R.unary(name, r);
          expectClose(y, want, elementwiseTol(dtype, want), `${name} [${shape}]`);
          // The method form computes the same thing.
          const m = (t as unknown as Record<string, () => S.Tensor>)[name]!();
          expectClose(m, toRef(y), 0, `${name} method`);
          for (const z of [t, y, m]) z.dispose();
        }
      });
    }
  }
});

describe("unary ops on non-contiguous inputs", () => {
  for (const name of UNARY) {
    it(`${name} on transposed, step-sliced and expanded views`, () => {
      S.tidy(() => {
        const base = unaryInput(name, [6, 9]);
        const { t } = floatInput(base, "f32");
        const rb = R.roundRef(base, "f32");
        const cases: [S.Tensor, R.Ref][] = [
          [S.transpose(t, 0, 1), R.views.transpose(rb, 0, 1)],
          [S.slice(S.slice(t, 1, 1, 8, 3), 0, 5, undefined, 1), R.views.slice(R.views.slice(rb, 1, 1, 8, 3), 0, 5)],
          [S.expand(S.slice(t, 0, 2, 3), [4, 6, 9]), R.broadcastTo(R.views.slice(rb, 0, 2, 3), [4, 6, 9])],
        ];
        for (const [view, ref] of cases) {
          expect(view.isContiguous()).toBe(false);
          const want = R.unary(name, ref);
          expectClose(unaryFn(name)(view), want, elementwiseTol("f32", want), name);
        }
      });
    });
  }
});

describe("unary ops backward", () => {
  for (const name of UNARY) {
    for (const dtype of FLOAT_DTYPES) {
      it(`${name} ${dtype}: grad matches finite differences`, () => {
        checkForwardBackward({
          dtype,
          rng,
          label: name,
          ops: 6,
          inputs: [unaryInput(name, [3, 5])],
          lib: ([x]) => unaryFn(name)(x!),
          ref: ([x]) => R.unary(name, x!),
        });
      });
    }
    it(`${name} f32: grad on a large input matches the analytic derivative`, () => {
      S.tidy(() => {
        const { t, r } = floatInput(unaryInput(name, [257, 131]), "f32", true);
        const cot = R.roundRef(rng.ref(r.shape), "f32");
        unaryFn(name)(t).backward(fromRef(cot, "f32"));
        const want = R.ref(r.shape, (i) => cot.data[i]! * R.scalarDerivs[name](r.data[i]!));
        expectClose(t.grad!, want, gradTol("f32", want, 6), `${name} grad`);
      });
    });
  }
});

describe("unary special values", () => {
  it("NaN in gives NaN out for every float unary op", () => {
    for (const name of UNARY) {
      for (const dtype of FLOAT_DTYPES) {
        const y = unaryFn(name)(S.tensor([NaN, 1, NaN], { dtype }));
        const v = y.dataSync();
        expect(Number.isNaN(v[0]!) && Number.isNaN(v[2]!), `${name} ${dtype}: ${Array.from(v)}`).toBe(true);
      }
    }
  });
  it("infinities follow the limits of each function", () => {
    const x = S.tensor([Infinity, -Infinity]);
    const cases: [R.UnaryName, number[]][] = [
      ["neg", [-Infinity, Infinity]],
      ["abs", [Infinity, Infinity]],
      ["exp", [Infinity, 0]],
      ["tanh", [1, -1]],
      ["sigmoid", [1, 0]],
      ["relu", [Infinity, 0]],
      ["erf", [1, -1]],
    ];
    for (const [name, want] of cases) expect(Array.from(unaryFn(name)(x).dataSync()), name).toEqual(want);
    expect(Array.from(S.log(S.tensor([0, Infinity, -1])).dataSync())).toEqual([-Infinity, Infinity, NaN]);
    expect(Array.from(S.sqrt(S.tensor([0, Infinity, -1])).dataSync())).toEqual([0, Infinity, NaN]);
  });
  it("sigmoid and silu do not overflow at large |x|", () => {
    const x = S.tensor([-100, -30, 30, 100]);
    expectClose(
      S.sigmoid(x),
      R.sigmoid(R.fromNested([-100, -30, 30, 100])),
      elementwiseTol("f32", R.sigmoid(R.fromNested([-100, -30, 30, 100]))),
    );
    expect(Array.from(S.silu(x).dataSync()).every(Number.isFinite)).toBe(true);
  });
});

describe("integer unary ops", () => {
  it("neg, abs, relu and clamp on i32 are exact", () => {
    const r = rng.intRef([5, 7], -1000, 1000);
    const t = fromRef(r, "i32");
    for (const name of ["neg", "abs", "relu"] as const) {
      const y = unaryFn(name)(t);
      expect(y.dtype).toBe("i32");
      expectEqualValues(y, R.unary(name, r), name);
    }
    const c = S.clamp(t, { min: -10, max: 250 });
    expect(c.dtype).toBe("i32");
    expectEqualValues(c, R.clamp(r, { min: -10, max: 250 }), "clamp i32");
  });
  it("float-only unary ops reject i32 and bool with a DTypeError naming the op", () => {
    const t = S.tensor([1, 2], { dtype: "i32" });
    for (const name of ["exp", "log", "sqrt", "sin", "tanh", "sigmoid", "gelu", "erf"] as const) {
      expect(() => unaryFn(name)(t), name).toThrow(S.DTypeError);
      expect(() => unaryFn(name)(t), name).toThrow(new RegExp(name));
    }
  });
});

describe("clamp", () => {
  for (const dtype of FLOAT_DTYPES) {
    for (const bounds of [{ min: -0.5 }, { max: 0.25 }, { min: -0.3, max: 0.7 }]) {
      it(`${dtype} ${JSON.stringify(bounds)}: forward and backward`, () => {
        // Keep inputs away from the bounds, where the gradient jumps.
        const x = R.ref([4, 6], () => {
          let v = 0.5;
          while ([bounds.min, bounds.max].some((b) => b !== undefined && Math.abs(v - b) < 0.02))
            v = rng.uniform(-1, 1);
          return v;
        });
        checkForwardBackward({
          dtype,
          rng,
          inputs: [x],
          lib: ([t]) => S.clamp(t!, bounds),
          ref: ([r]) => R.clamp(r!, bounds),
          label: "clamp",
        });
      });
    }
  }
  it("keeps NaN and gives max when min > max (as torch.clamp)", () => {
    expectClose(
      S.clamp(S.tensor([NaN, 0, 5]), { min: 3, max: 2 }),
      R.clamp(R.fromNested([NaN, 0, 5]), { min: 3, max: 2 }),
      0,
    );
  });
});

const BINARY = Object.keys(R.binaryFns) as R.BinaryName[];

/** Inputs where each binary op is smooth: positive bases for pow, divisors away from 0, no ties. */
function binaryInputs(name: R.BinaryName, sa: number[], sb: number[]): [R.Ref, R.Ref] {
  if (name === "pow") return [rng.ref(sa, 0.2, 3), rng.ref(sb, -2, 2)];
  if (name === "div") return [rng.ref(sa), awayFromZero(sb, -2, 2, 0.3)];
  if (name === "maximum" || name === "minimum") {
    const a = rng.ref(sa);
    // b is a shifted by at least 0.05 so broadcast pairs never tie.
    return [a, R.ref(sb, () => rng.uniform(-1, 1) + (rng.next() < 0.5 ? -0.05 : 0.05))];
  }
  return [rng.ref(sa), rng.ref(sb)];
}

const binaryFn = (name: R.BinaryName) => S[name] as (a: S.TensorLike, b: S.TensorLike) => S.Tensor;

const BROADCAST_PAIRS: [number[], number[]][] = [
  [[7], [7]],
  [
    [3, 1, 5],
    [4, 1],
  ],
  [[], [2, 3]],
  [[2, 3], [1]],
  [
    [1, 4, 1],
    [3, 1, 6],
  ],
  [[2, 0, 3], [3]],
  [[1031, 517], [517]],
];

describe("binary ops forward with broadcasting", () => {
  for (const name of BINARY) {
    for (const dtype of FLOAT_DTYPES) {
      it(`${name} ${dtype}`, () => {
        for (const [sa, sb] of BROADCAST_PAIRS) {
          S.tidy(() => {
            const [a, b] = binaryInputs(name, sa, sb);
            const A = floatInput(a, dtype);
            const B = floatInput(b, dtype);
            const want = R.binary(name, A.r, B.r);
            expectClose(binaryFn(name)(A.t, B.t), want, elementwiseTol(dtype, want), `${name} [${sa}] [${sb}]`);
            const wantSwapped = R.binary(name, B.r, A.r);
            if (name !== "pow")
              expectClose(binaryFn(name)(B.t, A.t), wantSwapped, elementwiseTol(dtype, wantSwapped), `${name} swapped`);
          });
        }
      });
    }
  }
  it("numbers work on either side and adopt the tensor's dtype", () => {
    for (const dtype of FLOAT_DTYPES) {
      const { t, r } = floatInput(rng.ref([5], 0.5, 2), dtype);
      for (const name of BINARY) {
        const k = name === "pow" ? 1.5 : 0.75;
        const right = binaryFn(name)(t, k);
        expect(right.dtype).toBe(dtype);
        const wantR = R.binary(name, r, R.scalar(k));
        expectClose(right, wantR, elementwiseTol(dtype, wantR), `${name}(t, ${k})`);
        const left = binaryFn(name)(k, t);
        const wantL = R.binary(name, R.scalar(k), r);
        expectClose(left, wantL, elementwiseTol(dtype, wantL), `${name}(${k}, t)`);
      }
    }
  });
  it("mixed f32 and bf16 promote to f32", () => {
    const a = floatInput(rng.ref([3]), "f32");
    const b = floatInput(rng.ref([3]), "bf16");
    const y = S.add(a.t, b.t);
    expect(y.dtype).toBe("f32");
    expectClose(y, R.add(a.r, b.r), elementwiseTol("f32", R.add(a.r, b.r)));
  });
  it("broadcasting that does not fit is a ShapeError naming the op and both shapes", () => {
    expect(() => S.add(S.zeros([2, 3]), S.zeros([3, 2]))).toThrow(S.ShapeError);
    expect(() => S.mul(S.zeros([2, 3]), S.zeros([4]))).toThrow(/mul.*\[2, 3\].*\[4\]/);
  });
});

describe("binary ops on non-contiguous operands", () => {
  for (const name of BINARY) {
    it(`${name}: transposed with sliced`, () => {
      S.tidy(() => {
        const [a, b] = binaryInputs(name, [8, 5], [5, 16]);
        const A = floatInput(a, "f32");
        const B = floatInput(b, "f32");
        const at = S.transpose(A.t, 0, 1);
        const bs = S.slice(B.t, 1, 1, undefined, 2);
        const want = R.binary(name, R.views.transpose(A.r, 0, 1), R.views.slice(B.r, 1, 1, undefined, 2));
        expectClose(binaryFn(name)(at, bs), want, elementwiseTol("f32", want), name);
      });
    });
  }
});

describe("binary ops backward (broadcast gradients are summed)", () => {
  for (const name of BINARY) {
    for (const dtype of FLOAT_DTYPES) {
      for (const [sa, sb] of [
        [
          [3, 4],
          [3, 4],
        ],
        [[2, 3, 1], [4]],
        [[], [3, 2]],
      ] as [number[], number[]][]) {
        it(`${name} ${dtype} [${sa}] with [${sb}]`, () => {
          checkForwardBackward({
            dtype,
            rng,
            label: name,
            ops: name === "pow" ? 8 : 4,
            inputs: binaryInputs(name, sa, sb),
            lib: ([a, b]) => binaryFn(name)(a!, b!),
            ref: ([a, b]) => R.binary(name, a!, b!),
          });
        });
      }
    }
  }
  it("pow with a number exponent: forward and backward for 2, 0.5, -1, 3.5", () => {
    for (const k of [2, 0.5, -1, 3.5]) {
      checkForwardBackward({
        dtype: "f32",
        rng,
        label: `pow ${k}`,
        ops: 6,
        inputs: [rng.ref([4, 3], 0.2, 3)],
        lib: ([x]) => S.pow(x!, k),
        ref: ([x]) => R.pow(x!, R.scalar(k)),
      });
    }
  });
});

describe("integer binary ops", () => {
  it("add, sub, mul, maximum, minimum on i32 are exact and broadcast", () => {
    const a = rng.intRef([4, 1, 3], -500, 500);
    const b = rng.intRef([5, 1], -500, 500);
    for (const name of ["add", "sub", "mul", "maximum", "minimum"] as const) {
      const y = binaryFn(name)(fromRef(a, "i32"), fromRef(b, "i32"));
      expect(y.dtype).toBe("i32");
      expectEqualValues(y, R.binary(name, a, b), name);
    }
  });
  it("i32 with a whole number stays i32; a fractional number is a DTypeError", () => {
    const t = S.tensor([1, 2, 3], { dtype: "i32" });
    expect(S.add(t, 2).dtype).toBe("i32");
    expect(Array.from(S.mul(t, -3).dataSync())).toEqual([-3, -6, -9]);
    expect(() => S.add(t, 0.5)).toThrow(S.DTypeError);
  });
  it("i32 div is not supported: a DTypeError, not a silent truncation", () => {
    const t = S.tensor([4, 6], { dtype: "i32" });
    expect(() => S.div(t, t)).toThrow(S.DTypeError);
  });
});

const COMPARE = Object.keys(R.compareFns) as R.CompareName[];

describe("comparisons", () => {
  // Values from a small set so that equal pairs actually occur.
  const tiesRef = (shape: number[]) => R.ref(shape, () => rng.int(-3, 4) * 0.5);
  for (const name of COMPARE) {
    for (const dtype of ["f32", "bf16", "i32"] as const) {
      it(`${name} ${dtype} with broadcasting gives bool`, () => {
        const a = dtype === "i32" ? rng.intRef([3, 1, 4], -3, 4) : tiesRef([3, 1, 4]);
        const b = dtype === "i32" ? rng.intRef([5, 1], -3, 4) : tiesRef([5, 1]);
        const y = (S[name] as (a: S.TensorLike, b: S.TensorLike) => S.Tensor)(fromRef(a, dtype), fromRef(b, dtype));
        expect(y.dtype).toBe("bool");
        expectEqualValues(y, R.compare(name, a, b), name);
        const withNumber = (S[name] as (a: S.TensorLike, b: S.TensorLike) => S.Tensor)(fromRef(a, dtype), 1);
        expectEqualValues(withNumber, R.compare(name, a, R.scalar(1)), `${name} number`);
      });
    }
  }
  it("eq and ne accept bool tensors", () => {
    const a = S.tensor([true, false, true]);
    const b = S.tensor([true, true, false]);
    expect(Array.from(S.eq(a, b).dataSync())).toEqual([1, 0, 0]);
    expect(Array.from(S.ne(a, b).dataSync())).toEqual([0, 1, 1]);
  });
  it("NaN compares unequal to everything, itself included", () => {
    const x = S.tensor([NaN, 1]);
    expect(Array.from(S.eq(x, x).dataSync())).toEqual([0, 1]);
    expect(Array.from(S.ne(x, x).dataSync())).toEqual([1, 0]);
    expect(Array.from(S.lt(x, 2).dataSync())).toEqual([0, 1]);
    expect(Array.from(S.ge(x, 2).dataSync())).toEqual([0, 0]);
  });
});

describe("where", () => {
  for (const dtype of ["f32", "bf16", "i32", "bool"] as const) {
    it(`${dtype}: picks a where cond, b elsewhere, broadcasting all three`, () => {
      const cond = R.ref([3, 1, 4], () => (rng.next() < 0.5 ? 1 : 0));
      const a = dtype === "bool" ? rng.intRef([5, 1], 0, 2) : rng.intRef([5, 1], -9, 9);
      const b = dtype === "bool" ? rng.intRef([4], 0, 2) : rng.intRef([4], -9, 9);
      const y = S.where(fromRef(cond, "bool") as S.Tensor<"bool">, fromRef(a, dtype), fromRef(b, dtype));
      expect(y.dtype).toBe(dtype);
      expectEqualValues(y, R.where(cond, a, b), "where");
    });
  }
  it("accepts numbers for a and b", () => {
    const cond = S.tensor([true, false, true]) as S.Tensor<"bool">;
    const x = S.tensor([1, 2, 3]);
    expect(Array.from(S.where(cond, x, 0).dataSync())).toEqual([1, 0, 3]);
    expect(Array.from(S.where(cond, -1, x).dataSync())).toEqual([-1, 2, -1]);
  });
  for (const dtype of FLOAT_DTYPES) {
    it(`${dtype} backward sends the gradient to the branch that was picked`, () => {
      const cond = R.ref([3, 4], () => (rng.next() < 0.5 ? 1 : 0));
      const c = fromRef(cond, "bool") as S.Tensor<"bool">;
      checkForwardBackward({
        dtype,
        rng,
        label: "where",
        inputs: [rng.ref([3, 4]), rng.ref([4])],
        lib: ([a, b]) => S.where(c, a!, b!),
        ref: ([a, b]) => R.where(cond, a!, b!),
      });
    });
  }
  it("cond must be bool", () => {
    expect(() => S.where(S.tensor([1, 0]) as unknown as S.Tensor<"bool">, S.tensor([1, 2]), 0)).toThrow(S.DTypeError);
  });
});
