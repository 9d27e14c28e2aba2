// CPU microbenchmarks: GEMM throughput, memory-bound ops against a measured copy bandwidth, and the
// JS-to-native overhead of a tiny op. Run: npm run bench   (SLMKIT_CPU_ISA=avx2|baseline to compare ISAs)
import Benchmark from "benchmark";
import { add, cpuInfo, matmul, randn, rmsNorm, clone, ones, memory } from "../src/index.js";
import type { Tensor } from "../src/index.js";

function median(values: number[]): number {
  const s = values.slice().sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Median seconds of `fn` over `repeats` runs after `warmup` runs. */
function time(fn: () => void, repeats: number, warmup = 2): number {
  for (let i = 0; i < warmup; i++) fn();
  const runs: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = process.hrtime.bigint();
    fn();
    runs.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return median(runs);
}

const rows: [string, string][] = [];
const use = (t: Tensor) => t.dispose();

for (const n of [256, 512, 1024, 2048]) {
  const a = randn([n, n]);
  const b = randn([n, n]);
  const s = time(() => use(matmul(a, b)), n >= 2048 ? 5 : 15);
  rows.push([`matmul f32 ${n}³`, `${((2 * n ** 3) / s / 1e9).toFixed(1)} GFLOP/s`]);
  a.dispose();
  b.dispose();
}
{
  const a = randn([16384, 64]);
  const b = randn([64, 2304]);
  const s = time(() => use(matmul(a, b)), 5);
  rows.push(["matmul f32 16384×64×2304", `${((2 * 16384 * 64 * 2304) / s / 1e9).toFixed(1)} GFLOP/s`]);
  a.dispose();
  b.dispose();
}

const big = randn([4096, 2304]);
const bytes = big.numel * 4;
const copyS = time(() => use(clone(big)), 20);
rows.push(["copy f32 4096×2304 (reference)", `${((2 * bytes) / copyS / 1e9).toFixed(1)} GB/s`]);
const other = randn([4096, 2304]);
const addS = time(() => use(add(big, other)), 20);
rows.push([
  "add f32 4096×2304",
  `${((3 * bytes) / addS / 1e9).toFixed(1)} GB/s (${((copyS / addS) * 1.5).toFixed(2)}× copy rate)`,
]);
const w = ones([2304]);
const normS = time(() => use(rmsNorm(big, w)), 20);
rows.push([
  "rmsNorm f32 4096×2304",
  `${((2 * bytes) / normS / 1e9).toFixed(1)} GB/s (${(copyS / normS).toFixed(2)}× copy rate)`,
]);

const x = ones([1]);
const y = ones([1]);
await new Promise<void>((resolve) => {
  new Benchmark("tiny add", () => use(add(x, y)), { minSamples: 50 })
    .on("complete", function (this: Benchmark) {
      rows.push([
        "tiny add [1]+[1] (JS→native→JS)",
        `${(this.stats.mean * 1e6).toFixed(2)} µs ±${this.stats.rme.toFixed(1)}%`,
      ]);
      resolve();
    })
    .run();
});
for (const t of [big, other, w, x, y]) t.dispose();

const info = cpuInfo();
console.log(`slmkit CPU bench — isa ${info.isa}, ${info.threads} threads, live tensors after: ${memory().numTensors}`);
for (const [name, value] of rows) console.log(`${name.padEnd(34)} ${value}`);
