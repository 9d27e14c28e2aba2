// MiniCPM's "model wind tunnel": tune the μP hyper-parameters on a small proxy, where runs are cheap; under
// μP the optimum carries over to the wide model.
import * as fs from "node:fs";
import * as path from "node:path";
import type { Device } from "../../backend/backend.js";
import type { BatchSource } from "../../data/batch.js";
import { ArgumentError } from "../../errors.js";
import { readJsonl, writeJsonl } from "../../io/jsonl.js";
import type { MiniCPMConfigInput } from "../../models/minicpm/config.js";
import type { MiniCPMPresetName } from "../../models/minicpm/presets.js";
import { NonFiniteLossError } from "../../train/errors.js";
import { Trainer } from "../../train/trainer.js";
import { buildProxy, proxyConfig, proxySchedule } from "../proxy_run.js";
import {
  type TunnelHyperParameters,
  type TunnelSearch,
  type TunnelSpace,
  trialId,
  tunnelTrials,
} from "./search_space.js";

/** Options of windTunnel(). */
export interface WindTunnelOptions {
  /** The proxy model: a preset ("9m" ... "0.5b", "tiny") or a config; its vocab_size must cover the data's ids. */
  proxy: MiniCPMPresetName | MiniCPMConfigInput;
  /** Values to try; a hyper-parameter left out keeps the proxy's value (lr: 0.01, MiniCPM's). */
  space: TunnelSpace;
  /** "grid" (default) or `{ trials, seed }`: seeded random search. */
  search?: TunnelSearch;
  /** Training batches; every trial starts from the state they are in at the call, so all see the same data. */
  train: BatchSource;
  /** Validation batches, scored after the last step; the best trial is the lowest validation loss. */
  valid?: BatchSource;
  /** The JSON Lines file of the trials: read to resume, rewritten after every trial. */
  output: string;
  /** Optimiser steps per trial. */
  steps: number;
  /** Linear warmup steps of the WSD schedule. Default 1% of steps (at least 1). */
  warmupSteps?: number;
  /** Share of the steps in WSD's exponential decay. Default 0.1 (MiniCPM: about 10% is enough). */
  decayFraction?: number;
  /** Micro-batches per step. Default 1. */
  gradAccumSteps?: number;
  /** Validation batches scored per trial. Default 8. */
  evalBatches?: number;
  /** Seeds the proxy's weights, the same in every trial. Default 0. */
  seed?: number;
  /** AdamW weight decay of the matrices. Default 0.1. */
  weightDecay?: number;
  /** Gradient-norm clipping threshold, null for none. Default 1. */
  clipNorm?: number | null;
  device?: Device;
  /** Called after every trial run now (not for those the file already held). */
  onTrial?: (record: WindTunnelRecord, done: number, total: number) => void;
}

/** One line of the output file. */
export interface WindTunnelRecord extends TunnelHyperParameters {
  /** The hyper-parameters as text: what identifies the trial when resuming. */
  id: string;
  /**
   * "running": started and not finished (the process stopped; a rerun runs it again); "done"; "diverged": the
   * loss or gradient became NaN or infinite (a finished result: that learning rate is too high).
   */
  status: "running" | "done" | "diverged";
  /** Mean training loss over the last logged steps (up to 10), null unless done. */
  trainLoss: number | null;
  /** Validation loss after the last step, null without validation data or unless done. */
  validLoss: number | null;
  /** Steps completed. */
  step: number;
  seconds: number;
  /** Everything the trials share (model, steps, schedule, seed, ...): a file holds the trials of one setup. */
  setup: Record<string, unknown>;
}

/** What windTunnel() returns. */
export interface WindTunnelResult {
  /** Every trial of this setup in the file, those of earlier calls included, in file order. */
  records: WindTunnelRecord[];
  /** The finished trial with the lowest validation loss (train loss without validation), or null. */
  best: WindTunnelRecord | null;
  /** Trials run by this call, and trials skipped because the file held them finished. */
  ran: number;
  skipped: number;
}

const finished = (r: WindTunnelRecord): boolean => r.status === "done" || r.status === "diverged";
const score = (r: WindTunnelRecord): number => r.validLoss ?? r.trainLoss ?? Number.POSITIVE_INFINITY;

/**
 * Runs one short training of the proxy per trial of the search space (MiniCPM's WSD, AdamW, μP init and
 * learning-rate multipliers) and records each as a JSON line in `output`: hyper-parameters, status, final
 * train and validation loss. Resumable: a second call with the same `output` skips the trials the file holds
 * finished and reruns the unfinished; a file made with another setup (model, steps, schedule, seed, ...)
 * is refused. Trials run one after another; running several at once on one GPU is not supported.
 *
 * @example
 * const result = await windTunnel({
 *   proxy: "9m", space: { lr: [0.005, 0.01, 0.02], scaleEmb: [6, 12] }, steps: 2000,
 *   train, valid, output: "runs/tunnel/trials.jsonl", device: "cuda",
 * });
 * console.log(result.best?.id, result.best?.validLoss);
 */
