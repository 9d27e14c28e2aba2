import { lineChartSvg, type Marker } from "../io/plot.js";
import type { Schedule } from "../schedule/schedule.js";
import type { MetricsRecord } from "./metrics.js";

/** A schedule that can name its phase (WSD: warmup, stable, decay). */
interface PhasedSchedule extends Schedule {
  phase(step: number): string;
}

function hasPhases(schedule: Schedule): schedule is PhasedSchedule {
  return typeof (schedule as Partial<PhasedSchedule>).phase === "function";
}

/** A dashed marker wherever the schedule enters a new phase after step 0 (x = steps completed before it). */
function phaseMarkers(schedule: Schedule, steps: number): Marker[] {
  if (!hasPhases(schedule)) return [];
  const markers: Marker[] = [];
  let previous = schedule.phase(0);
  for (let s = 1; s < steps; s++) {
    const phase = schedule.phase(s);
    if (phase !== previous) markers.push({ x: s, label: String(phase) });
    previous = phase;
  }
  return markers;
}

/**
 * The scheduled learning rate against steps completed: the update that completes step s + 1 runs at
 * schedule.at(s), so the rate lines up with the losses logged at that step. At most ~1000 points.
 */
function learningRatePoints(schedule: Schedule, steps: number): [number, number][] {
  const stride = Math.max(1, Math.ceil(steps / 1000));
  const points: [number, number][] = [];
  for (let s = 0; s < steps; s += stride) points.push([s + 1, schedule.at(s)]);
  if (steps > 0 && points.at(-1)![0] !== steps) points.push([steps, schedule.at(steps - 1)]);
  return points;
}

/**
 * The loss curve of a run as an SVG document: training and validation loss against step, the scheduled
 * learning rate in a panel below on the same steps, and the schedule's phase boundaries marked through
 * both when it has phases (the WSD decay shows as the extra drop in loss after the "decay" marker, where
 * the rate falls).
 *
 * @example
 * fs.writeFileSync("loss.svg", lossCurveSvg(metrics, schedule, 1000, "sotu-tiny"));
 */
export function lossCurveSvg(
  metrics: readonly MetricsRecord[],
  schedule: Schedule,
  steps: number,
  title = "loss",
): string {
  const valid = metrics.filter((r) => r.valLoss !== undefined).map((r) => [r.step, r.valLoss!] as const);
  return lineChartSvg({
    title,
    xLabel: "step",
    yLabel: "cross-entropy loss",
    series: [
      { name: "train", points: metrics.map((r) => [r.step, r.loss] as const) },
      ...(valid.length ? [{ name: "validation", points: valid }] : []),
    ],
    markers: phaseMarkers(schedule, steps),
    lower: {
      yLabel: "learning rate",
      series: [{ name: "learning rate", points: learningRatePoints(schedule, steps) }],
    },
  });
}
