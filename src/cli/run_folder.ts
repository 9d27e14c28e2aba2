/**
 * The run folder of `slmkit train` (<out>/<name>): what an earlier run left there, whether it was made with
 * the same options, and removing its outputs for --overwrite or after a run that failed before its first
 * checkpoint (so a failed command leaves nothing behind).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { isJsonObject } from "../io/json_file.js";
import { latestCheckpoint, readTrainerState } from "../train/checkpoint.js";

/** Every file and folder `slmkit train` writes into a run folder. */
export const RUN_OUTPUTS = [
  "checkpoints",
  "tokenizer.json",
  "config.json",
  "run.json",
  "metrics.jsonl",
  "loss.svg",
  "samples.txt",
] as const;

/** Flag values as parsed (and as saved in run.json's `options`). */
export type FlagValues = Record<string, string | string[] | boolean | undefined>;

/** Flags that do not change what a run computes, so a run made with other values of them is the same run. */
const IGNORED = new Set(["quiet", "resume", "overwrite", "threads"]);

/** What an earlier `slmkit train` left in a folder. */
export interface SavedRun {
  /** run.json's options, or null when there is no readable run.json. */
  options: FlagValues | null;
  /** Steps done at the latest checkpoint, or null without checkpoints. */
  step: number | null;
}

/** Whether `v` is what run.json's `options` holds: flag names to strings, string lists or booleans. */
function isFlagValues(v: unknown): v is FlagValues {
  const isValue = (x: unknown) =>
    typeof x === "string" || typeof x === "boolean" || (Array.isArray(x) && x.every((y) => typeof y === "string"));
  return isJsonObject(v) && Object.values(v).every(isValue);
}

/**
 * The earlier run in `runDir`, or null when the folder holds no run (no run.json, no checkpoints). A
 * damaged checkpoint (its `latest`, its trainer.json) is an error naming the file.
 */
export function savedRun(runDir: string): SavedRun | null {
  const runFile = path.join(runDir, "run.json");
  const hasCheckpoints = fs.existsSync(path.join(runDir, "checkpoints", "latest"));
  if (!fs.existsSync(runFile) && !hasCheckpoints) return null;
  let options: FlagValues | null = null;
  try {
    const saved: unknown = (JSON.parse(fs.readFileSync(runFile, "utf8")) as { options?: unknown }).options;
    if (isFlagValues(saved)) options = saved;
  } catch {
    // unreadable or missing run.json: the run's options are unknown
  }
  const latest = hasCheckpoints ? latestCheckpoint(runDir) : null;
  return { options, step: latest ? readTrainerState(path.join(latest, "trainer.json")).step : null };
}

const show = (v: unknown): string => (Array.isArray(v) ? v.join(" ") : v === undefined ? "unset" : String(v));

/**
 * The flags whose values differ between a saved run and now, as `--steps 800 there, 1000 now`; flags that do
 * not change the computation are ignored. `defaults` fills in flags an older run.json did not record.
 */
export function optionDifferences(saved: FlagValues, now: FlagValues, defaults: FlagValues): string[] {
  const out: string[] = [];
  for (const name of Object.keys(now)) {
    if (IGNORED.has(name)) continue;
    const before = name in saved ? saved[name] : defaults[name];
    if (JSON.stringify(before ?? null) !== JSON.stringify(now[name] ?? null))
      out.push(`--${name} ${show(before)} there, ${show(now[name])} now`);
  }
  return out;
}

/** Deletes what `slmkit train` wrote into `runDir` (nothing else), and the folder itself when that leaves it empty. */
export function removeRunOutputs(runDir: string): void {
  if (!fs.existsSync(runDir)) return;
  for (const name of RUN_OUTPUTS) fs.rmSync(path.join(runDir, name), { recursive: true, force: true });
  if (fs.readdirSync(runDir).length === 0) fs.rmdirSync(runDir);
}
