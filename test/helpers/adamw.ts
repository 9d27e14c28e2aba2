// One fused AdamW step (S.adamwStep) checked against the float64 torch.optim.AdamW reference, for the CPU
// tests (test/ops/adamw.test.ts) and the CUDA ones (test/cuda/adamw_cases.ts).
import * as S from "../../src/index.js";
import * as R from "../reference/index.js";
import { expectClose } from "./expect.js";
import { toRef } from "./tensors.js";

const U = R.unitRoundoff.f32;

/** A parameter, its gradient and its two moments. */
export interface AdamwGroup {
  p: S.Tensor<"f32">;
  g: S.Tensor<"f32" | "bf16">;
  m: S.Tensor<"f32">;
  v: S.Tensor<"f32">;
}

/**
 * One step from the library's current state (read back exactly), so each step's error is measured on
 * its own. The kernel computes in f32, so beyond a few ulps of each result it may round the
 * hyper-parameters: (1 - fl32(beta)) is off by up to u in absolute terms, i.e. u/(1 - beta) relative.
 * p: a few ulps of |p| plus the update (~lr) with that relative error; m, v: a few ulps plus
 * u * |g - m| (resp. u * g^2) from the rounded coefficient.
 */
export function checkAdamwStep(
  groups: AdamwGroup[],
  lrs: number[],
  wds: number[],
  o: { beta1: number; beta2: number; eps: number; step: number; gradScale?: number },
): void {
  const before = groups.map((g) => ({ p: toRef(g.p), g: toRef(g.g), m: toRef(g.m), v: toRef(g.v) }));
  S.adamwStep({
    params: groups.map((g) => g.p),
    grads: groups.map((g) => g.g),
    expAvg: groups.map((g) => g.m),
    expAvgSq: groups.map((g) => g.v),
    lr: lrs,
    weightDecay: wds,
    ...o,
  });
  // The kernel rounds 1 - beta (computed in double, as torch does) to f32 once: relative error U each.
  const coefRel = 2 * U;
  const gs = o.gradScale ?? 1;
  groups.forEach((g, i) => {
    const b = before[i]!;
    const want = R.adamwStep(b.p, b.g, b.m, b.v, {
      lr: lrs[i]!,
      weightDecay: wds[i]!,
      beta1: o.beta1,
      beta2: o.beta2,
      eps: o.eps,
      step: o.step,
      gradScale: o.gradScale,
    });
    const lr = lrs[i]!;
    expectClose(
      g.p,
      want.p,
      R.ref(want.p.shape, (j) => 4 * U * Math.abs(want.p.data[j]!) + lr * (32 * U + 4 * coefRel)),
      `p ${i} step ${o.step}`,
    );
    expectClose(
      g.m,
      want.m,
      R.ref(
        want.m.shape,
        (j) => 4 * U * Math.abs(want.m.data[j]!) + 2 * U * Math.abs(gs * b.g.data[j]! - b.m.data[j]!) + 1e-12,
      ),
      `m ${i} step ${o.step}`,
    );
    expectClose(
      g.v,
      want.v,
      R.ref(want.v.shape, (j) => 4 * U * Math.abs(want.v.data[j]!) + 2 * U * (gs * b.g.data[j]!) ** 2 + 1e-15),
      `v ${i} step ${o.step}`,
    );
  });
}
