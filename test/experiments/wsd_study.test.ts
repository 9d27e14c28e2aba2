// The WSD scaling-law study end to end on CPU-sized models: 3 widths × 3 decay branches of 2 × 16-token
// batches. So few, so short runs determine no law; the test asserts the pipeline (stable runs shared by their
// branches, the points, the fit's inputs, resuming), not the paper's constants.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import * as S from "../../src/index.js";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "slmkit-study-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const TOKENS = Int32Array.from({ length: 6000 }, (_, i) => ((i * 7) % 13) + ((i >> 4) % 5) * 3);
const size = (C: number): S.ScalingStudySize => ({
  name: `w${C}`,
  model: {
    vocab_size: 64,
    hidden_size: C,
    num_hidden_layers: 2,
    num_attention_heads: C / 16,
    intermediate_size: 2.5 * C,
    dim_model_base: 32,
  },
});

function options(outDir: string, onPoint?: (p: S.ScalingStudyPoint) => void): S.ScalingStudyOptions {
  const split = { batchSize: 2, seqLen: 16, validFraction: 0.1 };
  return {
    sizes: [size(32), size(48), size(64)],
    branchSteps: [8, 16, 24],
    decayFraction: 0.2,
    evalBatches: 2,
    train: new S.TokenSampler(TOKENS, { ...split, seed: 3 }),
    valid: new S.TokenSampler(TOKENS, { ...split, split: "valid" }),
    outDir,
    onPoint,
  };
}

describe("scalingStudy", () => {
  const outDir = path.join(dir, "study");
  let first: S.ScalingStudyResult;

  it("branches decays off one stable run per size, collects (N, D, loss) and fits", async () => {
    first = await S.scalingStudy(options(outDir));
    expect(first.points.map((p) => [p.size, p.branchStep, p.decaySteps])).toEqual([
      ["w32", 8, 2],
      ["w32", 16, 4],
      ["w32", 24, 6],
      ["w48", 8, 2],
      ["w48", 16, 4],
      ["w48", 24, 6],
      ["w64", 8, 2],
      ["w64", 16, 4],
      ["w64", 24, 6],
    ]);
    for (const p of first.points) {
      const config = size(Number(p.size.slice(1))).model as S.MiniCPMConfigInput;
      expect(p.params).toBe(S.MiniCPM.countParameters(config, { embedding: false }));
      expect(p.tokens).toBe((p.branchStep + p.decaySteps) * 32);
      expect(p.paramsBillions).toBe(p.params / 1e9);
      expect(p.tokensBillions).toBe(p.tokens / 1e9);
      expect(Number.isFinite(p.loss)).toBe(true);
    }
    expect(S.readJsonl(path.join(outDir, "points.jsonl"))).toEqual(JSON.parse(JSON.stringify(first.points)));
    // One stable run per size stopped at every branch step; each branch decays from its checkpoint.
    expect(fs.readdirSync(path.join(outDir, "w48", "stable", "checkpoints")).sort()).toEqual([
      "latest",
      "step-0000008",
      "step-0000016",
      "step-0000024",
    ]);
    const branch = S.readJsonl(path.join(outDir, "w48", "decay-16", "metrics.jsonl"));
    expect(branch.at(-1)!.step).toBe(20);
    expect(branch.at(-1)!.lr as number).toBeLessThan(0.01 / 2); // decayed: half-life 1 step (a quarter of the shortest decay, at least 1), 3 steps in
    // The fit ran on the 9 points: either a law with intervals, or the reason it could not be determined.
    if (first.fit) expect(first.fit.residuals).toHaveLength(9);
    else expect(first.fitError).toMatch(/fitScalingLaw/);
  });

  it("resumes: finished points are skipped, missing ones are measured again from the stable checkpoints", async () => {
    const again: S.ScalingStudyPoint[] = [];
    const unchanged = await S.scalingStudy(options(outDir, (p) => again.push(p)));
    expect(again).toEqual([]);
    expect(unchanged.points).toEqual(first.points);
    S.writeJsonl(
      path.join(outDir, "points.jsonl"),
      first.points.filter((p) => p.size !== "w64" || p.branchStep === 8),
    );
    fs.rmSync(path.join(outDir, "w64", "decay-24"), { recursive: true });
    const resumed = await S.scalingStudy(options(outDir, (p) => again.push(p)));
    expect(again.map((p) => p.branchStep)).toEqual([16, 24]);
    const byKey = (ps: S.ScalingStudyPoint[]) => new Map(ps.map((p) => [`${p.size}/${p.branchStep}`, p]));
    expect(byKey(resumed.points)).toEqual(byKey(first.points)); // the CPU resumes bit for bit
  });

  it("refuses bad options before training", async () => {
    const bad = (extra: Partial<S.ScalingStudyOptions>) =>
      S.scalingStudy({ ...options(path.join(dir, "bad")), ...extra });
    await expect(bad({ branchSteps: [16, 8] })).rejects.toThrow(/branchSteps must be ascending/);
    await expect(bad({ sizes: [size(32), size(32)] })).rejects.toThrow(/unique names/);
    await expect(bad({ sizes: [{ name: "x", model: "huge" as S.MiniCPMPresetName }] })).rejects.toThrow(
      /unknown preset/,
    );
    await expect(bad({ decayFraction: 1 })).rejects.toThrow(/decayFraction must be in \(0, 1\)/);
    expect(fs.existsSync(path.join(dir, "bad"))).toBe(false);
  });
});
