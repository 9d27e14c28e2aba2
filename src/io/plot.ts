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

export interface LineChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  series: readonly Series[];
  markers?: readonly Marker[];
  /** Logarithmic y axis (all y values must be positive). Default false. */
  logY?: boolean;
  width?: number;
  height?: number;
}

const PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"];
const MARGIN = { left: 70, right: 20, top: 40, bottom: 50 };

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

/**
 * Renders series as an SVG line chart.
 *
 * @example
 * const svg = lineChartSvg({ title: "loss", xLabel: "step", yLabel: "loss",
 *   series: [{ name: "train", points: [[0, 4.2], [100, 2.1]] }] });
 * fs.writeFileSync("loss.svg", svg);
 */
export function lineChartSvg(options: LineChartOptions): string {
  const width = options.width ?? 800;
  const height = options.height ?? 450;
  const logY = options.logY ?? false;
  const series = options.series.map((s, i) => ({
    ...s,
    color: s.color ?? PALETTE[i % PALETTE.length],
    points: s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y) && (!logY || y > 0)).slice().sort((a, b) => a[0] - b[0]),
  }));
  const all = series.flatMap((s) => s.points);
  const xs = all.map((p) => p[0]).concat((options.markers ?? []).map((m) => m.x));
  const ys = all.map((p) => (logY ? Math.log10(p[1]) : p[1]));
  let [x0, x1] = xs.length ? [Math.min(...xs), Math.max(...xs)] : [0, 1];
  let [y0, y1] = ys.length ? [Math.min(...ys), Math.max(...ys)] : [0, 1];
  if (x1 === x0) x1 = x0 + 1;
  if (y1 === y0) [y0, y1] = [y0 - 0.5, y1 + 0.5];
  const pad = (y1 - y0) * 0.05;
  [y0, y1] = [y0 - pad, y1 + pad];
  if (!logY && y0 < 0 && ys.every((y) => y >= 0)) y0 = 0;

  const plotW = width - MARGIN.left - MARGIN.right;
  const plotH = height - MARGIN.top - MARGIN.bottom;
  const px = (x: number): number => MARGIN.left + ((x - x0) / (x1 - x0)) * plotW;
  const py = (y: number): number => MARGIN.top + (1 - ((logY ? Math.log10(y) : y) - y0) / (y1 - y0)) * plotH;
  const f = (v: number): string => v.toFixed(1);

  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="15">${escapeXml(options.title)}</text>`,
  ];
  for (const t of ticks(x0, x1)) {
    parts.push(`<line x1="${f(px(t))}" y1="${MARGIN.top}" x2="${f(px(t))}" y2="${MARGIN.top + plotH}" stroke="#eee"/>`);
    parts.push(`<text x="${f(px(t))}" y="${MARGIN.top + plotH + 16}" text-anchor="middle">${formatTick(t)}</text>`);
  }
  for (const t of ticks(y0, y1)) {
    const y = logY ? 10 ** t : t;
    parts.push(`<line x1="${MARGIN.left}" y1="${f(py(y))}" x2="${MARGIN.left + plotW}" y2="${f(py(y))}" stroke="#eee"/>`);
    parts.push(`<text x="${MARGIN.left - 6}" y="${f(py(y) + 4)}" text-anchor="end">${formatTick(y)}</text>`);
  }
  parts.push(`<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#333"/>`);
  parts.push(`<text x="${MARGIN.left + plotW / 2}" y="${height - 12}" text-anchor="middle">${escapeXml(options.xLabel)}</text>`);
  parts.push(
    `<text transform="translate(16 ${MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle">${escapeXml(options.yLabel)}${logY ? " (log)" : ""}</text>`,
  );
  for (const m of options.markers ?? []) {
    parts.push(`<line x1="${f(px(m.x))}" y1="${MARGIN.top}" x2="${f(px(m.x))}" y2="${MARGIN.top + plotH}" stroke="#999" stroke-dasharray="4 3"/>`);
    parts.push(`<text x="${f(px(m.x) + 4)}" y="${MARGIN.top + 12}" fill="#666">${escapeXml(m.label)}</text>`);
  }
  series.forEach((s, i) => {
    if (s.points.length > 0) {
      const d = s.points.map(([x, y], j) => `${j === 0 ? "M" : "L"}${f(px(x))} ${f(py(y))}`).join(" ");
      parts.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="1.5"/>`);
    }
    const ly = MARGIN.top + 16 + i * 16;
    parts.push(`<line x1="${MARGIN.left + plotW - 120}" y1="${ly - 4}" x2="${MARGIN.left + plotW - 100}" y2="${ly - 4}" stroke="${s.color}" stroke-width="2"/>`);
    parts.push(`<text x="${MARGIN.left + plotW - 95}" y="${ly}">${escapeXml(s.name)}</text>`);
  });
  parts.push("</svg>");
  return parts.join("\n");
}
