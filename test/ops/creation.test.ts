// Creation functions: shapes, dtypes, values, defaults, and argument errors.
import { describe, expect, it } from "vitest";
import * as S from "../../src/index.js";
import { expectClose, expectEqualValues, expectSlmkitError } from "../helpers/expect.js";
import { toRef } from "../helpers/tensors.js";
import * as R from "../reference/index.js";

describe("tensor()", () => {
  it("infers shape and dtype from nested arrays, numbers and booleans", () => {
    const x = S.tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(x.shape).toEqual([2, 3]);
    expect(x.dtype).toBe("f32");
    expect(x.toArray()).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const s = S.tensor(2.5);
    expect(s.shape).toEqual([]);
    expect(s.ndim).toBe(0);
    expect(s.numel).toBe(1);
    expect(s.item()).toBe(2.5);
    const b = S.tensor([[true], [false]]);
    expect(b.dtype).toBe("bool");
    expect(b.toArray()).toEqual([[1], [0]]);
    const e = S.tensor([]);
    expect(e.shape).toEqual([0]);
    expect(e.numel).toBe(0);
  });
  it("takes typed arrays with an optional shape; the array type picks the dtype", () => {
    expect(S.tensor(new Int32Array([1, -2])).dtype).toBe("i32");
    expect(S.tensor(new Uint8Array([1, 0])).dtype).toBe("bool");
    expect(S.tensor(new Float64Array([0.1])).dtype).toBe("f32");
    const x = S.tensor(new Float32Array([1, 2, 3, 4, 5, 6]), { shape: [3, 2] });
    expect(x.toArray()).toEqual([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
  });
  it("stores f32 rounded, bf16 rounded to nearest even, i32 truncated toward zero", () => {
    const vals = [0.1, -1 / 3, 1 + 2 ** -8, 1 + 3 * 2 ** -8, 65504.7, -2.75, 1e-20];
    const r = R.fromNested(vals);
    expectClose(S.tensor(vals), R.roundRef(r, "f32"), 0, "f32");
    expectClose(S.tensor(vals, { dtype: "bf16" }), R.roundRef(r, "bf16"), 0, "bf16");
    expect(Array.from(S.tensor([2.7, -2.7, 0.5], { dtype: "i32" }).dataSync())).toEqual([2, -2, 0]);
  });
  it("requiresGrad option marks a leaf", () => {
    const x = S.tensor([1, 2], { requiresGrad: true });
    expect(x.requiresGrad).toBe(true);
    expect(x.isLeaf).toBe(true);
    expect(x.grad).toBeUndefined();
  });
  it("rejects ragged arrays, strings, bad shapes, bad dtypes and devices with SlmkitErrors naming tensor", () => {
    expectSlmkitError(() => S.tensor([[1, 2], [3]]), ["tensor", "ragged"], S.ArgumentError);
    expectSlmkitError(() => S.tensor("abc" as never), ["tensor"], S.ArgumentError);
    expectSlmkitError(() => S.tensor([1, "x"] as never), ["tensor"], S.ArgumentError);
    expectSlmkitError(() => S.tensor(null as never), ["tensor", "null"], S.ArgumentError);
    expectSlmkitError(
      () => S.tensor(new Float32Array(5), { shape: [2, 2] }),
      ["tensor", "[2, 2]", "5"],
      S.ArgumentError,
    );
    expectSlmkitError(() => S.tensor([1], { dtype: "f64" as never }), ["tensor", "f64"], S.DTypeError);
    expectSlmkitError(() => S.tensor([1], { device: "tpu" as never }), ["tensor", "tpu"], S.ArgumentError);
    expectSlmkitError(
      () => S.tensor([1, 2], { dtype: "i32", requiresGrad: true }),
      ["requiresGrad", "i32"],
      S.AutogradError,
    );
  });
});

describe("zeros, ones, full, *Like, eye", () => {
  for (const dtype of ["f32", "bf16", "i32", "bool"] as const) {
    it(`${dtype}`, () => {
      for (const shape of [[], [1], [3, 5], [2, 0, 4], [1031, 517]]) {
        const n = R.numel(shape);
        expectEqualValues(S.zeros(shape, { dtype }), R.ref(shape), `zeros [${shape}]`);
        expectEqualValues(S.ones(shape, { dtype }), R.full(shape, 1), `ones [${shape}]`);
        const v = dtype === "bool" ? 1 : dtype === "i32" ? -7 : -2.5;
        const f = S.full(shape, v, { dtype });
        expect(f.dtype).toBe(dtype);
        expect(f.numel).toBe(n);
        expectEqualValues(f, R.full(shape, v), `full [${shape}]`);
      }
      const base = S.full([2, 3], 1, { dtype });
      for (const [name, t, want] of [
        ["zerosLike", S.zerosLike(base), 0],
        ["onesLike", S.onesLike(base), 1],
        ["fullLike", S.fullLike(base, dtype === "bool" ? 1 : 3), dtype === "bool" ? 1 : 3],
      ] as const) {
        expect(t.dtype, name).toBe(dtype);
        expect(t.shape, name).toEqual([2, 3]);
        expectEqualValues(t, R.full([2, 3], want), name);
      }
    });
  }
  it("*Like accepts a dtype override and full(bool) defaults to bool", () => {
    expect(S.zerosLike(S.zeros([2]), { dtype: "i32" }).dtype).toBe("i32");
    expect(S.full([2], true).dtype).toBe("bool");
  });
  it("eye(n) and eye(n, m) in every dtype", () => {
    for (const dtype of ["f32", "bf16", "i32", "bool"] as const) {
      for (const [n, m] of [
        [1, 1],
        [4, 4],
        [3, 5],
        [6, 2],
      ]) {
        const want = R.ref([n!, m!], (i) => (Math.floor(i / m!) === i % m! ? 1 : 0));
        const e = S.eye(n!, m, { dtype });
        expect(e.dtype).toBe(dtype);
        expectEqualValues(e, want, `eye(${n}, ${m})`);
      }
    }
    expectEqualValues(
      S.eye(3),
      R.ref([3, 3], (i) => (i % 4 === 0 ? 1 : 0)),
    );
  });
  it("shape errors: negative, fractional, non-array, too many dims, too many elements", () => {
    expectSlmkitError(() => S.zeros([-1]), ["zeros", "shape"], S.ArgumentError);
    expectSlmkitError(() => S.zeros([2.5]), ["shape"], S.ArgumentError);
    expectSlmkitError(() => S.zeros(3 as never), ["shape"], S.ArgumentError);
    expectSlmkitError(() => S.zeros([1, 1, 1, 1, 1, 1, 1, 1, 1]), ["rank"], S.ShapeError);
    expectSlmkitError(() => S.zeros([2 ** 21, 2 ** 21]), ["2^40"], S.ShapeError);
    expectSlmkitError(() => S.full([2], "x" as never), ["full", "value"], S.ArgumentError);
  });
  it("a huge but legal allocation fails as a SlmkitError, not a crash", () => {
    expectSlmkitError(() => S.zeros([2 ** 20, 2 ** 20 - 1]), []);
  });
});

describe("arange", () => {
  it("integer arguments give i32, fractional give f32, as PyTorch", () => {
    const a = S.arange(5);
    expect(a.dtype).toBe("i32");
    expect(Array.from(a.dataSync())).toEqual([0, 1, 2, 3, 4]);
    expect(Array.from(S.arange(2, 11, 3).dataSync())).toEqual([2, 5, 8]);
    expect(Array.from(S.arange(5, 0, -2).dataSync())).toEqual([5, 3, 1]);
    expect(S.arange(3, 3).numel).toBe(0);
    expect(S.arange(3, 0).numel).toBe(0);
    const f = S.arange(0, 1, 0.25);
    expect(f.dtype).toBe("f32");
    expect(Array.from(f.dataSync())).toEqual([0, 0.25, 0.5, 0.75]);
  });
  it("values are start + i*step computed in float64 then rounded (no accumulated drift)", () => {
    const n = 100_000;
    const y = S.arange(-3, -3 + n * 0.1, 0.1);
    expect(y.numel).toBe(Math.ceil((n * 0.1) / 0.1 - 1e-9));
    const want = R.ref([y.numel], (i) => Math.fround(-3 + i * 0.1));
    expectClose(y, want, 0);
    const b = S.arange(0, 8, 1, { dtype: "bf16" });
    expect(b.dtype).toBe("bf16");
    expect(Array.from(b.dataSync())).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });
  it("errors: step 0, non-finite bounds, bool dtype", () => {
    expectSlmkitError(() => S.arange(0, 5, 0), ["arange", "step"], S.ArgumentError);
    expectSlmkitError(() => S.arange(Infinity), ["arange", "end"], S.ArgumentError);
    expectSlmkitError(() => S.arange(0, NaN), ["arange"], S.ArgumentError);
    expectSlmkitError(() => S.arange(0, 4, 1, { dtype: "bool" }), ["arange", "bool"], S.DTypeError);
  });
});

describe("random: the Philox streams of native/KERNELS.md", () => {
  it("rand: element i is low + (high-low) * (word >> 8) * 2^-24 with counter offset + floor(i/4)", () => {
    S.manualSeed(1234);
    const a = S.rand([7, 5]);
    const b = S.rand([3], { low: -2, high: 3 });
    // After manualSeed the offset starts at 0 and a claims ceil(35/4) = 9 counters.
    const wantA = R.ref([7, 5], (i) => R.philox.uniformAt(1234, 0, i));
    const wantB = R.ref([3], (i) => R.philox.uniformAt(1234, 9, i, -2, 3));
    expectClose(
      a,
      wantA,
      R.ref([7, 5], (i) => 2 ** -24 * Math.max(1, wantA.data[i]!)),
      "rand",
    );
    expectClose(b, wantB, 1e-6, "rand low/high");
  });
  it("randn: Box-Muller on two words, counter offset + floor(i/2)", () => {
    S.manualSeed(99);
    const a = S.randn([9]);
    const b = S.randn([4], { mean: 3, std: 0.5 });
    const wantA = R.ref([9], (i) => R.philox.normalAt(99, 0, i));
    const wantB = R.ref([4], (i) => R.philox.normalAt(99, 5, i, 3, 0.5));
    // f32 log/sqrt/cos: allow 1e-5 relative to the value and 1e-5 absolute.
    expectClose(
      a,
      wantA,
      R.ref([9], (i) => 1e-5 + 1e-5 * Math.abs(wantA.data[i]!)),
      "randn",
    );
    expectClose(
      b,
      wantB,
      R.ref([4], (i) => 1e-5 + 1e-5 * Math.abs(wantB.data[i]!)),
      "randn mean/std",
    );
  });
  it("bf16 rand/randn are the f32 stream rounded to bf16", () => {
    S.manualSeed(77);
    const u = S.rand([13], { dtype: "bf16", low: -1, high: 1 });
    const z = S.randn([6], { dtype: "bf16" });
    const wantU = R.roundRef(
      R.ref([13], (i) => Math.fround(R.philox.uniformAt(77, 0, i, -1, 1))),
      "bf16",
    );
    const wantZ = R.ref([6], (i) => R.philox.normalAt(77, 4, i));
    expectClose(
      u,
      wantU,
      R.ref([13], (i) => 2 ** -8 * Math.abs(wantU.data[i]!) + 1e-7),
    );
    expectClose(
      z,
      wantZ,
      R.ref([6], (i) => 2 ** -8 * Math.abs(wantZ.data[i]!) + 1e-5),
    );
  });
  it("randint: low + word mod (high - low), i32", () => {
    S.manualSeed(2 ** 40 + 17); // exercises the high key word
    const a = S.randint(-5, 1000, [11]);
    expect(a.dtype).toBe("i32");
    expectEqualValues(
      a,
      R.ref([11], (i) => R.philox.randintAt(2 ** 40 + 17, 0, i, -5, 1000)),
    );
  });
  it("the same seed reproduces, another seed or the next call differs", () => {
    S.manualSeed(5);
    const a = toRef(S.randn([64]));
    const a2 = toRef(S.randn([64]));
    S.manualSeed(5);
    const b = toRef(S.randn([64]));
    S.manualSeed(6);
    const c = toRef(S.randn([64]));
    expect(Array.from(b.data)).toEqual(Array.from(a.data));
    expect(Array.from(a2.data)).not.toEqual(Array.from(a.data));
    expect(Array.from(c.data)).not.toEqual(Array.from(a.data));
  });
  it("getRngState/setRngState resume the stream", () => {
    S.manualSeed(8);
    S.rand([10]);
    const state = S.getRngState();
    const a = toRef(S.rand([10]));
    S.setRngState(state);
    expect(Array.from(toRef(S.rand([10])).data)).toEqual(Array.from(a.data));
  });
  it("distributions: uniform in [low, high) with mean ~ (low+high)/2; normal mean ~ 0, std ~ 1; bf16 too", () => {
    S.manualSeed(0);
    const n = 200_000;
    for (const dtype of ["f32", "bf16"] as const) {
      const u = toRef(S.rand([n], { dtype, low: 2, high: 4 }));
      expect(R.min(u).data[0]).toBeGreaterThanOrEqual(2);
      expect(R.max(u).data[0]).toBeLessThanOrEqual(4); // bf16 rounding may reach the upper bound
      // Standard error of the mean: (2/sqrt(12))/sqrt(n) ~ 0.0013; allow 5 sigma.
      expect(Math.abs(R.mean(u).data[0]! - 3)).toBeLessThan(0.0065);
      const z = toRef(S.randn([n], { dtype }));
      expect(Math.abs(R.mean(z).data[0]!)).toBeLessThan(5 / Math.sqrt(n));
      expect(Math.abs(Math.sqrt(R.variance(z).data[0]!) - 1)).toBeLessThan(0.01);
    }
    const k = toRef(S.randint(0, 7, [n]));
    const counts = new Array(7).fill(0);
    for (const v of k.data) counts[v]++;
    for (const c of counts) expect(Math.abs(c / n - 1 / 7)).toBeLessThan(0.005);
  });
  it("errors: float dtypes only for rand/randn, low < high for randint, seeds are whole numbers", () => {
    expectSlmkitError(() => S.rand([2], { dtype: "i32" as never }), ["rand", "i32"], S.DTypeError);
    expectSlmkitError(() => S.randn([2], { dtype: "bool" as never }), ["randn"], S.DTypeError);
    expectSlmkitError(() => S.randint(5, 5, [2]), ["randint"], S.ArgumentError);
    expectSlmkitError(() => S.randint(0.5, 5, [2]), ["randint"], S.ArgumentError);
    expectSlmkitError(() => S.manualSeed(-1), ["manualSeed"], S.ArgumentError);
    expectSlmkitError(() => S.manualSeed(1.5), ["manualSeed"], S.ArgumentError);
  });
});

describe("values and parameters that do not fit", () => {
  it("i32 values outside [-2^31, 2^31 - 1] (or not finite) are errors, not wrapped around", () => {
    expectSlmkitError(
      () => S.tensor([2 ** 32 + 5], { dtype: "i32" }),
      ["tensor", "4294967301", "i32"],
      S.ArgumentError,
    );
    expectSlmkitError(() => S.tensor([-(2 ** 31) - 1], { dtype: "i32" }), ["tensor", "i32"], S.ArgumentError);
    expectSlmkitError(() => S.tensor(new Float64Array([NaN]), { dtype: "i32" }), ["tensor", "NaN"], S.ArgumentError);
    expectSlmkitError(() => S.full([2], 2 ** 31, { dtype: "i32" }), ["full", "i32"], S.ArgumentError);
    expectSlmkitError(() => S.arange(2 ** 31 - 2, 2 ** 31 + 1), ["arange", "i32"], S.ArgumentError);
    expect(Array.from(S.tensor([2 ** 31 - 1, -(2 ** 31), -2.9], { dtype: "i32" }).dataSync())).toEqual([
      2 ** 31 - 1,
      -(2 ** 31),
      -2,
    ]);
  });
  it("random generators reject parameters that make no sense, as PyTorch's do", () => {
    const bad: [() => unknown, string[]][] = [
      [() => S.randn([2], { std: -1 }), ["randn", "std", "-1"]],
      [() => S.randn([2], { std: NaN }), ["randn", "std"]],
      [() => S.randn([2], { mean: Infinity }), ["randn", "mean"]],
      [() => S.rand([2], { low: 2, high: 1 }), ["rand", "low=2", "high=1"]],
      [() => S.rand([2], { low: -Infinity }), ["rand", "low"]],
      [() => S.rand([2], { low: -3e38, high: 3e38 }), ["rand", "high - low"]],
      [() => S.randint(2 ** 40, 2 ** 40 + 5, [2]), ["randint", "2^31"]],
      [() => S.randint(-(2 ** 31) - 1, 0, [2]), ["randint"]],
      [() => S.setRngState({ seed: 1, offset: -5 }), ["setRngState", "offset"]],
      [() => S.setRngState({ seed: 1, offset: "abc" as never }), ["setRngState", "offset"]],
      [() => S.setRngState(null as never), ["setRngState"]],
    ];
    for (const [f, fragments] of bad) expectSlmkitError(f, fragments, S.ArgumentError);
    // The edges PyTorch allows: std 0, low == high, the full i32 range.
    expect(Array.from(S.randn([3], { mean: 2, std: 0 }).dataSync())).toEqual([2, 2, 2]);
    expect(Array.from(S.rand([2], { low: 1, high: 1 }).dataSync())).toEqual([1, 1]);
    expect(S.randint(-(2 ** 31), 2 ** 31, [4]).dtype).toBe("i32");
  });
});
