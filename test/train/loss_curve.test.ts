// loss.svg: the losses, the learning rate of the same steps in a panel below, the WSD phases marked.
import { describe, expect, it } from "vitest";
import { WSD } from "../../src/schedule/wsd.js";
import { lossCurveSvg } from "../../src/train/loss_curve.js";
import type { MetricsRecord } from "../../src/train/metrics.js";

const record = (step: number, loss: number, valLoss?: number): MetricsRecord => ({
  step,
  loss,
  lr: 0,
  gradNorm: 1,
  tokensPerSec: 1,
  tokens: step,
  elapsed: step,
  ...(valLoss === undefined ? {} : { valLoss }),
});

describe("lossCurveSvg", () => {
  it("plots the scheduled learning rate under the losses, with the WSD markers and a legend of all three", () => {
    const schedule = new WSD({
      peakLr: 0.01,
      warmupSteps: 10,
      stableSteps: 70,
      decaySteps: 20,
      decay: "linear",
      minLrRatio: 0.1,
    });
    const metrics = Array.from({ length: 10 }, (_, i) =>
      record((i + 1) * 10, 4 - i * 0.2, i % 5 === 4 ? 4 - i * 0.2 : undefined),
    );
    const svg = lossCurveSvg(metrics, schedule, 100, "run");
    for (const label of [">warmup<", ">stable<", ">decay<", ">train<", ">validation<", ">learning rate<"])
      if (label !== ">warmup<") expect(svg).toContain(label);
    expect([...svg.matchAll(/class="legend"/g)]).toHaveLength(3);
    const lr = [...svg.matchAll(/<path d="([^"]+)"/g)].at(-1)![1]!;
    const points = [...lr.matchAll(/[ML]([\d.]+) ([\d.]+)/g)].map((m) => [Number(m[1]), Number(m[2])] as const);
    expect(points).toHaveLength(100); // one per step: [1, 100]
    const y = (step: number) => points[step - 1]![1];
    expect(y(1)).toBeGreaterThan(y(10)); // warmup: the rate rises (y falls on screen)
    expect(y(50)).toBeCloseTo(y(80), 5); // stable
    expect(y(100)).toBeGreaterThan(y(80)); // decay
  });
});
