// The wind tunnel on a CPU-sized proxy (width 32, 2 layers, 6 steps of 2 × 16 tokens): grid and random
// search, the JSONL record file, resuming after an interrupted call, and refusing a file of another setup.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import * as S from "../../src/index.js";

const PROXY = {
  vocab_size: 64,
  hidden_size: 32,
  num_hidden_layers: 2,
  num_attention_heads: 2,
  intermediate_size: 80,
  dim_model_base: 16,
};
// A repeating phrase: learnable in a few steps, so the learning rates give different losses.
const TOKENS = Int32Array.from({ length: 4000 }, (_, i) => [3, 14, 15, 9, 26, 5, 35, 8, 9, 7, 9, 32][i % 12]!);

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "slmkit-tunnel-"));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function options(output: string, extra: Partial<S.WindTunnelOptions> = {}): S.WindTunnelOptions {
  const split = { batchSize: 2, seqLen: 16, validFraction: 0.1 };
  return {
    proxy: PROXY,
    space: { lr: [0.002, 0.02], scaleEmb: [6, 12] },
    steps: 6,
    evalBatches: 2,
    train: new S.TokenSampler(TOKENS, { ...split, seed: 1 }),
    valid: new S.TokenSampler(TOKENS, { ...split, split: "valid" }),
    output,
    ...extra,
  };
}

describe("windTunnel", () => {
  it("runs a grid, records one JSON line per trial and reports the best", async () => {
    const output = path.join(dir, "trials.jsonl");
    const seen: number[] = [];
    const result = await S.windTunnel(options(output, { onTrial: (_, done) => seen.push(done) }));
    expect(seen).toEqual([1, 2, 3, 4]);
    expect(result.ran).toBe(4);
    expect(result.skipped).toBe(0);
    const lines = S.readJsonl(output);
    expect(lines).toEqual(JSON.parse(JSON.stringify(result.records)));
    expect(lines.map((r) => [r.lr, r.scaleEmb, r.scaleDepth, r.initStd])).toEqual([
      [0.002, 6, 1.4, 0.1],
      [0.002, 12, 1.4, 0.1],
      [0.02, 6, 1.4, 0.1],
      [0.02, 12, 1.4, 0.1],
    ]);
    for (const r of result.records) {
      expect(r.status).toBe("done");
      expect(r.step).toBe(6);
      expect(Number.isFinite(r.trainLoss!) && Number.isFinite(r.validLoss!)).toBe(true);
    }
    const lowest = Math.min(...result.records.map((r) => r.validLoss!));
    expect(result.best!.validLoss).toBe(lowest);
    expect(new Set(result.records.map((r) => r.validLoss)).size).toBe(4); // the hyper-parameters matter
  });

  it("resumes: skips finished trials, reruns unfinished ones, and gets the losses of an uninterrupted call", async () => {
    const full = await S.windTunnel(options(path.join(dir, "full.jsonl")));
    const output = path.join(dir, "trials.jsonl");
    // An interrupted call: two trials finished, the third was running when the process stopped.
    const partial = full.records
      .slice(0, 3)
      .map((r, i) => (i === 2 ? { ...r, status: "running", trainLoss: null } : r));
    S.writeJsonl(output, partial);
    const resumed = await S.windTunnel(options(output));
    expect(resumed.ran).toBe(2);
    expect(resumed.skipped).toBe(2);
    const strip = (rs: S.WindTunnelRecord[]) => rs.map(({ seconds, ...r }) => r);
    expect(strip(resumed.records)).toEqual(strip(full.records));
    const again = await S.windTunnel(options(output));
    expect([again.ran, again.skipped]).toEqual([0, 4]);
    expect(again.best!.id).toBe(full.best!.id);
  });

  it("refuses a file of another setup and bad spaces, before training", async () => {
    const output = path.join(dir, "trials.jsonl");
    await S.windTunnel(options(output, { space: { lr: [0.01] } }));
    await expect(S.windTunnel(options(output, { space: { lr: [0.01] }, steps: 7 }))).rejects.toThrow(/another setup/);
    await expect(S.windTunnel(options(output, { space: { lr: [] } }))).rejects.toThrow(
      /space\.lr must be a non-empty list/,
    );
    await expect(S.windTunnel(options(output, { space: { lr: { min: 0.001, max: 0.1 } } }))).rejects.toThrow(
      /only random search/,
    );
    await expect(S.windTunnel(options(output, { space: { beta: [1] } as S.TunnelSpace }))).rejects.toThrow(
      /space\.beta is not tuned/,
    );
    await expect(S.windTunnel(options(output, { steps: 0 }))).rejects.toThrow(S.ArgumentError);
  });

  it("draws seeded random trials: ranges log-uniformly, lists uniformly, the same for the same seed", async () => {
    const space: S.TunnelSpace = { lr: { min: 0.001, max: 0.1 }, initStd: [0.05, 0.1, 0.2] };
    const run = (name: string, seed: number) =>
      S.windTunnel(options(path.join(dir, name), { space, search: { trials: 3, seed }, steps: 2 }));
    const a = await run("a.jsonl", 5);
    const b = await run("b.jsonl", 5);
    const c = await run("c.jsonl", 6);
    const ids = (r: S.WindTunnelResult) => r.records.map((t) => t.id);
    expect(ids(b)).toEqual(ids(a));
    expect(ids(c)).not.toEqual(ids(a));
    for (const r of [...a.records, ...c.records]) {
      expect(r.lr).toBeGreaterThanOrEqual(0.001);
      expect(r.lr).toBeLessThanOrEqual(0.1);
      expect([0.05, 0.1, 0.2]).toContain(r.initStd);
      expect(r.scaleEmb).toBe(12);
    }
  });
});
