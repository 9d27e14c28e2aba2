// MiniCPM's WSD scaling-law study: per model size one stable run, decay branches from several of its
// checkpoints, (N, D, loss) at the end of each branch, and L(N, D) fitted to them.
import * as fs from "node:fs";
import * as path from "node:path";
import type { Device } from "../../backend/backend.js";
import type { BatchSource, JSONValue } from "../../data/batch.js";
import { ArgumentError, SlmkitError } from "../../errors.js";
import { readJsonl, writeJsonl } from "../../io/jsonl.js";
import type { MiniCPMConfigInput } from "../../models/minicpm/config.js";
import { countMiniCPMParameters } from "../../models/minicpm/count.js";
import type { MiniCPMPresetName } from "../../models/minicpm/presets.js";
import { WSD } from "../../schedule/wsd.js";
import { checkpointName, checkpointsDir, latestCheckpoint } from "../../train/checkpoint.js";
import { Trainer } from "../../train/trainer.js";
import { buildProxy, proxyConfig } from "../proxy_run.js";
import { type ScalingLawFit, type ScalingLawPoint, fitScalingLaw } from "./fit_scaling_law.js";

/** One model size of the study. */
export interface ScalingStudySize {
  /** Names its folder and its points; unique. */
  name: string;
  model: MiniCPMPresetName | MiniCPMConfigInput;
}

/** Options of scalingStudy(). */
export interface ScalingStudyOptions {
  sizes: readonly ScalingStudySize[];
  /** Stable-phase steps at which decay branches start, ascending (e.g. [1000, 2000, 4000, 8000]). */
  branchSteps: readonly number[];
  /** Training batches; every size starts from their state at the call, so all see the same data. */
  train: BatchSource;
  /** Validation batches; each point's loss is the validation loss at the end of its branch (else train loss). */
  valid?: BatchSource;
  /** Run folders (<outDir>/<size>/stable, <outDir>/<size>/decay-<step>) and points.jsonl. */
  outDir: string;
  /** Each branch decays for this share of its steps: branchStep · f / (1 − f) steps. Default 0.1. */
  decayFraction?: number;
  /** Half-life of the exponential decay, the same in every branch as in MiniCPM. Default a quarter of the shortest decay. */
  halfLife?: number;
  /** Peak (base) learning rate. Default 0.01. */
  lr?: number;
  /** Linear warmup steps. Default 1% of the first branch step (at least 1). */
  warmupSteps?: number;
  gradAccumSteps?: number;
  /** Validation batches scored at the end of each branch. Default 8. */
  evalBatches?: number;
  /** Seeds the weights. Default 0. */
  seed?: number;
  /** Default 0.1. */
  weightDecay?: number;
  device?: Device;
  /** Called with each point measured now (not those points.jsonl already held). */
  onPoint?: (point: ScalingStudyPoint) => void;
}

/** One decay branch's result: a line of points.jsonl and a point of the fit. */
export interface ScalingStudyPoint extends ScalingLawPoint {
  size: string;
  /** The stable step the branch started from, and its decay steps. */
  branchStep: number;
  decaySteps: number;
  /** Training tokens of the branch (stable and decay), i.e. tokensBillions · 1e9. */
  tokens: number;
  /** Non-embedding parameters, i.e. paramsBillions · 1e9. */
  params: number;
}

export interface ScalingStudyResult {
  /** Every point of the study, those of earlier calls included. */
  points: ScalingStudyPoint[];
  /** L(N, D) fitted to the points, or null when it could not be (fitError says why). */
  fit: ScalingLawFit | null;
  fitError: string | null;
}

