import { ArgumentError } from "../errors.js";
import { lineChartSvg } from "../io/plot.js";
import type { CoordCheckResult } from "./coord_check.js";

export interface CoordCheckSvgOptions {
  /** "meanAbs" (default): mean |x|; "meanAbsChange": mean |x_t − x_0|. */
  measure?: "meanAbs" | "meanAbsChange";
  /** After how many updates. Default the last recorded. */
  step?: number;
  /** Default: the parametrisation, the measure and the step. */
  title?: string;
}

/**
 * A coordinate check as an SVG line chart: one line per recorded output, mean |activation| (log scale)
 * against log2(width). Flat lines mean the parametrisation transfers across width.
 *
 * @example
 * fs.writeFileSync("coord_check_mup.svg", coordCheckSvg(coordCheck({ widths: [64, 128, 256, 512], steps: 3, mup: true })));
 */
export function coordCheckSvg(result: CoordCheckResult, options: CoordCheckSvgOptions = {}): string {
  const measure = options.measure ?? "meanAbs";
  if (measure !== "meanAbs" && measure !== "meanAbsChange")
    throw new ArgumentError(`coordCheckSvg: measure must be "meanAbs" or "meanAbsChange", got ${String(measure)}`);
  const last = (result.meanAbs[0]?.length ?? 1) - 1;
  const step = options.step ?? last;
  if (!Number.isInteger(step) || step < 0 || step > last)
    throw new ArgumentError(`coordCheckSvg: step must be a whole number in [0, ${last}], got ${String(step)}`);
  const series = result.outputs.map((name, k) => ({
    name,
    points: result.widths.map((w, i) => [Math.log2(w), result[measure][i]![step]![k]!] as const),
  }));
  const what = measure === "meanAbs" ? "mean |x|" : "mean |x_t - x_0|";
  const title =
    options.title ?? `coordinate check, ${result.mup ? "μP" : "standard parametrisation"}: ${what} after ${step} steps`;
  return lineChartSvg({ title, xLabel: "log2(width)", yLabel: what, series, logY: true });
}
