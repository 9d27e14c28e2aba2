// μP's coordinate check on CPU-sized MiniCPMs: widths 64 → 512 (m = 1 → 8), 2 layers, 3 AdamW steps at
// lr 0.01 on 4 × 16 random tokens.
//
// Measured (ratios width 512 : width 64 of mean |x| on the probe batch after 3 steps; seeds 0–4, CPU):
//   μP, default (embedding at lr / m)  layers.0 0.53–0.57, layers.1 0.61–0.63 (max/min over the four widths
//                                      1.76–1.88 and 1.58–1.64); logits 0.14–0.15
//   standard parametrisation           layers.0 21.2–24.1, layers.1 16.4–20.4 (|x_t − x_0|: 20.5–29.0);
//                                      logits 2.83–3.14
//   μP, embedding at lr                |x_t − x_0| of layers.0 and layers.1: max/min over the widths 1.09–1.27
// The seeds agree to a few per cent, so one seed is tested, with thresholds at least 25% away from every
// value measured. Under μP the hidden states stay within a factor of 2 across widths while the standard ones
// grow about as width^1.5 (init std 0.1 whatever the fan-in, then Adam's lr·fan_in updates). MiniCPM's μP
// logits do not grow; they shrink about as 1/m, because the tied embedding is initialised at 0.1 / sqrt(m)
// and the head input is divided by m, and three steps at lr / m do not change that.
import { describe, expect, it } from "vitest";
import * as S from "../../src/index.js";
import { expectSlmkitError } from "../helpers/expect.js";

const WIDTHS = [64, 128, 256, 512];
const STEPS = 3;
const LAYERS = [1, 2]; // indices of layers.0 and layers.1 in result.outputs
const LOGITS = 4;

const atEnd = (r: S.CoordCheckResult, k: number, measure: "meanAbs" | "meanAbsChange" = "meanAbs"): number[] =>
  r[measure].map((perStep) => perStep[STEPS]![k]!);
const growth = (xs: number[]): number => xs.at(-1)! / xs[0]!;
const spread = (xs: number[]): number => Math.max(...xs) / Math.min(...xs);

describe("coordCheck", () => {
  it("μP keeps hidden states within a small factor across widths; standard parametrisation blows up", () => {
    const mup = S.coordCheck({ widths: WIDTHS, steps: STEPS, mup: true, seed: 0 });
    const sp = S.coordCheck({ widths: WIDTHS, steps: STEPS, mup: false, seed: 0 });
    for (const r of [mup, sp]) {
      expect(r.outputs).toEqual(["embedding", "layers.0", "layers.1", "norm", "logits"]);
      expect(r.meanAbs.map((perStep) => perStep.length)).toEqual([4, 4, 4, 4]);
      expect(r.meanAbsChange.every((perStep) => perStep[0]!.every((x) => x === 0))).toBe(true);
      expect(r.loss.flat().every(Number.isFinite)).toBe(true);
    }
    for (const k of LAYERS) {
      expect(spread(atEnd(mup, k))).toBeLessThan(2.5); // measured ≤ 1.88
      expect(growth(atEnd(sp, k))).toBeGreaterThan(10); // measured ≥ 16.4
      expect(growth(atEnd(sp, k, "meanAbsChange"))).toBeGreaterThan(10); // measured ≥ 20.4
    }
    expect(growth(atEnd(mup, LOGITS))).toBeLessThan(0.25); // measured ≤ 0.15: no growth, about 1/m
    expect(growth(atEnd(sp, LOGITS))).toBeGreaterThan(2); // measured ≥ 2.83
  });

  it("with the embedding at the full lr, μP's updates of the hidden states are flat in width", () => {
    const r = S.coordCheck({ widths: WIDTHS, steps: STEPS, mup: true, seed: 0, embeddingLrScaled: false });
    for (const k of LAYERS) expect(spread(atEnd(r, k, "meanAbsChange"))).toBeLessThan(1.6); // measured ≤ 1.27
  });

  it("is deterministic, takes given batches, leaks nothing, and plots", () => {
    const before = S.memory().numTensors;
    const tokens = Int32Array.from({ length: 400 }, (_, i) => (i * 7919) % 50);
    const options = { widths: [32, 64], steps: 1, mup: true, headDim: 16, vocabSize: 50, layers: 1 } as const;
    const a = S.coordCheck({ ...options, data: new S.TokenSampler(tokens, { batchSize: 2, seqLen: 8 }) });
    const b = S.coordCheck({ ...options, data: new S.TokenSampler(tokens, { batchSize: 2, seqLen: 8 }) });
    expect(b).toEqual(a);
    expect(a.outputs).toEqual(["embedding", "layers.0", "norm", "logits"]);
    expect(S.memory().numTensors).toBe(before);
    const svg = S.coordCheckSvg(a, { measure: "meanAbsChange" });
    expect(svg).toContain("<svg");
    expect(svg).toContain("layers.0");
    expectSlmkitError(() => S.coordCheckSvg(a, { step: 2 }), ["coordCheckSvg", "step", "[0, 1]", "2"], S.ArgumentError);
  });

  it("errors name the option", () => {
    const base = { widths: [64], steps: 1, mup: true };
    expectSlmkitError(() => S.coordCheck({ ...base, widths: [] }), ["coordCheck", "widths"], S.ArgumentError);
    expectSlmkitError(
      () => S.coordCheck({ ...base, widths: [48] }),
      ["coordCheck", "multiple of headDim (32)", "48"],
      S.ArgumentError,
    );
    expectSlmkitError(() => S.coordCheck({ ...base, steps: -1 }), ["coordCheck", "steps", "-1"], S.ArgumentError);
    expectSlmkitError(() => S.coordCheck({ ...base, lr: 0 }), ["coordCheck", "lr", "0"], S.ArgumentError);
    expectSlmkitError(
      () => S.coordCheck({ ...base, mup: "yes" as never }),
      ["coordCheck", "mup", "yes"],
      S.ArgumentError,
    );
  });
});
