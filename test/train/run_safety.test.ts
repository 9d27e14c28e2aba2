// What a run directory survives: a second training (the lock), a killed one (stale lock, half-written
// checkpoint folders), a NaN whose newest checkpoint already holds the bad weights, and damaged files.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { manualSeed, mul, type Tensor } from "../../src/index.js";
import { TokenSampler } from "../../src/data/token_sampler.js";
import { ConstantSchedule } from "../../src/schedule/constant.js";
import { latestCheckpoint } from "../../src/train/checkpoint.js";
import { NonFiniteLossError } from "../../src/train/errors.js";
import { LOCK_FILE, lockRunDir, RunLockedError } from "../../src/train/run_lock.js";
import { Trainer, type TrainerOptions } from "../../src/train/trainer.js";
import { adamwFor, Bigram, markovTokens } from "./fixtures.js";

const V = 16;
const TOKENS = markovTokens(V, 2000);

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "slmkit-run-safety-"));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A quick Trainer over a bigram model into `outDir`; dispose() frees the model and optimiser. */
function trainer(outDir: string, extra: Partial<TrainerOptions> = {}) {
  manualSeed(3);
  const model = new Bigram(V, 8);
  const optimizer = adamwFor(model);
  const train = new TokenSampler(TOKENS, { batchSize: 4, seqLen: 8, seed: 1 });
  const options: TrainerOptions = {
    model,
    optimizer,
    train,
    schedule: new ConstantSchedule({ lr: 0.01 }),
    steps: 4,
    checkpointEvery: 2,
    outDir,
    ...extra,
  };
  const dispose = () => {
    model.dispose();
    optimizer.dispose();
  };
  return { trainer: new Trainer(options), model, dispose };
}

