// Two-stage pre-training: the decay's mixture starts exactly when WSD's decay does, and a resumed run keeps
// its place in both stages. Token ids tell the data apart: main text < 50, the decay-only data >= 100.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import * as S from "../../src/index.js";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "slmkit-two-stage-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const MAIN = Int32Array.from({ length: 3000 }, (_, i) => (i * 7) % 50);
const SFT = Int32Array.from({ length: 3000 }, (_, i) => 100 + ((i * 3) % 50));
const shape = { batchSize: 4, seqLen: 8 };

function sampler(switchAt: number): S.TwoStageSampler {
  const second = new S.MixtureSampler(
    [
      { name: "main", source: new S.TokenSampler(MAIN, { ...shape, seed: 2 }), weight: 0.5 },
      { name: "sft", source: new S.TokenSampler(SFT, { ...shape, seed: 3 }), weight: 0.5 },
    ],
    { seed: 0 },
  );
  return new S.TwoStageSampler({ first: new S.TokenSampler(MAIN, { ...shape, seed: 1 }), second, switchAt });
}

/** A source that remembers every batch the Trainer draws from it. */
function recording(source: S.BatchSource): S.BatchSource & { seen: Int32Array[] } {
  const seen: Int32Array[] = [];
  return {
    seen,
    next: () => {
      const b = source.next();
      seen.push(b.inputs);
      return b;
    },
    state: () => source.state(),
    setState: (s) => source.setState(s),
  };
}

const fromSft = (ids: Int32Array): boolean => ids.some((t) => t >= 100);

describe("TwoStageSampler", () => {
  it("draws the first stage until switchAt, then the second; resumes from its state", () => {
    const s = sampler(5);
    const batches = Array.from({ length: 12 }, () => s.next().inputs);
    expect(batches.slice(0, 5).some(fromSft)).toBe(false);
    expect(batches.slice(5).filter(fromSft).length).toBeGreaterThan(4);
    const t = sampler(5);
    for (let i = 0; i < 3; i++) t.next();
    const resumed = sampler(5);
    resumed.setState(JSON.parse(JSON.stringify(t.state())));
    expect(Array.from({ length: 9 }, () => resumed.next().inputs)).toEqual(batches.slice(3));
    expect(() => resumed.setState({ kind: "MixtureSampler" })).toThrow(S.ArgumentError);
    expect(() => new S.TwoStageSampler({ first: s, second: s, switchAt: -1 })).toThrow(
      /switchAt must be a whole number/,
    );
  });

  it("with the Trainer: the decay's micro-batches, and only they, hold the second mixture, also after a resume", async () => {
    const wsd = new S.WSD({ peakLr: 0.01, warmupSteps: 1, stableSteps: 3, decaySteps: 2, decay: "linear" });
    const gradAccumSteps = 2;
    const decayStart = wsd.warmupSteps + wsd.stableSteps;
    const run = async (outDir: string, steps: number, resume: boolean) => {
      const train = recording(sampler(decayStart * gradAccumSteps));
      const model = new S.MiniCPM(
        { vocab_size: 160, hidden_size: 32, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 64 },
        { seed: 0 },
      );
      const optimizer = new S.AdamW(model.parameterGroups());
      try {
        await new S.Trainer({
          model,
          optimizer,
          schedule: wsd,
          train,
          steps,
          gradAccumSteps,
          checkpointEvery: 2,
          outDir,
        }).fit(resume ? { resumeFrom: outDir } : {});
      } finally {
        optimizer.dispose();
        model.dispose();
      }
      return train.seen;
    };
    const whole = await run(path.join(dir, "whole"), wsd.totalSteps, false);
    expect(whole).toHaveLength(wsd.totalSteps * gradAccumSteps);
    expect(whole.slice(0, decayStart * gradAccumSteps).some(fromSft)).toBe(false);
    expect(whole.slice(decayStart * gradAccumSteps).some(fromSft)).toBe(true);
    // Stopped after step 2, resumed to the end: the same batches from step 3 on, the switch at the same place.
    const part = path.join(dir, "part");
    await run(part, 2, false);
    const rest = await run(part, wsd.totalSteps, true);
    expect(rest).toEqual(whole.slice(2 * gradAccumSteps));
  });
});
