// CUDA benchmark: the memory-bound fused ops, an elementwise add, a bf16 copy of the RMSNorm tensor (the
// bandwidth reference) and the bf16 GEMM, against PyTorch. bench/cuda.sh runs everything: PyTorch's side
// (bench/torch/cuda_ops.py, seconds per call as JSON), the fallback GEMM in its own process
// (`--only gemm` under SLMKIT_DISABLE_CUBLASLT=1, which is read once per process), then this script with
// `--torch FILE --fallback FILE`, which times our side and prints the one table.
//
// Timing: a batch of back-to-back calls between two device synchronisations, divided by the batch size,
// median over 20 batches after a warm-up (the PyTorch side brackets the same batches with CUDA events;
// the addon has no events, and a host clock around a synchronised batch measures the same span).
// Kernel outputs are preallocated where the op's public function would hide what it saves (rstd, lse).
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import * as S from "../src/index.js";
import { rmsNormBackward } from "../src/ops/rmsnorm.js";
import { crossEntropyBackward } from "../src/ops/cross_entropy.js";
import { emptyTensor, runKernel } from "../src/ops/dispatch.js";

/** One measured op: seconds per call, and the bytes it must move (memory-bound) or FLOPs it must do. */
type Row = { op: string; seconds: number; bytes?: number; flops?: number; target?: number };

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
  return runs.sort((a, b) => a - b)[runs.length >> 1]!;
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
const GEMM = "GEMM bf16 8192³";
const GEMM_FALLBACK = "GEMM bf16 8192³, fallback (SLMKIT_DISABLE_CUBLASLT=1)";

function gemm(op: string): Row {
  const n = 8192;
  const a = gpuRandn(n, n, "bf16"),
    b = gpuRandn(n, n, "bf16");
  const seconds = time(() => S.matmul(a, b).dispose(), 5);
  dispose(a, b);
  return { op, seconds, flops: 2 * n ** 3, target: op === GEMM ? 0.95 : undefined };
}

function rmsNormRows(): Row[] {
  const rows: Row[] = [];
  {
    const [N, C] = [16384, 2304];
    const bytes = N * C * 2;
    const x = gpuRandn(N, C, "bf16"),
      gy = gpuRandn(N, C, "bf16");
    const w = S.full([C], 1.1, { dtype: "bf16", device: "cuda" });
    const y = emptyTensor([N, C], "bf16", "cuda"),
      rstd = emptyTensor([N], "f32", "cuda");
    rows.push({
      op: "copy bf16 16384×2304 (reference)",
      seconds: time(() => runKernel("copy", "copy", [x], [y]), 50),
      bytes: 2 * bytes,
    });
    // The public add (output allocated by the caching allocator each call): elementwise ops' bandwidth.
    rows.push({ op: "add bf16 16384×2304", seconds: time(() => S.add(x, gy).dispose(), 50), bytes: 3 * bytes });
    const fwd = () => runKernel("rmsNorm", "rmsnorm_forward", [x, w], [y, rstd], { eps: 1e-5 });
    rows.push({ op: "RMSNorm fwd bf16 16384×2304", seconds: time(fwd, 50), bytes: 2 * bytes + 4 * N, target: 1.25 });
    const fwdBwd = () => {
      fwd();
      dispose(...rmsNormBackward(x, w, rstd, gy));
    };
    // fwd: x read, y written; bwd: x and gy read, gx written (rstd and gw are small).
    rows.push({ op: "RMSNorm fwd+bwd bf16 16384×2304", seconds: time(fwdBwd, 20), bytes: 5 * bytes, target: 1.5 });
    dispose(x, gy, w, y, rstd);
  }
  return rows;
}

