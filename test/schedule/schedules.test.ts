// Cosine, linear, constant, inverse-sqrt, infinite and re-warm schedules against float64 transcriptions of
// their formulas (PAPERS.md §3 for the infinite and re-warm ones) at every phase boundary (±1) and inside.
import { describe, expect, it } from "vitest";
import * as S from "../../src/index.js";
import { expectSlmkitError } from "../helpers/expect.js";

function expectFormula(schedule: S.Schedule, want: (s: number) => number, steps: number[]): void {
  for (const s of steps) {
    const w = want(s);
    expect(Math.abs(schedule.at(s) - w), `step ${s}: ${schedule.at(s)} vs ${w}`).toBeLessThanOrEqual(
      4 * Number.EPSILON * Math.max(1e-3, Math.abs(w)),
    );
  }
}

describe("warmup + decay schedules", () => {
  it("CosineSchedule: linear warmup, half cosine to minLr, then minLr", () => {
    const s = new S.CosineSchedule({ peakLr: 3e-4, warmupSteps: 100, totalSteps: 1100, minLr: 3e-5 });
    const want = (t: number): number =>
      t < 100
        ? (3e-4 * t) / 100
        : t >= 1100
          ? 3e-5
          : 3e-5 + (3e-4 - 3e-5) * 0.5 * (1 + Math.cos((Math.PI * (t - 100)) / 1000));
    expectFormula(s, want, [0, 1, 50, 99, 100, 101, 600, 1099, 1100, 1101, 5000]);
    expect(s.at(600)).toBeCloseTo(1.65e-4, 15);
    expect(s.phaseStarts().map((p) => p.phase)).toEqual(["warmup", "decay", "done"]);
  });
  it("LinearSchedule: linear warmup, straight line to minLr (default 0)", () => {
    const s = new S.LinearSchedule({ peakLr: 1e-3, warmupSteps: 10, totalSteps: 110 });
    expectFormula(
      s,
      (t) => (t < 10 ? 1e-4 * t : t >= 110 ? 0 : 1e-3 * (1 - (t - 10) / 100)),
      [0, 9, 10, 11, 60, 109, 110, 111],
    );
    expect(new S.LinearSchedule({ peakLr: 1, totalSteps: 4 }).at(0)).toBe(1); // no warmup
  });
  it("ConstantSchedule with and without warmup", () => {
    expectFormula(
      new S.ConstantSchedule({ lr: 1e-3, warmupSteps: 10 }),
      (t) => (t < 10 ? 1e-4 * t : 1e-3),
      [0, 5, 9, 10, 11, 1e6],
    );
    expect(new S.ConstantSchedule({ lr: 2e-3 }).at(0)).toBe(2e-3);
    expect(new S.ConstantSchedule({ lr: 2e-3 }).phaseStarts()).toEqual([]);
  });
  it("InverseSqrtSchedule: warmup then peak·sqrt(warmup/step)", () => {
    const s = new S.InverseSqrtSchedule({ peakLr: 1e-3, warmupSteps: 100 });
    expectFormula(s, (t) => (t < 100 ? 1e-5 * t : 1e-3 * Math.sqrt(100 / t)), [0, 99, 100, 101, 400, 10_000]);
    expect(s.at(400)).toBeCloseTo(5e-4, 15);
  });
  it("errors name the schedule, the option and the value", () => {
    expectSlmkitError(
      () => new S.CosineSchedule({ peakLr: 1, warmupSteps: 10, totalSteps: 5 }),
      ["CosineSchedule", "totalSteps", ">= 10", "5"],
      S.ArgumentError,
    );
    expectSlmkitError(
      () => new S.CosineSchedule({ peakLr: 1, totalSteps: 5, minLr: 2 }),
      ["CosineSchedule", "minLr", "2"],
      S.ArgumentError,
    );
    expectSlmkitError(
      () => new S.LinearSchedule({ peakLr: -1, totalSteps: 5 }),
      ["LinearSchedule", "peakLr", "-1"],
      S.ArgumentError,
    );
    expectSlmkitError(
      () => new S.ConstantSchedule({ lr: Infinity }),
      ["ConstantSchedule", "lr", "Infinity"],
      S.ArgumentError,
    );
    expectSlmkitError(
      () => new S.InverseSqrtSchedule({ peakLr: 1, warmupSteps: 0 }),
      ["InverseSqrtSchedule", "warmupSteps", "0"],
      S.ArgumentError,
    );
    expectSlmkitError(
      () => new S.ConstantSchedule({ lr: 1 }).at(-2),
      ["ConstantSchedule", "step", "-2"],
      S.ArgumentError,
    );
  });
});

