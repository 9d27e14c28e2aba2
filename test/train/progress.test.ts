import { describe, expect, it } from "vitest";
import type { MetricsRecord } from "../../src/train/metrics.js";
import { ProgressReporter } from "../../src/train/progress.js";

const record = (step: number, valLoss?: number): MetricsRecord => ({
  step,
  loss: 2.5,
  lr: 0.001,
  gradNorm: 1,
  tokensPerSec: 12345,
  tokens: step * 100,
  elapsed: step * 2,
  ...(valLoss === undefined ? {} : { valLoss }),
});

describe("ProgressReporter", () => {
  it("prints one plain line per record when the stream is not a terminal", () => {
    const out: string[] = [];
    const p = new ProgressReporter({ write: (t: string) => out.push(t), isTTY: false }, 100);
    p.update(10, 2.5, 0.001, 12345, 20, 0, 0);
    p.log(record(10), 0, 0);
    p.log(record(20, 2.25), 0, 0);
    p.finish();
    // 10 steps took 20 s, so 90 more take 180 s = 3m00s.
    expect(out).toEqual([
      "step 10/100  loss 2.5000  lr 1.00e-3  12.3k tok/s  elapsed 20s  ETA 3m00s\n",
      "step 20/100  loss 2.5000  lr 1.00e-3  12.3k tok/s  elapsed 40s  ETA 2m40s  val 2.2500\n",
    ]);
  });

  it("redraws a bar in place on a terminal and keeps validation lines", () => {
    const out: string[] = [];
    const p = new ProgressReporter({ write: (t: string) => out.push(t), isTTY: true, columns: 200 }, 4);
    p.update(2, 2.5, 0.001, 500, 4, 0, 0);
    p.log(record(2), 0, 0); // not a validation record: the bar alone shows it
    p.log(record(4, 1.5), 0, 0);
    p.finish();
    // biome-ignore lint/complexity/noAdjacentSpacesInRegex: the progress line separates its fields by two spaces
    expect(out[0]).toMatch(/^\r\[#{12}-{12}\] step 2\/4  loss 2\.5000  lr 1\.00e-3  500 tok\/s  elapsed 4s  ETA 4s$/);
    expect(out[1]).toMatch(/^\rstep 4\/4 .* val 1\.5000 *\n$/); // padded over the bar
    expect(out.length).toBe(2);
  });

  it("keeps loss and ETA when the terminal reports no width, and when it is narrow", () => {
    const draw = (columns: number | undefined): string => {
      const out: string[] = [];
      new ProgressReporter({ write: (t: string) => out.push(t), isTTY: true, columns }, 100).update(
        10,
        2.5,
        0.001,
        12345,
        20,
        0,
        0,
      );
      return out[0]!.slice(1); // after the \r
    };
    const full = "[##----------------------] step 10/100  loss 2.5000  lr 1.00e-3  12.3k tok/s  elapsed 20s  ETA 3m00s";
    expect(draw(undefined)).toBe(full);
    expect(draw(0)).toBe(full); // a width of 0 means unknown, not zero columns
    expect(draw(200)).toBe(full);
    expect(draw(65)).toBe("step 10/100  loss 2.5000  lr 1.00e-3  12.3k tok/s  ETA 3m00s"); // bar and elapsed dropped
    expect(draw(40)).toBe("step 10/100  loss 2.5000  ETA 3m00s");
    expect(draw(20)).toBe("step 10/100 loss 2."); // too narrow for anything more
    for (const columns of [undefined, 0, 65, 40]) expect(draw(columns)).toMatch(/loss 2\.5000 .*ETA 3m00s$/);
  });
});
