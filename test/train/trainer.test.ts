import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { dataSync, manualSeed, memory, mul, type Tensor } from "../../src/index.js";
import { TokenSampler } from "../../src/data/token_sampler.js";
import { WSD } from "../../src/schedule/wsd.js";
import { loadSafetensors } from "../../src/io/safetensors.js";
import { latestCheckpoint } from "../../src/train/checkpoint.js";
import { NonFiniteLossError } from "../../src/train/errors.js";
import type { MetricsRecord } from "../../src/train/metrics.js";
import { Trainer, type TrainerOptions } from "../../src/train/trainer.js";
import { adamwFor, Bigram, bigramEntropy, markovTokens } from "./fixtures.js";

const V = 16;
const TOKENS = markovTokens(V, 4000);
const VALID = markovTokens(V, 1000, 7);

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "slmkit-train-"));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A fresh model, optimiser and samplers; `seed` sets the initial weights (the data order is fixed). */
function setup(seed: number, batchSize = 8, seqLen = 16) {
  manualSeed(seed);
  const model = new Bigram(V, 16);
  const optimizer = adamwFor(model);
  const train = new TokenSampler(TOKENS, { batchSize, seqLen, seed: 1 });
  const valid = new TokenSampler(VALID, { batchSize: 8, seqLen: 16, seed: 2 });
  const dispose = () => {
    model.dispose();
    optimizer.dispose();
  };
  return { model, optimizer, train, valid, dispose };
}

/** WSD with a linear decay to 10%: warmup W, decay D, stable for the rest of `steps`. */
function wsd(peakLr: number, warmupSteps: number, decaySteps: number, steps: number): WSD {
  return new WSD({
    peakLr,
    warmupSteps,
    stableSteps: steps - warmupSteps - decaySteps,
    decaySteps,
    decay: "linear",
    minLrRatio: 0.1,
  });
}

function weights(model: Bigram): Float32Array[] {
  return model.parameters().map((p) => dataSync(p).slice());
}

