import { describe, expect, it } from "vitest";
import { type LineChartOptions, lineChartSvg, type Series } from "../../src/io/plot.js";

/** A series through the [x, y] points. */
const series = (name: string, ...points: [number, number][]): Series => ({ name, points });

/** A loss-by-step chart 800 wide (title "t" unless given). */
const lossChart = (options: Omit<LineChartOptions, "title" | "xLabel" | "yLabel"> & { title?: string }): string =>
  lineChartSvg({ title: "t", xLabel: "step", yLabel: "loss", width: 800, ...options });

describe("lineChartSvg", () => {
  it("maps the data range onto the plot area and draws every series, marker and label", () => {
    const svg = lossChart({
      title: "loss <train>",
      height: 450,
      series: [series("train", [10, 3], [0, 4], [20, Number.NaN], [30, 1])],
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
      const svg = lineChartSvg({
        title: "t",
        xLabel: "x",
        yLabel: "y",
        logY,
        series: [series("s", [0, 0.01], [1, 10])],
      });
      const ys = [.../<path d="([^"]+)"/.exec(svg)![1]!.matchAll(/ ([\d.]+)/g)].map((m) => Number(m[1]));
      expect(ys[1]!).toBeLessThan(ys[0]!);
    }
  });

  it("puts the legend under the x-axis label, clear of the plot and the marker labels", () => {
    const svg = lossChart({
      height: 450,
      series: [series("train", [0, 4], [100, 2]), series("validation", [50, 3], [100, 2.5])],
      markers: [{ x: 95, label: "decay" }], // near the right edge, where the legend used to be
    });
    const frame = /<rect x="70" y="40" width="710" height="(\d+)" fill="none"/.exec(svg)!;
    const plotBottom = 40 + Number(frame[1]);
    const legendYs = [...svg.matchAll(/<line class="legend" x1="[\d.]+" y1="([\d.]+)"/g)].map((m) => Number(m[1]));
    expect(legendYs).toHaveLength(2);
    for (const y of legendYs) expect(y).toBeGreaterThan(plotBottom + 34); // below the x-axis label too
    expect(svg).toMatch(/<text x="[\d.]+" y="52" fill="#666">decay<\/text>/);
  });

  it("draws a lower panel on the same x axis, its series in the legend and the markers through both", () => {
    const svg = lossChart({
      series: [series("train", [0, 4], [100, 2])],
      lower: { yLabel: "learning rate", series: [series("lr", [0, 0.01], [100, 0.001])] },
      markers: [{ x: 50, label: "decay" }],
    });
    const frames = [...svg.matchAll(/<rect x="70" y="([\d.]+)" width="710" height="([\d.]+)" fill="none"/g)].map(
      (m) => [Number(m[1]), Number(m[2])],
    );
    expect(frames).toHaveLength(2);
    const [[mainTop, mainH], [lowTop, lowH]] = frames as [[number, number], [number, number]];
    expect(lowTop).toBeGreaterThan(mainTop + mainH);
    const paths = [...svg.matchAll(/<path d="([^"]+)"/g)].map((m) =>
      [...m[1]!.matchAll(/[ML]([\d.]+) ([\d.]+)/g)].map((p) => [Number(p[1]), Number(p[2])] as const),
    );
    expect(paths).toHaveLength(2);
    expect(paths[1]!.map((p) => p[0])).toEqual(paths[0]!.map((p) => p[0])); // one x axis
    for (const [, y] of paths[1]!) {
      expect(y).toBeGreaterThanOrEqual(lowTop - 0.05);
      expect(y).toBeLessThanOrEqual(lowTop + lowH + 0.05);
    }
    expect(paths[1]![1]![1]).toBeGreaterThan(paths[1]![0]![1]); // the smaller rate is lower
    expect(svg).toContain(">learning rate<");
    expect(svg).toContain(`y2="${lowTop + lowH}" stroke="#999"`); // the marker spans both panels
    expect([...svg.matchAll(/class="legend"/g)]).toHaveLength(2);
  });
});
