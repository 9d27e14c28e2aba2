// AdamW against torch.optim.AdamW (test/fixtures/adamw_torch.json, written by scripts/fixtures/adamw_torch.py):
// two parameter groups, the learning rate changing every step, clip_grad_norm_ on some steps and one
// parameter without a gradient on one step.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import * as S from "../../src/index.js";
import { expectSlmkitError } from "../helpers/expect.js";

interface Fixture {
  betas: [number, number];
  eps: number;
  params: { name: string; shape: number[]; group: string }[];
  groups: { name: string; lrMultiplier: number; weightDecay: number }[];
  initial: Record<string, number[]>;
  steps: {
    lr: number;
    maxNorm: number | null;
    norm: number | null;
    grads: Record<string, number[] | null>;
    after: Record<string, { param: number[]; exp_avg: number[] | null; exp_avg_sq: number[] | null; step: number }>;
  }[];
}
const fx = JSON.parse(readFileSync(new URL("../fixtures/adamw_torch.json", import.meta.url), "utf8")) as Fixture;
const U = 2 ** -24; // f32 unit roundoff

function setup(): { params: Record<string, S.Tensor<"f32">>; groups: S.ParameterGroup[] } {
  const params = Object.fromEntries(
    fx.params.map((p) => [
      p.name,
      S.tensor(Float32Array.from(fx.initial[p.name]!), { shape: p.shape, requiresGrad: true }),
    ]),
  );
  const groups = fx.groups.map((g) => {
    const members = fx.params.filter((p) => p.group === g.name);
    return { ...g, params: members.map((p) => params[p.name]!), paramNames: members.map((p) => p.name) };
  });
  return { params, groups };
}

/** Gives every parameter the fixture's gradient of step i (or none). */
function setGrads(opt: S.AdamW, params: Record<string, S.Tensor<"f32">>, i: number): void {
  opt.zeroGrad();
  for (const [name, g] of Object.entries(fx.steps[i]!.grads)) {
    if (g) params[name]!.grad = S.tensor(Float32Array.from(g), { shape: [...params[name]!.shape] });
  }
}

function runStep(opt: S.AdamW, params: Record<string, S.Tensor<"f32">>, i: number): number | undefined {
  setGrads(opt, params, i);
  const st = fx.steps[i]!;
  const norm = st.maxNorm === null ? undefined : opt.clipGradNorm(st.maxNorm).norm;
  opt.step(st.lr);
  return norm;
}

function maxExcess(got: ArrayLike<number>, want: readonly number[], tol: (j: number) => number): number {
  let worst = 0;
  for (let j = 0; j < want.length; j++) worst = Math.max(worst, Math.abs(got[j]! - want[j]!) / tol(j));
  return worst;
}

