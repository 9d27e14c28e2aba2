import * as fs from "node:fs";
import * as path from "node:path";
import { backward } from "../autograd/backward.js";
import type { Device } from "../backend/backend.js";
import { ArgumentError } from "../errors.js";
import { writeFileAtomic, writeJsonAtomic } from "../io/atomic.js";
import { tensor } from "../ops/creation.js";
import { mul } from "../ops/elementwise.js";
import { getRngState, setRngState } from "../ops/random_state.js";
import { item } from "../ops/readback.js";
import type { Schedule } from "../schedule/schedule.js";
import { noGrad } from "../tensor/graph.js";
import { tidy } from "../tensor/scope.js";
import type { Tensor } from "../tensor/tensor.js";
import {
  listCheckpoints,
  loadCheckpoint,
  naming,
  readTrainerState,
  removeTemporaries,
  resolveCheckpoint,
  saveCheckpoint,
} from "./checkpoint.js";
import type { JSONValue } from "../data/batch.js";
import type { Batch, BatchSource, TrainableModel, TrainOptimizer } from "./contracts.js";
import { NonFiniteLossError } from "./errors.js";
import { lossCurveSvg } from "./loss_curve.js";
import type { MetricsRecord } from "./metrics.js";
import { ProgressReporter, type ProgressStream } from "./progress.js";
import { lockRunDir } from "./run_lock.js";
import { checkSavedState, type Interval, type SavedState } from "./trainer_state.js";

/** Options of the Trainer. Step counts are optimiser steps; one step draws `gradAccumSteps` batches. */
export interface TrainerOptions {
  model: TrainableModel;
  optimizer: TrainOptimizer;
  schedule: Schedule;
  train: BatchSource;
  /** Validation batches; the same `evalBatches` batches are scored at every evaluation. */
  valid?: BatchSource;
  /** Total optimiser steps of the run. */
  steps: number;
  /** Micro-batches per step, their gradients summed with weight 1/gradAccumSteps (default 1). */
  gradAccumSteps?: number;
  /** Global gradient-norm clipping threshold; null disables clipping (the norm is still logged). Default 1. */
  clipNorm?: number | null;
  /** Evaluate every this many steps (and after the last); 0: only after the last. Default 0. */
  evalEvery?: number;
  /** Validation batches per evaluation (default 8). */
  evalBatches?: number;
  /** Checkpoint every this many steps (and after the last); 0: only after the last. Needs outDir. Default 0. */
  checkpointEvery?: number;
  /** Checkpoints kept on disk, newest first (default 3). */
  keepCheckpoints?: number;
  /** Write a metrics record every this many steps (and after the last). Default 10. */
  logEvery?: number;
  /** Run directory for metrics.jsonl, checkpoints/, loss.svg and run.json; nothing is written without it. */
  outDir?: string;
  /** Any JSON describing the run; saved as run.json and inside every checkpoint. */
  runConfig?: unknown;
  /** Device of the batch tensors (the model's device). Default "cpu". */
  device?: Device;
  /** Called with every metrics record. */
  onLog?: (record: MetricsRecord) => void;
  /** Progress on stderr (true), on a given stream, or none (false, the default). */
  progress?: boolean | ProgressStream;
  /** Title of the loss curve. */
  title?: string;
  /** Aborting it stops the run cleanly after the current step, with a checkpoint when outDir is set. */
  signal?: AbortSignal;
}

/** Options of Trainer.fit(). */
export interface FitOptions {
  /** A checkpoint directory, or a run directory whose latest checkpoint to continue from. */
  resumeFrom?: string;
}

/** What Trainer.fit() returns. */
export interface FitResult {
  /** Steps completed. */
  step: number;
  /** Every metrics record of the run, resumed sessions included. */
  metrics: MetricsRecord[];
  /** The last checkpoint written or resumed from, or null. */
  checkpoint: string | null;
  /** True when `signal` stopped the run before `steps`. */
  stopped: boolean;
}

function wholeNumber(name: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min)
    throw new ArgumentError(`Trainer: ${name} must be a whole number >= ${min}, got ${String(value)}`);
  return value;
}