describe("InfiniteSchedule (Ibrahim et al. 2024)", () => {
  const peak = 3e-4;
  const etaC = 1e-4;
  it("warmup, cosine cooldown ηc + (ηmax − ηc)/2·(cos(πt/T) + 1), constant", () => {
    const s = new S.InfiniteSchedule({ peakLr: peak, warmupSteps: 50, cooldownSteps: 200, constantLr: etaC });
    const want = (t: number): number =>
      t < 50
        ? (peak * t) / 50
        : t < 250
          ? etaC + ((peak - etaC) / 2) * (Math.cos((Math.PI * (t - 50)) / 200) + 1)
          : etaC;
    expectFormula(s, want, [0, 49, 50, 51, 150, 249, 250, 251, 1e7]);
    expect(s.phaseStarts().map((p) => p.phase)).toEqual(["warmup", "cooldown", "constant"]);
  });
  it("inverse-sqrt cooldown ηmax + (ηc − ηmax)·h(t/T)/h(1), h(x) = 1/sqrt(1 + αx) − 1, and the anneal ηc·(ηmin/ηc)^(u/T_ann)", () => {
    const alpha = 10;
    const h = (x: number): number => 1 / Math.sqrt(1 + alpha * x) - 1;
    const s = new S.InfiniteSchedule({
      peakLr: peak,
      warmupSteps: 10,
      cooldownSteps: 100,
      constantLr: etaC,
      cooldown: "inverse-sqrt",
      alpha,
      annealStart: 500,
      annealSteps: 40,
      minLr: 1e-5,
    });
    const want = (t: number): number => {
      if (t < 10) return (peak * t) / 10;
      if (t < 110) return peak + ((etaC - peak) * h((t - 10) / 100)) / h(1);
      if (t < 500) return etaC;
      return etaC * Math.pow(1e-5 / etaC, Math.min(t - 500, 40) / 40);
    };
    expectFormula(s, want, [0, 9, 10, 11, 60, 109, 110, 111, 499, 500, 501, 520, 539, 540, 541, 1e6]);
    expect(s.at(10)).toBe(peak);
    expect(s.at(540)).toBeCloseTo(1e-5, 18);
    expect(s.phaseStarts().map((p) => [p.step, p.phase])).toEqual([
      [0, "warmup"],
      [10, "cooldown"],
      [110, "constant"],
      [500, "anneal"],
      [540, "done"],
    ]);
  });
  it("annealFrom branches an anneal off the constant phase", () => {
    const s = new S.InfiniteSchedule({ peakLr: peak, warmupSteps: 10, cooldownSteps: 100, constantLr: etaC });
    const a = s.annealFrom(300, 20, 2e-5);
    for (const t of [0, 50, 110, 299]) expect(a.at(t)).toBe(s.at(t));
    expectFormula(a, (t) => etaC * Math.pow(2e-5 / etaC, (t - 300) / 20), [300, 301, 310, 319, 320]);
    expectSlmkitError(
      () => s.annealFrom(100, 20, 2e-5),
      ["InfiniteSchedule", "annealStart", ">= 110", "100"],
      S.ArgumentError,
    );
  });
  it("errors", () => {
    const base = { peakLr: 1, warmupSteps: 1, cooldownSteps: 1, constantLr: 0.5 };
    expectSlmkitError(
      () => new S.InfiniteSchedule({ ...base, constantLr: 2 }),
      ["InfiniteSchedule", "constantLr", "2"],
      S.ArgumentError,
    );
    expectSlmkitError(
      () => new S.InfiniteSchedule({ ...base, cooldown: "linear" as never }),
      ["InfiniteSchedule", "cooldown", '"linear"'],
      S.ArgumentError,
    );
    expectSlmkitError(
      () => new S.InfiniteSchedule({ ...base, alpha: 0 }),
      ["InfiniteSchedule", "alpha", "0"],
      S.ArgumentError,
    );
    expectSlmkitError(
      () => new S.InfiniteSchedule({ ...base, annealStart: 10 }),
      ["InfiniteSchedule", "annealSteps", "undefined"],
      S.ArgumentError,
    );
    expectSlmkitError(
      () => new S.InfiniteSchedule({ ...base, annealSteps: 10 }),
      ["InfiniteSchedule", "annealStart"],
      S.ArgumentError,
    );
  });
});

