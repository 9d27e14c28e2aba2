// Bad input across the API: wrong JS types, NaN arguments, empty tensors. Every mistake must be a
// SlmkitError whose message names the op; empty tensors are legal and give empty (or identity) results.
import { describe, expect, it } from "vitest";
import { tmpdir } from "node:os";
import * as S from "../../src/index.js";
import { expectSlmkitError } from "../helpers/expect.js";

const x = S.ones([2, 3]);
const idx = S.tensor([0, 1], { dtype: "i32" });

/** Calls with a non-tensor where a tensor is required: op name -> call with `bad` in that place. */
const TENSOR_ARGS: Record<string, (bad: never) => unknown> = {
  exp: (b) => S.exp(b),
  relu: (b) => S.relu(b),
  clamp: (b) => S.clamp(b, { min: 0 }),
  cast: (b) => S.cast(b, "f32"),
  sum: (b) => S.sum(b),
  mean: (b) => S.mean(b),
  max: (b) => S.max(b),
  argmax: (b) => S.argmax(b),
  logsumexp: (b) => S.logsumexp(b),
  var: (b) => S.var(b),
  norm: (b) => S.norm(b),
  softmax: (b) => S.softmax(b),
  logSoftmax: (b) => S.logSoftmax(b),
  matmul: (b) => S.matmul(x, b),
  reshape: (b) => S.reshape(b, [6]),
  view: (b) => S.view(b, [6]),
  permute: (b) => S.permute(b, [1, 0]),
  transpose: (b) => S.transpose(b, 0, 1),
  expand: (b) => S.expand(b, [2, 3]),
  squeeze: (b) => S.squeeze(b),
  unsqueeze: (b) => S.unsqueeze(b, 0),
  slice: (b) => S.slice(b, 0, 0, 1),
  narrow: (b) => S.narrow(b, 0, 0, 1),
  flatten: (b) => S.flatten(b),
  contiguous: (b) => S.contiguous(b),
  split: (b) => S.split(b, 1, 0),
  chunk: (b) => S.chunk(b, 2, 0),
  cat: (b) => S.cat([x, b], 0),
  stack: (b) => S.stack([x, b], 0),
  gather: (b) => S.gather(x, 1, b),
  indexSelect: (b) => S.indexSelect(b, 0, idx),
  embedding: (b) => S.embedding(x, b),
  oneHot: (b) => S.oneHot(b, 3),
  triu: (b) => S.triu(b),
  rmsNorm: (b) => S.rmsNorm(x, b),
  attention: (b) => S.attention(b, b, b),
  crossEntropy: (b) => S.crossEntropy(x, b),
  rope: (b) => S.rope(b),
  swiglu: (b) => S.swiglu(x, b),
  globalNorm: (b) => S.globalNorm([b]),
  item: (b) => S.item(b),
  toArray: (b) => S.toArray(b),
  zerosLike: (b) => S.zerosLike(b),
  backward: (b) => S.backward(b),
  where: (b) => S.where(b, x, x),
};

describe("a non-tensor where a tensor is required", () => {
  for (const [op, call] of Object.entries(TENSOR_ARGS)) {
    it(`${op}: numbers, arrays, null, undefined and objects give a SlmkitError naming ${op}`, () => {
      for (const bad of [3, [1, 2], null, undefined, { shape: [2] }, "x"]) {
        const e = expectSlmkitError(() => call(bad as never));
        expect(e.message, `${op}(${JSON.stringify(bad)})`).toContain(op);
      }
    });
  }
});

describe("NaN and non-integer arguments", () => {
  const cases: [string, () => unknown][] = [
    ["reshape", () => S.reshape(x, [NaN, 6])],
    ["sum", () => S.sum(x, { dim: NaN })],
    ["softmax", () => S.softmax(x, NaN)],
    ["transpose", () => S.transpose(x, 0, 0.5)],
    ["slice", () => S.slice(x, 0, NaN)],
    ["clamp", () => S.clamp(x, { min: NaN })],
    ["zeros", () => S.zeros([NaN])],
    ["arange", () => S.arange(NaN)],
    ["triu", () => S.triu(x, NaN)],
    ["rmsNorm", () => S.rmsNorm(x, S.ones([3]), NaN)],
    ["rope", () => S.rope(S.ones([1, 1, 1, 2]), { theta: NaN })],
    [
      "attention",
      () => S.attention(S.ones([1, 1, 1, 2]), S.ones([1, 1, 1, 2]), S.ones([1, 1, 1, 2]), { kvOffset: NaN }),
    ],
    ["oneHot", () => S.oneHot(idx, NaN)],
    ["manualSeed", () => S.manualSeed(NaN)],
    ["norm", () => S.norm(x, { p: NaN })],
  ];
  for (const [op, call] of cases) {
    it(`${op} rejects NaN / fractional arguments with a SlmkitError naming it`, () => {
      expectSlmkitError(call, [op]);
    });
  }
  it("NaN values inside tensors are data, not errors", () => {
    const n = S.tensor([NaN, 1]);
    expect(Number.isNaN(S.sum(n).item())).toBe(true);
    expect(Number.isNaN(S.softmax(n).dataSync()[0]!)).toBe(true);
    expect(S.full([2], NaN).toArray()).toEqual([NaN, NaN]);
  });
});