function memoryBound(): Row[] {
  const rows = rmsNormRows();
  {
    // Mean over rows (gloss = 1/N), no ignored rows. fwd reads the logits; bwd reads them and writes glogits.
    const [N, V] = [8192, 122753];
    const logits = gpuRandn(N, V, "bf16", 32);
    const targets = S.tensor(Int32Array.from({ length: N }, (_, i) => (i * 7919) % V)).to("cuda");
    const gloss = S.full([N], 1 / N, { device: "cuda" });
    const loss = emptyTensor([N], "f32", "cuda"),
      lse = emptyTensor([N], "f32", "cuda");
    const seconds = time(() => {
      runKernel("crossEntropy", "cross_entropy_forward", [logits, targets], [loss, lse], { ignore_index: -100 });
      crossEntropyBackward(logits, targets, lse, gloss, undefined, -100, "none").dispose();
    }, 5);
    rows.push({ op: "cross-entropy fwd+bwd bf16 8192×122753", seconds, bytes: 3 * N * V * 2, target: 1.5 });
    dispose(logits, targets, gloss, loss, lse);
  }
  {
    // 500M f32 parameters in 200 tensors: p, m, v read and written, g read.
    const n = 200,
      size = 2_500_000;
    const make = (v: number) => Array.from({ length: n }, () => S.full([size], v, { device: "cuda" }));
    const [params, grads, expAvg, expAvgSq] = [make(0.5), make(0.01), make(0.001), make(0.0001)];
    let step = 0;
    const seconds = time(
      () =>
        S.adamwStep({
          params,
          grads,
          expAvg,
          expAvgSq,
          lr: 1e-3,
          weightDecay: 0.1,
          beta1: 0.9,
          beta2: 0.95,
          eps: 1e-8,
          step: ++step,
        }),
      10,
    );
    rows.push({ op: "AdamW 500M f32 params / 200 tensors", seconds, bytes: 7 * 4 * n * size, target: 1.25 });
    dispose(...params, ...grads, ...expAvg, ...expAvgSq);
  }
  return rows;
}

const { values } = parseArgs({
  options: { only: { type: "string" }, torch: { type: "string" }, fallback: { type: "string" } },
});
// `--only gemm` (the fallback's process) and `--only rmsnorm` (quick kernel comparisons) print
// {op: seconds per call} instead of the table.
if (values.only === "gemm") {
  console.log(JSON.stringify({ [GEMM_FALLBACK]: gemm(GEMM_FALLBACK).seconds }));
} else if (values.only === "rmsnorm") {
  console.log(JSON.stringify(Object.fromEntries(rmsNormRows().map((r) => [r.op, r.seconds]))));
} else {
  const props = S.cuda.deviceProperties();
  const rows = [...memoryBound(), gemm(`${GEMM} (${String(props.matmulBackend)})`)];
  const read = (path?: string): Record<string, number> => (path ? JSON.parse(readFileSync(path, "utf8")) : {});
  const torch = read(values.torch);
  const fallback = read(values.fallback)[GEMM_FALLBACK];
  if (fallback !== undefined) rows.push({ op: GEMM_FALLBACK, seconds: fallback, flops: 2 * 8192 ** 3 });
  // Copy bandwidth (bytes read + written per second) of PyTorch's copy of the same tensor: the bound
  // that a memory-bound op's bytes are set against.
  const copyKey = "copy bf16 16384×2304 (reference)";
  const copyRow = rows.find((r) => r.op === copyKey)!;
  const copyBw = copyRow.bytes! / (torch[copyKey] ?? copyRow.seconds);
  const torchOf = (op: string) => (op.startsWith(GEMM) ? torch[GEMM] : torch[op]);
  const fmtMs = (s?: number) => (s === undefined ? "n/a" : (s * 1e3).toFixed(3));
  const table = rows.map((r) => {
    const t = torchOf(r.op);
    const rate = r.bytes
      ? `${(r.bytes / r.seconds / 1e9).toFixed(0)} GB/s`
      : `${(r.flops! / r.seconds / 1e12).toFixed(0)} TFLOP/s`;
    const bound = r.bytes ? `${fmtMs(r.bytes / copyBw)} (${((r.bytes / copyBw / r.seconds) * 100).toFixed(0)}%)` : "";
    return [
      r.op,
      fmtMs(r.seconds),
      rate,
      fmtMs(t),
      t === undefined ? "n/a" : `${(t / r.seconds).toFixed(2)}×`,
      r.target ? `${r.target}×` : "",
      bound,
    ];
  });
  const header = ["op", "ours ms", "ours rate", "PyTorch ms", "ratio", "target", "copy-bound ms (ours % of it)"];
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
  console.log(
    `copy bandwidth (PyTorch copy_, read + written): ${(copyBw / 1e9).toFixed(0)} GB/s; ratio = PyTorch ms / ours ms`,
  );
  console.log(line(header));
  console.log(`|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
  for (const r of table) console.log(line(r));
}
