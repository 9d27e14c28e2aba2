// memory() accounting, tidy/keep scopes, and leak tests: training steps must leave memory where it was.
import { describe, expect, it } from "vitest";
import * as S from "../../src/index.js";
import { expectSlmkitError } from "../helpers/expect.js";

const cpu = () => S.memory().devices.cpu;

describe("memory()", () => {
  it("reports totals and per-device counts", () => {
    const m = S.memory();
    expect(typeof m.numTensors).toBe("number");
    expect(typeof m.numBytes).toBe("number");
    expect(m.devices.cpu).toBeDefined();
    expect(m.numTensors).toBeGreaterThanOrEqual(m.devices.cpu.numTensors);
  });
  it("counts bytes per dtype: f32 4, bf16 2, i32 4, bool 1; dispose gives them back", () => {
    for (const [dtype, size] of [
      ["f32", 4],
      ["bf16", 2],
      ["i32", 4],
      ["bool", 1],
    ] as const) {
      const before = cpu();
      const t = S.zeros([3, 7], { dtype });
      expect(cpu().numTensors - before.numTensors, dtype).toBe(1);
      expect(cpu().numBytes - before.numBytes, dtype).toBe(21 * size);
      t.dispose();
      expect(cpu()).toEqual(before);
    }
  });
  it("views count as tensors but not bytes; storage is freed when the last view goes", () => {
    const before = cpu();
    const t = S.zeros([4, 4]);
    const v = S.transpose(t, 0, 1);
    expect(cpu().numTensors - before.numTensors).toBe(2);
    expect(cpu().numBytes - before.numBytes).toBe(64);
    t.dispose();
    expect(cpu().numBytes - before.numBytes).toBe(64);
    v.dispose();
    expect(cpu()).toEqual(before);
  });
});

describe("tidy and keep", () => {
  it("disposes intermediates and keeps the returned tensor (which moves to the enclosing scope)", () => {
    const before = cpu();
    const x = S.tidy(() => {
      const a = S.ones([10]);
      const b = S.mul(a, 2);
      return S.add(b, 1);
    });
    expect(x.isDisposed).toBe(false);
    expect(cpu().numTensors - before.numTensors).toBe(1);
    x.dispose();
    expect(cpu()).toEqual(before);
  });
  it("keeps tensors returned inside arrays, plain objects and Maps", () => {
    const before = cpu();
    const out = S.tidy(() => {
      const a = S.ones([2]);
      return { list: [a, S.zeros([3])], map: new Map([["k", S.ones([1])]]), n: 3 };
    });
    expect(out.list.every((t) => !t.isDisposed)).toBe(true);
    expect(out.map.get("k")!.isDisposed).toBe(false);
    expect(cpu().numTensors - before.numTensors).toBe(3);
    for (const t of [...out.list, out.map.get("k")!]) t.dispose();
    expect(cpu()).toEqual(before);
  });
  it("nested scopes: an inner result survives the inner tidy and is freed by the outer one", () => {
    const before = cpu();
    let inner: S.Tensor | undefined;
    S.tidy(() => {
      inner = S.tidy(() => S.add(S.ones([4]), 1));
      expect(inner.isDisposed).toBe(false);
    });
    expect(inner!.isDisposed).toBe(true);
    expect(cpu()).toEqual(before);
  });
  it("keep() lets a tensor outlive every scope", () => {
    let kept: S.Tensor | undefined;
    S.tidy(() => {
      kept = S.keep(S.ones([2]));
      S.ones([5]);
    });
    expect(kept!.isDisposed).toBe(false);
    kept!.dispose();
  });
  it("tensors created before the scope are untouched", () => {
    const outside = S.ones([3]);
    S.tidy(() => S.mul(outside, 2));
    expect(outside.isDisposed).toBe(false);
  });
  it("a throwing fn disposes what it made and rethrows", () => {
    const before = cpu();
    expect(() =>
      S.tidy(() => {
        S.ones([100]);
        throw new Error("inside");
      }),
    ).toThrow("inside");
    expect(cpu()).toEqual(before);
  });
  it("an async fn is an ArgumentError; a non-function too", () => {
    expectSlmkitError(() => S.tidy((async () => S.ones([1])) as never), ["tidy"], S.ArgumentError);
    expectSlmkitError(() => S.tidy(3 as never), ["tidy"], S.ArgumentError);
  });
});

/** Backward, one AdamW update, zeroed grads; returns the loss value. */
function backwardAndUpdate(
  loss: S.Tensor<"f32">,
  params: S.Tensor<"f32">[],
  moments: S.Tensor<"f32">[][],
  step: number,
): number {
  loss.backward();
  S.adamwStep({
    params,
    grads: params.map((p) => p.grad!),
    expAvg: moments[0]!,
    expAvgSq: moments[1]!,
    lr: 1e-2,
    weightDecay: 0.01,
    beta1: 0.9,
    beta2: 0.99,
    eps: 1e-8,
    step,
  });
  for (const p of params) p.zeroGrad();
  return loss.item();
}

/** One training step of an elementwise network: forward, backward, an in-place AdamW update. */
function elementwiseStep(params: S.Tensor<"f32">[], moments: S.Tensor<"f32">[][], step: number): number {
  return S.tidy(() => {
    const [w, b] = params as [S.Tensor<"f32">, S.Tensor<"f32">];
    const x = S.randn([8, 16]);
    const target = S.randint(0, 16, [8]);
    const h = S.silu(S.add(S.mul(x, w), b));
    const logits = S.logSoftmax(S.rmsNorm(h, S.ones([16])), -1);
    const loss = S.crossEntropy(logits, target);
    return backwardAndUpdate(loss, params, moments, step);
  });
}

