/**
 * Checkpoint directories: `checkpoints/step-0000100/` holds model.safetensors (Hugging Face weight names),
 * optimizer.safetensors + optimizer.json and trainer.json. Each directory appears atomically, `latest`
 * names the newest, and only the newest few are kept.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { ArgumentError } from "../errors.js";
import { writeDirAtomic, writeFileAtomic, writeJsonAtomic } from "../io/atomic.js";
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
 *
 * @example
 * const ckpt = latestCheckpoint("runs/sotu-tiny"); // "runs/sotu-tiny/checkpoints/step-0000400"
 */
export function latestCheckpoint(outDir: string): string | null {
  const pointer = path.join(checkpointsDir(outDir), "latest");
  if (!fs.existsSync(pointer)) return null;
  const dir = path.join(checkpointsDir(outDir), fs.readFileSync(pointer, "utf8").trim());
  if (!fs.existsSync(path.join(dir, "trainer.json"))) throw new ArgumentError(`latestCheckpoint: ${pointer} names ${dir}, which holds no trainer.json`);
  return dir;
}

/** Resolves a user's resume target: a checkpoint directory, or a run directory (its latest checkpoint). */
export function resolveCheckpoint(target: string): string {
  if (fs.existsSync(path.join(target, "trainer.json"))) return target;
  const latest = latestCheckpoint(target);
  if (!latest) throw new ArgumentError(`resume: ${target} is neither a checkpoint directory (no trainer.json) nor a run directory with checkpoints/latest`);
  return latest;
}

/** Everything a checkpoint holds besides weights and optimiser state, as saved in trainer.json. */
export interface TrainerState {
  step: number;
  [key: string]: unknown;
}

/** Writes the checkpoint of `step` atomically, points `latest` at it and deletes all but the newest `keep`. */
export function saveCheckpoint(outDir: string, model: TrainableModel, optimizer: TrainOptimizer, state: TrainerState, keep: number): string {
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
  for (const old of steps.slice(0, Math.max(0, steps.length - keep))) fs.rmSync(path.join(root, old), { recursive: true, force: true });
  return dir;
}

function disposeAll(tensors: Record<string, Tensor>): void {
  for (const t of Object.values(tensors)) t.dispose();
}

/** Loads weights and optimiser state from checkpoint `dir` into `model` and `optimizer`; returns trainer.json. */
export function loadCheckpoint(dir: string, model: TrainableModel, optimizer: TrainOptimizer): TrainerState {
  const weights = loadSafetensors(path.join(dir, "model.safetensors")).tensors;
  try {
    model.loadStateDict(weights, { strict: true });
  } finally {
    disposeAll(weights);
  }
  const tensors = loadSafetensors(path.join(dir, "optimizer.safetensors")).tensors as Record<string, Tensor<"f32">>;
  try {
    const meta: unknown = JSON.parse(fs.readFileSync(path.join(dir, "optimizer.json"), "utf8"));
    optimizer.loadStateDict({ meta, tensors } satisfies OptimizerState);
  } finally {
    disposeAll(tensors);
  }
  return JSON.parse(fs.readFileSync(path.join(dir, "trainer.json"), "utf8")) as TrainerState;
}
