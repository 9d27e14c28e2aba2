// CUDA benchmark of the fused kernels (and the GEMM row when a CUDA matmul is registered), printed as one
// table beside the PyTorch numbers that bench/torch/cuda_ops.py wrote (path given as the first argument).
// Run on a GPU machine: npm run bench:cuda   (bench/cuda.sh runs both sides)
//
// Timing: a batch of back-to-back calls between two device synchronisations, divided by the batch size
// (the same method as the PyTorch side's CUDA events around a batch), median over >= 20 batches after a
// warm-up. Kernel outputs are preallocated where the op's public function would hide what it saves
// (rstd, lse), so both sides time the kernels plus their per-call host overhead.
import { readFileSync } from "node:fs";
import * as S from "../src/index.js";
import { cudaKernelNames } from "../src/backend/cuda.js";
import { rmsNormBackward } from "../src/ops/rmsnorm.js";
import { crossEntropyBackward } from "../src/ops/cross_entropy.js";
import { contiguousAs, emptyTensor, runKernel } from "../src/ops/dispatch.js";

type Row = { op: string; unit: string; ours: number | null; torch: number | null; higherIsBetter: boolean };

function median(v: number[]): number {
  const s = v.slice().sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Median seconds per call of fn over `samples` batches of `batch` calls, after `warmup` calls. */
function time(fn: () => void, batch: number, samples = 20, warmup = 3): number {
  for (let i = 0; i < warmup; i++) fn();
  S.cuda.synchronize();
  const runs: number[] = [];
  for (let s = 0; s < samples; s++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < batch; i++) fn();
    S.cuda.synchronize();
    runs.push(Number(process.hrtime.bigint() - t0) / 1e9 / batch);
  }
  return median(runs);
}

/** A [rows, cols] GPU tensor of normal values: a random block made on the CPU, tiled on the GPU. */
function gpuRandn<D extends "f32" | "bf16">(rows: number, cols: number, dtype: D, blockRows = 64): S.Tensor<D> {
  return S.tidy(() => {
    const block = S.randn([blockRows, cols], { dtype }).to("cuda");
    const tiled = S.contiguous(S.expand(S.reshape(block, [1, blockRows, cols]), [rows / blockRows, blockRows, cols]));
    return S.reshape(tiled, [rows, cols]).contiguous() as S.Tensor<D>;
  });
}

const dispose = (...ts: S.Tensor[]) => ts.forEach((t) => t.dispose());
const rows: Row[] = [];

{
  // RMSNorm bf16 16384 x 2304: forward bandwidth (x read + y written), then forward + backward.
  const [N, C] = [16384, 2304];
  const x = gpuRandn(N, C, "bf16"), gy = gpuRandn(N, C, "bf16");
  const w = S.full([C], 1.1, { dtype: "bf16", device: "cuda" });
  const y = emptyTensor([N, C], "bf16", "cuda"), rstd = emptyTensor([N], "f32", "cuda");
  const fwd = () => runKernel("rmsNorm", "rmsnorm_forward", [x, w], [y, rstd], [1e-5]);
  const s = time(fwd, 50);
  rows.push({ op: "RMSNorm fwd bf16 16384×2304", unit: "GB/s", ours: (2 * N * C * 2) / s / 1e9, torch: null, higherIsBetter: true });
  const sb = time(() => {
    fwd();
    dispose(...rmsNormBackward(x, w, rstd, gy));
  }, 20);
  rows.push({ op: "RMSNorm fwd+bwd bf16 16384×2304", unit: "ms", ours: sb * 1e3, torch: null, higherIsBetter: false });
  dispose(x, gy, w, y, rstd);
}

{
  // Cross-entropy fwd + bwd, bf16 logits 8192 x 122753, mean over rows (gloss = 1/N), no ignored rows.
  const [N, V] = [8192, 122753];
  const logits = gpuRandn(N, V, "bf16", 32);
  const targets = S.tensor(Int32Array.from({ length: N }, (_, i) => (i * 7919) % V)).to("cuda");
  const gloss = S.full([N], 1 / N, { device: "cuda" });
  const loss = emptyTensor([N], "f32", "cuda"), lse = emptyTensor([N], "f32", "cuda");
  const s = time(() => {
    runKernel("crossEntropy", "cross_entropy_forward", [logits, targets], [loss, lse], [-100]);
    crossEntropyBackward(logits, targets, lse, gloss, undefined, -100, "none").dispose();
  }, 5);
  rows.push({ op: "cross-entropy fwd+bwd bf16 8192×122753", unit: "ms", ours: s * 1e3, torch: null, higherIsBetter: false });
  dispose(logits, targets, gloss, loss, lse);
}

{
  // AdamW over 500M f32 parameters in 200 tensors of 2.5M.
  const n = 200, size = 2_500_000;
  const make = (v: number) => Array.from({ length: n }, () => S.full([size], v, { device: "cuda" }));
  const [params, grads, expAvg, expAvgSq] = [make(0.5), make(0.01), make(0), make(0)];
  let step = 0;
  const s = time(() => S.adamwStep({ params, grads, expAvg, expAvgSq, lr: 1e-3, weightDecay: 0.1, beta1: 0.9, beta2: 0.95, eps: 1e-8, step: ++step }), 10);
  rows.push({ op: "AdamW 500M f32 params / 200 tensors", unit: "ms", ours: s * 1e3, torch: null, higherIsBetter: false });
  dispose(...params, ...grads, ...expAvg, ...expAvgSq);
}

{
  // GEMM bf16 8192^3 (the CUDA matmul kernel is another family's; n/a until it is registered).
  const n = 8192;
  let ours: number | null = null;
  if ((cudaKernelNames() ?? []).includes("matmul")) {
    const a = gpuRandn(n, n, "bf16"), b = gpuRandn(n, n, "bf16");
    const s = time(() => S.matmul(a, b).dispose(), 5);
    ours = (2 * n ** 3) / s / 1e12;
    dispose(a, b);
  }
  rows.push({ op: "GEMM bf16 8192³", unit: "TFLOP/s", ours, torch: null, higherIsBetter: true });
}

// PyTorch numbers: { "<op>": value } in the same units.
const torchPath = process.argv[2];
const torchValues: Record<string, number> = torchPath ? JSON.parse(readFileSync(torchPath, "utf8")) : {};
const fmt = (v: number | null) => (v === null ? "n/a" : v >= 100 ? v.toFixed(0) : v.toFixed(3));
const table = rows.map((r) => {
  const torch = torchValues[r.op] ?? null;
  const ratio = r.ours === null || torch === null ? null : r.higherIsBetter ? r.ours / torch : torch / r.ours;
  return [`${r.op} (${r.unit})`, fmt(r.ours), fmt(torch), ratio === null ? "n/a" : `${ratio.toFixed(2)}×`];
});
const header = ["op", "ours", "PyTorch", "ratio (>1: ours faster)"];
const widths = header.map((h, i) => Math.max(h.length, ...table.map((r) => r[i]!.length)));
const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
console.log(line(header));
console.log(`|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
for (const r of table) console.log(line(r));
