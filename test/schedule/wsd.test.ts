// WSD against transformers' get_wsd_schedule (multipliers dumped by scripts/fixtures/adamw_torch.py with
// transformers 5.17) and the exponential (MiniCPM) decay against a float64 transcription of its formula.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import * as S from "../../src/index.js";
import { expectSlmkitError } from "../helpers/expect.js";

interface WsdCase {
  warmupSteps: number;
  stableSteps: number;
  decaySteps: number;
  warmup: S.WarmupShape;
  decay: S.DecayShape;
  minLrRatio: number;
  multipliers: number[];
}
const fixture = JSON.parse(readFileSync(new URL("../fixtures/wsd_transformers.json", import.meta.url), "utf8")) as {
  transformers: string;
  cases: WsdCase[];
};

// Both sides evaluate the same double-precision expressions (cos(π·0.5·2·q) = cos(π·q) exactly, since the
// factor 2 is a power of two); a few ulp cover a different libm or association order.
const close = (got: number, want: number): void =>
  expect(Math.abs(got - want)).toBeLessThanOrEqual(4 * Number.EPSILON * Math.max(1, Math.abs(want)));

describe("WSD", () => {
  it(`equals peakLr × transformers ${fixture.transformers} get_wsd_schedule at every step of ${fixture.cases.length} shapes`, () => {
    expect(fixture.cases.length).toBeGreaterThanOrEqual(90);
    for (const c of fixture.cases) {
      const peakLr = 0.01;
      const wsd = new S.WSD({ peakLr, ...c });
      c.multipliers.forEach((m, step) => close(wsd.at(step) / peakLr, m));
      expect(c.multipliers.length).toBe(wsd.totalSteps + 4); // steps past the end are covered too
    }
  });

  it("indexes boundaries as transformers: step 0 at the floor, the last decay step above it", () => {
    const wsd = new S.WSD({
      peakLr: 1,
      warmupSteps: 10,
      stableSteps: 5,
      decaySteps: 4,
      decay: "linear",
      minLrRatio: 0.2,
    });
    expect(wsd.at(0)).toBe(0.2);
    close(wsd.at(9), 0.2 + 0.8 * 0.9);
    expect(wsd.at(10)).toBe(1);
    expect(wsd.at(15)).toBe(1); // the first decay step has progress 0
    close(wsd.at(18), 0.2 + 0.8 * 0.25);
    close(wsd.at(19), 0.2);
    expect([0, 9, 10, 14, 15, 18, 19, 100].map((s) => wsd.phase(s))).toEqual([
      "warmup",
      "warmup",
      "stable",
      "stable",
      "decay",
      "decay",
      "done",
      "done",
    ]);
    expect(wsd.phaseStarts()).toEqual([
      { step: 0, phase: "warmup" },
      { step: 10, phase: "stable" },
      { step: 15, phase: "decay" },
      { step: 19, phase: "done" },
    ]);
  });

  it("exponential decay 0.5^(t/halfLife) through minLrRatio, then the floor (float64 transcription)", () => {
    const o = {
      peakLr: 0.01,
      warmupSteps: 20,
      stableSteps: 100,
      decaySteps: 60,
      decay: "exponential" as const,
      halfLife: 15,
      minLrRatio: 0.1,
    };
    const wsd = new S.WSD(o);
    const want = (s: number): number => {
      if (s < 20) return 0.01 * ((s / 20) * 0.9 + 0.1);
      if (s < 120) return 0.01;
      if (s < 180) return 0.01 * (0.5 ** ((s - 120) / 15) * 0.9 + 0.1);
      return 0.001;
    };
    for (const s of [0, 1, 10, 19, 20, 21, 60, 119, 120, 121, 135, 150, 179, 180, 181, 10_000])
      close(wsd.at(s), want(s));
    close(wsd.at(135), 0.01 * (0.5 * 0.9 + 0.1)); // one half-life into the decay
  });

  it("decayFrom branches a decay at any stable step and agrees with the run before it", () => {
    const wsd = new S.WSD({
      peakLr: 0.02,
      warmupSteps: 10,
      stableSteps: 1000,
      decaySteps: 100,
      warmup: "cosine",
      decay: "1-sqrt",
      minLrRatio: 0.05,
    });
    for (const branchAt of [10, 437, 1010]) {
      const b = wsd.decayFrom(branchAt, 40);
      expect(b.totalSteps).toBe(branchAt + 40);
      for (let s = 0; s < branchAt; s++) expect(b.at(s)).toBe(wsd.at(s));
      expect(b.at(branchAt)).toBe(0.02);
      close(b.at(branchAt + 10), 0.02 * ((1 - Math.sqrt(10 / 40)) * 0.95 + 0.05));
      close(b.at(branchAt + 40), 0.02 * 0.05);
      expect(b.phase(branchAt)).toBe("decay");
    }
    expectSlmkitError(() => wsd.decayFrom(9, 10), ["WSD.decayFrom", "step", "[10, 1010]", "9"], S.ArgumentError);
    expectSlmkitError(() => wsd.decayFrom(1011, 10), ["WSD.decayFrom", "1011"], S.ArgumentError);
    expectSlmkitError(() => wsd.decayFrom(500, -1), ["WSD", "decaySteps", "-1"], S.ArgumentError);
  });

  it("defaults: linear warmup, cosine decay, no floor", () => {
    const wsd = new S.WSD({ peakLr: 1, warmupSteps: 4, stableSteps: 0, decaySteps: 4 });
    expect(wsd.toJSON()).toEqual({
      kind: "wsd",
      peakLr: 1,
      warmupSteps: 4,
      stableSteps: 0,
      decaySteps: 4,
      warmup: "linear",
      decay: "cosine",
      minLrRatio: 0,
      convention: "huggingface",
    });
    close(wsd.at(6), 0.5 * (1 + Math.cos(Math.PI / 2)));
    expect(wsd.at(8)).toBe(0);
  });

  it("errors name WSD, the option and the value", () => {
    const base = { peakLr: 1, warmupSteps: 1, stableSteps: 1, decaySteps: 1 };
    expectSlmkitError(() => new S.WSD({ ...base, warmupSteps: -3 }), ["WSD", "warmupSteps", "-3"], S.ArgumentError);
    expectSlmkitError(() => new S.WSD({ ...base, stableSteps: 1.5 }), ["WSD", "stableSteps", "1.5"], S.ArgumentError);
    expectSlmkitError(() => new S.WSD({ ...base, peakLr: Number.NaN }), ["WSD", "peakLr", "NaN"], S.ArgumentError);
    expectSlmkitError(() => new S.WSD({ ...base, minLrRatio: 1.5 }), ["WSD", "minLrRatio", "1.5"], S.ArgumentError);
    expectSlmkitError(() => new S.WSD({ ...base, decay: "exp" as never }), ["WSD", "decay", '"exp"'], S.ArgumentError);
    expectSlmkitError(
      () => new S.WSD({ ...base, warmup: "step" as never }),
      ["WSD", "warmup", '"step"'],
      S.ArgumentError,
    );
    expectSlmkitError(
      () => new S.WSD({ ...base, decay: "exponential" }),
      ["WSD", "halfLife", "undefined"],
      S.ArgumentError,
    );
    expectSlmkitError(
      () => new S.WSD({ ...base, decay: "exponential", halfLife: 0 }),
      ["WSD", "halfLife", "0"],
      S.ArgumentError,
    );
    expectSlmkitError(() => new S.WSD({ ...base, halfLife: 5 }), ["WSD", "halfLife", "cosine"], S.ArgumentError);
    expectSlmkitError(
      () => new S.WSD({ ...base, convention: "megatron" as never }),
      ["WSD", "convention", '"megatron"'],
      S.ArgumentError,
    );
    expectSlmkitError(
      () => new S.WSD({ ...base, decay: "exponential", halfLife: 5, minLrRatio: 0.1, convention: "minicpm" }),
      ["WSD", "minLrRatio", "minicpm", "0.1"],
      S.ArgumentError,
    );
    expectSlmkitError(() => new S.WSD(base).at(-1), ["WSD", "step", "-1"], S.ArgumentError);
    expectSlmkitError(() => new S.WSD(base).at(0.5), ["WSD", "step", "0.5"], S.ArgumentError);
  });
});
