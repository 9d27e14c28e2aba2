// The Tensor object: properties, readback, casting, dispose, and the method forms.
import { describe, expect, expectTypeOf, it } from "vitest";
import * as S from "../../src/index.js";
import { expectClose, expectSlmkitError } from "../helpers/expect.js";
import * as R from "../reference/index.js";

describe("properties", () => {
  it("shape, ndim, numel, dtype, device", () => {
    const x = S.zeros([2, 3, 4], { dtype: "bf16" });
    expect(x.shape).toEqual([2, 3, 4]);
    expect(x.ndim).toBe(3);
    expect(x.numel).toBe(24);
    expect(x.dtype).toBe("bf16");
    expect(x.device).toBe("cpu");
    expect(x.isDisposed).toBe(false);
    expect(x.requiresGrad).toBe(false);
  });
  it("shape cannot be changed through the tensor's shape array", () => {
    const x = S.zeros([2, 3]);
    expect(() => (x.shape as number[]).push(4)).toThrow(TypeError);
    expect(x.shape).toEqual([2, 3]);
  });
  it("a tensor does not alias the shape arrays it was given (changing them later changes nothing)", () => {
    const shape = [2, 3];
    const a = S.zeros(shape);
    const b = S.tensor(new Float32Array(6), { shape });
    const target = [3, 2];
    const c = S.reshape(a, target);
    const e = S.expand(S.zeros([1, 3]), shape);
    shape[0] = 7;
    target[1] = 9;
    expect(a.shape).toEqual([2, 3]);
    expect(b.shape).toEqual([2, 3]);
    expect(c.shape).toEqual([3, 2]);
    expect(e.shape).toEqual([2, 3]);
  });
});

describe("readback", () => {
  it("data() resolves to the typed array of each dtype", async () => {
    const f = await S.tensor([1.5, 2]).data();
    expect(f).toBeInstanceOf(Float32Array);
    expect(Array.from(f)).toEqual([1.5, 2]);
    const b = await S.tensor([1.5, 2], { dtype: "bf16" }).data();
    expect(b).toBeInstanceOf(Float32Array);
    const i = await S.tensor([3, -4], { dtype: "i32" }).data();
    expect(i).toBeInstanceOf(Int32Array);
    expect(Array.from(i)).toEqual([3, -4]);
    const u = await S.tensor([true, false]).data();
    expect(u).toBeInstanceOf(Uint8Array);
    expect(Array.from(u)).toEqual([1, 0]);
  });
  it("data(), dataSync() and toArray() of a non-contiguous view read in logical order", async () => {
    const x = S.tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const t = S.transpose(x, 0, 1);
    expect(Array.from(await t.data())).toEqual([1, 4, 2, 5, 3, 6]);
    expect(Array.from(t.dataSync())).toEqual([1, 4, 2, 5, 3, 6]);
    expect(t.toArray()).toEqual([
      [1, 4],
      [2, 5],
      [3, 6],
    ]);
    expect(S.slice(x, 1, 1).toArray()).toEqual([
      [2, 3],
      [5, 6],
    ]);
  });
  it("item() reads one element and rejects more", () => {
    expect(S.tensor([[7]]).item()).toBe(7);
    expect(S.tensor(true).item()).toBe(1);
    expectSlmkitError(() => S.zeros([2]).item(), ["item", "[2]"], S.ArgumentError);
  });
  it("toString() looks like PyTorch and names non-default dtypes", () => {
    const s = String(
      S.tensor([
        [1, 2],
        [3, 4],
      ]),
    );
    expect(s).toMatch(/^tensor\(\[\[1\., 2\.\],\s*\[3\., 4\.\]\]\)$/);
    expect(String(S.tensor([1, 2], { dtype: "i32" }))).toContain("dtype=i32");
    expect(String(S.tensor([true]))).toContain("True");
    const big = S.zeros([100, 100]).toString();
    expect(big).toContain("...");
    expect(big.length).toBeLessThan(2000);
  });
});

