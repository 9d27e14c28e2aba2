/**
 * `slmkit train`'s flags and the plan made from them before any work: every flag is read and checked here
 * (numbers, choices, files, the device, the run folder), so that bad input fails at once with the flag's
 * name, never after a tokenizer was trained or with a half-made run folder left behind.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { ArgumentError, SlmkitError } from "../errors.js";
import { MiniCPM } from "../models/minicpm/index.js";
import { CORPUS_FLAGS, type CorpusSpec, readCorpusFlags } from "./corpus.js";
import { type CommandSpec, choiceFlag, numberFlag, outputFolderFlag, parseFlags, requireFile } from "./flags.js";
import { latestCheckpoint, listCheckpoints, readTrainerState } from "../train/checkpoint.js";
import { RUN_FLAGS, type RunSpec, readRunFlags } from "./run_flags.js";
import { type FlagValues, optionDifferences, type SavedRun, savedRun } from "./run_folder.js";

export const TRAIN_SPEC: CommandSpec = {
  name: "train",
  usage: "slmkit train [options]",
  description: [
    "Trains a MiniCPM language model. Without options it runs the built-in example: a 2048-token byte-level BPE",
    "tokenizer and a `tiny` MiniCPM (μP init, WSD schedule, AdamW) trained on the US State of the Union addresses",
    "on the CPU in a few minutes. Outputs go to <out>/<name>/: tokenizer.json, config.json, run.json,",
    "checkpoints/, metrics.jsonl, loss.svg and samples.txt. When that folder already holds a run with the same",
    "options, train continues it from its latest checkpoint (or says it is finished); --resume continues it with",
    "its saved options, flags given now overriding them; --overwrite deletes it and starts again.",
  ].join("\n"),
  flags: [
    { name: "name", type: "string", value: "NAME", default: "sotu-tiny", help: "run name (the output folder's name)" },
    { name: "out", type: "string", value: "DIR", default: "runs", help: "folder that holds run folders" },
    ...CORPUS_FLAGS,
    {
      name: "decay-data",
      type: "string",
      value: "PATH",
      multiple: true,
      help: "two-stage pre-training: data mixed into the WSD decay only (texts, or shards like --data)",
    },
    {
      name: "decay-data-weight",
      type: "string",
      value: "X",
      help: "share of the decay's sequences drawn from --decay-data (default 0.3)",
    },
    {
      name: "preset",
      type: "string",
      value: "NAME",
      default: "tiny",
      help: `MiniCPM shape: ${Object.keys(MiniCPM.presets).join(", ")}`,
    },
    { name: "init", type: "string", value: "mup|standard", default: "mup", help: "weight initialisation" },
    { name: "steps", type: "string", value: "N", default: "800", help: "optimiser steps" },
    { name: "batch-size", type: "string", value: "N", default: "16", help: "sequences per micro-batch" },
    {
      name: "seq-len",
      type: "string",
      value: "N",
      default: "128",
      help: "tokens per sequence (at most the preset's max_position_embeddings)",
    },
    { name: "grad-accum", type: "string", value: "N", default: "1", help: "micro-batches per optimiser step" },
    {
      name: "lr",
      type: "string",
      value: "X",
      default: "0.01",
      help: "peak learning rate (μP groups scale it per parameter)",
    },
    { name: "warmup", type: "string", value: "N", default: "50", help: "linear warmup steps" },
    {
      name: "decay-fraction",
      type: "string",
      value: "X",
      default: "0.2",
      help: "share of the steps spent in the WSD decay phase",
    },
    {
      name: "decay",
      type: "string",
      value: "exponential|cosine|linear|1-sqrt",
      default: "exponential",
      help: "shape of the WSD decay (MiniCPM: exponential)",
    },
    {
      name: "half-life",
      type: "string",
      value: "N",
      help: "steps per halving of the exponential decay (default: a quarter of the decay steps)",
    },
    {
      name: "min-lr-ratio",
      type: "string",
      value: "X",
      help: "floor of a linear, cosine or 1-sqrt decay, as a share of --lr (default 0.01; the exponential decay has none)",
    },
    {
      name: "weight-decay",
      type: "string",
      value: "X",
      default: "0.1",
      help: "AdamW decoupled weight decay of the matrices",
    },
    {
      name: "clip",
      type: "string",
      value: "X",
      default: "1",
      help: "gradient-norm clipping threshold (0 disables clipping)",
    },
    ...RUN_FLAGS,
    { name: "eval-every", type: "string", value: "N", default: "50", help: "validate every N steps (and at the end)" },
    { name: "eval-batches", type: "string", value: "N", default: "8", help: "validation batches per evaluation" },
    {
      name: "log-every",
      type: "string",
      value: "N",
      default: "10",
      help: "write a metrics.jsonl record every N steps",
    },
    {
      name: "checkpoint-every",
      type: "string",
      value: "N",
      default: "200",
      help: "checkpoint every N steps (and at the end)",
    },
    { name: "keep-checkpoints", type: "string", value: "N", default: "3", help: "checkpoints kept on disk" },
    {
      name: "samples",
      type: "string",
      value: "N",
      default: "3",
      help: "text samples generated into samples.txt at the end",
    },
    { name: "sample-tokens", type: "string", value: "N", default: "60", help: "tokens per sample" },
    {
      name: "resume",
      type: "boolean",
      optionalValue: true,
      value: "STEP|DIR",
      help: "continue <out>/<name> with its saved options, from its latest checkpoint, the checkpoint of STEP, or checkpoint folder DIR",
    },
    { name: "overwrite", type: "boolean", help: "delete the run in <out>/<name> and start again" },
    { name: "quiet", type: "boolean", help: "no progress output" },
  ],
};

/** Sample prompts for samples.txt (State of the Union flavoured; any text works). */
export const SAMPLE_PROMPTS = ["The state of the Union", "Congress", "Our nation", "The people of", "We must"];

