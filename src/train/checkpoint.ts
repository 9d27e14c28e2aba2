/**
 * Checkpoint directories: `checkpoints/step-0000100/` holds model.safetensors (Hugging Face weight names),
 * optimizer.safetensors + optimizer.json and trainer.json. Each directory appears atomically, `latest`
 * names the newest, and only the newest few are kept.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { ArgumentError, SlmkitError } from "../errors.js";
import { isTempName, writeDirAtomic, writeFileAtomic, writeJsonAtomic } from "../io/atomic.js";
import { isJsonObject, readJsonFile } from "../io/json_file.js";
import { loadSafetensors, saveSafetensors } from "../io/safetensors.js";
import type { Tensor } from "../tensor/tensor.js";
import type { OptimizerState, TrainableModel, TrainOptimizer } from "./contracts.js";

const STEP_DIR = /^step-(\d+)$/;

/** The directory name of the checkpoint after `step` steps (zero-padded so names sort by step). */
export function checkpointName(step: number): string {
  return `step-${String(step).padStart(7, "0")}`;
}

/** Where a run keeps its checkpoints. */
export function checkpointsDir(outDir: string): string {
  return path.join(outDir, "checkpoints");
}

/**
 * The newest checkpoint directory of a run (as named by its `latest` file), or null when it has none.
 * `latest` must name a `step-N` folder of the run's own checkpoints/ (not `../other-run/...`, not a link
 * leading out of it), or the error names the file.
 *
 * @example
 * const ckpt = latestCheckpoint("runs/sotu-tiny"); // "runs/sotu-tiny/checkpoints/step-0000400"
 */
export function latestCheckpoint(outDir: string): string | null {
  const root = checkpointsDir(outDir);
  const pointer = path.join(root, "latest");
  if (!fs.existsSync(pointer)) return null;
  const name = fs.readFileSync(pointer, "utf8").trim();
  if (!STEP_DIR.test(name))
    throw new ArgumentError(
      `latestCheckpoint: ${pointer} must name a step-N folder beside it, got ${JSON.stringify(name)}`,
    );
  const dir = path.join(root, name);
  if (!fs.existsSync(path.join(dir, "trainer.json")))
    throw new ArgumentError(`latestCheckpoint: ${pointer} names ${dir}, which holds no trainer.json`);
  if (path.dirname(fs.realpathSync(dir)) !== fs.realpathSync(root))
    throw new ArgumentError(
      `latestCheckpoint: ${dir} leads outside ${root} (a link?); refusing to load another run's checkpoint`,
    );
  return dir;
}

/** Every complete checkpoint of a run (a step-N folder holding trainer.json), oldest first. */
export function listCheckpoints(outDir: string): { step: number; dir: string }[] {
  const root = checkpointsDir(outDir);
  if (!fs.existsSync(root)) return [];
  return fs
    .readdirSync(root)
    .filter((n) => STEP_DIR.test(n) && fs.existsSync(path.join(root, n, "trainer.json")))
    .map((n) => ({ step: Number(STEP_DIR.exec(n)![1]), dir: path.join(root, n) }))
    .sort((a, b) => a.step - b.step);
}

/**
 * Deletes the half-written files and checkpoint folders (`.step-0000100.tmp-<pid>-<n>`) that a killed run
 * left in `outDir` and its checkpoints/, and returns their paths. Call it only while holding the run's lock.
 */
export function removeTemporaries(outDir: string): string[] {
  const removed: string[] = [];
  for (const dir of [outDir, checkpointsDir(outDir)]) {
    if (!fs.existsSync(dir)) continue;
    for (const name of fs.readdirSync(dir).filter(isTempName)) {
      fs.rmSync(path.join(dir, name), { recursive: true, force: true });
      removed.push(path.join(dir, name));
    }
  }
  return removed;
}

