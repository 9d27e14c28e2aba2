// The CUDA matmul checks, run once per GEMM path: matmul.test.ts (cuBLASLt when present) and
// matmul_fallback.test.ts (the hand-written kernels, forced by SLMKIT_DISABLE_CUBLASLT=1 in that process).
import { describe, expect, it } from "vitest";
import * as S from "../../src/index.js";
import { expectClose } from "../helpers/expect.js";
import { matmulTol } from "../helpers/tolerance.js";
import { FLOAT_DTYPES, floatInput, toRef } from "../helpers/tensors.js";
import * as R from "../reference/index.js";

const SHAPES: [number[], number[]][] = [
  [
    [1, 1],
    [1, 1],
  ],
  [
    [7, 13],
    [13, 9],
  ],
  [
    [1, 1000],
    [1000, 129],
  ],
  [
    [129, 7],
    [7, 1000],
  ],
  [
    [1000, 129],
    [129, 1],
  ],
  [
    [256, 512],
    [512, 128],
  ], // whole tiles, 16-byte aligned rows: the cp.async path of the fallback
  [
    [130, 264],
    [264, 136],
  ], // aligned rows, partial tiles
  [
    [33, 4099],
    [4099, 17],
  ], // long K: many k tiles, tolerance grows with sqrt(K)
  [
    [70001, 8],
    [8, 3],
  ], // more than 2^16 rows
  [
    [4, 6, 8],
    [4, 8, 2],
  ],
  [
    [2, 3, 65, 31],
    [31, 7],
  ], // b broadcast over the batch (stride 0)
  [
    [2, 1, 5, 7],
    [3, 7, 4],
  ], // both broadcast
  [[5], [5, 3]],
  [[4, 5], [5]],
  [
    [0, 4],
    [4, 3],
  ],
  [
    [3, 0],
    [0, 2],
  ], // K = 0: zeros
];

const onGpu = <T extends S.Tensor>(t: T): T => t.to("cuda") as T;