const DECAYS = ["exponential", "cosine", "linear", "1-sqrt"] as const;

/** Every setting of a run, read and checked. */
export interface TrainSettings extends RunSpec {
  out: string;
  name: string;
  runDir: string;
  corpus: CorpusSpec;
  /** Two-stage pre-training: files whose text is mixed into the decay phase (same kind as the corpus), and its share. */
  decayData: string[];
  decayDataWeight: number;
  preset: keyof typeof MiniCPM.presets;
  init: "mup" | "standard";
  steps: number;
  batchSize: number;
  seqLen: number;
  gradAccum: number;
  lr: number;
  warmup: number;
  decayFraction: number;
  decay: (typeof DECAYS)[number];
  halfLife: number | undefined;
  minLrRatio: number;
  weightDecay: number;
  clip: number;
  evalEvery: number;
  evalBatches: number;
  logEvery: number;
  checkpointEvery: number;
  keepCheckpoints: number;
  samples: number;
  sampleTokens: number;
  quiet: boolean;
}

/**
 * What `slmkit train` will do: start a new run (`fresh`, after deleting an old one when `overwrite`; `note`
 * says why when the user did not ask for that), continue one (`resume`, from `checkpoint`, made after step
 * `fromStep`), or nothing because the same run already finished.
 */
export type TrainPlan =
  | { kind: "help" }
  | { kind: "fresh"; settings: TrainSettings; values: FlagValues; overwrite: boolean; note?: string }
  | {
      kind: "resume";
      settings: TrainSettings;
      values: FlagValues;
      fromStep: number;
      checkpoint: string;
      automatic: boolean;
    }
  | { kind: "finished"; settings: TrainSettings; step: number };

const CMD = "train";

