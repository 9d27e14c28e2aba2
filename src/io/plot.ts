/**
 * Line charts as standalone SVG documents: loss curves and learning-rate schedules render through here so
 * that every image slmkit writes looks the same and needs no browser or native library.
 */

/** One line of a chart. Points need not be sorted; non-finite values are left out. */
export interface Series {
  name: string;
  points: readonly (readonly [number, number])[];
  /** Any CSS colour; a palette colour by default. */
  color?: string;
}

/** A labelled vertical line, e.g. where a schedule's decay starts. */
export interface Marker {
  x: number;
  label: string;
}

/** A second, shorter panel under the chart, sharing its x axis (e.g. the learning rate under a loss curve). */
export interface LowerPanel {
  yLabel: string;
  series: readonly Series[];
  /** Height of its plot area in pixels (default 110). */
  height?: number;
}

export interface LineChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  series: readonly Series[];
  markers?: readonly Marker[];
  /** Logarithmic y axis (all y values must be positive). Default false. */
  logY?: boolean;
  lower?: LowerPanel;
  width?: number;
  /** Total height; default 450, plus the lower panel's height and gap when there is one. */
  height?: number;
}

const PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"];
// The legend sits in the bottom margin, under the x-axis label, where no curve or marker label can be.
const MARGIN = { left: 70, right: 20, top: 40, bottom: 70 };
/** Space between the main plot and the lower panel (the main plot's x tick labels go in it). */
const PANEL_GAP = 28;
const LOWER_HEIGHT = 110;

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** About five round tick values covering [lo, hi]. */
function ticks(lo: number, hi: number): number[] {
  if (hi <= lo) return [lo];
  const raw = (hi - lo) / 5;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((f) => f * magnitude).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

function formatTick(v: number): string {
  if (v === 0) return "0";
  const a = Math.abs(v);
  return a >= 1e5 || a < 1e-3 ? v.toExponential(1) : String(Number(v.toPrecision(4)));
}

type Colored = Series & { color: string };
interface Area {
  top: number;
  height: number;
}

/** Draws one panel (grid, y ticks, frame, y label, curves) into `parts`; x ticks only where asked. */
function drawPanel(
  parts: string[],
  area: Area,
  px: (x: number) => number,
  xTicks: number[] | null,
  yLabel: string,
  series: Colored[],
  logY: boolean,
  plotW: number,
): void {
  const ys = series.flatMap((s) => s.points.map((p) => (logY ? Math.log10(p[1]) : p[1])));
  let [y0, y1] = ys.length ? [Math.min(...ys), Math.max(...ys)] : [0, 1];
  if (y1 === y0) [y0, y1] = [y0 - 0.5, y1 + 0.5];
  const pad = (y1 - y0) * 0.05;
  [y0, y1] = [y0 - pad, y1 + pad];
  if (!logY && y0 < 0 && ys.every((y) => y >= 0)) y0 = 0;
  const py = (y: number): number => area.top + (1 - ((logY ? Math.log10(y) : y) - y0) / (y1 - y0)) * area.height;
  const f = (v: number): string => v.toFixed(1);
  const bottom = area.top + area.height;
  for (const t of xTicks ?? []) {
    parts.push(`<line x1="${f(px(t))}" y1="${area.top}" x2="${f(px(t))}" y2="${bottom}" stroke="#eee"/>`);
    parts.push(`<text x="${f(px(t))}" y="${bottom + 16}" text-anchor="middle">${formatTick(t)}</text>`);
  }
  for (const t of ticks(y0, y1)) {
    const y = logY ? 10 ** t : t;
    parts.push(
      `<line x1="${MARGIN.left}" y1="${f(py(y))}" x2="${MARGIN.left + plotW}" y2="${f(py(y))}" stroke="#eee"/>`,
    );
    parts.push(`<text x="${MARGIN.left - 6}" y="${f(py(y) + 4)}" text-anchor="end">${formatTick(y)}</text>`);
  }
  parts.push(
    `<rect x="${MARGIN.left}" y="${area.top}" width="${plotW}" height="${area.height}" fill="none" stroke="#333"/>`,
  );
  parts.push(
    `<text transform="translate(16 ${area.top + area.height / 2}) rotate(-90)" text-anchor="middle">${escapeXml(yLabel)}${logY ? " (log)" : ""}</text>`,
  );
  for (const s of series) {
    if (s.points.length === 0) continue;
    const d = s.points.map(([x, y], j) => `${j === 0 ? "M" : "L"}${f(px(x))} ${f(py(y))}`).join(" ");
    parts.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="1.5"/>`);
  }
}

/**
 * Renders series as an SVG line chart, optionally with a lower panel sharing the x axis. The legend lists
 * every series of both panels in one row under the x-axis label.
 *
 * @example
 * const svg = lineChartSvg({ title: "loss", xLabel: "step", yLabel: "loss",
 *   series: [{ name: "train", points: [[0, 4.2], [100, 2.1]] }],
 *   lower: { yLabel: "lr", series: [{ name: "lr", points: [[0, 0.01], [100, 0.001]] }] } });
 * fs.writeFileSync("loss.svg", svg);
 */
export function lineChartSvg(options: LineChartOptions): string {
  const lowerHeight = options.lower ? (options.lower.height ?? LOWER_HEIGHT) : 0;
  const width = options.width ?? 800;
  const height = options.height ?? 450 + (options.lower ? lowerHeight + PANEL_GAP : 0);
  const logY = options.logY ?? false;
  let colorIndex = 0;
  const prepare = (list: readonly Series[], positiveOnly: boolean): Colored[] =>
    list.map((s) => ({
      ...s,
      color: s.color ?? PALETTE[colorIndex++ % PALETTE.length]!,
      points: s.points
        .filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y) && (!positiveOnly || y > 0))
        .slice()
        .sort((a, b) => a[0] - b[0]),
    }));
  const series = prepare(options.series, logY);
  const lower = options.lower ? prepare(options.lower.series, false) : [];
  const xs = [...series, ...lower]
    .flatMap((s) => s.points.map((p) => p[0]))
    .concat((options.markers ?? []).map((m) => m.x));
  let [x0, x1] = xs.length ? [Math.min(...xs), Math.max(...xs)] : [0, 1];
  if (x1 === x0) x1 = x0 + 1;

  const plotW = width - MARGIN.left - MARGIN.right;
  const lowerSpace = options.lower ? lowerHeight + PANEL_GAP : 0;
  const main: Area = { top: MARGIN.top, height: height - MARGIN.top - MARGIN.bottom - lowerSpace };
  const below: Area = { top: main.top + main.height + PANEL_GAP, height: lowerHeight };
  const plotBottom = options.lower ? below.top + below.height : main.top + main.height;
  const px = (x: number): number => MARGIN.left + ((x - x0) / (x1 - x0)) * plotW;
  const f = (v: number): string => v.toFixed(1);
  const xTicks = ticks(x0, x1);

  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="15">${escapeXml(options.title)}</text>`,
  ];
  drawPanel(parts, main, px, xTicks, options.yLabel, series, logY, plotW);
  if (options.lower) drawPanel(parts, below, px, xTicks, options.lower.yLabel, lower, false, plotW);
  parts.push(
    `<text x="${MARGIN.left + plotW / 2}" y="${plotBottom + 34}" text-anchor="middle">${escapeXml(options.xLabel)}</text>`,
  );
  for (const m of options.markers ?? []) {
    // The dashed line runs through both panels; its label sits at the top of the main one.
    parts.push(
      `<line x1="${f(px(m.x))}" y1="${MARGIN.top}" x2="${f(px(m.x))}" y2="${plotBottom}" stroke="#999" stroke-dasharray="4 3"/>`,
    );
    parts.push(`<text x="${f(px(m.x) + 4)}" y="${MARGIN.top + 12}" fill="#666">${escapeXml(m.label)}</text>`);
  }
  let lx = MARGIN.left;
  const ly = plotBottom + 56;
  for (const s of [...series, ...lower]) {
    parts.push(
      `<line class="legend" x1="${lx}" y1="${ly - 4}" x2="${lx + 20}" y2="${ly - 4}" stroke="${s.color}" stroke-width="2"/>`,
    );
    parts.push(`<text x="${lx + 25}" y="${ly}">${escapeXml(s.name)}</text>`);
    lx += 45 + 7 * s.name.length;
  }
  parts.push("</svg>");
  return parts.join("\n");
}
