/**
 * trainer.json, the Trainer's part of a checkpoint: its fields and the checks applied when it is read back,
 * so that a damaged file is an error naming the file and the field, never a run that "finishes" at step
 * "abc" or a NaN in the metrics.
 */
import type { JSONValue } from "../data/batch.js";
import { isJsonObject } from "../io/json_file.js";
import { ArgumentError } from "../errors.js";
import type { TrainerState } from "./checkpoint.js";
import type { MetricsRecord } from "./metrics.js";

/** Running sums between two metrics records (saved in checkpoints so that resumed averages match). */
export interface Interval {
  lossSum: number;
  steps: number;
  tokens: number;
  seconds: number;
}

/** trainer.json: everything besides weights and optimiser state that an exact resume needs. */
export interface SavedState extends TrainerState {
  format: "slmkit-trainer";
  version: 1;
  steps: number;
  schedule: unknown;
  rng: { seed: number; offset: number };
  trainData: JSONValue;
  validStart: JSONValue | undefined;
  elapsed: number;
  tokens: number;
  interval: Interval;
  metrics: MetricsRecord[];
  runConfig: unknown;
}

/** Checks every field the Trainer reads back from `state` (loaded from `file`); returns it typed. */
export function checkSavedState(state: TrainerState, file: string): SavedState {
  const fail = (field: string, want: string, got: unknown): never => {
    throw new ArgumentError(
      `checkpoint: ${file} is damaged: "${field}" must be ${want}, got ${JSON.stringify(got) ?? String(got)}`,
    );
  };
  const count = (field: string, v: unknown): void => {
    if (!Number.isSafeInteger(v) || (v as number) < 0) fail(field, "a whole number >= 0", v);
  };
  const finite = (field: string, v: unknown): void => {
    if (typeof v !== "number" || !Number.isFinite(v) || v < 0) fail(field, "a finite number >= 0", v);
  };
  const s = state as Record<string, unknown>;
  if (s.format !== "slmkit-trainer" || s.version !== 1)
    fail("format", '"slmkit-trainer" with version 1', `${String(s.format)} ${String(s.version)}`);
  count("steps", s.steps);
  count("tokens", s.tokens);
  finite("elapsed", s.elapsed);
  if (!isJsonObject(s.rng)) fail("rng", "an object { seed, offset }", s.rng);
  const interval = s.interval;
  if (!isJsonObject(interval)) fail("interval", "an object", interval);
  const i = interval as Record<string, unknown>;
  count("interval.steps", i.steps);
  count("interval.tokens", i.tokens);
  for (const k of ["lossSum", "seconds"])
    if (typeof i[k] !== "number" || !Number.isFinite(i[k])) fail(`interval.${k}`, "a finite number", i[k]);
  if (!Array.isArray(s.metrics)) fail("metrics", "an array of records", s.metrics);
  (s.metrics as unknown[]).forEach((r, n) => {
    if (!isJsonObject(r) || !Number.isSafeInteger(r.step) || typeof r.loss !== "number")
      fail(`metrics[${n}]`, "a record with a whole-number step and a loss", r);
  });
  if (s.trainData === undefined) fail("trainData", "the training data's position", s.trainData);
  return state as SavedState;
}