function checkBatch(b: Batch, expected: { batchSize: number; seqLen: number } | null): void {
  const n = b.batchSize * b.seqLen;
  if (
    !(b.inputs instanceof Int32Array) ||
    !(b.targets instanceof Int32Array) ||
    b.inputs.length !== n ||
    b.targets.length !== n
  ) {
    throw new ArgumentError(`Trainer: a batch must hold Int32Array inputs and targets of batchSize·seqLen = ${n} ids`);
  }
  if (expected && (expected.batchSize !== b.batchSize || expected.seqLen !== b.seqLen)) {
    throw new ArgumentError(
      `Trainer: batches changed shape from [${expected.batchSize}, ${expected.seqLen}] to [${b.batchSize}, ${b.seqLen}]`,
    );
  }
}

/**
 * The training loop: gradient accumulation, clipping, the scheduled optimiser step, periodic evaluation,
 * JSONL metrics, a progress bar, atomic checkpoints with exact resume, and a loss-curve SVG at the end.
 * Every step runs inside tidy() scopes, so memory() stays flat from step to step. A NaN or infinite loss
 * stops the run with a NonFiniteLossError before the weights are touched.
 *
 * Resuming from a checkpoint restores weights, optimiser state, the data samplers' positions, the random
 * generator and the metrics so far: on the CPU the resumed run logs bit-for-bit the losses of an
 * uninterrupted one.
 *
 * @example
 * const trainer = new Trainer({ model, optimizer: new AdamW(model.parameterGroups()), schedule: new WSD({ ... }),
 *   train: sampler, valid, steps: 1000, evalEvery: 100, checkpointEvery: 200, outDir: "runs/demo", progress: true });
 * await trainer.fit();                                  // or: await trainer.fit({ resumeFrom: "runs/demo" })
 */
export class Trainer {
  private readonly opts: Required<
    Omit<TrainerOptions, "valid" | "outDir" | "onLog" | "runConfig" | "title" | "signal">
  > &
    TrainerOptions;

  /** Shape of the first training batch; later ones must match it. */
  private batchShape: { batchSize: number; seqLen: number } | null = null;

  constructor(options: TrainerOptions) {
    if (options === null || typeof options !== "object") throw new ArgumentError("Trainer: expected an options object");
    for (const key of ["model", "optimizer", "schedule", "train"] as const) {
      if (options[key] === null || typeof options[key] !== "object")
        throw new ArgumentError(`Trainer: ${key} is required`);
    }
    const clip = options.clipNorm === undefined ? 1 : options.clipNorm;
    if (clip !== null && !(clip > 0))
      throw new ArgumentError(`Trainer: clipNorm must be a positive number or null, got ${String(clip)}`);
    this.opts = {
      ...options,
      steps: wholeNumber("steps", options.steps, 1),
      gradAccumSteps: wholeNumber("gradAccumSteps", options.gradAccumSteps ?? 1, 1),
      clipNorm: clip,
      evalEvery: wholeNumber("evalEvery", options.evalEvery ?? 0, 0),
      evalBatches: wholeNumber("evalBatches", options.evalBatches ?? 8, 1),
      checkpointEvery: wholeNumber("checkpointEvery", options.checkpointEvery ?? 0, 0),
      keepCheckpoints: wholeNumber("keepCheckpoints", options.keepCheckpoints ?? 3, 1),
      logEvery: wholeNumber("logEvery", options.logEvery ?? 10, 1),
      device: options.device ?? "cpu",
      progress: options.progress ?? false,
    };
  }

  /**
   * Continues the run in `outDir` (or a checkpoint directory) until `options.steps`.
   *
   * @example
   * await Trainer.resume("runs/demo", { model, optimizer, schedule, train, steps: 1000, outDir: "runs/demo" });
   */
  static resume(from: string, options: TrainerOptions): Promise<FitResult> {
    return new Trainer(options).fit({ resumeFrom: from });
  }

  /**
   * Runs the training loop (from a checkpoint when `resumeFrom` is given) and returns the metrics. With
   * `outDir`, the run directory is locked for the whole call (a second training there fails, naming this
   * one) and half-written files a killed run left behind are deleted first.
   */
  async fit({ resumeFrom }: FitOptions = {}): Promise<FitResult> {
    const o = this.opts;
    const progressStream = o.progress === true ? process.stderr : o.progress === false ? null : o.progress;
    const progress = progressStream ? new ProgressReporter(progressStream, o.steps) : null;
    if (!o.outDir) return this.run(resumeFrom, progress);
    const lock = lockRunDir(o.outDir, "Trainer.fit", (note) => progress?.message(note));
    try {
      for (const file of removeTemporaries(o.outDir))
        progress?.message(`removed ${file}, left half-written by a run that was killed`);
      return await this.run(resumeFrom, progress);
    } finally {
      lock.release();
    }
  }

