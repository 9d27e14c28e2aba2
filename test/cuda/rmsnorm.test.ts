// rmsnorm_forward / rmsnorm_backward on CUDA: the forward against the float64 reference, the backward
// (gx, gw from a float64 rstd) against the CPU backend, which test/ops/rmsnorm.test.ts checks against
// finite differences.
import { describe, expect, it } from "vitest";
import * as S from "../../src/index.js";
import { rmsNormBackward } from "../../src/ops/rmsnorm.js";
import { expectClose } from "../helpers/expect.js";
import { FLOAT_DTYPES, floatInput, fromRef, toRef } from "../helpers/tensors.js";
import { elementwiseTol, gradTol } from "../helpers/tolerance.js";
import * as R from "../reference/index.js";
import { gpuStatus, onGpu } from "./gpu.js";

const rng = new R.Rng(9151);

/** The row's mean square sums C terms (sqrt(C) roundings), then rsqrt and two products. */
function forwardTol(dtype: "f32" | "bf16", want: R.Ref, C: number): R.Ref {
  const base = elementwiseTol(dtype, want, 3);
  const acc = 8 * R.unitRoundoff.f32 * Math.sqrt(C);
  return R.ref(want.shape, (i) => base.data[i]! + acc * Math.abs(want.data[i]!));
}

/** 1/sqrt(mean(x^2) + eps) per row of x [N, C], in float64. */
function rstdOf(x: R.Ref, eps: number): R.Ref {
  const [N, C] = x.shape as [number, number];
  return R.ref([N], (r) => {
    let s = 0;
    for (let c = 0; c < C; c++) s += x.data[r * C + c]! ** 2;
    return 1 / Math.sqrt(s / C + eps);
  });
}

/**
 * gx = rstd * (w*gy - x*k) with k = rstd^2 * mean(w*gy*x) cancels when the two terms are close (C = 1),
 * so on top of gradTol each element may carry f32 roundings of the terms themselves.
 */
function gxTol(dtype: "f32" | "bf16", want: R.Ref, x: R.Ref, w: R.Ref, gy: R.Ref, rstd: R.Ref): R.Ref {
  const [N, C] = x.shape as [number, number];
  const base = gradTol(dtype, want, 8);
  const k = R.ref([N], (r) => {
    let s = 0;
    for (let c = 0; c < C; c++) s += w.data[c]! * gy.data[r * C + c]! * x.data[r * C + c]!;
    return (rstd.data[r]! ** 2 * Math.abs(s)) / C;
  });
  return R.ref(want.shape, (i) => {
    const r = Math.floor(i / C),
      c = i % C;
    const terms = Math.abs(w.data[c]! * gy.data[i]!) + Math.abs(x.data[i]!) * k.data[r]!;
    return base.data[i]! + 16 * R.unitRoundoff.f32 * Math.sqrt(C) * rstd.data[r]! * terms;
  });
}

// C = 2304 (MiniCPM width; 16-byte packs, 9 per lane of the one-warp forward), odd and prime C (one
// element per access, the loop kernels), N beyond the backward's resident blocks (a few thousand rows
// on an H200, so several rows per block) and not a multiple of the forward's 8 rows per block.
// Kernel choice by width (bf16 / f32 packs of 8 / 4): forward 1-4 warps per row (the fewest that hold it
// at <= 4 packs per lane) up to 512 packs, one block up to 4096, then the loop kernel; backward one warp
// per row (the cp.async ring) up to 512 packs, one block per run of rows up to 1024, then the loop kernel;
// widths not a multiple of the pack take the loop kernels (one warp per row up to C = 1024 in the forward).
// bf16 forward: C = 8, 96 one warp at 1 pack per lane, 800 at 4; 1536 / 2048 two warps at 3 / 4; 2304 /
// 2560 three warps at 3 / 4; 4096 four warps; 6144, 8200 one block; 40000 the loop. [9, 4096] bf16 fills
// the ring's 16 packs per lane with fewer warps per block (shared memory); [4, 6144] bf16 and C = 2304
// f32 take the backward's row runs.
const SHAPES: [number, number][] = [
  [1, 1],
  [7, 7],
  [5, 2304],
  [3, 4097],
  [3, 4099],
  [2, 2303],
  [1031, 67],
  [2500, 96],
  [3001, 2304],
  [70001, 8],
  [7, 800],
  [6, 1536],
  [3, 2048],
  [4, 2560],
  [9, 4096],
  [4, 6144],
  [4, 8200],
  [2, 40000],
  [3, 9000],
];