/** Resolves a user's resume target: a checkpoint directory, or a run directory (its latest checkpoint). */
export function resolveCheckpoint(target: string): string {
  if (fs.existsSync(path.join(target, "trainer.json"))) return target;
  const latest = latestCheckpoint(target);
  if (!latest)
    throw new ArgumentError(
      `resume: ${target} is neither a checkpoint directory (no trainer.json) nor a run directory with checkpoints/latest`,
    );
  return latest;
}

/** Everything a checkpoint holds besides weights and optimiser state, as saved in trainer.json. */
export interface TrainerState {
  step: number;
  [key: string]: unknown;
}

/** Writes the checkpoint of `step` atomically, points `latest` at it and deletes all but the newest `keep`. */
export function saveCheckpoint(
  outDir: string,
  model: TrainableModel,
  optimizer: TrainOptimizer,
  state: TrainerState,
  keep: number,
): string {
  const root = checkpointsDir(outDir);
  fs.mkdirSync(root, { recursive: true });
  const name = checkpointName(state.step);
  const dir = path.join(root, name);
  writeDirAtomic(dir, (tmp) => {
    saveSafetensors(path.join(tmp, "model.safetensors"), model.stateDict(), { format: "pt" });
    const opt = optimizer.stateDict();
    try {
      saveSafetensors(path.join(tmp, "optimizer.safetensors"), opt.tensors, { format: "slmkit-optimizer" });
    } finally {
      disposeAll(opt.tensors);
    }
    writeJsonAtomic(path.join(tmp, "optimizer.json"), opt.meta);
    writeJsonAtomic(path.join(tmp, "trainer.json"), state);
  });
  writeFileAtomic(path.join(root, "latest"), name + "\n");
  const steps = fs
    .readdirSync(root)
    .filter((n) => STEP_DIR.test(n))
    .sort();
  for (const old of steps.slice(0, Math.max(0, steps.length - keep)))
    fs.rmSync(path.join(root, old), { recursive: true, force: true });
  return dir;
}

function disposeAll(tensors: Record<string, Tensor>): void {
  for (const t of Object.values(tensors)) t.dispose();
}

/** Loads weights and optimiser state from checkpoint `dir` into `model` and `optimizer`; returns trainer.json. */
export function loadCheckpoint(dir: string, model: TrainableModel, optimizer: TrainOptimizer): TrainerState {
  const state = readTrainerState(path.join(dir, "trainer.json")); // first: a damaged one changes nothing
  const meta = readJsonFile(path.join(dir, "optimizer.json"), "checkpoint");
  const weights = loadSafetensors(path.join(dir, "model.safetensors")).tensors;
  try {
    naming(path.join(dir, "model.safetensors"), () => model.loadStateDict(weights, { strict: true }));
  } finally {
    disposeAll(weights);
  }
  const tensors = loadSafetensors(path.join(dir, "optimizer.safetensors")).tensors as Record<string, Tensor<"f32">>;
  try {
    naming(path.join(dir, "optimizer.json"), () => optimizer.loadStateDict({ meta, tensors } satisfies OptimizerState));
  } finally {
    disposeAll(tensors);
  }
  return state;
}

/** Runs `fn`; a SlmkitError it throws (a field that does not fit) is rethrown naming the file it came from. */
export function naming<T>(file: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (!(e instanceof SlmkitError)) throw e;
    throw new ArgumentError(`${file}: ${e.message}`);
  }
}

/** trainer.json's contents, checked to be an object with a whole-number `step`; errors name the file. */
export function readTrainerState(file: string): TrainerState {
  const state = readJsonFile(file, "checkpoint");
  if (!isJsonObject(state) || !Number.isSafeInteger(state.step) || (state.step as number) < 0) {
    throw new ArgumentError(
      `checkpoint: ${file} is damaged: "step" must be a whole number >= 0, got ${JSON.stringify(isJsonObject(state) ? state.step : state)}`,
    );
  }
  return state as TrainerState;
}
