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
 * The loss curve of a run as an SVG document: training and validation loss against step, with the
 * schedule's phase boundaries marked when it has phases (the WSD decay shows as the extra drop after the
 * "decay" marker).
 *
 * @example
 * fs.writeFileSync("loss.svg", lossCurveSvg(metrics, schedule, 1000, "sotu-tiny"));
 */
export function lossCurveSvg(metrics: readonly MetricsRecord[], schedule: Schedule, steps: number, title = "loss"): string {
  const valid = metrics.filter((r) => r.valLoss !== undefined).map((r) => [r.step, r.valLoss!] as const);
  return lineChartSvg({
    title,
    xLabel: "step",
    yLabel: "cross-entropy loss",
    series: [{ name: "train", points: metrics.map((r) => [r.step, r.loss] as const) }, ...(valid.length ? [{ name: "validation", points: valid }] : [])],
    markers: phaseMarkers(schedule, steps),
  });
}