  private async run(resumeFrom: string | undefined, progress: ProgressReporter | null): Promise<FitResult> {
    const o = this.opts;
    let step = 0;
    let metrics: MetricsRecord[] = [];
    let elapsed = 0;
    let tokens = 0;
    let interval: Interval = { lossSum: 0, steps: 0, tokens: 0, seconds: 0 };
    let checkpoint: string | null = null;
    let validStart = o.valid?.state();
    if (resumeFrom !== undefined) {
      checkpoint = resolveCheckpoint(resumeFrom);
      const file = path.join(checkpoint, "trainer.json");
      const saved = checkSavedState(readTrainerState(file), file); // checked before anything is loaded
      loadCheckpoint(checkpoint, o.model, o.optimizer);
      ({ step, metrics, elapsed, tokens, interval } = saved);
      naming(file, () => setRngState(saved.rng));
      naming(file, () => o.train.setState(saved.trainData));
      if (o.valid && saved.validStart !== undefined) validStart = saved.validStart;
      if (JSON.stringify(saved.schedule) !== JSON.stringify(o.schedule.toJSON()))
        progress?.message(`note: the schedule differs from the one saved in ${checkpoint}`);
      progress?.message(`resumed from ${checkpoint} at step ${step}`);
    }
    const metricsFile = o.outDir ? path.join(o.outDir, "metrics.jsonl") : null;
    if (o.outDir) {
      fs.mkdirSync(o.outDir, { recursive: true });
      if (o.runConfig !== undefined) writeJsonAtomic(path.join(o.outDir, "run.json"), o.runConfig);
      // A resumed run continues the checkpoint's log; records written after that checkpoint are dropped.
      writeFileAtomic(metricsFile!, metrics.map((r) => JSON.stringify(r) + "\n").join(""));
    }
    const startStep = step;
    const startElapsed = elapsed;
    let sessionStart = performance.now() - elapsed * 1000;
    o.model.train?.();

    while (step < o.steps) {
      const lr = o.schedule.at(step);
      const t0 = performance.now();
      const { loss, tokens: stepTokens } = this.accumulateGradients();
      // Without clipping the norm is still measured (for the log and the NaN check) against a bound no norm reaches.
      const { norm } = tidy(() => o.optimizer.clipGradNorm(o.clipNorm ?? Number.MAX_VALUE));
      if (!Number.isFinite(loss) || !Number.isFinite(norm)) {
        o.optimizer.zeroGrad();
        progress?.finish();
        const what = Number.isFinite(loss) ? `gradient norm is ${norm}` : `loss is ${loss}`;
        const good = this.lastGoodCheckpoint(step + 1);
        throw new NonFiniteLossError(
          `Trainer: step ${step + 1}: the ${what}; stopped before updating the weights (lr ${lr}). Last good checkpoint: ${good?.dir ?? "none"}` +
            (good ? ` (resume from it with resumeFrom / --resume ${good.step} after lowering the learning rate)` : ""),
          step + 1,
          good?.dir ?? null,
        );
      }
      tidy(() => o.optimizer.step(lr)); // applies the clip factor clipGradNorm() left pending
      o.optimizer.zeroGrad();
      step++;
      const seconds = (performance.now() - t0) / 1000;
      tokens += stepTokens;
      interval = {
        lossSum: interval.lossSum + loss,
        steps: interval.steps + 1,
        tokens: interval.tokens + stepTokens,
        seconds: interval.seconds + seconds,
      };
      elapsed = (performance.now() - sessionStart) / 1000;
      const last = step === o.steps || o.signal?.aborted === true;
      const evaluate = o.valid !== undefined && (last || (o.evalEvery > 0 && step % o.evalEvery === 0));
      if (last || evaluate || step % o.logEvery === 0) {
        const record: MetricsRecord = {
          step,
          loss: interval.lossSum / interval.steps,
          lr,
          gradNorm: norm,
          tokensPerSec: interval.seconds > 0 ? interval.tokens / interval.seconds : 0,
          tokens,
          elapsed,
        };
        if (evaluate) record.valLoss = this.evaluate(validStart);
        interval = { lossSum: 0, steps: 0, tokens: 0, seconds: 0 };
        metrics.push(record);
        if (metricsFile) fs.appendFileSync(metricsFile, JSON.stringify(record) + "\n");
        o.onLog?.(record);
        progress?.log(record, startStep, startElapsed);
      }
      progress?.update(step, loss, lr, stepTokens / seconds, elapsed, startStep, startElapsed);
      const stopping = last || o.signal?.aborted === true; // onLog may have aborted just now
      if (o.outDir && (stopping || (o.checkpointEvery > 0 && step % o.checkpointEvery === 0))) {
        const state: SavedState = {
          format: "slmkit-trainer",
          version: 1,
          step,
          steps: o.steps,
          schedule: o.schedule.toJSON(),
          rng: getRngState(),
          trainData: o.train.state(),
          validStart,
          elapsed,
          tokens,
          interval,
          metrics,
          runConfig: o.runConfig ?? null,
        };
        checkpoint = saveCheckpoint(o.outDir, o.model, o.optimizer, state, o.keepCheckpoints);
      }
      if (stopping) break;
      // Let timers and signal handlers run between steps (a step itself is synchronous native work).
      await new Promise<void>((resolve) => setImmediate(resolve));
      sessionStart = performance.now() - elapsed * 1000;
    }
    progress?.finish();
    if (o.outDir)
      writeFileAtomic(
        path.join(o.outDir, "loss.svg"),
        lossCurveSvg(metrics, o.schedule, o.steps, o.title ?? path.basename(path.resolve(o.outDir))),
      );
    return { step, metrics, checkpoint, stopped: step < o.steps };
  }

