// CUDA attention benchmark (bf16, causal) beside PyTorch's SDPA (flash backend) on the same shapes, printed
// as one table: case | ours TFLOP/s | torch TFLOP/s | ratio (| torch's cuDNN backend, for reference). Run on
// a GPU machine: npm run bench:attention
// (bench/attention.sh runs bench/torch/cuda_attention.py first and passes its JSON here).
//
// FLOPs: causal prefill 4·B·H·T²·D/2 forward and 3.5x that for forward + backward (the backward is 2.5x
// the forward); decoding 4·B·H·T·S·D (the queries are the last T positions: nothing is masked).
// Timing: median over 10 batches of back-to-back calls (~20 ms each) between device synchronisations,
// after a warm-up. The rows run the kernels the product picks (kernels/cuda/attention.cu, "kernel choice").
// With SLMKIT_CUDA_PRE_HOPPER=1 (bench/attention.sh runs that second, on Hopper GPUs) the prefill rows run
// the mma.sync kernels of the GPUs before Hopper instead and are marked "pre-Hopper"; decoding runs the
// same mma.sync kernel either way and is left out there.
import { readFileSync } from "node:fs";
import * as S from "../src/index.js";
import { attentionBackward } from "../src/ops/attention.js";
import { emptyTensor, runKernel } from "../src/ops/dispatch.js";

interface TorchRow {
  fwd: number;
  fwdbwd?: number;
  backend: string;
  cudnn_fwd?: number;
  cudnn_fwdbwd?: number;
}
const torch = JSON.parse(readFileSync(process.argv[2]!, "utf8")) as Record<string, TorchRow>;

// name, B, H, Hkv, T, S, D (as bench/torch/cuda_attention.py)
const CASES: [string, number, number, number, number, number, number][] = [
  ["B4 H16 T2048 D128", 4, 16, 16, 2048, 2048, 128],
  ["B8 H32 T1024 D64", 8, 32, 32, 1024, 1024, 64],
  ["B4 H24 Hkv8 T2048 D64", 4, 24, 8, 2048, 2048, 64],
  ["B1 H36 T4096 D64", 1, 36, 36, 4096, 4096, 64],
  ["decode B1 H32 Hkv8 T1 S32768 D128", 1, 32, 8, 1, 32768, 128],
  ["decode B8 H16 Hkv4 T4 S8192 D64", 8, 16, 4, 4, 8192, 64],
];

function time(fn: () => void, samples = 10, warmup = 2): number {
  for (let i = 0; i < warmup; i++) fn();
  S.cuda.synchronize();
  let t0 = process.hrtime.bigint();
  fn();
  S.cuda.synchronize();
  const once = Number(process.hrtime.bigint() - t0) / 1e9;
  const batch = Math.max(1, Math.floor(0.02 / Math.max(once, 1e-6)));
  const runs: number[] = [];
  for (let s = 0; s < samples; s++) {
    t0 = process.hrtime.bigint();
    for (let i = 0; i < batch; i++) fn();
    S.cuda.synchronize();
    runs.push(Number(process.hrtime.bigint() - t0) / 1e9 / batch);
  }
  return runs.sort((a, b) => a - b)[Math.floor(runs.length / 2)]!;
}

const preHopper = process.env.SLMKIT_CUDA_PRE_HOPPER === "1";
const randn = (shape: number[]) => S.tidy(() => S.randn(shape, { dtype: "bf16" }).to("cuda"));
const table: string[][] = [["case", "ours TFLOP/s", "torch TFLOP/s", "ratio", "torch cuDNN"]];
const fmt = (x: number | undefined) => (x === undefined ? "–" : x.toFixed(1));

for (const [name, B, H, Hkv, T, S_, D] of CASES) {
  const decode = T < S_;
  if (preHopper && decode) continue;
  const q = randn([B, H, T, D]),
    k = randn([B, Hkv, S_, D]),
    v = randn([B, Hkv, S_, D]),
    go = randn([B, H, T, D]);
  const o = emptyTensor([B, H, T, D], "bf16", "cuda"),
    lse = emptyTensor([B, H, T], "f32", "cuda");
  const attrs = { scale: 1 / Math.sqrt(D), causal: true, kv_offset: S_ - T };
  const fwd = () => runKernel("attention", "attention_forward", [q, k, v], [o, lse], attrs);
  const fwdbwd = () => {
    fwd();
    attentionBackward(q, k, v, o, lse, go, attrs).forEach((g) => g.dispose());
  };
  const flops = decode ? 4 * B * H * T * S_ * D : (4 * B * H * T * T * D) / 2;
  const t = torch[name];
  const tag = preHopper ? " pre-Hopper" : "";
  const ours = flops / time(fwd) / 1e12;
  const theirs = t ? flops / t.fwd / 1e12 : undefined;
  const cudnn = t?.cudnn_fwd ? flops / t.cudnn_fwd / 1e12 : undefined;
  table.push([`${name} fwd${tag}`, fmt(ours), fmt(theirs), theirs ? (ours / theirs).toFixed(2) : "–", fmt(cudnn)]);
  if (!decode) {
    const oursB = (3.5 * flops) / time(fwdbwd) / 1e12;
    const theirsB = t?.fwdbwd ? (3.5 * flops) / t.fwdbwd / 1e12 : undefined;
    const cudnnB = t?.cudnn_fwdbwd ? (3.5 * flops) / t.cudnn_fwdbwd / 1e12 : undefined;
    table.push([
      `${name} fwd+bwd${tag}`,
      fmt(oursB),
      fmt(theirsB),
      theirsB ? (oursB / theirsB).toFixed(2) : "–",
      fmt(cudnnB),
    ]);
  }
  [q, k, v, go, o, lse].forEach((x) => x.dispose());
}

const widths = table[0]!.map((_, c) => Math.max(...table.map((r) => r[c]!.length)));
for (const r of table)
  console.log(r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join("  "));
