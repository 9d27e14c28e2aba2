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

  private line(step: number, loss: number, lr: number, tokensPerSec: number, elapsed: number, startStep: number, startElapsed: number): string {
    const done = step - startStep;
    const eta = done > 0 ? ((elapsed - startElapsed) / done) * (this.totalSteps - step) : Number.NaN;
    return `step ${step}/${this.totalSteps}  loss ${loss.toFixed(4)}  lr ${lr.toExponential(2)}  ${formatRate(tokensPerSec)} tok/s  elapsed ${formatDuration(elapsed)}  ETA ${formatDuration(eta)}`;
  }

  /** Redraws the bar (terminals only, throttled). */
  update(step: number, loss: number, lr: number, tokensPerSec: number, elapsed: number, startStep: number, startElapsed: number): void {
    if (!this.stream.isTTY) return;
    const now = performance.now();
    if (now - this.lastDraw < 100 && step !== this.totalSteps) return;
    this.lastDraw = now;
    const width = 24;
    const filled = Math.round((width * step) / this.totalSteps);
    const bar = `[${"#".repeat(filled)}${"-".repeat(width - filled)}] `;
    const text = (bar + this.line(step, loss, lr, tokensPerSec, elapsed, startStep, startElapsed)).slice(0, Math.max(20, (this.stream.columns ?? 120) - 1));
    this.stream.write(`\r${text.padEnd(this.lastLine.length)}`);
    this.lastLine = text;
  }

  /** A permanent line for a metrics record (validation results always; every record when not a terminal). */
  log(r: MetricsRecord, startStep: number, startElapsed: number): void {
    if (this.stream.isTTY && r.valLoss === undefined) return;
    const text = this.line(r.step, r.loss, r.lr, r.tokensPerSec, r.elapsed, startStep, startElapsed) + (r.valLoss !== undefined ? `  val ${r.valLoss.toFixed(4)}` : "");
    this.stream.write(this.stream.isTTY ? `\r${text.padEnd(this.lastLine.length)}\n` : `${text}\n`);
    this.lastLine = "";
  }

  /** A plain message that does not disturb the bar. */
  message(text: string): void {
    this.stream.write(this.stream.isTTY && this.lastLine ? `\r${"".padEnd(this.lastLine.length)}\r${text}\n` : `${text}\n`);
    this.lastLine = "";
  }

  /** Ends the bar's line. */
  finish(): void {
    if (this.stream.isTTY && this.lastLine) this.stream.write("\n");
    this.lastLine = "";
  }
}
