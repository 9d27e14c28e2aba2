import { ArgumentError } from "../errors.js";
import { lineChartSvg } from "../io/plot.js";
import type { Schedule } from "./schedule.js";

export interface ScheduleSvgOptions {
  /** Plot steps [0, steps). */
  steps: number;
  /** Default: the schedule's kind. */
  title?: string;
}

/**
 * The learning rate over steps [0, steps) as an SVG line chart, with a dashed marker where each phase starts.
 *
 * @example
 * fs.writeFileSync("wsd.svg", scheduleSvg(wsd, { steps: wsd.totalSteps + 100 }));
 */
export function scheduleSvg(schedule: Schedule, options: ScheduleSvgOptions): string {
  if (typeof schedule !== "object" || schedule === null || typeof schedule.at !== "function")
    throw new ArgumentError("scheduleSvg: schedule must be a Schedule");
  const steps = options?.steps;
  if (typeof steps !== "number" || !Number.isInteger(steps) || steps < 1)
    throw new ArgumentError(`scheduleSvg: steps must be a whole number >= 1, got ${String(steps)}`);
  // At most ~2000 points: an SVG path with one point per step of a long run would be megabytes.
  const stride = Math.max(1, Math.ceil(steps / 2000));
  const points: [number, number][] = [];
  for (let s = 0; s < steps; s += stride) points.push([s, schedule.at(s)]);
  if (points[points.length - 1]![0] !== steps - 1) points.push([steps - 1, schedule.at(steps - 1)]);
  const markers = (schedule.phaseStarts?.() ?? [])
    .filter((p) => p.step > 0 && p.step < steps)
    .map((p) => ({ x: p.step, label: p.phase }));
  const kind = schedule.toJSON().kind;
  return lineChartSvg({
    title: options.title ?? `${kind} learning-rate schedule`,
    xLabel: "step",
    yLabel: "learning rate",
    series: [{ name: kind, points }],
    markers,
  });
}
