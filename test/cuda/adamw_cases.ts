// The CUDA adamw_step and global_norm checks, shared by adamw.test.ts (the kernels this GPU runs: the
// bulk-copy AdamW on Hopper) and adamw_pre_hopper.test.ts (the register AdamW of the GPUs before Hopper,
// forced by SLMKIT_CUDA_PRE_HOPPER=1 in that file's process). adamw_step: many tensors of odd sizes (empty,
// 1, prime, more than one 2^16 chunk) with mixed f32/bf16 gradients, per-tensor lr and weight decay and a
// grad scale, each step against the float64 torch.optim.AdamW reference; the bf16 copy outputs
// (test/optim/adamw_copy_cases.ts). global_norm: against a float64 sum and for determinism.
import { describe, expect, it } from "vitest";
import * as S from "../../src/index.js";
import { type AdamwGroup, checkAdamwStep } from "../helpers/adamw.js";
import { adamwCopyCases } from "../optim/adamw_copy_cases.js";
import { fromRef, toRef } from "../helpers/tensors.js";
import * as R from "../reference/index.js";
import { onGpu } from "./gpu.js";

const rng = new R.Rng(8128);
const U = R.unitRoundoff.f32;
const SIZES = [[0], [1], [7], [3, 5], [4099], [65537], [2, 100003], [1031, 517]];

function grad(shape: number[], dtype: "f32" | "bf16"): S.Tensor<"f32" | "bf16"> {
  return onGpu(fromRef(R.roundRef(rng.ref(shape, -0.5, 0.5), dtype), dtype));
}

function disposeGroups(groups: AdamwGroup[]): void {
  for (const g of groups) for (const t of [g.p, g.g, g.m, g.v]) t.dispose();
}

/** The adamw_step cases, run against whichever AdamW kernel this process picks. */
export function adamwStepSuite(): void {
  it("three steps over many odd-sized tensors, mixed grad dtypes, per-tensor lr/wd, grad scale", () => {
    const groups: AdamwGroup[] = SIZES.map((shape, i) => ({
      p: onGpu(fromRef(R.roundRef(rng.ref(shape), "f32"), "f32")),
      g: grad(shape, i % 2 ? "bf16" : "f32"),
      m: S.zeros(shape, { device: "cuda" }),
      v: S.zeros(shape, { device: "cuda" }),
    }));
    const lrs = SIZES.map((_, i) => 1e-3 * (i + 1));
    const wds = SIZES.map((_, i) => (i % 3) * 0.05);
    const o = { beta1: 0.9, beta2: 0.95, eps: 1e-8, gradScale: 0.7 };
    for (let step = 1; step <= 3; step++) {
      groups.forEach((g, i) => {
        g.g.dispose();
        g.g = grad([...g.p.shape], i % 2 ? "bf16" : "f32");
      });
      checkAdamwStep(groups, lrs, wds, { ...o, step });
    }
    disposeGroups(groups);
  });

  // A launch's table holds 384 tensors (kernels/cuda/adamw.cu), so 900 take three launches. Every 7th
  // gradient is a view one element into a larger tensor: not 16-byte aligned, so updated element by element.
  it("more tensors than one launch holds, some gradients off a 16-byte boundary", () => {
    const sizes = Array.from({ length: 900 }, (_, i) => [1, 5, 33, 1030, 2049][i % 5]!);
    const groups: AdamwGroup[] = sizes.map((n, i) => {
      const dtype = i % 2 ? "bf16" : "f32";
      const g = i % 7 === 0 ? S.tidy(() => S.narrow(grad([n + 1], dtype), 0, 1, n)) : grad([n], dtype);
      return {
        p: onGpu(fromRef(R.roundRef(rng.ref([n]), "f32"), "f32")),
        g,
        m: S.zeros([n], { device: "cuda" }),
        v: S.zeros([n], { device: "cuda" }),
      };
    });
    const lrs = sizes.map((_, i) => 1e-3 * (1 + (i % 4)));
    const wds = sizes.map((_, i) => (i % 3) * 0.05);
    checkAdamwStep(groups, lrs, wds, { beta1: 0.9, beta2: 0.95, eps: 1e-8, step: 1, gradScale: 1 });
    disposeGroups(groups);
  });
  describe("bf16 copies", () => adamwCopyCases("cuda"));
}

/** The global_norm cases (one kernel on every GPU). */
export function globalNormSuite(): void {
  it("many tensors of mixed dtypes: the float64 norm, and the same bits on every call", () => {
    S.tidy(() => {
      const tensors = SIZES.map((shape, i) => grad(shape, i % 2 ? "bf16" : "f32"));
      let sq = 0;
      for (const t of tensors) for (const v of toRef(t).data) sq += v * v;
      const want = Math.sqrt(sq);
      const got = S.globalNorm(tensors);
      expect(got.device).toBe("cuda");
      // f32 partial sums of 2^16-element chunks (sqrt(n) roundings), f64 beyond, one f32 rounding.
      expect(Math.abs(got.item() - want)).toBeLessThanOrEqual(want * (2 * U + 8 * U * Math.sqrt(65536)));
      expect(S.globalNorm(tensors).item()).toBe(got.item());
      expect(S.globalNorm([S.zeros([0], { device: "cuda" })]).item()).toBe(0);
    });
  });

  it("2,500 tensors of mixed dtypes, some off a 16-byte boundary", () => {
    S.tidy(() => {
      const tensors = Array.from({ length: 2500 }, (_, i) => {
        const n = [1, 6, 33, 5000][i % 4]!,
          dtype = i % 3 ? "bf16" : "f32";
        return i % 5 === 0 ? S.narrow(grad([n + 1], dtype), 0, 1, n) : grad([n], dtype);
      });
      let sq = 0;
      for (const t of tensors) for (const v of toRef(t).data) sq += v * v;
      const want = Math.sqrt(sq);
      const got = S.globalNorm(tensors).item();
      expect(Math.abs(got - want)).toBeLessThanOrEqual(want * (2 * U + 8 * U * Math.sqrt(65536)));
      expect(S.globalNorm(tensors).item()).toBe(got);
    });
  });
}