/** A pid that no process has now: one that just exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
  return Number(r.stdout);
}

const lockOf = (pid: number, host = os.hostname()) =>
  JSON.stringify({ pid, host, started: "2024-01-02T03:04:05.000Z", command: "slmkit train" });

describe("the run-directory lock", () => {
  it("a second training in a locked directory fails at once, naming the holder; nothing is written", async () => {
    const outDir = path.join(dir, "run");
    fs.mkdirSync(outDir);
    fs.writeFileSync(path.join(outDir, LOCK_FILE), lockOf(process.ppid)); // a live process on this host
    const t = trainer(outDir);
    await expect(t.trainer.fit()).rejects.toThrow(RunLockedError);
    await expect(t.trainer.fit()).rejects.toThrow(
      new RegExp(
        `in use by another training: pid ${process.ppid} on ${os.hostname()}, started 2024-01-02T03:04:05.000Z`,
      ),
    );
    expect(fs.readdirSync(outDir)).toEqual([LOCK_FILE]);
    // On another host the pid cannot be checked: the error says how to clear it.
    fs.writeFileSync(path.join(outDir, LOCK_FILE), lockOf(process.pid, "elsewhere"));
    await expect(t.trainer.fit()).rejects.toThrow(
      /pid \d+ on elsewhere.*another host: if that process is gone, delete .*run\.lock/,
    );
    t.dispose();
  });

  it("a stale lock of a dead process is taken over and reported; the lock is gone after the run", async () => {
    const outDir = path.join(dir, "run");
    fs.mkdirSync(outDir);
    const pid = deadPid();
    fs.writeFileSync(path.join(outDir, LOCK_FILE), lockOf(pid));
    let said = "";
    const t = trainer(outDir, { progress: { write: (s: string) => (said += s), isTTY: false } });
    const result = await t.trainer.fit();
    t.dispose();
    expect(result.step).toBe(4);
    expect(said).toContain(`removed a stale lock of ${outDir} left by pid ${pid} on ${os.hostname()}`);
    expect(fs.existsSync(path.join(outDir, LOCK_FILE))).toBe(false);
  });

  it("is re-entrant within one process and released by its last holder", () => {
    const a = lockRunDir(path.join(dir, "x"), "test");
    const b = lockRunDir(path.join(dir, "x"), "test");
    a.release();
    expect(fs.existsSync(a.file)).toBe(true);
    b.release();
    b.release();
    expect(fs.existsSync(a.file)).toBe(false);
  });
});

describe("checkpoints after a kill or a fault", () => {
  it("half-written checkpoint folders and files of a killed run are removed on the next start", async () => {
    const outDir = path.join(dir, "run");
    const ckpts = path.join(outDir, "checkpoints");
    fs.mkdirSync(path.join(ckpts, ".step-0000002.tmp-4242-0"), { recursive: true });
    fs.writeFileSync(path.join(ckpts, ".step-0000002.tmp-4242-0", "model.safetensors"), "partial");
    fs.writeFileSync(path.join(ckpts, ".latest.tmp-4242-1"), "step-0000002");
    fs.writeFileSync(path.join(outDir, ".metrics.jsonl.tmp-4242-2"), "{");
    fs.writeFileSync(path.join(outDir, "notes.tmp"), "mine"); // not ours: kept
    const t = trainer(outDir);
    await t.trainer.fit();
    t.dispose();
    expect(fs.readdirSync(ckpts).sort()).toEqual(["latest", "step-0000002", "step-0000004"]);
    expect(fs.readdirSync(outDir).filter((n) => n.includes(".tmp-"))).toEqual([]);
    expect(fs.existsSync(path.join(outDir, "notes.tmp"))).toBe(true);
  });

  it("a NaN stop names a checkpoint before the weights that produced it; resuming there with a lower rate goes on", async () => {
    const outDir = path.join(dir, "run");
    // The weights after step 4 blow up: the loss of step 5 (computed from them) is NaN.
    const t = trainer(outDir, { steps: 6 });
    let calls = 0;
    const model = t.model;
    const loss = model.loss.bind(model);
    model.loss = (x: Tensor<"i32">, y: Tensor<"i32">) => (++calls === 5 ? mul(loss(x, y), Number.NaN) : loss(x, y));
    const error = (await t.trainer.fit().catch((e: unknown) => e)) as NonFiniteLossError;
    t.dispose();
    expect(error).toBeInstanceOf(NonFiniteLossError);
    expect(error.step).toBe(5);
    expect(error.lastCheckpoint).toBe(path.join(outDir, "checkpoints", "step-0000002"));
    expect(latestCheckpoint(outDir)).toBe(path.join(outDir, "checkpoints", "step-0000004"));
    const again = trainer(outDir, { steps: 6, schedule: new ConstantSchedule({ lr: 0.001 }) });
    const result = await again.trainer.fit({ resumeFrom: error.lastCheckpoint! });
    again.dispose();
    expect(result.step).toBe(6);
  });
});

describe("damaged run files", () => {
  async function resumeWith(patch: (state: Record<string, unknown>) => void): Promise<string> {
    const outDir = path.join(dir, "run");
    const t = trainer(outDir);
    await t.trainer.fit();
    t.dispose();
    const file = path.join(outDir, "checkpoints", "step-0000004", "trainer.json");
    const state = JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>;
    patch(state);
    fs.writeFileSync(file, JSON.stringify(state));
    const again = trainer(outDir, { steps: 6 });
    const error = (await again.trainer.fit({ resumeFrom: outDir }).catch((e: unknown) => e)) as Error;
    again.dispose();
    fs.rmSync(outDir, { recursive: true });
    expect(error, "expected a SlmkitError").toBeInstanceOf(Error);
    expect(error.name).toBe("ArgumentError");
    expect(error.message).toContain(file);
    return error.message;
  }

  it("every field of trainer.json read back is checked, and the error names the file and the field", async () => {
    expect(await resumeWith((s) => (s.step = "abc"))).toMatch(/"step" must be a whole number/);
    expect(await resumeWith((s) => (s.metrics = 5))).toMatch(/"metrics" must be an array/);
    expect(await resumeWith((s) => (s.interval = null))).toMatch(/"interval" must be an object/);
    expect(await resumeWith((s) => (s.tokens = -1))).toMatch(/"tokens"/);
    expect(await resumeWith((s) => (s.elapsed = "x"))).toMatch(/"elapsed"/);
    expect(await resumeWith((s) => ((s.rng as { offset: number }).offset = -3))).toMatch(/setRngState: offset/);
    expect(await resumeWith((s) => ((s.trainData as { cursor: number }).cursor = 1e9))).toMatch(
      /TokenSampler.setState/,
    );
  });

  it("a trainer.json that is not JSON is named", async () => {
    const outDir = path.join(dir, "run");
    const t = trainer(outDir);
    await t.trainer.fit();
    t.dispose();
    const file = path.join(outDir, "checkpoints", "step-0000004", "trainer.json");
    fs.writeFileSync(file, "{ truncated");
    const again = trainer(outDir, { steps: 6 });
    await expect(again.trainer.fit({ resumeFrom: outDir })).rejects.toThrow(`${file} is damaged: not valid JSON`);
    again.dispose();
  });

  it("checkpoints/latest is followed only inside the run's own checkpoints/", async () => {
    const outDir = path.join(dir, "run");
    const t = trainer(outDir);
    await t.trainer.fit();
    t.dispose();
    const other = path.join(dir, "other");
    fs.cpSync(outDir, other, { recursive: true });
    fs.writeFileSync(path.join(outDir, "checkpoints", "latest"), "../../other/checkpoints/step-0000004\n");
    expect(() => latestCheckpoint(outDir)).toThrow(
      /latest must name a step-N folder beside it, got "\.\.\/\.\.\/other/,
    );
    // A link that leads out is refused as well.
    fs.writeFileSync(path.join(outDir, "checkpoints", "latest"), "step-0000009\n");
    fs.symlinkSync(path.join(other, "checkpoints", "step-0000004"), path.join(outDir, "checkpoints", "step-0000009"));
    expect(() => latestCheckpoint(outDir)).toThrow(/leads outside/);
  });
});