/** Reads and checks every flag; touches nothing on disk. */
export function readSettings(values: FlagValues): TrainSettings {
  const int = (name: string, min: number, max = Infinity, maxReason?: string) =>
    numberFlag(CMD, name, values[name], { integer: true, min, max, maxReason });
  const num = (name: string, min: number, { exclusiveMin = false, max = Infinity } = {}) =>
    numberFlag(CMD, name, values[name], { min, exclusiveMin, max });

  const name = String(values.name);
  if (name === "" || name === "." || name === ".." || /[/\\]/.test(name))
    throw new ArgumentError(
      `slmkit train: --name must be a plain folder name (no / or ..), got ${JSON.stringify(name)}`,
    );
  const out = outputFolderFlag(CMD, "out", values.out);

  const preset = choiceFlag(
    CMD,
    "preset",
    values.preset,
    Object.keys(MiniCPM.presets) as (keyof typeof MiniCPM.presets)[],
  );
  const maxPositions = MiniCPM.presets[preset].max_position_embeddings;
  const decay = choiceFlag(CMD, "decay", values.decay, DECAYS);
  if (values["half-life"] !== undefined && decay !== "exponential")
    throw new ArgumentError(`slmkit train: --half-life applies to --decay exponential only, not --decay ${decay}`);
  if (values["min-lr-ratio"] !== undefined && decay === "exponential")
    throw new ArgumentError(
      "slmkit train: --min-lr-ratio applies to --decay linear, cosine or 1-sqrt; MiniCPM's exponential decay has no floor",
    );
  // Each sample's prompt and new tokens must fit the model's positions; a byte-level BPE prompt has at most one token per byte.
  const longestPrompt = Math.max(...SAMPLE_PROMPTS.map((p) => Buffer.byteLength(p)));

  const corpus = readCorpusFlags(CMD, values, { maxValidFraction: 0.9, tokenizerSaved: Boolean(values.resume) });
  const shards = corpus.shards;
  const decayData = (values["decay-data"] as string[] | undefined) ?? [];
  for (const f of decayData) requireFile(CMD, "decay-data", f);
  if (decayData.some((f) => f.endsWith(".bin") !== shards))
    throw new ArgumentError(
      `slmkit train: --decay-data must be ${shards ? "token shards (.bin), as --data is" : "text files, as --data is (shards need shards)"}`,
    );
  if (values["decay-data-weight"] !== undefined && decayData.length === 0)
    throw new ArgumentError("slmkit train: --decay-data-weight applies to --decay-data, which is not given");
  const decayDataWeight =
    values["decay-data-weight"] === undefined
      ? 0.3
      : numberFlag(CMD, "decay-data-weight", values["decay-data-weight"], { min: 0, exclusiveMin: true, max: 1 });

  return {
    out,
    name,
    runDir: path.join(out, name),
    corpus,
    decayData,
    decayDataWeight,
    preset,
    init: choiceFlag(CMD, "init", values.init, ["mup", "standard"] as const),
    steps: int("steps", 1),
    batchSize: int("batch-size", 1),
    seqLen: int("seq-len", 1, maxPositions, `the max_position_embeddings of the ${preset} preset`),
    gradAccum: int("grad-accum", 1),
    lr: num("lr", 0, { exclusiveMin: true }),
    warmup: int("warmup", 0),
    decayFraction: num("decay-fraction", 0, { max: 1 }),
    decay,
    halfLife: values["half-life"] === undefined ? undefined : num("half-life", 0, { exclusiveMin: true }),
    minLrRatio: values["min-lr-ratio"] === undefined ? 0.01 : num("min-lr-ratio", 0, { max: 1 }),
    weightDecay: num("weight-decay", 0),
    clip: num("clip", 0),
    ...readRunFlags(CMD, values),
    evalEvery: int("eval-every", 0),
    evalBatches: int("eval-batches", 1),
    logEvery: int("log-every", 1),
    checkpointEvery: int("checkpoint-every", 0),
    keepCheckpoints: int("keep-checkpoints", 1),
    samples: int("samples", 0),
    sampleTokens: int(
      "sample-tokens",
      1,
      maxPositions - longestPrompt,
      `the ${preset} preset's max_position_embeddings ${maxPositions} less the longest sample prompt`,
    ),
    quiet: values.quiet === true,
  };
}

/**
 * The checkpoint `--resume` names: the latest (a bare --resume), the one made after step N (`--resume N`),
 * or a checkpoint folder (`--resume DIR`, e.g. the last good one a NaN stop named).
 */