describe("RewarmSchedule (re-warm and re-decay for a new data phase)", () => {
  const first = new S.CosineSchedule({ peakLr: 3e-4, warmupSteps: 10, totalSteps: 1000, minLr: 3e-5 });
  it("follows the previous schedule, re-warms linearly, re-decays along a cosine to 0.1·peak by default", () => {
    const s = new S.RewarmSchedule({
      previous: first,
      startStep: 1000,
      rewarmSteps: 20,
      peakLr: 2e-4,
      decaySteps: 500,
    });
    expect(s.minLr).toBe(2e-5);
    for (const t of [0, 9, 10, 500, 999]) expect(s.at(t)).toBe(first.at(t));
    const want = (t: number): number =>
      t < 1020
        ? (2e-4 * (t - 1000)) / 20
        : t >= 1520
          ? 2e-5
          : 2e-5 + (2e-4 - 2e-5) * 0.5 * (1 + Math.cos((Math.PI * (t - 1020)) / 500));
    expectFormula(s, want, [1000, 1001, 1019, 1020, 1021, 1270, 1519, 1520, 1521]);
    expect(s.phaseStarts().map((p) => [p.step, p.phase])).toEqual([
      [0, "warmup"],
      [10, "decay"],
      [1000, "re-warm"],
      [1020, "re-decay"],
      [1520, "done"],
    ]);
  });
  it("startLr and minLr; steps before startStep need a previous schedule", () => {
    const s = new S.RewarmSchedule({
      startStep: 100,
      rewarmSteps: 10,
      peakLr: 1,
      decaySteps: 10,
      minLr: 0.5,
      startLr: 0.2,
    });
    expectFormula(
      s,
      (t) =>
        t < 110
          ? 0.2 + (0.8 * (t - 100)) / 10
          : t >= 120
            ? 0.5
            : 0.5 + 0.25 * (1 + Math.cos((Math.PI * (t - 110)) / 10)),
      [100, 105, 109, 110, 115, 119, 120],
    );
    expectSlmkitError(() => s.at(99), ["RewarmSchedule", "99", "startStep 100"], S.ArgumentError);
    expectSlmkitError(
      () => new S.RewarmSchedule({ startStep: 0, rewarmSteps: 1, peakLr: 1, decaySteps: 1, minLr: 2 }),
      ["RewarmSchedule", "minLr", "2"],
      S.ArgumentError,
    );
    expectSlmkitError(
      () => new S.RewarmSchedule({ startStep: 0, rewarmSteps: 1, peakLr: 1, decaySteps: 1, previous: 3 as never }),
      ["RewarmSchedule", "previous"],
      S.ArgumentError,
    );
  });
});

describe("scheduleFromJSON", () => {
  const schedules: S.Schedule[] = [
    new S.WSD({
      peakLr: 0.01,
      warmupSteps: 10,
      stableSteps: 50,
      decaySteps: 20,
      warmup: "1-sqrt",
      decay: "exponential",
      halfLife: 5,
      minLrRatio: 0.1,
    }),
    new S.WSD({ peakLr: 0.01, warmupSteps: 10, stableSteps: 50, decaySteps: 20, warmup: "cosine", decay: "1-sqrt" }),
    new S.CosineSchedule({ peakLr: 1e-3, warmupSteps: 5, totalSteps: 80, minLr: 1e-4 }),
    new S.LinearSchedule({ peakLr: 1e-3, warmupSteps: 5, totalSteps: 80 }),
    new S.ConstantSchedule({ lr: 1e-3, warmupSteps: 3 }),
    new S.InverseSqrtSchedule({ peakLr: 1e-3, warmupSteps: 7 }),
    new S.InfiniteSchedule({
      peakLr: 1e-3,
      warmupSteps: 5,
      cooldownSteps: 20,
      constantLr: 5e-4,
      cooldown: "inverse-sqrt",
      alpha: 3,
      annealStart: 60,
      annealSteps: 10,
      minLr: 1e-5,
    }),
    new S.RewarmSchedule({
      previous: new S.WSD({ peakLr: 1e-3, warmupSteps: 5, stableSteps: 20, decaySteps: 10 }),
      startStep: 40,
      rewarmSteps: 5,
      peakLr: 5e-4,
      decaySteps: 30,
    }),
  ];
  it("rebuilds every schedule from its JSON text with equal values at every step", () => {
    for (const s of schedules) {
      const again = S.scheduleFromJSON(JSON.parse(JSON.stringify(s)));
      expect(again.constructor).toBe(s.constructor);
      expect(again.toJSON()).toEqual(s.toJSON());
      for (let t = 0; t < 100; t++) expect(again.at(t)).toBe(s.at(t));
    }
  });
  it("rejects unknown kinds and bad options, naming them", () => {
    expectSlmkitError(
      () => S.scheduleFromJSON({ kind: "step" }),
      ["scheduleFromJSON", "kind", '"step"', "wsd"],
      S.ArgumentError,
    );
    expectSlmkitError(() => S.scheduleFromJSON(null), ["scheduleFromJSON", "kind"], S.ArgumentError);
    expectSlmkitError(
      () => S.scheduleFromJSON({ kind: "toString" }),
      ["scheduleFromJSON", "toString"],
      S.ArgumentError,
    );
    expectSlmkitError(
      () => S.scheduleFromJSON({ kind: "cosine", peakLr: 1, totalSteps: "9" }),
      ["CosineSchedule", "totalSteps", "9"],
      S.ArgumentError,
    );
  });
});