describe("AdamW", () => {
  it("matches torch.optim.AdamW step for step (groups, per-step lr, clipping, a skipped parameter)", () => {
    const { params, groups } = setup();
    const opt = new S.AdamW(groups, { betas: fx.betas, eps: fx.eps });
    fx.steps.forEach((st, i) => {
      const norm = runStep(opt, params, i);
      if (st.norm !== null) expect(Math.abs(norm! - st.norm)).toBeLessThanOrEqual(16 * U * st.norm); // f32 sums of ~30 squares
      const sd = opt.stateDict();
      const steps = Object.fromEntries(sd.meta.groups.flatMap((g) => g.paramNames.map((n, j) => [n, g.paramSteps[j]])));
      for (const p of fx.params) {
        const want = st.after[p.name]!;
        expect(steps[p.name], `${p.name} step count after step ${i}`).toBe(want.step);
        // Each update rounds in f32 a handful of times (moments, sqrt, division, the product with lr): a few
        // ulp of each value per step, and torch rounds the same quantities differently (clip factor applied
        // to the grads first, lr/bias-correction products), so errors add up over the k steps so far. The
        // parameter error is at most ~ulp(|p|) plus ulps of the update size lr; moments ulps of themselves
        // plus of the gradient that entered them.
        const k = i + 1;
        const lr = st.lr * fx.groups.find((g) => g.name === p.group)!.lrMultiplier;
        const grad = fx.steps.slice(0, k).reduce((a, s) => Math.max(a, ...(s.grads[p.name] ?? [0]).map(Math.abs)), 0);
        const got = params[p.name]!.dataSync();
        expect(
          maxExcess(got, want.param, (j) => 8 * k * U * (Math.abs(want.param[j]!) + 4 * lr)),
          `${p.name} param after step ${i}`,
        ).toBeLessThanOrEqual(1);
        const m = sd.tensors[`${p.name}.exp_avg`]?.dataSync();
        const v = sd.tensors[`${p.name}.exp_avg_sq`]?.dataSync();
        expect(m === undefined).toBe(want.exp_avg === null);
        if (m && v) {
          expect(
            maxExcess(m, want.exp_avg!, (j) => 8 * k * U * (Math.abs(want.exp_avg![j]!) + grad)),
            `${p.name} exp_avg after step ${i}`,
          ).toBeLessThanOrEqual(1);
          expect(
            maxExcess(v, want.exp_avg_sq!, (j) => 8 * k * U * (Math.abs(want.exp_avg_sq![j]!) + grad * grad)),
            `${p.name} exp_avg_sq after step ${i}`,
          ).toBeLessThanOrEqual(1);
        }
      }
      Object.values(sd.tensors).forEach((t) => t.dispose());
      expect(opt.stepCount).toBe(i + 1);
    });
    opt.dispose();
  });

  it("saving and loading the state continues identically (also through a fresh optimiser)", () => {
    const a = setup();
    const b = setup();
    const optA = new S.AdamW(a.groups, { betas: fx.betas, eps: fx.eps });
    const optB = new S.AdamW(b.groups, { betas: fx.betas, eps: fx.eps });
    for (let i = 0; i < 4; i++) {
      runStep(optA, a.params, i);
      runStep(optB, b.params, i);
    }
    const sd = optB.stateDict();
    optB.dispose();
    // A new optimiser over copies of B's parameters, restored from B's state.
    const c = setup();
    for (const [n, p] of Object.entries(c.params)) {
      const w = b.params[n]!.dataSync();
      p.dispose();
      c.params[n] = S.tensor(Float32Array.from(w), { shape: [...b.params[n]!.shape], requiresGrad: true });
    }
    const groups = c.groups.map((g) => ({ ...g, params: g.paramNames!.map((n) => c.params[n]!) }));
    const optC = new S.AdamW(groups, { betas: fx.betas, eps: fx.eps });
    optC.loadStateDict(sd);
    Object.values(sd.tensors).forEach((t) => t.dispose());
    expect(optC.stepCount).toBe(4);
    for (let i = 4; i < fx.steps.length; i++) {
      runStep(optA, a.params, i);
      runStep(optC, c.params, i);
    }
    for (const n of Object.keys(a.params))
      expect(Array.from(c.params[n]!.dataSync())).toEqual(Array.from(a.params[n]!.dataSync()));
    const [sa, sc] = [optA.stateDict(), optC.stateDict()];
    expect(sc.meta).toEqual(sa.meta);
    for (const k of Object.keys(sa.tensors))
      expect(Array.from(sc.tensors[k]!.dataSync())).toEqual(Array.from(sa.tensors[k]!.dataSync()));
    expect(Object.keys(sa.tensors).sort()).toEqual(
      fx.params.flatMap((p) => [`${p.name}.exp_avg`, `${p.name}.exp_avg_sq`]).sort(),
    );
  });

  it("clipGradNorm folds min(1, maxNorm/(norm + 1e-6)) into the next step only", () => {
    const p = S.tensor([3, 4], { requiresGrad: true });
    const q = S.tensor([3, 4], { requiresGrad: true });
    const optP = new S.AdamW([{ name: "p", params: [p], lrMultiplier: 1, weightDecay: 0 }], {
      betas: [0.5, 0.5],
      eps: 1,
    });
    const optQ = new S.AdamW([{ name: "q", params: [q], lrMultiplier: 1, weightDecay: 0 }], {
      betas: [0.5, 0.5],
      eps: 1,
    });
    p.grad = S.tensor([3, 4]);
    const { norm, scale } = optP.clipGradNorm(1);
    expect(norm).toBe(5);
    expect(scale).toBeCloseTo(1 / (5 + 1e-6), 12);
    expect(Array.from(p.grad.dataSync())).toEqual([3, 4]); // the grads are left as they are
    optP.step(0.1);
    // With eps = 1 the update depends on the gradient's scale: the same step from the pre-scaled gradient.
    q.grad = S.tensor([3 * scale, 4 * scale]);
    optQ.step(0.1);
    const [gp, gq] = [p.dataSync(), q.dataSync()];
    for (let j = 0; j < 2; j++) expect(Math.abs(gp[j]! - gq[j]!)).toBeLessThanOrEqual(4 * U * 4);
    expect(Array.from(gp)).not.toEqual([3, 4]);
    // A norm below maxNorm does not scale; the pending factor was used up by the step above.
    expect(optP.clipGradNorm(100).scale).toBe(1);
    // gradScale (e.g. 1 / accumulation steps) composes with the clip factor.
    optP.clipGradNorm(1);
    optQ.zeroGrad();
    q.grad = S.tensor([3 * scale * 0.5, 4 * scale * 0.5]);
    optP.step(0.1, { gradScale: 0.5 });
    optQ.step(0.1);
    const [hp, hq] = [p.dataSync(), q.dataSync()];
    for (let j = 0; j < 2; j++) expect(Math.abs(hp[j]! - hq[j]!)).toBeLessThanOrEqual(4 * U * 4);
    optP.zeroGrad();
    expect(p.grad).toBeUndefined();
    expect(optP.clipGradNorm(1)).toEqual({ norm: 0, scale: 1 });
  });

  it("steps leak no tensors", () => {
    const { params, groups } = setup();
    const opt = new S.AdamW(groups);
    runStep(opt, params, 0);
    opt.zeroGrad();
    const before = S.memory();
    for (let i = 1; i < 4; i++) runStep(opt, params, i);
    opt.zeroGrad();
    setGrads(opt, params, 0);
    opt.zeroGrad();
    expect(S.memory()).toEqual(before);
  });

  it("moments created inside tidy() survive it", () => {
    const p = S.tensor([1, 2, 3], { requiresGrad: true });
    const opt = new S.AdamW([{ name: "g", params: [p], lrMultiplier: 1, weightDecay: 0 }]);
    S.tidy(() => {
      p.grad = S.tensor([1, 1, 1]);
      opt.step(0.01);
    });
    const sd = opt.stateDict();
    expect(Array.from(sd.tensors["g.0.exp_avg"]!.dataSync()).map((x) => Number(x.toFixed(6)))).toEqual([0.1, 0.1, 0.1]);
  });

  it("errors name AdamW and the argument", () => {
    const p = S.tensor([1, 2], { requiresGrad: true });
    const g = { name: "g", params: [p], lrMultiplier: 1, weightDecay: 0 };
    expectSlmkitError(() => new S.AdamW([]), ["AdamW", "groups"], S.ArgumentError);
    expectSlmkitError(
      () => new S.AdamW([g, { ...g, name: "h" }]),
      ["AdamW", "group 1", "h", "already in a group"],
      S.ArgumentError,
    );
    expectSlmkitError(() => new S.AdamW([{ ...g, weightDecay: -1 }]), ["AdamW", "weightDecay", "-1"], S.ArgumentError);
    expectSlmkitError(
      () => new S.AdamW([{ ...g, paramNames: ["a", "b"] }]),
      ["AdamW", "paramNames", "1"],
      S.ArgumentError,
    );
    expectSlmkitError(
      () => new S.AdamW([{ ...g, params: [S.tensor([1], { dtype: "i32" }) as never] }]),
      ["AdamW", "f32", "i32"],
      S.ArgumentError,
    );
    expectSlmkitError(() => new S.AdamW([g], { betas: [0.9, 1] }), ["AdamW", "betas", "[0.9,1]"], S.ArgumentError);
    expectSlmkitError(() => new S.AdamW([g], { eps: -1 }), ["AdamW", "eps", "-1"], S.ArgumentError);
    const opt = new S.AdamW([g]);
    expectSlmkitError(() => opt.step(Number.NaN), ["AdamW.step", "lr", "NaN"], S.ArgumentError);
    expectSlmkitError(() => opt.step(1, { gradScale: Infinity }), ["AdamW.step", "gradScale"], S.ArgumentError);
    expectSlmkitError(() => opt.clipGradNorm(0), ["AdamW.clipGradNorm", "maxNorm", "0"], S.ArgumentError);
  });

  it("loadStateDict rejects mismatched state and keeps its own on error", () => {
    const p = S.tensor([1, 2], { requiresGrad: true });
    const opt = new S.AdamW([{ name: "g", params: [p], lrMultiplier: 1, weightDecay: 0, paramNames: ["w"] }]);
    p.grad = S.tensor([1, 1]);
    opt.step(0.1);
    const sd = opt.stateDict();
    const other = (groups: S.ParameterGroup[], o?: S.AdamWOptions) => new S.AdamW(groups, o);
    const q = S.tensor([1, 2, 3], { requiresGrad: true });
    expectSlmkitError(
      () => other([{ name: "h", params: [p], lrMultiplier: 1, weightDecay: 0, paramNames: ["w"] }]).loadStateDict(sd),
      ["AdamW.loadStateDict", '"g"', '"h"'],
      S.ArgumentError,
    );
    expectSlmkitError(
      () => other([{ name: "g", params: [p], lrMultiplier: 1, weightDecay: 0, paramNames: ["v"] }]).loadStateDict(sd),
      ["AdamW.loadStateDict", "[w]", "[v]"],
      S.ArgumentError,
    );
    expectSlmkitError(
      () => other([{ name: "g", params: [q], lrMultiplier: 1, weightDecay: 0, paramNames: ["w"] }]).loadStateDict(sd),
      ["AdamW.loadStateDict", "w.exp_avg", "[2]", "[3]"],
      S.ShapeError,
    );
    expectSlmkitError(
      () =>
        other([{ name: "g", params: [p], lrMultiplier: 1, weightDecay: 0, paramNames: ["w"] }], {
          betas: [0.9, 0.999],
        }).loadStateDict(sd),
      ["AdamW.loadStateDict", "betas"],
      S.ArgumentError,
    );
    const missing = { meta: sd.meta, tensors: { "w.exp_avg": sd.tensors["w.exp_avg"]! } };
    const target = other([{ name: "g", params: [p], lrMultiplier: 1, weightDecay: 0, paramNames: ["w"] }]);
    expectSlmkitError(
      () => target.loadStateDict(missing),
      ["AdamW.loadStateDict", '"w.exp_avg_sq" is missing'],
      S.ArgumentError,
    );
    expect(target.stepCount).toBe(0);
    expect(Object.keys(target.stateDict().tensors)).toEqual([]);
  });
});