describe("cast and to()", () => {
  const vals = [-2.7, -0.5, 0, 0.3, 1, 2.5, 1e6 + 0.5, -1e-3];
  it("float -> i32 truncates toward zero; -> bool is x != 0; bool -> float is 0/1", () => {
    const x = S.tensor(vals);
    expect(Array.from(S.cast(x, "i32").dataSync())).toEqual(vals.map((v) => Math.trunc(v) | 0));
    expect(Array.from(x.to("bool").dataSync())).toEqual(vals.map((v) => (v !== 0 ? 1 : 0)));
    expect(Array.from(S.cast(S.tensor([true, false]), "f32").dataSync())).toEqual([1, 0]);
    expect(Array.from(S.cast(S.tensor([3, 0, -1], { dtype: "i32" }), "bool").dataSync())).toEqual([1, 0, 1]);
  });
  it("f32 -> bf16 rounds to nearest even; bf16 -> f32 is exact", () => {
    const r = R.roundRef(new R.Rng(3).ref([1000], -100, 100), "f32");
    const x = S.tensor(Float32Array.from(r.data));
    const b = S.cast(x, "bf16");
    expect(b.dtype).toBe("bf16");
    expectClose(b, R.roundRef(r, "bf16"), 0);
    expectClose(S.cast(b, "f32"), R.roundRef(r, "bf16"), 0);
  });
  it("cast to the same dtype returns the tensor; to('cpu') on cpu returns it", () => {
    const x = S.zeros([2]);
    expect(S.cast(x, "f32")).toBe(x);
    expect(x.to("cpu")).toBe(x);
  });
  it("a cast of a strided view converts in logical order", () => {
    const x = S.tensor([
      [1.5, 2.5],
      [3.5, 4.5],
    ]);
    expect(S.cast(S.transpose(x, 0, 1), "i32").toArray()).toEqual([
      [1, 3],
      [2, 4],
    ]);
  });
  it("to() rejects unknown targets; to('cuda') without CUDA says why", () => {
    const x = S.zeros([2]);
    expectSlmkitError(() => x.to("f64" as never), ["to", "f64"], S.ArgumentError);
    if (!S.cuda.isAvailable()) {
      expectSlmkitError(() => x.to("cuda"), ["cuda"], S.DeviceError);
      expectSlmkitError(() => S.zeros([2], { device: "cuda" }), ["cuda"]);
    }
  });
  it("cast types: the dtype is part of the tensor type", () => {
    expectTypeOf(S.cast(S.zeros([1]), "i32")).toEqualTypeOf<S.Tensor<"i32">>();
    expectTypeOf(S.zeros([1]).to("bf16")).toEqualTypeOf<S.Tensor<"bf16">>();
  });
});

describe("dispose", () => {
  it("dispose twice is safe; isDisposed reports it; Symbol.dispose disposes", () => {
    const x = S.zeros([3]);
    x.dispose();
    x.dispose();
    expect(x.isDisposed).toBe(true);
    const y = S.zeros([3]);
    y[Symbol.dispose]();
    expect(y.isDisposed).toBe(true);
  });
  it("`using` disposes at the end of the block", () => {
    let escaped: S.Tensor | undefined;
    {
      using z = S.ones([2]);
      escaped = z;
      expect(z.isDisposed).toBe(false);
    }
    expect(escaped.isDisposed).toBe(true);
  });
  it("using a disposed tensor is a DisposedError naming the op, shape and dtype", () => {
    const x = S.zeros([2, 5], { dtype: "bf16" });
    x.dispose();
    expectSlmkitError(() => S.add(x, 1), ["add", "[2, 5]", "bf16", "disposed"], S.DisposedError);
    expectSlmkitError(() => x.dataSync(), ["dataSync", "[2, 5]"], S.DisposedError);
    expectSlmkitError(
      () => S.matmul(x as S.Tensor<"bf16">, x as S.Tensor<"bf16">),
      ["matmul", "disposed"],
      S.DisposedError,
    );
    expectSlmkitError(() => S.reshape(x, [10]), ["reshape"], S.DisposedError);
    expectSlmkitError(() => S.sum(x), ["sum"], S.DisposedError);
    expectSlmkitError(() => S.cat([S.zeros([2, 5], { dtype: "bf16" }), x], 0), ["cat"], S.DisposedError);
    expect(String(x)).toContain("disposed");
  });
  it("data() of a disposed tensor rejects with a DisposedError", async () => {
    const x = S.zeros([2]);
    x.dispose();
    await expect(x.data()).rejects.toBeInstanceOf(S.DisposedError);
  });
});

describe("method forms", () => {
  it("elementwise, reductions and shape methods agree with the functions", () => {
    const x = S.tensor([
      [1, -2, 3],
      [-4, 5, -6],
    ]);
    expect(x.add(1).toArray()).toEqual(S.add(x, 1).toArray());
    expect(x.mul(x).sum({ dim: 1 }).toArray()).toEqual([14, 77]);
    expect(x.abs().max().item()).toBe(6);
    expect(x.argmax({ dim: 1 }).toArray()).toEqual([2, 1]);
    expect(x.relu().toArray()).toEqual([
      [1, 0, 3],
      [0, 5, 0],
    ]);
    expect(x.gt(0).toArray()).toEqual([
      [1, 0, 1],
      [0, 1, 0],
    ]);
    expect(x.reshape([3, 2]).transpose(0, 1).contiguous().isContiguous()).toBe(true);
  });
});