export function matmulSuite(path: "cublasLt" | "fallback"): void {
  describe(`CUDA matmul (${path})`, () => {
    it("uses the expected GEMM", () => {
      const props = S.cuda.deviceProperties();
      if (path === "fallback") expect(props.matmulBackend).toBe("fallback");
      else if (props.matmulBackend !== "cublasLt")
        console.warn(`[test/cuda] cuBLASLt not loaded: ${String(props.matmulFallbackReason)}`);
    });

    for (const dtype of FLOAT_DTYPES) {
      it(`${dtype} on ${SHAPES.length} shape pairs against float64`, () => {
        const rng = new R.Rng(4242);
        for (const [sa, sb] of SHAPES) {
          S.tidy(() => {
            const a = floatInput(rng.ref(sa), dtype);
            const b = floatInput(rng.ref(sb), dtype);
            const y = S.matmul(onGpu(a.t), onGpu(b.t));
            expect(y.device).toBe("cuda");
            expect(y.dtype).toBe(dtype);
            const want = R.matmul(a.r, b.r);
            expectClose(y.to("cpu"), want, matmulTol(dtype, a.r, b.r, want), `${path} ${dtype} [${sa}] @ [${sb}]`);
          });
        }
      });

      it(`${dtype}: transposed, sliced and misaligned operands`, () => {
        const rng = new R.Rng(77);
        S.tidy(() => {
          // aT [K, M] and bT [N, K] stored transposed: the kernel sees a m-contiguous a and a k-contiguous b.
          const aT = floatInput(rng.ref([37, 129]), dtype);
          const bT = floatInput(rng.ref([70, 37]), dtype);
          const a = S.transpose(onGpu(aT.t), 0, 1);
          const b = S.transpose(onGpu(bT.t), 0, 1);
          const ar = R.views.transpose(aT.r, 0, 1);
          const br = R.views.transpose(bT.r, 0, 1);
          const want = R.matmul(ar, br);
          expectClose(S.matmul(a, b).to("cpu"), want, matmulTol(dtype, ar, br, want), `${path} transposed`);
          // A slice starting one element in: the data pointer is only 2- or 4-byte aligned.
          const big = floatInput(rng.ref([65, 131]), dtype);
          const w = floatInput(rng.ref([130, 24]), dtype);
          const sliced = S.slice(onGpu(big.t), 1, 1);
          const sr = R.views.slice(big.r, 1, 1);
          const want2 = R.matmul(sr, w.r);
          expectClose(
            S.matmul(sliced, onGpu(w.t)).to("cpu"),
            want2,
            matmulTol(dtype, sr, w.r, want2),
            `${path} sliced`,
          );
          // Batched with both operands transposed in their last two dims.
          const xa = floatInput(rng.ref([3, 40, 17]), dtype);
          const xb = floatInput(rng.ref([3, 23, 40]), dtype);
          const got = S.matmul(S.transpose(onGpu(xa.t), 1, 2), S.transpose(onGpu(xb.t), 1, 2));
          const ra = R.views.transpose(xa.r, 1, 2);
          const rb = R.views.transpose(xb.r, 1, 2);
          const want3 = R.matmul(ra, rb);
          expectClose(got.to("cpu"), want3, matmulTol(dtype, ra, rb, want3), `${path} batched transposed`);
        });
      });

      it(`${dtype}: gradients through autograd on CUDA equal the CPU backend's`, () => {
        const rng = new R.Rng(9);
        S.tidy(() => {
          const ar = R.roundRef(rng.ref([2, 45, 70]), dtype);
          const br = R.roundRef(rng.ref([2, 70, 33]), dtype);
          const gr = R.roundRef(rng.ref([2, 45, 33]), dtype);
          const grads = (device: "cpu" | "cuda") => {
            const a = S.tensor(Float32Array.from(ar.data), { shape: ar.shape, dtype, device, requiresGrad: true });
            const b = S.tensor(Float32Array.from(br.data), { shape: br.shape, dtype, device, requiresGrad: true });
            const g = S.tensor(Float32Array.from(gr.data), { shape: gr.shape, dtype, device });
            S.matmul(a, b).backward(g);
            return [toRef(a.grad!.to("cpu")), toRef(b.grad!.to("cpu"))];
          };
          const [gaCpu, gbCpu] = grads("cpu");
          const [gaGpu, gbGpu] = grads("cuda");
          // Both are K-term sums (K = 33 for ga, 45 for gb) from the same rounded inputs.
          const want = R.matmul(gr, R.views.transpose(br, 1, 2));
          expectClose(gaGpu!, want, matmulTol(dtype, gr, R.views.transpose(br, 1, 2), want), `${path} grad a`);
          expectClose(
            gaGpu!,
            gaCpu!,
            matmulTol(dtype, gr, R.views.transpose(br, 1, 2), gaCpu!),
            `${path} grad a vs cpu`,
          );
          const wantB = R.matmul(R.views.transpose(ar, 1, 2), gr);
          expectClose(gbGpu!, wantB, matmulTol(dtype, R.views.transpose(ar, 1, 2), gr, wantB), `${path} grad b`);
          expectClose(
            gbGpu!,
            gbCpu!,
            matmulTol(dtype, R.views.transpose(ar, 1, 2), gr, gbCpu!),
            `${path} grad b vs cpu`,
          );
        });
      });
    }

    it("frees what it allocates (workspace and plans live outside tensors)", () => {
      const rng = new R.Rng(3);
      const a = onGpu(floatInput(rng.ref([64, 96]), "bf16").t);
      const b = onGpu(floatInput(rng.ref([96, 80]), "bf16").t);
      const before = S.memory().devices.cuda;
      for (let i = 0; i < 3; i++) S.matmul(a, b).dispose();
      expect(S.memory().devices.cuda).toEqual(before);
      a.dispose();
      b.dispose();
    });
  });
}