describe("defaultParameterGroups", () => {
  it("decays tensors with 2 or more dimensions only, keeping names and order", () => {
    const w = S.zeros([3, 4]);
    const b = S.zeros([4]);
    const e = S.zeros([5, 2]);
    const n = S.zeros([2]);
    const groups = S.defaultParameterGroups({ "fc.weight": w, "fc.bias": b, embed: e, norm: n }, { weightDecay: 0.1 });
    expect(groups.map((g) => [g.name, g.paramNames, g.weightDecay, g.lrMultiplier])).toEqual([
      ["decay", ["fc.weight", "embed"], 0.1, 1],
      ["no_decay", ["fc.bias", "norm"], 0, 1],
    ]);
    expect(groups[0]!.params[1]).toBe(e);
    const fromEntries = S.defaultParameterGroups(new Map([["norm", n]]), { weightDecay: 0.1 });
    expect(fromEntries.map((g) => g.name)).toEqual(["no_decay"]);
    expectSlmkitError(
      () => S.defaultParameterGroups({ w }, { weightDecay: -0.1 }),
      ["defaultParameterGroups", "weightDecay", "-0.1"],
      S.ArgumentError,
    );
    expectSlmkitError(
      () => S.defaultParameterGroups({ w: 3 as never }, { weightDecay: 0.1 }),
      ["defaultParameterGroups", '"w"'],
      S.ArgumentError,
    );
  });
  it("weight decay reaches the decay group only (one AdamW step with zero gradients)", () => {
    const w = S.tensor([[1, 2]], { requiresGrad: true });
    const b = S.tensor([1, 2], { requiresGrad: true });
    const opt = new S.AdamW(S.defaultParameterGroups({ w, b }, { weightDecay: 0.5 }));
    w.grad = S.zeros([1, 2]);
    b.grad = S.zeros([2]);
    opt.step(0.1);
    expect(Array.from(w.dataSync())).toEqual([0.95, 1.9].map(Math.fround));
    expect(Array.from(b.dataSync())).toEqual([1, 2]);
  });
});