function resumeTarget(runDir: string, target: true | string): { step: number; dir: string } {
  const available = listCheckpoints(runDir);
  if (target === true) {
    const dir = latestCheckpoint(runDir)!;
    return { step: readTrainerState(path.join(dir, "trainer.json")).step, dir };
  }
  if (/^\d+$/.test(target)) {
    const found = available.find((c) => c.step === Number(target));
    if (!found)
      throw new ArgumentError(
        `slmkit train --resume ${target}: ${runDir} has no checkpoint of step ${target}; it has ${available.map((c) => c.step).join(", ") || "none"}`,
      );
    return found;
  }
  if (!fs.existsSync(path.join(target, "trainer.json")))
    throw new ArgumentError(
      `slmkit train --resume ${target}: not a step number nor a checkpoint folder (no trainer.json there)`,
    );
  return { step: readTrainerState(path.join(target, "trainer.json")).step, dir: target };
}

const defaults = (): FlagValues =>
  Object.fromEntries(TRAIN_SPEC.flags.map((f) => [f.name, f.type === "boolean" ? false : f.default]));

/**
 * Parses `argv` and decides what to do with the run folder, reading the earlier run's options where there is
 * one: flags given now override them on --resume; without --resume or --overwrite, the same options continue
 * the run and different ones are an error that names them.
 */
export function planTraining(argv: string[]): TrainPlan {
  const parsed = parseFlags(TRAIN_SPEC, argv);
  if (parsed.help) return { kind: "help" };
  const { given } = parsed;
  let values = parsed.values;
  const resume = values.resume !== false && values.resume !== undefined;
  const overwrite = values.overwrite === true;
  if (resume && overwrite)
    throw new ArgumentError("slmkit train: --resume continues a run and --overwrite deletes it; give one of them");
  const runDir = path.join(String(values.out), String(values.name));
  let saved: SavedRun | null;
  try {
    saved = savedRun(runDir);
  } catch (e) {
    if (!(e instanceof SlmkitError)) throw e;
    // --overwrite deletes whatever is there; only its existence matters.
    if (!overwrite)
      throw new ArgumentError(
        `slmkit train: ${e.message.replace(/^\w+: /, "")} (--overwrite deletes the run and starts again)`,
      );
    saved = { options: null, step: null };
  }

  if (resume) {
    if (!saved)
      throw new ArgumentError(
        `slmkit train --resume: ${runDir} holds no checkpoint to continue from; start the run without --resume`,
      );
    if (!saved.options)
      throw new ArgumentError(
        `slmkit train --resume: ${path.join(runDir, "run.json")} is missing or unreadable, so the run's options are unknown`,
      );
    // The saved options, with the flags typed now on top (out and name located the run, so they stay).
    values = { ...values };
    for (const [k, v] of Object.entries(saved.options))
      if (!given.has(k) && k in values && !["resume", "overwrite", "quiet"].includes(k)) values[k] = v;
    const settings = readSettings(values);
    // A run stopped before its first checkpoint has nothing to continue from: it starts again, from step 0.
    if (saved.step === null && values.resume === true)
      return {
        kind: "fresh",
        settings,
        values,
        overwrite: true,
        note: `${runDir} stopped before its first checkpoint: starting it again from step 0 with its saved options`,
      };
    const from = resumeTarget(runDir, values.resume as true | string);
    return { kind: "resume", settings, values, fromStep: from.step, checkpoint: from.dir, automatic: false };
  }
  const settings = readSettings(values);
  if (!saved || overwrite) return { kind: "fresh", settings, values, overwrite: overwrite && saved !== null };
  // Without a checkpoint there is nothing to keep, whatever options made it.
  if (saved.step === null)
    return {
      kind: "fresh",
      settings,
      values,
      overwrite: true,
      note: `${runDir} holds a run that stopped before its first checkpoint: starting again`,
    };
  const differences = saved.options
    ? optionDifferences(saved.options, values, defaults())
    : ["run.json is missing or unreadable"];
  if (differences.length > 0) {
    throw new ArgumentError(
      `slmkit train: ${runDir} already holds a run made with other options (${differences.join("; ")}); ` +
        `pass --resume to continue it with the options given now, --overwrite to delete it and start again, or --name to start another run`,
    );
  }
  if (saved.step >= settings.steps) return { kind: "finished", settings, step: saved.step };
  return {
    kind: "resume",
    settings,
    values,
    fromStep: saved.step,
    checkpoint: latestCheckpoint(runDir)!,
    automatic: true,
  };
}
