// WSD's "minicpm" convention against a float64 transcription of the schedulers in MiniCPM's training code
// (the CPM framework's WarmupStableExp and WarmupStableDrop, which count num_iter from 0 as we count steps):
//   warmup   num_iter < warmup_iter:  lr = base · num_iter / warmup_iter          (from 0, no floor)
//   exp      num_iter > drop_begin:   lr = base · 0.5^((num_iter − drop_begin) / half_life), never floored
//   drop     num_iter > end − drop:   lr = base · (0.1 + max(0.9 · (end − num_iter) / drop, 0))
//   stable   otherwise:               lr = base
import { describe, expect, it } from "vitest";
import * as S from "../../src/index.js";

const close = (got: number, want: number): void =>
  expect(Math.abs(got - want)).toBeLessThanOrEqual(4 * Number.EPSILON * Math.max(1, Math.abs(want)));

function warmupStableExp(
  base: number,
  warmupIter: number,
  dropBegin: number,
  halfLife: number,
  numIter: number,
): number {
  if (numIter < warmupIter) return (base * numIter) / warmupIter;
  if (numIter > dropBegin) return base * 0.5 ** ((numIter - dropBegin) / halfLife);
  return base;
}

function warmupStableDrop(
  base: number,
  warmupIter: number,
  endIter: number,
  dropIter: number,
  numIter: number,
): number {
  if (numIter < warmupIter) return (base * numIter) / warmupIter;
  if (numIter > endIter - dropIter) return base * (0.1 + Math.max((0.9 * (endIter - numIter)) / dropIter, 0));
  return base;
}

const STEPS = [0, 1, 7, 49, 50, 51, 333, 549, 550, 551, 600, 649, 650, 700, 1_000, 5_000];

describe('WSD convention "minicpm"', () => {
  it("exponential: warmup from 0, then 0.5^(t/halfLife) from the decay start on, past the decay steps", () => {
    for (const [peakLr, halfLife] of [
      [0.01, 25],
      [3e-4, 1],
      [1, 137.5],
    ] as const) {
      const wsd = new S.WSD({
        peakLr,
        warmupSteps: 50,
        stableSteps: 500,
        decaySteps: 100,
        decay: "exponential",
        halfLife,
        convention: "minicpm",
      });
      for (const s of STEPS) close(wsd.at(s), warmupStableExp(peakLr, 50, 550, halfLife, s));
    }
    const wsd = new S.WSD({
      peakLr: 0.01,
      warmupSteps: 50,
      stableSteps: 500,
      decaySteps: 100,
      decay: "exponential",
      halfLife: 25,
      convention: "minicpm",
    });
    expect(wsd.at(0)).toBe(0); // transformers would start at its floor; MiniCPM starts at 0
    close(wsd.at(650 + 25), wsd.at(650) / 2); // still halving after the decay steps, where transformers floors
    expect(wsd.phase(700)).toBe("done");
  });

  it("linear: warmup from 0, decay to the 0.1 floor as WarmupStableDrop", () => {
    const wsd = new S.WSD({
      peakLr: 0.02,
      warmupSteps: 50,
      stableSteps: 500,
      decaySteps: 100,
      decay: "linear",
      minLrRatio: 0.1,
      convention: "minicpm",
    });
    for (const s of STEPS) close(wsd.at(s), warmupStableDrop(0.02, 50, 650, 100, s));
  });

  it("differs from transformers only at the edges: the warmup (with a floor) and the exponential tail", () => {
    const shared = {
      peakLr: 0.01,
      warmupSteps: 10,
      stableSteps: 100,
      decaySteps: 40,
      warmup: "cosine",
      decay: "cosine",
      minLrRatio: 0.2,
    } as const;
    const hf = new S.WSD(shared);
    const mc = new S.WSD({ ...shared, convention: "minicpm" });
    for (let s = 0; s < 10; s++) close(mc.at(s), 0.01 * 0.5 * (1 - Math.cos((Math.PI * s) / 10)));
    expect(hf.at(0)).toBe(0.01 * 0.2);
    for (let s = 10; s < 200; s++) expect(mc.at(s)).toBe(hf.at(s));
  });

  it("carries the convention through toJSON, scheduleFromJSON and decayFrom", () => {
    const wsd = new S.WSD({
      peakLr: 0.01,
      warmupSteps: 5,
      stableSteps: 50,
      decaySteps: 10,
      decay: "exponential",
      halfLife: 3,
      convention: "minicpm",
    });
    expect(wsd.toJSON()).toMatchObject({ kind: "wsd", convention: "minicpm", halfLife: 3 });
    const again = S.scheduleFromJSON(JSON.parse(JSON.stringify(wsd))) as S.WSD;
    expect(again.convention).toBe("minicpm");
    for (const s of [0, 3, 5, 55, 60, 65, 100]) expect(again.at(s)).toBe(wsd.at(s));
    const branch = wsd.decayFrom(20, 10);
    expect(branch.convention).toBe("minicpm");
    close(branch.at(40), warmupStableExp(0.01, 5, 20, 3, 40));
    // Checkpoints written before the option existed rebuild as transformers' schedule.
    const { convention: _, ...old } = new S.WSD({
      peakLr: 1,
      warmupSteps: 4,
      stableSteps: 0,
      decaySteps: 4,
      minLrRatio: 0.5,
    }).toJSON();
    expect((S.scheduleFromJSON(old) as S.WSD).at(0)).toBe(0.5);
  });
});