describe("Trainer", () => {
  it("converges on a tiny task: the loss falls well below its start", async () => {
    const s = setup(1);
    const steps = 300;
    const { metrics } = await new Trainer({
      ...s,
      schedule: wsd(0.05, 20, steps - 240, steps),
      steps,
      logEvery: 10,
      evalEvery: 100,
      evalBatches: 4,
    }).fit();
    const first = metrics[0]!.loss;
    const last = metrics.at(-1)!;
    // The start is about ln V (random init); the floor is the data's own bigram entropy (float64 count).
    const floor = bigramEntropy(TOKENS, V);
    expect(first).toBeGreaterThan(0.8 * Math.log(V));
    expect(last.loss).toBeLessThan(floor + 0.1);
    expect(last.loss).toBeGreaterThan(floor - 0.1);
    expect(last.valLoss).toBeLessThan(bigramEntropy(VALID, V) + 0.2);
    expect(metrics.filter((r) => r.valLoss !== undefined).map((r) => r.step)).toEqual([100, 200, 300]);
    s.dispose();
  });

  it("accumulating k micro-batches equals one batch k times larger", async () => {
    const run = async (batchSize: number, gradAccumSteps: number) => {
      const s = setup(3, batchSize);
      const { metrics } = await new Trainer({
        ...s,
        valid: undefined,
        schedule: wsd(0.01, 1, 1, 4),
        steps: 4,
        gradAccumSteps,
        logEvery: 1,
      }).fit();
      const w = weights(s.model);
      s.dispose();
      return { metrics, w };
    };
    const big = await run(8, 1);
    const acc = await run(2, 4);
    for (let i = 0; i < 4; i++) {
      // f32 sums of 128 per-token terms in a different grouping: relative differences of a few ulps.
      expect(acc.metrics[i]!.loss).toBeCloseTo(big.metrics[i]!.loss, 5);
      expect(Math.abs(acc.metrics[i]!.gradNorm / big.metrics[i]!.gradNorm - 1)).toBeLessThan(1e-5);
    }
    big.w.forEach((w, j) => w.forEach((v, k) => expect(Math.abs(v - acc.w[j]![k]!)).toBeLessThan(1e-5)));
  });

  it("resumes bit for bit: N/2 steps, an interruption, and a resume log the uninterrupted run's metrics", async () => {
    const steps = 20;
    const options = (s: ReturnType<typeof setup>, outDir: string): TrainerOptions => ({
      ...s,
      schedule: wsd(0.03, 3, steps - 14, steps),
      steps,
      logEvery: 1,
      evalEvery: 4,
      evalBatches: 2,
      checkpointEvery: 10,
      gradAccumSteps: 2,
      outDir,
    });
    const straight = setup(5);
    const full = await new Trainer(options(straight, path.join(dir, "straight"))).fit();
    const fullWeights = weights(straight.model);
    straight.dispose();

    const outDir = path.join(dir, "interrupted");
    const first = setup(5);
    const crash = new Error("simulated crash after the step-10 checkpoint");
    await expect(
      new Trainer({
        ...options(first, outDir),
        onLog: (r) => {
          if (r.step === 13) throw crash;
        },
      }).fit(),
    ).rejects.toBe(crash);
    first.dispose();
    expect(latestCheckpoint(outDir)).toBe(path.join(outDir, "checkpoints", "step-0000010"));

    // Different initial weights and fresh samplers: everything must come from the checkpoint.
    const second = setup(99);
    const resumed = await Trainer.resume(outDir, options(second, outDir));
    const key = (r: MetricsRecord) => [r.step, r.loss, r.lr, r.gradNorm, r.tokens, r.valLoss];
    expect(resumed.metrics.map(key)).toEqual(full.metrics.map(key));
    for (let i = 0; i < steps; i++) {
      expect(resumed.metrics[i]!.loss === full.metrics[i]!.loss).toBe(true);
      expect(resumed.metrics[i]!.gradNorm === full.metrics[i]!.gradNorm).toBe(true);
    }
    const lines = fs
      .readFileSync(path.join(outDir, "metrics.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as MetricsRecord);
    expect(lines.map((r) => r.step)).toEqual(Array.from({ length: steps }, (_, i) => i + 1));
    expect(lines.map((r) => r.loss)).toEqual(full.metrics.map((r) => r.loss));
    weights(second.model).forEach((w, j) =>
      expect(Buffer.from(w.buffer).equals(Buffer.from(fullWeights[j]!.buffer))).toBe(true),
    );
    second.dispose();
  });

  it("stops on a NaN loss naming the step and the last good checkpoint, without saving or applying it", async () => {
    const s = setup(2);
    let calls = 0;
    const model = {
      stateDict: () => s.model.stateDict(),
      loadStateDict: (sd: Record<string, Tensor>) => s.model.loadStateDict(sd),
      loss: (x: Tensor<"i32">, y: Tensor<"i32">) => {
        const l = s.model.loss(x, y);
        return ++calls === 7 ? mul(l, Number.NaN) : l;
      },
    };
    const outDir = path.join(dir, "nan");
    const trainer = new Trainer({
      ...s,
      model,
      valid: undefined,
      schedule: wsd(0.01, 1, 2, 10),
      steps: 10,
      checkpointEvery: 3,
      outDir,
    });
    const error = await trainer.fit().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NonFiniteLossError);
    const ckpt = path.join(outDir, "checkpoints", "step-0000006");
    expect((error as NonFiniteLossError).step).toBe(7);
    // Step 6's weights are the ones that gave the NaN at step 7, so the good checkpoint is step 3's.
    expect((error as NonFiniteLossError).lastCheckpoint).toBe(path.join(outDir, "checkpoints", "step-0000003"));
    expect((error as Error).message).toMatch(
      /step 7: the loss is NaN.*Last good checkpoint: .*step-0000003 \(resume from it with resumeFrom \/ --resume 3 /,
    );
    expect(latestCheckpoint(outDir)).toBe(ckpt);
    expect(fs.readdirSync(path.join(outDir, "checkpoints")).sort()).toEqual(["latest", "step-0000003", "step-0000006"]);
    // The weights are those of step 6: the NaN step changed nothing.
    const saved = loadSafetensors(path.join(ckpt, "model.safetensors")).tensors;
    for (const [k, p] of s.model.namedParameters()) {
      expect(Buffer.from(dataSync(p).buffer).equals(Buffer.from(dataSync(saved[k]!).buffer))).toBe(true);
      saved[k]!.dispose();
    }
    expect(s.model.parameters().every((p) => p.grad === undefined)).toBe(true);
    s.dispose();
  });

  it("writes metrics, the loss curve and rotating checkpoints, and leaks nothing from step to step", async () => {
    const before = memory();
    const s = setup(4);
    const outDir = path.join(dir, "run");
    const live: number[][] = [];
    const steps = 12;
    const lines: string[] = [];
    await new Trainer({
      ...s,
      schedule: wsd(0.01, 2, steps - 9, steps),
      steps,
      logEvery: 1,
      evalEvery: 2,
      evalBatches: 2,
      checkpointEvery: 2,
      keepCheckpoints: 3,
      outDir,
      runConfig: { name: "run", seed: 4 },
      onLog: () => live.push([memory().numTensors, memory().numBytes]),
      progress: { isTTY: false, write: (t: string) => lines.push(t) },
    }).fit();
    expect(live.length).toBe(steps);
    for (const m of live) expect(m).toEqual(live[0]);

    const ckpts = path.join(outDir, "checkpoints");
    expect(fs.readdirSync(ckpts).sort()).toEqual(["latest", "step-0000008", "step-0000010", "step-0000012"]);
    expect(fs.readFileSync(path.join(ckpts, "latest"), "utf8").trim()).toBe("step-0000012");
    expect(fs.readdirSync(path.join(ckpts, "step-0000012")).sort()).toEqual([
      "model.safetensors",
      "optimizer.json",
      "optimizer.safetensors",
      "trainer.json",
    ]);
    const state = JSON.parse(fs.readFileSync(path.join(ckpts, "step-0000012", "trainer.json"), "utf8"));
    expect(state).toMatchObject({
      step: 12,
      schedule: { kind: "wsd" },
      runConfig: { name: "run", seed: 4 },
      trainData: s.train.state(),
    });
    expect(state.metrics.length).toBe(steps);
    const saved = loadSafetensors(path.join(ckpts, "step-0000012", "model.safetensors")).tensors;
    expect(Object.keys(saved).sort()).toEqual(["embed.weight", "head.weight"]);
    Object.values(saved).forEach((t) => t.dispose());

    const records = fs
      .readFileSync(path.join(outDir, "metrics.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as MetricsRecord);
    expect(records.length).toBe(steps);
    for (const r of records) {
      expect(Object.keys(r)).toEqual(
        expect.arrayContaining(["step", "loss", "lr", "gradNorm", "tokensPerSec", "tokens", "elapsed"]),
      );
      expect(r.valLoss !== undefined).toBe(r.step % 2 === 0);
      expect(r.lr).toBe(wsd(0.01, 2, steps - 9, steps).at(r.step - 1));
    }
    const svg = fs.readFileSync(path.join(outDir, "loss.svg"), "utf8");
    expect(svg).toContain(">validation<");
    expect(svg).toContain(">decay<");
    expect(svg).toContain(">stable<");
    expect(JSON.parse(fs.readFileSync(path.join(outDir, "run.json"), "utf8"))).toEqual({ name: "run", seed: 4 });
    expect(lines.length).toBe(steps);
    expect(lines[11]).toMatch(/^step 12\/12 {2}loss \d\.\d{4} {2}lr .* tok\/s .*ETA 0s {2}val \d\.\d{4}\n$/);
    s.dispose();
    // Parameters and optimiser moments were all that lived on; checkpoint copies and batches are gone.
    expect([memory().numTensors, memory().numBytes]).toEqual([before.numTensors, before.numBytes]);
  });

  it("stops cleanly after the current step when its signal aborts, with a checkpoint to resume from", async () => {
    const s = setup(6);
    const outDir = path.join(dir, "stop");
    const controller = new AbortController();
    const result = await new Trainer({
      ...s,
      valid: undefined,
      schedule: wsd(0.01, 1, 2, 10),
      steps: 10,
      logEvery: 1,
      checkpointEvery: 100,
      outDir,
      onLog: (r) => r.step === 4 && controller.abort(),
      signal: controller.signal,
    }).fit();
    expect([result.step, result.stopped, result.checkpoint]).toEqual([
      4,
      true,
      path.join(outDir, "checkpoints", "step-0000004"),
    ]);
    expect(fs.existsSync(path.join(outDir, "loss.svg"))).toBe(true);
    s.dispose();
  });

  it("rejects bad options with errors naming them", async () => {
    const s = setup(0);
    const schedule = wsd(0.01, 1, 1, 3);
    expect(() => new Trainer({ ...s, schedule, steps: 0 })).toThrow(/steps must be a whole number >= 1, got 0/);
    expect(() => new Trainer({ ...s, schedule, steps: 3, gradAccumSteps: 1.5 })).toThrow(/gradAccumSteps/);
    expect(() => new Trainer({ ...s, schedule, steps: 3, clipNorm: -1 })).toThrow(
      /clipNorm must be a positive number or null/,
    );
    await expect(Trainer.resume(path.join(dir, "nothing"), { ...s, schedule, steps: 3 })).rejects.toThrow(
      /neither a checkpoint directory/,
    );
    s.dispose();
  });
});