/**
 * Runs MiniCPM's WSD scaling-law study: for every size one stable WSD run (MiniCPM's convention: linear warmup,
 * constant lr) that stops at each branch step with a checkpoint; from each checkpoint a decay branch
 * (`WSD.decayFrom`) trains to a finished model; its final loss, non-embedding parameters N and tokens D make
 * one point of points.jsonl. The stable phase is shared, so a size costs one run plus its short decays.
 * Finally fits L(N, D) = C_N·N^−α + C_D·D^−β + L0 (needs at least 6 points, 2 sizes and 2 branches).
 * Resumable: points already in points.jsonl are skipped, and a stable run continues from its latest checkpoint.
 *
 * @example
 * const study = await scalingStudy({
 *   sizes: [{ name: "9m", model: "9m" }, { name: "30m", model: "30m" }, { name: "70m", model: "70m" }],
 *   branchSteps: [2000, 4000, 8000], train, valid, outDir: "runs/scaling", device: "cuda",
 * });
 * console.log(study.fit?.law, computeOptimal(study.fit!.law, 1e21).tokensPerParam);
 */
export async function scalingStudy(options: ScalingStudyOptions): Promise<ScalingStudyResult> {
  const fn = "scalingStudy";
  const o = checkOptions(fn, options);
  const file = path.join(o.outDir, "points.jsonl");
  fs.mkdirSync(o.outDir, { recursive: true });
  const points = readJsonl(file) as unknown as ScalingStudyPoint[];
  const starts: DataStarts = { train: o.train.state(), valid: o.valid?.state() };
  for (const { name, model } of o.sizes) {
    const config = proxyConfig(fn, model);
    const stableDir = path.join(o.outDir, name, "stable");
    const stable = new WSD({
      peakLr: o.lr,
      warmupSteps: o.warmupSteps,
      stableSteps: o.branchSteps.at(-1)! - o.warmupSteps,
      decaySteps: 0,
      decay: "exponential",
      halfLife: o.halfLife,
      convention: "minicpm",
    });
    for (const branchStep of o.branchSteps) {
      if (points.some((p) => p.size === name && p.branchStep === branchStep)) continue;
      const checkpoint = await stableCheckpoint(config, stable, branchStep, stableDir, starts, o);
      const decaySteps = decayStepsOf(branchStep, o.decayFraction);
      const metrics = await train(config, o, starts, {
        schedule: stable.decayFrom(branchStep, decaySteps),
        steps: branchStep + decaySteps,
        outDir: path.join(o.outDir, name, `decay-${branchStep}`),
        resumeFrom: checkpoint,
      });
      const last = metrics.at(-1)!;
      const params = countMiniCPMParameters(config, { embedding: false });
      const point: ScalingStudyPoint = {
        size: name,
        branchStep,
        decaySteps,
        params,
        tokens: last.tokens,
        paramsBillions: params / 1e9,
        tokensBillions: last.tokens / 1e9,
        loss: last.valLoss ?? last.loss,
      };
      points.push(point);
      writeJsonl(file, points);
      o.onPoint?.(point);
    }
  }
  try {
    return { points, fit: fitScalingLaw(points), fitError: null };
  } catch (e) {
    if (!(e instanceof SlmkitError)) throw e;
    return { points, fit: null, fitError: e.message };
  }
}

/** Where the samplers stood at the call: every size trains on the same batches and is scored on the same ones. */
interface DataStarts {
  train: JSONValue;
  valid: JSONValue | undefined;
}

type Checked = Required<Omit<ScalingStudyOptions, "valid" | "device" | "onPoint">> &
  Pick<ScalingStudyOptions, "valid" | "device" | "onPoint">;