describe("empty tensors are legal", () => {
  const e = S.zeros([0, 3]);
  it("elementwise ops, casts and comparisons give empty results of the broadcast shape", () => {
    expect(S.exp(e).shape).toEqual([0, 3]);
    expect(S.add(e, S.ones([3])).shape).toEqual([0, 3]);
    expect(S.mul(e, 2).shape).toEqual([0, 3]);
    expect(S.gt(e, 0).shape).toEqual([0, 3]);
    expect(S.cast(e, "i32").shape).toEqual([0, 3]);
    expect(S.where(S.gt(e, 0), e, 1).shape).toEqual([0, 3]);
    expect(S.exp(e).toArray()).toEqual([]);
  });
  it("reductions over non-empty axes of an empty tensor, and sums over empty axes", () => {
    expect(S.sum(e, { dim: 1 }).shape).toEqual([0]);
    expect(S.max(e, { dim: 1 }).shape).toEqual([0]);
    expect(S.sum(e, { dim: 0 }).toArray()).toEqual([0, 0, 0]);
    expect(Number.isNaN(S.mean(e).item())).toBe(true);
  });
  it("views, cat and split", () => {
    expect(S.reshape(e, [3, 0]).shape).toEqual([3, 0]);
    expect(S.transpose(e, 0, 1).shape).toEqual([3, 0]);
    expect(S.cat([e, S.ones([2, 3])], 0).toArray()).toEqual([
      [1, 1, 1],
      [1, 1, 1],
    ]);
    expect(S.split(e, 2, 0).map((p) => p.shape)).toEqual([[0, 3]]);
  });
  it("softmax, rmsNorm, swiglu and indexing on zero rows", () => {
    expect(S.softmax(e).shape).toEqual([0, 3]);
    expect(S.rmsNorm(e, S.ones([3])).shape).toEqual([0, 3]);
    expect(S.swiglu(e, e).shape).toEqual([0, 3]);
    expect(S.indexSelect(S.ones([4, 3]), 0, S.tensor([], { dtype: "i32" })).shape).toEqual([0, 3]);
    expect(S.embedding(S.ones([4, 3]), S.zeros([2, 0], { dtype: "i32" })).shape).toEqual([2, 0, 3]);
  });
  it("crossEntropy over zero rows: none is empty, sum is 0, mean is NaN (as PyTorch)", () => {
    const t = S.zeros([0], { dtype: "i32" });
    expect(S.crossEntropy(e, t, { reduction: "none" }).shape).toEqual([0]);
    expect(S.crossEntropy(e, t, { reduction: "sum" }).item()).toBe(0);
    expect(Number.isNaN(S.crossEntropy(e, t).item())).toBe(true);
  });
  it("matmul with an empty outer dim is empty; with an empty inner dim is zeros", () => {
    expect(S.matmul(e, S.ones([3, 4])).shape).toEqual([0, 4]);
    expect(S.matmul(S.ones([2, 0]), S.ones([0, 4])).toArray()).toEqual([
      [0, 0, 0, 0],
      [0, 0, 0, 0],
    ]);
  });
  it("backward through empty tensors gives empty gradients", () => {
    const w = S.zeros([0, 3], { requiresGrad: true });
    S.sum(S.exp(w)).backward();
    expect(w.grad!.shape).toEqual([0, 3]);
  });
});

describe("errors name the op the user called and the right class", () => {
  it("var, norm and mean check dim under their own name; cat, stack and matmul report dtypes as DTypeErrors", () => {
    const x = S.ones([2, 3]);
    expectSlmkitError(() => S.var(x, { dim: 5 }), [/^var: dim 5/], S.ArgumentError);
    expectSlmkitError(() => S.norm(x, { dim: 5 }), [/^norm: dim 5/], S.ArgumentError);
    expectSlmkitError(() => S.mean(x, { dim: 5 }), [/^mean: dim 5/], S.ArgumentError);
    const b = S.cast(x, "bf16");
    expectSlmkitError(() => S.cat([x, b]), [/^cat: .*f32 and bf16/], S.DTypeError);
    expectSlmkitError(() => S.stack([x, b]), [/^stack: .*f32 and bf16/], S.DTypeError);
    expectSlmkitError(
      () => S.matmul(x, S.transpose(b, 0, 1) as never),
      [/^matmul: a and b must share a dtype/],
      S.DTypeError,
    );
    expectSlmkitError(() => S.readShard(tmpdir()), ["readShard", "is not a file"], S.ArgumentError);
  });
});
