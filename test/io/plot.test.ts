import { describe, expect, it } from "vitest";
import { lineChartSvg } from "../../src/io/plot.js";

describe("lineChartSvg", () => {
  it("maps the data range onto the plot area and draws every series, marker and label", () => {
    const svg = lineChartSvg({
      title: "loss <train>",
      xLabel: "step",
      yLabel: "loss",
      width: 800,
      height: 450,
      series: [{ name: "train", points: [[10, 3], [0, 4], [20, Number.NaN], [30, 1]] }],
      markers: [{ x: 20, label: "decay" }],
    });
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg).toContain("loss &#60;train&#62;");
    // x spans [0, 30] over [70, 780]; points are sorted and the NaN point is dropped.
    const path = /<path d="([^"]+)"/.exec(svg)![1]!;
    const xs = [...path.matchAll(/[ML]([\d.]+) /g)].map((m) => Number(m[1]));
    expect(xs).toEqual([70, 70 + 710 / 3, 780].map((x) => Number(x.toFixed(1))));
    expect(svg).toContain(">decay<");
    expect(svg).toContain(`x1="${(70 + (710 * 2) / 3).toFixed(1)}"`);
  });

  it("puts larger values higher, also on a log axis", () => {
    for (const logY of [false, true]) {
      const svg = lineChartSvg({ title: "t", xLabel: "x", yLabel: "y", logY, series: [{ name: "s", points: [[0, 0.01], [1, 10]] }] });
      const ys = [...(/<path d="([^"]+)"/.exec(svg)![1]!).matchAll(/ ([\d.]+)/g)].map((m) => Number(m[1]));
      expect(ys[1]!).toBeLessThan(ys[0]!);
    }
  });
});
