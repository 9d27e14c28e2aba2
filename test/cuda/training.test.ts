// Training on CUDA: the loss curve of a short MiniCPM run against the CPU's (same seed, data and
// optimiser), the Trainer with device "cuda" (checkpoints saved from and loaded back onto the GPU, a
// resume), and `slmkit train --device cuda` on the State of the Union corpus.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as S from "../../src/index.js";
import { trainCommand } from "../../src/cli/train.js";
import { TokenSampler } from "../../src/data/token_sampler.js";
import { loadSafetensors } from "../../src/io/safetensors.js";
import type { MetricsRecord } from "../../src/train/metrics.js";
import { Trainer } from "../../src/train/trainer.js";
import { mean, trainLosses } from "../train/convergence.js";
import { markovTokens } from "../train/fixtures.js";
import * as R from "../reference/index.js";
import { toRef } from "../helpers/tensors.js";
import { gpuStatus } from "./gpu.js";

const STEPS = 150;

describe.skipIf(!gpuStatus.available)("CUDA training", () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "slmkit-cuda-train-"));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("f32 on CUDA follows the CPU's f32 loss curve closely; bf16 compute within a band; both converge", () => {
    const cpu = trainLosses({ device: "cpu", computeDType: "f32", steps: STEPS });
    const f32 = trainLosses({ device: "cuda", computeDType: "f32", steps: STEPS });
    const bf16 = trainLosses({ device: "cuda", computeDType: "bf16", steps: STEPS });
    // f32 on both: only summation orders differ (a few f32 ulps per op), which training amplifies slowly;
    // the CPU's bf16-vs-f32 runs (errors 2^16 times larger) stay within 0.2% (test/train/mixed_precision.test.ts).
    f32.forEach((l, i) => expect(Math.abs(l - cpu[i]!), `f32 step ${i}`).toBeLessThanOrEqual(1e-3 * cpu[i]!));
    // bf16: the band of the CPU's bf16-vs-f32 test: every step within 2%, every 10-step mean within 1%.
    bf16.forEach((l, i) => expect(Math.abs(l - cpu[i]!), `bf16 step ${i}`).toBeLessThanOrEqual(0.02 * cpu[i]!));
    for (let i = 0; i < STEPS; i += 10)
      expect(Math.abs(mean(bf16, i, i + 10) - mean(cpu, i, i + 10))).toBeLessThanOrEqual(0.01 * mean(cpu, i, i + 10));
    for (const run of [f32, bf16]) expect(mean(run, STEPS - 10)).toBeLessThan(0.3 * run[0]!);
    console.log(
      `[cuda training] mean loss of the last 10 steps: cpu f32 ${mean(cpu, STEPS - 10).toFixed(4)}, cuda f32 ${mean(f32, STEPS - 10).toFixed(4)}, cuda bf16 ${mean(bf16, STEPS - 10).toFixed(4)}`,
    );
  });

  it("Trainer with device cuda: trains, checkpoints from the GPU, resumes onto the GPU", async () => {
    const V = 64;
    const tokens = markovTokens(V, 20000, 3);
    const config: S.MiniCPMConfigInput = {
      vocab_size: V,
      hidden_size: 64,
      num_hidden_layers: 2,
      num_attention_heads: 4,
      intermediate_size: 160,
      dim_model_base: 16,
      max_position_embeddings: 64,
    };
    const outDir = path.join(dir, "trainer");
    const run = async (steps: number, resume: boolean) => {
      const model = new S.MiniCPM(config, { device: "cuda", seed: 1 });
      const optimizer = new S.AdamW(model.parameterGroups({ weightDecay: 0.1 }));
      const schedule = new S.WSD({
        peakLr: 0.02,
        warmupSteps: 5,
        stableSteps: 45,
        decaySteps: 10,
        decay: "linear",
        minLrRatio: 0.1,
      });
      const train = new TokenSampler(tokens, {
        batchSize: 8,
        seqLen: 32,
        seed: 1,
        validFraction: 0.1,
        splitSeed: 0,
        split: "train",
      });
      const valid = new TokenSampler(tokens, {
        batchSize: 8,
        seqLen: 32,
        seed: 1,
        validFraction: 0.1,
        splitSeed: 0,
        split: "valid",
      });
      const result = await new Trainer({
        model,
        optimizer,
        schedule,
        train,
        valid,
        steps,
        evalEvery: 20,
        evalBatches: 2,
        checkpointEvery: 20,
        logEvery: 10,
        outDir,
        device: "cuda",
      }).fit(resume ? { resumeFrom: outDir } : {});
      return { model, optimizer, result };
    };
    const first = await run(40, false);
    expect(first.model.computeDType).toBe("bf16");
    const losses = first.result.metrics.map((r: MetricsRecord) => r.loss);
    expect(losses.at(-1)!).toBeLessThan(0.5 * losses[0]!);
    // The latest checkpoint holds exactly the GPU weights.
    const saved = loadSafetensors(path.join(outDir, "checkpoints", "step-0000040", "model.safetensors")).tensors;
    for (const [name, p] of first.model.namedParameters()) expect(saved[name]!.dataSync(), name).toEqual(p.dataSync());
    first.model.dispose();
    first.optimizer.dispose();
    // Resumed onto a fresh GPU model: the masters are the checkpoint's, the bf16 shadows derived from them.
    const second = await run(60, true);
    expect(second.result.metrics.map((r: MetricsRecord) => r.step).slice(-2)).toEqual([50, 60]);
    const resumed = second.model;
    const tied = resumed.model.embedTokens.weight;
    expect([...S.shadowOf(tied)!.dataSync()]).toEqual([...R.roundRef(toRef(tied), "bf16").data]);
    expect(second.result.metrics.at(-1)!.loss).toBeLessThan(0.5 * losses[0]!);
    Object.values(saved).forEach((t) => t.dispose());
    resumed.dispose();
    second.optimizer.dispose();
  }, 120_000);

  it("slmkit train --device cuda on the State of the Union corpus: converges and resumes", async () => {
    const out = path.join(dir, "runs");
    const flags = [
      "--out",
      out,
      "--name",
      "sotu",
      "--device",
      "cuda",
      "--vocab-size",
      "512",
      "--batch-size",
      "16",
      "--seq-len",
      "64",
      "--eval-every",
      "40",
      "--eval-batches",
      "2",
      "--checkpoint-every",
      "40",
      "--log-every",
      "10",
      "--warmup",
      "10",
      "--samples",
      "1",
      "--sample-tokens",
      "8",
      "--quiet",
    ];
    await trainCommand([...flags, "--steps", "80"]);
    const run = path.join(out, "sotu");
    const metrics = () =>
      fs
        .readFileSync(path.join(run, "metrics.jsonl"), "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as MetricsRecord);
    const first = metrics();
    expect(first.at(-1)!.step).toBe(80);
    expect(first.at(-1)!.loss).toBeLessThan(0.75 * first[0]!.loss);
    await trainCommand(["--out", out, "--name", "sotu", "--resume", "--steps", "100", "--quiet"]);
    expect(metrics().at(-1)!.step).toBe(100);
    expect(fs.readFileSync(path.join(run, "samples.txt"), "utf8")).toMatch(/sample 1/);
    console.log(
      `[cuda cli] SOTU losses: ${metrics()
        .map((r) => `${r.step}:${r.loss.toFixed(3)}`)
        .join(" ")}`,
    );
  }, 180_000);
});