  /**
   * The newest checkpoint on disk that predates a fault at step `faultStep`: the weights of step
   * faultStep - 1 are the ones that just gave the non-finite loss or gradient, so its checkpoint (if any)
   * is not good; the one before it had a finite loss and gradient after it.
   */
  private lastGoodCheckpoint(faultStep: number): { step: number; dir: string } | null {
    if (!this.opts.outDir) return null;
    return (
      listCheckpoints(this.opts.outDir)
        .filter((c) => c.step <= faultStep - 2)
        .at(-1) ?? null
    );
  }

  /**
   * Runs forward and backward over gradAccumSteps micro-batches, each loss weighted 1/gradAccumSteps so the
   * summed gradients are those of one large batch; returns their mean loss and the tokens seen.
   */
  private accumulateGradients(): { loss: number; tokens: number } {
    const o = this.opts;
    let lossSum = 0;
    let tokens = 0;
    for (let micro = 0; micro < o.gradAccumSteps; micro++) {
      const batch = o.train.next();
      checkBatch(batch, this.batchShape);
      this.batchShape = { batchSize: batch.batchSize, seqLen: batch.seqLen };
      lossSum += tidy(() => {
        const loss = this.batchLoss(batch);
        backward(o.gradAccumSteps === 1 ? loss : mul(loss, 1 / o.gradAccumSteps));
        return item(loss);
      });
      tokens += batch.batchSize * batch.seqLen;
    }
    return { loss: lossSum / o.gradAccumSteps, tokens };
  }

  private batchLoss(batch: Batch): Tensor<"f32"> {
    const shape = [batch.batchSize, batch.seqLen];
    const inputs = tensor(batch.inputs, { shape, device: this.opts.device });
    const targets = tensor(batch.targets, { shape, device: this.opts.device });
    return this.opts.model.loss(inputs, targets);
  }

  /** Mean loss over the same `evalBatches` validation batches each time (the sampler restarts at `start`). */
  private evaluate(start: JSONValue | undefined): number {
    const o = this.opts;
    const valid = o.valid!;
    if (start !== undefined) valid.setState(start);
    o.model.eval?.();
    let sum = 0;
    try {
      for (let i = 0; i < o.evalBatches; i++) {
        const batch = valid.next();
        checkBatch(batch, null);
        sum += noGrad(() => tidy(() => item(this.batchLoss(batch))));
      }
    } finally {
      o.model.train?.();
    }
    return sum / o.evalBatches;
  }
}
