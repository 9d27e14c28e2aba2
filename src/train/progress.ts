/**
 * Training progress on a stream (stderr): on a terminal, one bar redrawn in place at most ten times a
 * second; elsewhere (a log file, CI), one plain line per logging step.
 */
import type { MetricsRecord } from "./metrics.js";

function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "?";
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

function formatRate(tokensPerSec: number): string {
  return tokensPerSec >= 1000 ? `${(tokensPerSec / 1000).toFixed(1)}k` : tokensPerSec.toFixed(0);
}

/** One step's numbers, and the step and time this session of the run started at (for the ETA). */
interface ProgressPoint {
  step: number;
  loss: number;
  lr: number;
  tokensPerSec: number;
  elapsed: number;
  startStep: number;
  startElapsed: number;
}

/** The stream a ProgressReporter writes to: process.stderr or anything with write() and isTTY. */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** Renders training progress; the Trainer calls update() every step and log() on logging steps. */
export class ProgressReporter {
  private lastDraw = 0;
  private lastLine = "";

  constructor(
    private readonly stream: ProgressStream,
    private readonly totalSteps: number,
  ) {}

  /** The fields of a progress line, most important first where the bar must drop some to fit. */
  private fields(p: ProgressPoint) {
    const done = p.step - p.startStep;
    const eta = done > 0 ? ((p.elapsed - p.startElapsed) / done) * (this.totalSteps - p.step) : Number.NaN;
    return {
      step: `step ${p.step}/${this.totalSteps}`,
      loss: `loss ${p.loss.toFixed(4)}`,
      lr: `lr ${p.lr.toExponential(2)}`,
      rate: `${formatRate(p.tokensPerSec)} tok/s`,
      elapsed: `elapsed ${formatDuration(p.elapsed)}`,
      eta: `ETA ${formatDuration(eta)}`,
    };
  }

  private line(p: ProgressPoint): string {
    const f = this.fields(p);
    return [f.step, f.loss, f.lr, f.rate, f.elapsed, f.eta].join("  ");
  }

  /**
   * The bar's text for a terminal `columns` wide. A terminal that reports no width (undefined or 0, as
   * some pseudo-terminals and IDE consoles do) gets the whole line; a narrow one loses the bar, then
   * elapsed time, throughput and learning rate, and keeps step, loss and ETA to the end.
   */
  private barText(p: ProgressPoint): string {
    const f = this.fields(p);
    const cells = 24;
    const filled = Math.round((cells * p.step) / this.totalSteps);
    const bar = `[${"#".repeat(filled)}${"-".repeat(cells - filled)}]`;
    const columns = this.stream.columns;
    const room = columns !== undefined && columns > 0 ? columns - 1 : Infinity; // the last column would wrap
    const candidates = [
      [bar, f.step, f.loss, f.lr, f.rate, f.elapsed, f.eta],
      [f.step, f.loss, f.lr, f.rate, f.elapsed, f.eta],
      [f.step, f.loss, f.lr, f.rate, f.eta],
      [f.step, f.loss, f.lr, f.eta],
      [f.step, f.loss, f.eta],
    ];
    const fits = candidates
      .map((c) => c.join("  ").replace(/^(\[[#-]+\]) {2}/, "$1 "))
      .find((text) => text.length <= room);
    return fits ?? `${f.step} ${f.loss} ${f.eta}`.slice(0, Math.max(1, room));
  }

  /** Redraws the bar (terminals only, throttled). */
  update(
    step: number,
    loss: number,
    lr: number,
    tokensPerSec: number,
    elapsed: number,
    startStep: number,
    startElapsed: number,
  ): void {
    if (!this.stream.isTTY) return;
    const now = performance.now();
    if (now - this.lastDraw < 100 && step !== this.totalSteps) return;
    this.lastDraw = now;
    const text = this.barText({ step, loss, lr, tokensPerSec, elapsed, startStep, startElapsed });
    this.stream.write(`\r${text.padEnd(this.lastLine.length)}`);
    this.lastLine = text;
  }

  /** A permanent line for a metrics record (validation results always; every record when not a terminal). */
  log(r: MetricsRecord, startStep: number, startElapsed: number): void {
    if (this.stream.isTTY && r.valLoss === undefined) return;
    const text =
      this.line({ ...r, startStep, startElapsed }) + (r.valLoss !== undefined ? `  val ${r.valLoss.toFixed(4)}` : "");
    this.stream.write(this.stream.isTTY ? `\r${text.padEnd(this.lastLine.length)}\n` : `${text}\n`);
    this.lastLine = "";
  }

  /** A plain message that does not disturb the bar. */
  message(text: string): void {
    this.stream.write(
      this.stream.isTTY && this.lastLine ? `\r${"".padEnd(this.lastLine.length)}\r${text}\n` : `${text}\n`,
    );
    this.lastLine = "";
  }

  /** Ends the bar's line. */
  finish(): void {
    if (this.stream.isTTY && this.lastLine) this.stream.write("\n");
    this.lastLine = "";
  }
}