/** One training step of a small MLP with matmul. */
function mlpStep(params: S.Tensor<"f32">[], moments: S.Tensor<"f32">[][], step: number): number {
  return S.tidy(() => {
    const [w1, w2] = params as [S.Tensor<"f32">, S.Tensor<"f32">];
    const x = S.randn([8, 16]);
    const target = S.randint(0, 10, [8]);
    const loss = S.crossEntropy(S.matmul(S.gelu(S.matmul(x, w1)), w2), target);
    return backwardAndUpdate(loss, params, moments, step);
  });
}

function runLeakTest(shapes: number[][], step: typeof mlpStep): void {
  S.manualSeed(0);
  const params = shapes.map((s) => {
    const p = S.keep(S.randn(s, { std: 0.3 }));
    p.requiresGrad = true;
    return p;
  });
  const moments = [shapes.map((s) => S.keep(S.zeros(s))), shapes.map((s) => S.keep(S.zeros(s)))];
  step(params, moments, 1); // warm-up: lazy state (backends, caches) is created here
  const start = S.memory();
  let first = NaN;
  let last = NaN;
  for (let i = 2; i <= 1001; i++) {
    const loss = step(params, moments, i);
    if (i === 2) first = loss;
    last = loss;
  }
  expect(S.memory()).toEqual(start);
  expect(Number.isFinite(last)).toBe(true);
  expect(first).toBeGreaterThan(0);
  for (const t of [...params, ...moments.flat()]) t.dispose();
}

describe("leaks", () => {
  it("1,000 forward+backward+update steps of an elementwise network leave memory() where it started", () => {
    runLeakTest([[16], [16]], elementwiseStep);
  });
  it("1,000 forward+backward+update steps of a small MLP inside tidy leave memory() where it started", () => {
    runLeakTest(
      [
        [16, 32],
        [32, 10],
      ],
      mlpStep,
    );
  });
  it("a graph that is built but never backpropagated is freed with its tensors", () => {
    const w = S.keep(S.ones([32], { requiresGrad: true }));
    const start = S.memory();
    // The loss escapes tidy(), as a returned tensor does; disposing it must free the whole graph.
    for (let i = 0; i < 100; i++) S.tidy(() => S.sum(S.exp(S.mul(w, 2)))).dispose();
    expect(S.memory()).toEqual(start);
    w.dispose();
  });
});

describe("failed calls leak nothing", () => {
  it("errors raised in TypeScript or by a kernel leave memory() unchanged, outside any tidy()", () => {
    // Every argument exists before the calls, so anything left afterwards was made by a failing op.
    const x = S.ones([3, 4]);
    const x5 = S.ones([5]);
    const xt = S.transpose(x, 0, 1);
    const empty = S.zeros([2, 0]);
    const logits = S.zeros([3, 5], { requiresGrad: true });
    const i09 = S.tensor([0, 9], { dtype: "i32" });
    const i071 = S.tensor([[0], [7], [1]], { dtype: "i32" });
    const i5 = S.tensor([[5]], { dtype: "i32" });
    const t091 = S.tensor([0, 9, 1], { dtype: "i32" });
    const i3 = S.tensor([3], { dtype: "i32" });
    // Ops that make temporaries (a cast, a scalar tensor, a contiguous copy, a view) before a check fails.
    const z23 = S.zeros([2, 3], { dtype: "i32" });
    const ones4 = S.ones([4]);
    const cond2 = S.lt(S.zeros([2]), 1);
    const emptyT = S.transpose(S.zeros([2, 0]), 0, 1);
    const xBf16 = S.cast(x, "bf16");
    const failing: (() => unknown)[] = [
      () => S.add(x, x5),
      () => S.matmul(x, x),
      () => S.indexSelect(x, 0, i09),
      () => S.gather(x, 1, i071),
      () => S.embedding(x, i5),
      () => S.crossEntropy(logits, t091),
      () => S.oneHot(i3, 2),
      () => S.reshape(xt, [5, -1]),
      () => S.max(empty, { dim: 1 }),
      () => S.add(z23, ones4),
      () => S.mul(z23, 0.5),
      () => S.eq(z23, ones4),
      () => S.where(cond2, z23, ones4),
      () => S.max(emptyT, { dim: 0 }),
      () => S.stack([x, xBf16]),
      () => S.norm(x, { dim: 2 }),
      () => S.var(x, { dim: 2 }),
      () => S.softmax(S.tensor([1], { dtype: "i32" }) as never),
    ];
    const leaks: string[] = [];
    failing.forEach((f, k) => {
      const before = S.memory();
      expect(f, `call ${k}: ${String(f)}`).toThrow(S.SlmkitError);
      // The last call builds its own (valid) argument: allow exactly that one tensor.
      const left = S.memory().numTensors - before.numTensors - (k === failing.length - 1 ? 1 : 0);
      if (left !== 0) leaks.push(`${String(f)} left ${left} tensor(s), ${S.memory().numBytes - before.numBytes} bytes`);
    });
    expect(leaks).toEqual([]);
  });
});
