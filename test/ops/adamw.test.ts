// adamwStep (one fused multi-tensor AdamW step, as torch.optim.AdamW) and globalNorm against the
// float64 reference.
import { describe, expect, it } from "vitest";
import * as S from "../../src/index.js";
import { expectClose, expectSlmkitError } from "../helpers/expect.js";
import { type AdamwGroup, checkAdamwStep } from "../helpers/adamw.js";
import { fromRef, toRef } from "../helpers/tensors.js";
import * as R from "../reference/index.js";

const rng = new R.Rng(4096);
const U = R.unitRoundoff.f32;

function makeGroup(shape: number[], gradDtype: "f32" | "bf16"): AdamwGroup {
  return {
    p: fromRef(R.roundRef(rng.ref(shape), "f32"), "f32"),
    g: fromRef(R.roundRef(rng.ref(shape, -0.5, 0.5), gradDtype), gradDtype),
    m: S.zeros(shape),
    v: S.zeros(shape),
  };
}

describe("adamwStep", () => {
  for (const gradDtype of ["f32", "bf16"] as const) {
    it(`${gradDtype} grads: five steps over several tensors with per-tensor lr and weight decay`, () => {
      const groups = [
        makeGroup([7], gradDtype),
        makeGroup([3, 5], gradDtype),
        makeGroup([1], gradDtype),
        makeGroup([1031, 517], gradDtype),
      ];
      for (let step = 1; step <= 5; step++) {
        // new gradients each step
        groups.forEach((g) => {
          g.g.dispose();
          g.g = fromRef(R.roundRef(rng.ref([...g.p.shape], -0.5, 0.5), gradDtype), gradDtype);
        });
        checkAdamwStep(groups, [1e-3, 3e-2, 0.5, 1e-4], [0.1, 0, 0.01, 0.1], {
          beta1: 0.9,
          beta2: 0.95,
          eps: 1e-8,
          step,
        });
      }
    });
  }
  it("one lr and weight decay for all tensors; gradScale folds clipping in", () => {
    const groups = [makeGroup([4, 4], "f32"), makeGroup([9], "f32")];
    checkAdamwStep(groups, [2e-3, 2e-3], [0.05, 0.05], {
      beta1: 0.8,
      beta2: 0.99,
      eps: 1e-6,
      step: 1,
      gradScale: 0.25,
    });
    const before = toRef(groups[0]!.p);
    S.adamwStep({
      params: [groups[0]!.p],
      grads: [groups[0]!.g],
      expAvg: [groups[0]!.m],
      expAvgSq: [groups[0]!.v],
      lr: 1e-3,
      weightDecay: 0,
      beta1: 0.9,
      beta2: 0.999,
      eps: 1e-8,
      step: 2,
    });
    expect(Array.from(toRef(groups[0]!.p).data)).not.toEqual(Array.from(before.data));
  });
  it("a late step number (bias corrections near 1) and a zero gradient", () => {
    const g = makeGroup([6], "f32");
    g.g.dispose();
    g.g = S.zeros([6]);
    checkAdamwStep([g], [1e-2], [0.1], { beta1: 0.9, beta2: 0.999, eps: 1e-8, step: 10_000 });
  });
  it("grads may be strided views; params are updated in place (same tensor objects)", () => {
    const p = fromRef(R.roundRef(rng.ref([3, 4]), "f32"), "f32");
    const gBase = fromRef(R.roundRef(rng.ref([4, 3]), "f32"), "f32");
    const m = S.zeros([3, 4]);
    const v = S.zeros([3, 4]);
    const want = R.adamwStep(toRef(p), R.views.transpose(toRef(gBase), 0, 1), R.ref([3, 4]), R.ref([3, 4]), {
      lr: 0.01,
      weightDecay: 0,
      step: 1,
    });
    S.adamwStep({
      params: [p],
      grads: [S.transpose(gBase, 0, 1)],
      expAvg: [m],
      expAvgSq: [v],
      lr: 0.01,
      weightDecay: 0,
      beta1: 0.9,
      beta2: 0.999,
      eps: 1e-8,
      step: 1,
    });
    expectClose(p, want.p, 1e-6);
  });
  it("no tensors is a no-op", () => {
    expect(() =>
      S.adamwStep({
        params: [],
        grads: [],
        expAvg: [],
        expAvgSq: [],
        lr: 1,
        weightDecay: 0,
        beta1: 0.9,
        beta2: 0.9,
        eps: 1e-8,
        step: 1,
      }),
    ).not.toThrow();
  });
  it("errors name adamwStep and the bad argument", () => {
    const g = makeGroup([3], "f32");
    const base = {
      params: [g.p],
      grads: [g.g],
      expAvg: [g.m],
      expAvgSq: [g.v],
      lr: 1e-3,
      weightDecay: 0,
      beta1: 0.9,
      beta2: 0.999,
      eps: 1e-8,
      step: 1,
    };
    expectSlmkitError(() => S.adamwStep({ ...base, grads: [] }), ["adamwStep"], S.ArgumentError);
    expectSlmkitError(() => S.adamwStep({ ...base, step: 0 }), ["adamwStep", "step"], S.ArgumentError);
    expectSlmkitError(() => S.adamwStep({ ...base, beta1: 1 }), ["adamwStep", "betas"], S.ArgumentError);
    expectSlmkitError(() => S.adamwStep({ ...base, lr: [1, 2] }), ["adamwStep", "lr"], S.ArgumentError);
    expectSlmkitError(() => S.adamwStep({ ...base, eps: NaN }), ["adamwStep", "eps"], S.ArgumentError);
    expectSlmkitError(() => S.adamwStep({ ...base, grads: [S.zeros([4])] }), ["adamwStep", "[4]", "[3]"], S.ShapeError);
    expectSlmkitError(
      () => S.adamwStep({ ...base, params: [S.zeros([3], { dtype: "bf16" }) as never] }),
      ["adamwStep", "bf16"],
      S.DTypeError,
    );
    expectSlmkitError(
      () => S.adamwStep({ ...base, expAvg: [S.slice(S.zeros([6]), 0, 0, undefined, 2)] }),
      ["adamwStep", "contiguous"],
      S.ArgumentError,
    );
  });
});

describe("globalNorm", () => {
  for (const dtype of ["f32", "bf16"] as const) {
    it(`${dtype}: sqrt of the sum of squares over every tensor`, () => {
      const refs = [rng.ref([7]), rng.ref([3, 5]), rng.ref([1031, 517]), rng.ref([1])].map((r) => R.roundRef(r, dtype));
      const y = S.globalNorm(refs.map((r) => fromRef(r, dtype)));
      expect(y.dtype).toBe("f32");
      expect(y.shape).toEqual([]);
      const total = Math.sqrt(refs.reduce((a, r) => a + R.sum(R.mul(r, r)).data[0]!, 0));
      const n = refs.reduce((a, r) => a + r.data.length, 0);
      expectClose(y, R.scalar(total), 8 * U * Math.sqrt(n) * total);
    });
  }
  it("errors: empty list, non-tensors, integer tensors", () => {
    expectSlmkitError(() => S.globalNorm([]), ["globalNorm"], S.ArgumentError);
    expectSlmkitError(() => S.globalNorm([1 as never]), ["globalNorm", "0"], S.ArgumentError);
    expectSlmkitError(
      () => S.globalNorm([S.zeros([2], { dtype: "i32" }) as never]),
      ["globalNorm", "i32"],
      S.DTypeError,
    );
  });
});