function checkOptions(fn: string, options: ScalingStudyOptions): Checked {
  if (options === null || typeof options !== "object") throw new ArgumentError(`${fn}: expected an options object`);
  const { sizes, branchSteps } = options;
  if (!Array.isArray(sizes) || sizes.length === 0) throw new ArgumentError(`${fn}: sizes must be a non-empty array`);
  const names = sizes.map((s) => s?.name);
  if (names.some((n) => typeof n !== "string" || !/^[\w.-]+$/.test(n)) || new Set(names).size !== names.length)
    throw new ArgumentError(
      `${fn}: sizes need unique names of letters, digits, '.', '_' or '-', got ${JSON.stringify(names)}`,
    );
  for (const s of sizes) proxyConfig(fn, s.model);
  if (
    !Array.isArray(branchSteps) ||
    branchSteps.length === 0 ||
    !branchSteps.every((s, i) => Number.isInteger(s) && s >= 1 && (i === 0 || s > branchSteps[i - 1]!))
  )
    throw new ArgumentError(
      `${fn}: branchSteps must be ascending whole numbers >= 1, got ${JSON.stringify(branchSteps)}`,
    );
  const decayFraction = options.decayFraction ?? 0.1;
  if (!(decayFraction > 0 && decayFraction < 1))
    throw new ArgumentError(`${fn}: decayFraction must be in (0, 1), got ${String(decayFraction)}`);
  const warmupSteps = options.warmupSteps ?? Math.max(1, Math.round(branchSteps[0]! / 100));
  if (!Number.isInteger(warmupSteps) || warmupSteps < 0 || warmupSteps > branchSteps[0]!)
    throw new ArgumentError(
      `${fn}: warmupSteps must be a whole number in [0, ${branchSteps[0]}] (the first branch), got ${warmupSteps}`,
    );
  if (typeof options.outDir !== "string" || options.outDir === "")
    throw new ArgumentError(`${fn}: outDir must be a folder`);
  return {
    ...options,
    decayFraction,
    warmupSteps,
    halfLife: options.halfLife ?? Math.max(1, decayStepsOf(branchSteps[0]!, decayFraction) / 4),
    lr: options.lr ?? 0.01,
    gradAccumSteps: options.gradAccumSteps ?? 1,
    evalBatches: options.evalBatches ?? 8,
    seed: options.seed ?? 0,
    weightDecay: options.weightDecay ?? 0.1,
  };
}

/** Decay steps of the branch from `branchStep`: the decay is `fraction` of the branch's steps. */
function decayStepsOf(branchStep: number, fraction: number): number {
  return Math.max(1, Math.round((branchStep * fraction) / (1 - fraction)));
}

/** The stable run's checkpoint at `step`, training the stable run up to it (from its latest checkpoint) first. */
async function stableCheckpoint(
  config: MiniCPMConfigInput,
  schedule: WSD,
  step: number,
  dir: string,
  starts: DataStarts,
  o: Checked,
): Promise<string> {
  const wanted = path.join(checkpointsDir(dir), checkpointName(step));
  if (fs.existsSync(path.join(wanted, "trainer.json"))) return wanted;
  const latest = fs.existsSync(dir) ? latestCheckpoint(dir) : null;
  if (latest !== null && path.basename(latest) > checkpointName(step))
    throw new ArgumentError(
      `scalingStudy: ${dir} has no checkpoint at step ${step} but one after it; delete ${dir} to rerun it`,
    );
  if (latest === null) o.train.setState(starts.train);
  await train(config, o, starts, { schedule, steps: step, outDir: dir, resumeFrom: latest ?? undefined });
  return wanted;
}

/** One Trainer run of the study; every branch's checkpoint is kept, since later branches start from them. */
async function train(
  config: MiniCPMConfigInput,
  o: Checked,
  starts: DataStarts,
  run: { schedule: WSD; steps: number; outDir: string; resumeFrom: string | undefined },
) {
  // A fresh Trainer scores the validation batches from where the sampler stands; a resumed one from the saved start.
  if (starts.valid !== undefined) o.valid!.setState(starts.valid);
  const { model, optimizer } = buildProxy(config, { seed: o.seed, device: o.device, weightDecay: o.weightDecay });
  try {
    const result = await new Trainer({
      model,
      optimizer,
      schedule: run.schedule,
      train: o.train,
      valid: o.valid,
      steps: run.steps,
      gradAccumSteps: o.gradAccumSteps,
      evalBatches: o.evalBatches,
      keepCheckpoints: o.branchSteps.length,
      outDir: run.outDir,
      device: o.device,
    }).fit(run.resumeFrom === undefined ? {} : { resumeFrom: run.resumeFrom });
    return result.metrics;
  } finally {
    optimizer.dispose();
    model.dispose();
  }
}
