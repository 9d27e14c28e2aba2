// CUDA microbenchmarks: bf16 GEMM and causal attention throughput. Run on a GPU machine:
//   tsx bench/cuda_gemm.ts                              (cuBLASLt when found)
//   SLMKIT_DISABLE_CUBLASLT=1 tsx bench/cuda_gemm.ts    (the hand-written fallback GEMM)
// PyTorch counterpart for the same shapes: python3 bench/torch/cuda.py
import { attention, cuda, matmul, randn } from "../src/index.js";
import { attentionBackward } from "../src/ops/attention.js";
import { emptyTensor, runKernel } from "../src/ops/dispatch.js";
import type { Tensor } from "../src/index.js";

/** Seconds per call of `fn`, timed over `repeats` calls queued back to back after `warmup`. */
function time(fn: () => void, repeats: number, warmup = 2): number {
  for (let i = 0; i < warmup; i++) fn();
  cuda.synchronize();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < repeats; i++) fn();
  cuda.synchronize();
  return Number(process.hrtime.bigint() - t0) / 1e9 / repeats;
}

const use = (t: Tensor) => t.dispose();
const props = cuda.deviceProperties();
console.log(`${String(props.name)}: matmul through ${String(props.matmulBackend)}`);

{
  const n = 8192;
  const a = randn([n, n], { dtype: "bf16" }).to("cuda");
  const b = randn([n, n], { dtype: "bf16" }).to("cuda");
  const s = time(() => use(matmul(a, b)), 20);
  console.log(`matmul bf16 ${n}³ (${String(props.matmulBackend)}): ${((2 * n ** 3) / s / 1e12).toFixed(1)} TFLOP/s`);
  a.dispose();
  b.dispose();
}
if (props.matmulBackend === "cublasLt") {
  // Causal attention B4 H16 T2048 D128; the causal mask halves the work: fwd 2·2·B·H·T²·D/2 FLOPs, bwd 2.5x.
  const [B, H, T, D] = [4, 16, 2048, 128];
  const q = randn([B, H, T, D], { dtype: "bf16" }).to("cuda");
  const k = randn([B, H, T, D], { dtype: "bf16" }).to("cuda");
  const v = randn([B, H, T, D], { dtype: "bf16" }).to("cuda");
  const go = randn([B, H, T, D], { dtype: "bf16" }).to("cuda");
  const fwdFlops = (4 * B * H * T * T * D) / 2;
  const sf = time(() => use(attention(q, k, v, { causal: true })), 5, 1);
  const o = emptyTensor([B, H, T, D], "bf16", "cuda");
  const lse = emptyTensor([B, H, T], "f32", "cuda");
  const attrs = [1 / Math.sqrt(D), 1, 0];
  runKernel("attention", "attention_forward", [q, k, v], [o, lse], attrs);
  const sb = time(() => attentionBackward(q, k, v, o, lse, go, attrs).forEach(use), 3, 1);
  console.log(`attention fwd bf16 B${B} H${H} T${T} D${D} causal: ${(fwdFlops / sf / 1e12).toFixed(2)} TFLOP/s`);
  console.log(`attention bwd bf16 B${B} H${H} T${T} D${D} causal: ${((2.5 * fwdFlops) / sb / 1e12).toFixed(2)} TFLOP/s`);
}
