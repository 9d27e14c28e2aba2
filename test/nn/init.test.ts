// Initialisers: sample statistics within bounds derived from the sample size, seeding and its isolation.
import { describe, expect, it } from "vitest";
import * as S from "../../src/index.js";

function stats(t: S.Tensor<"f32">): { mean: number; std: number; n: number } {
  const v = t.dataSync();
  const n = v.length;
  const mean = v.reduce((a, x) => a + x, 0) / n;
  const std = Math.sqrt(v.reduce((a, x) => a + (x - mean) ** 2, 0) / n);
  return { mean, std, n };
}

/**
 * For n normal samples the mean has standard error σ/sqrt(n) and the sample std relative standard error
 * 1/sqrt(2n); five standard errors make a false failure a < 1e-6 event.
 */
function expectNormal(t: S.Tensor<"f32">, sigma: number, label: string): void {
  const { mean, std, n } = stats(t);
  expect(Math.abs(mean), `${label} mean`).toBeLessThan((5 * sigma) / Math.sqrt(n));
  expect(Math.abs(std / sigma - 1), `${label} std`).toBeLessThan(5 / Math.sqrt(2 * n));
}

class Pair extends S.Module {
  readonly a = this.registerModule("a", new S.Linear(256, 384, { bias: true }));
  readonly norm = this.registerModule("norm", new S.RMSNorm(384));
}

describe("init", () => {
  it("initMuP: 2-D weights ~ N(0, (range/sqrt(m))²), norms 1, biases 0", () => {
    const m = new Pair();
    S.initConstant(m.norm.weight, 3);
    S.initMuP(m, { initializerRange: 0.1, widthMultiplier: 9, seed: 1 });
    expectNormal(m.a.weight, 0.1 / 3, "weight");
    expect(new Set(m.norm.weight.dataSync())).toEqual(new Set([1]));
    expect(new Set(m.a.bias!.dataSync())).toEqual(new Set([0]));
    m.dispose();
  });

  it("initStandard: 2-D weights ~ N(0, range²)", () => {
    const m = new Pair();
    S.initStandard(m, { initializerRange: 0.02, seed: 2 });
    expectNormal(m.a.weight, 0.02, "weight");
    m.dispose();
  });

  it("initNormal honours mean and std", () => {
    const t = S.zeros([300, 300]);
    S.initNormal(t, { mean: 0.5, std: 2 });
    const { mean, std, n } = stats(t);
    expect(Math.abs(mean - 0.5)).toBeLessThan((5 * 2) / Math.sqrt(n));
    expect(Math.abs(std / 2 - 1)).toBeLessThan(5 / Math.sqrt(2 * n));
    t.dispose();
  });

  it("a seed reproduces the values and leaves the global generator where it was", () => {
    S.manualSeed(99);
    const expected = S.randn([4]).dataSync();
    S.manualSeed(99);
    const a = new Pair();
    const b = new Pair();
    S.manualSeed(99);
    S.initMuP(a, { initializerRange: 0.1, widthMultiplier: 2, seed: 7 });
    S.initMuP(b, { initializerRange: 0.1, widthMultiplier: 2, seed: 7 });
    expect(Array.from(a.a.weight.dataSync())).toEqual(Array.from(b.a.weight.dataSync()));
    expect(Array.from(S.randn([4]).dataSync())).toEqual(Array.from(expected));
    S.initMuP(b, { initializerRange: 0.1, widthMultiplier: 2, seed: 8 });
    expect(Array.from(a.a.weight.dataSync())).not.toEqual(Array.from(b.a.weight.dataSync()));
    a.dispose();
    b.dispose();
  });

  it("rejects bad options", () => {
    const m = new Pair();
    expect(() => S.initMuP(m, { initializerRange: 0.1, widthMultiplier: 0 })).toThrow(/initMuP: widthMultiplier/);
    expect(() => S.initStandard(m, { initializerRange: -1 })).toThrow(/initStandard: initializerRange/);
    expect(() => S.initNormal(m.a.weight, { std: NaN })).toThrow(/initNormal: std/);
    m.dispose();
  });
});