describe.skipIf(!gpuStatus.available)("CUDA rmsnorm_forward", () => {
  for (const dtype of FLOAT_DTYPES) {
    it(`${dtype}: awkward shapes against the float64 reference`, () => {
      for (const [N, C] of SHAPES) {
        for (const eps of [1e-5, 0.5]) {
          S.tidy(() => {
            const x = floatInput(rng.ref([N, C], -3, 3), dtype);
            const w = floatInput(rng.ref([C], 0.5, 1.5), dtype);
            const y = S.rmsNorm(onGpu(x.t), onGpu(w.t), eps);
            expect(y.device).toBe("cuda");
            const want = R.rmsNorm(x.r, w.r, eps);
            expectClose(y, want, forwardTol(dtype, want, C), `rmsNorm ${dtype} [${N}, ${C}] eps ${eps}`);
          });
        }
      }
    });
  }
  it("a strided x (transposed) and [B, T, C] inputs; a zero row stays zero", () => {
    S.tidy(() => {
      const x = floatInput(rng.ref([6, 9]), "f32");
      const w = floatInput(rng.ref([6]), "f32");
      const want = R.rmsNorm(R.views.transpose(x.r, 0, 1), w.r);
      expectClose(S.rmsNorm(S.transpose(onGpu(x.t), 0, 1), onGpu(w.t)), want, forwardTol("f32", want, 6));
      const x3 = floatInput(rng.ref([2, 3, 2304]), "bf16");
      const w3 = floatInput(rng.ref([2304]), "bf16");
      const want3 = R.rmsNorm(x3.r, w3.r);
      expectClose(S.rmsNorm(onGpu(x3.t), onGpu(w3.t)), want3, forwardTol("bf16", want3, 2304));
      const zeros = S.rmsNorm(S.zeros([2, 8], { device: "cuda" }), S.ones([8], { device: "cuda" }));
      expect(Array.from(zeros.dataSync()).every((v) => v === 0)).toBe(true);
    });
  });
});

describe.skipIf(!gpuStatus.available)("CUDA rmsnorm_backward", () => {
  for (const dtype of FLOAT_DTYPES) {
    it(`${dtype}: gx and gw match the CPU backend`, () => {
      for (const [N, C] of SHAPES) {
        S.tidy(() => {
          const x = floatInput(rng.ref([N, C], -2, 2), dtype);
          const w = floatInput(rng.ref([C], 0.5, 1.5), dtype);
          const gy = floatInput(rng.ref([N, C], -1, 1), dtype);
          const rstdRef = R.roundRef(rstdOf(x.r, 1e-5), "f32");
          const rstd = fromRef(rstdRef, "f32");
          const [gxCpu, gwCpu] = rmsNormBackward(x.t, w.t, rstd, gy.t);
          const [gx, gw] = rmsNormBackward(onGpu(x.t), onGpu(w.t), onGpu(rstd), onGpu(gy.t));
          expect(gx.device).toBe("cuda");
          const wantGx = toRef(gxCpu),
            wantGw = toRef(gwCpu);
          expectClose(gx, wantGx, gxTol(dtype, wantGx, x.r, w.r, gy.r, rstdRef), `gx ${dtype} [${N}, ${C}]`);
          // gw sums N products: both sides accumulate in f32/f64 in different orders.
          expectClose(gw, wantGw, gradTol(dtype, wantGw, 8 + Math.sqrt(N)), `gw ${dtype} [${N}, ${C}]`);
        });
      }
    });
  }
  // On sm_90+ these kernels are launched overlapped (kernels/cuda/overlap.cuh): each may start while the one
  // before it finishes and must wait before touching memory. Chained without a pause, each step reading
  // the last one's output, the bits must equal the same chain with every step finished before the next.
  it("back-to-back launches see each other's writes: chained forward and backward equal the synchronised chain", () => {
    S.tidy(() => {
      const x = onGpu(floatInput(rng.ref([4096, 2304], -2, 2), "bf16").t);
      const w = onGpu(floatInput(rng.ref([2304], 0.5, 1.5), "bf16").t);
      const rstd = onGpu(fromRef(R.roundRef(rstdOf(toRef(x), 1e-5), "f32"), "f32"));
      const chain = (synchronise: boolean) => {
        let y = x,
          g = x,
          gwSum = S.zeros([2304], { device: "cuda" });
        for (let i = 0; i < 12; i++) {
          y = S.rmsNorm(y, w);
          const [gx, gw] = rmsNormBackward(x, w, rstd, g);
          g = gx;
          gwSum = S.add(gwSum, gw);
          if (synchronise) [y, g, gwSum].forEach((t) => t.dataSync());
        }
        return [y, g, gwSum].map((t) => Array.from(t.dataSync()));
      };
      expect(chain(false)).toEqual(chain(true));
    });
  });
  it("gw is deterministic: two runs give the same bits", () => {
    S.tidy(() => {
      const x = onGpu(floatInput(rng.ref([3000, 2304]), "bf16").t);
      const w = onGpu(floatInput(rng.ref([2304]), "bf16").t);
      const gy = onGpu(floatInput(rng.ref([3000, 2304]), "bf16").t);
      const rstd = onGpu(fromRef(R.roundRef(rstdOf(toRef(x), 1e-5), "f32"), "f32"));
      const a = rmsNormBackward(x, w, rstd, gy)[1].dataSync();
      const b = rmsNormBackward(x, w, rstd, gy)[1].dataSync();
      expect(Array.from(a)).toEqual(Array.from(b));
    });
  });
});