export async function windTunnel(options: WindTunnelOptions): Promise<WindTunnelResult> {
  const fn = "windTunnel";
  if (options === null || typeof options !== "object") throw new ArgumentError(`${fn}: expected an options object`);
  const base = proxyConfig(fn, options.proxy);
  const steps = options.steps;
  if (!Number.isInteger(steps) || steps < 1)
    throw new ArgumentError(`${fn}: steps must be a whole number >= 1, got ${String(steps)}`);
  const warmupSteps = options.warmupSteps ?? Math.max(1, Math.round(steps / 100));
  const decayFraction = options.decayFraction ?? 0.1;
  if (!Number.isInteger(warmupSteps) || warmupSteps < 0)
    throw new ArgumentError(`${fn}: warmupSteps must be a whole number >= 0, got ${String(warmupSteps)}`);
  if (!(decayFraction >= 0 && decayFraction < 1))
    throw new ArgumentError(`${fn}: decayFraction must be in [0, 1), got ${String(decayFraction)}`);
  if (typeof options.output !== "string" || options.output === "")
    throw new ArgumentError(`${fn}: output must be the path of a .jsonl file`);
  const trials = tunnelTrials(options.space, options.search ?? "grid", {
    lr: 0.01,
    scaleEmb: base.scale_emb,
    scaleDepth: base.scale_depth,
    initStd: base.initializer_range,
  });
  const { scale_emb, scale_depth, initializer_range, ...model } = base;
  const setup: Record<string, unknown> = {
    model,
    steps,
    warmupSteps,
    decayFraction,
    gradAccumSteps: options.gradAccumSteps ?? 1,
    evalBatches: options.evalBatches ?? 8,
    seed: options.seed ?? 0,
    weightDecay: options.weightDecay ?? 0.1,
    clipNorm: options.clipNorm === undefined ? 1 : options.clipNorm,
  };
  const records = readRecords(options.output, setup);
  fs.mkdirSync(path.dirname(path.resolve(options.output)), { recursive: true });

  const trainStart = options.train.state();
  const validStart = options.valid?.state();
  let ran = 0;
  let skipped = 0;
  for (const hp of trials) {
    const id = trialId(hp);
    let index = records.findIndex((r) => r.id === id);
    if (index >= 0 && finished(records[index]!)) {
      skipped++;
      continue;
    }
    const record: WindTunnelRecord = {
      id,
      ...hp,
      status: "running",
      trainLoss: null,
      validLoss: null,
      step: 0,
      seconds: 0,
      setup,
    };
    if (index < 0) index = records.push(record) - 1;
    else records[index] = record;
    writeJsonl(options.output, records);
    options.train.setState(trainStart);
    if (validStart !== undefined) options.valid!.setState(validStart);
    records[index] = await runTrial(
      record,
      { ...base, scale_emb: hp.scaleEmb, scale_depth: hp.scaleDepth, initializer_range: hp.initStd },
      options,
      setup,
    );
    writeJsonl(options.output, records);
    ran++;
    options.onTrial?.(records[index]!, ran + skipped, trials.length);
  }
  const done = records.filter((r) => r.status === "done" && Number.isFinite(score(r)));
  const best = done.reduce<WindTunnelRecord | null>((b, r) => (b === null || score(r) < score(b) ? r : b), null);
  return { records, best, ran, skipped };
}

/** The file's records, after checking that each was made with `setup`. */
function readRecords(file: string, setup: Record<string, unknown>): WindTunnelRecord[] {
  const records = readJsonl(file) as unknown as WindTunnelRecord[];
  const want = JSON.stringify(setup);
  records.forEach((r, i) => {
    if (typeof r.id !== "string" || JSON.stringify(r.setup) !== want) {
      throw new ArgumentError(
        `windTunnel: ${file} line ${i + 1} is a trial of another setup (model, steps, schedule or seed differ); ` +
          `give another output file, or delete this one to start again`,
      );
    }
  });
  return records;
}

/** Trains one proxy with the trial's hyper-parameters; the finished record. */
async function runTrial(
  record: WindTunnelRecord,
  config: MiniCPMConfigInput,
  o: WindTunnelOptions,
  setup: Record<string, unknown>,
): Promise<WindTunnelRecord> {
  const t0 = performance.now();
  const { model, optimizer } = buildProxy(config, {
    seed: setup.seed as number,
    device: o.device,
    weightDecay: setup.weightDecay as number,
  });
  try {
    const result = await new Trainer({
      model,
      optimizer,
      schedule: proxySchedule(record.lr, o.steps, setup.warmupSteps as number, setup.decayFraction as number),
      train: o.train,
      valid: o.valid,
      steps: o.steps,
      gradAccumSteps: setup.gradAccumSteps as number,
      clipNorm: setup.clipNorm as number | null,
      evalBatches: setup.evalBatches as number,
      device: o.device,
    }).fit();
    const last = result.metrics.at(-1)!;
    const seconds = (performance.now() - t0) / 1000;
    return {
      ...record,
      status: "done",
      trainLoss: last.loss,
      validLoss: last.valLoss ?? null,
      step: result.step,
      seconds,
    };
  } catch (e) {
    if (!(e instanceof NonFiniteLossError)) throw e;
    return { ...record, status: "diverged", step: e.step - 1, seconds: (performance.now() - t0) / 1000 };
  } finally {
    optimizer.dispose();
    model.dispose();
  }
}
