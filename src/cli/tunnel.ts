// `slmkit tunnel`: MiniCPM's model wind tunnel (windTunnel) on a proxy, or μP's coordinate check (coordCheck).
// Every flag is read and checked before any work; the error names the flag.
import * as fs from "node:fs";
import * as path from "node:path";
import type { Device } from "../backend/backend.js";
import { setNumThreads } from "../backend/cpu.js";
import { ArgumentError, SlmkitError } from "../errors.js";
import { coordCheck } from "../experiments/coord_check.js";
import { coordCheckSvg } from "../experiments/coord_check_plot.js";
import type { TunnelAxis, TunnelSearch, TunnelSpace } from "../experiments/tunnel/search_space.js";
import { windTunnel } from "../experiments/tunnel/wind_tunnel.js";
import { writeFileAtomic, writeJsonAtomic } from "../io/atomic.js";
import { type MiniCPMConfig, resolveMiniCPMConfig } from "../models/minicpm/config.js";
import { MINICPM_PRESETS } from "../models/minicpm/presets.js";
import { CORPUS_FLAGS, type CorpusSpec, corpusSamplers, loadCorpus, readCorpusFlags } from "./corpus.js";
import {
  type CommandSpec,
  choiceFlag,
  helpText,
  numberFlag,
  outputFolderFlag,
  parseFlags,
  requireFile,
} from "./flags.js";
import { RUN_FLAGS, progressLog, readRunFlags } from "./run_flags.js";

const CMD = "tunnel";

/** The search flags and the hyper-parameters they set. */
const AXES = { lr: "lr", "scale-emb": "scaleEmb", "scale-depth": "scaleDepth", "init-std": "initStd" } as const;

export const TUNNEL_SPEC: CommandSpec = {
  name: CMD,
  usage: "slmkit tunnel [options]   |   slmkit tunnel --coord-check [--widths LIST] [--coord-steps N]",
  description: [
    "MiniCPM's model wind tunnel: trains a small proxy once per combination of learning rate, scale_emb,",
    "scale_depth and init std (a grid, or --search random), with μP, WSD and AdamW, and records every trial in",
    "<out>/trials.jsonl (hyper-parameters, status, final train and validation loss). Run it again with the same",
    "--out to resume: finished trials are skipped, unfinished ones rerun. The best trial is printed. A value list",
    "is comma-separated (0.005,0.01,0.02); random search also takes a range MIN:MAX, sampled log-uniformly.",
    "Trials run one at a time (several at once on one GPU is not supported).",
    "--coord-check instead runs μP's coordinate check: models of several widths, 3 AdamW steps each, under μP",
    "and under standard parametrisation; writes <out>/coord_check.json and coord_check_{mup,sp}.svg.",
  ].join("\n"),
  flags: [
    {
      name: "out",
      type: "string",
      value: "DIR",
      default: "runs/tunnel",
      help: "folder of trials.jsonl (or the coordinate check)",
    },
    {
      name: "preset",
      type: "string",
      value: "NAME",
      help: `proxy shape: ${Object.keys(MINICPM_PRESETS).join(", ")} (default tiny)`,
    },
    {
      name: "config",
      type: "string",
      value: "FILE",
      help: "proxy shape from a MiniCPM config.json instead of --preset",
    },
    { name: "lr", type: "string", value: "LIST", default: "0.005,0.01,0.02", help: "base learning rates to try" },
    { name: "scale-emb", type: "string", value: "LIST", help: "scale_emb values to try (default: the proxy's, 12)" },
    {
      name: "scale-depth",
      type: "string",
      value: "LIST",
      help: "scale_depth values to try (default: the proxy's, 1.4)",
    },
    { name: "init-std", type: "string", value: "LIST", help: "init std values to try (default: the proxy's, 0.1)" },
    {
      name: "search",
      type: "string",
      value: "grid|random",
      default: "grid",
      help: "every combination, or --trials random draws",
    },
    { name: "trials", type: "string", value: "N", help: "random draws (with --search random)" },
    { name: "search-seed", type: "string", value: "N", default: "0", help: "seeds the random draws" },
    { name: "steps", type: "string", value: "N", default: "200", help: "optimiser steps per trial" },
    { name: "batch-size", type: "string", value: "N", default: "16", help: "sequences per batch" },
    { name: "seq-len", type: "string", value: "N", default: "128", help: "tokens per sequence" },
    { name: "warmup", type: "string", value: "N", help: "WSD warmup steps (default 1% of --steps)" },
    {
      name: "decay-fraction",
      type: "string",
      value: "X",
      default: "0.1",
      help: "share of the steps in WSD's exponential decay",
    },
    { name: "weight-decay", type: "string", value: "X", default: "0.1", help: "AdamW weight decay of the matrices" },
    { name: "eval-batches", type: "string", value: "N", default: "8", help: "validation batches scored per trial" },
    ...CORPUS_FLAGS,
    ...RUN_FLAGS,
    { name: "coord-check", type: "boolean", help: "run μP's coordinate check instead of the search" },
    {
      name: "widths",
      type: "string",
      value: "LIST",
      default: "64,128,256,512,1024",
      help: "coordinate check: model widths (multiples of 32)",
    },
    { name: "coord-steps", type: "string", value: "N", default: "3", help: "coordinate check: AdamW steps per width" },
    { name: "quiet", type: "boolean", help: "print only the result" },
  ],
};

/** Flags of the search that mean nothing to the coordinate check, and the reverse. */
const SEARCH_ONLY = [
  "preset",
  "config",
  "lr",
  "scale-emb",
  "scale-depth",
  "init-std",
  "search",
  "trials",
  "search-seed",
  "steps",
  "batch-size",
  "seq-len",
  "warmup",
  "decay-fraction",
  "weight-decay",
  "eval-batches",
  ...CORPUS_FLAGS.map((f) => f.name),
];
const COORD_ONLY = ["widths", "coord-steps"];

/** A comma-separated list of numbers > 0, or (when `range` is allowed) MIN:MAX. */
function axisFlag(name: string, raw: string, range: boolean): TunnelAxis {
  const parts = raw.split(":");
  if (parts.length === 2) {
    if (!range)
      throw new ArgumentError(
        `slmkit ${CMD}: --${name} ${raw}: a range MIN:MAX needs --search random; a grid takes a list`,
      );
    const [min, max] = parts.map((p) => numberFlag(CMD, name, p, { min: 0, exclusiveMin: true }));
    if (min! > max!) throw new ArgumentError(`slmkit ${CMD}: --${name} ${raw}: MIN must not exceed MAX`);
    return { min: min!, max: max! };
  }
  return raw.split(",").map((p) => numberFlag(CMD, name, p.trim(), { min: 0, exclusiveMin: true }));
}

interface SearchPlan {
  kind: "search";
  out: string;
  proxy: MiniCPMConfig;
  proxyName: string;
  space: TunnelSpace;
  search: TunnelSearch;
  steps: number;
  batchSize: number;
  seqLen: number;
  warmup: number | undefined;
  decayFraction: number;
  weightDecay: number;
  evalBatches: number;
  corpus: CorpusSpec;
}

interface CoordPlan {
  kind: "coord-check";
  out: string;
  widths: number[];
  steps: number;
}

/** Reads every flag; touches nothing on disk. */
function plan(values: Record<string, unknown>, given: Set<string>): SearchPlan | CoordPlan {
  const out = outputFolderFlag(CMD, "out", values.out);
  const int = (name: string, min: number) => numberFlag(CMD, name, values[name], { integer: true, min });
  if (values["coord-check"] === true) {
    const foreign = SEARCH_ONLY.find((f) => given.has(f));
    if (foreign) throw new ArgumentError(`slmkit ${CMD}: --${foreign} applies to the search, not to --coord-check`);
    const widths = String(values.widths)
      .split(",")
      .map((w) => numberFlag(CMD, "widths", w.trim(), { integer: true, min: 32 }));
    const bad = widths.find((w) => w % 32 !== 0);
    if (bad !== undefined)
      throw new ArgumentError(`slmkit ${CMD}: --widths must be multiples of 32 (the head dim), got ${bad}`);
    if (widths.length < 2)
      throw new ArgumentError(`slmkit ${CMD}: --widths needs at least 2 widths to compare, got ${values.widths}`);
    return { kind: "coord-check", out, widths, steps: int("coord-steps", 1) };
  }
  const foreign = COORD_ONLY.find((f) => given.has(f));
  if (foreign) throw new ArgumentError(`slmkit ${CMD}: --${foreign} applies to --coord-check only`);
  if (given.has("preset") && given.has("config"))
    throw new ArgumentError(`slmkit ${CMD}: give --preset or --config, not both`);
  let proxy: MiniCPMConfig;
  let proxyName: string;
  if (values.config !== undefined) {
    const file = String(values.config);
    requireFile(CMD, "config", file);
    try {
      proxy = resolveMiniCPMConfig(JSON.parse(fs.readFileSync(file, "utf8")));
    } catch (e) {
      if (!(e instanceof SlmkitError || e instanceof SyntaxError)) throw e;
      throw new ArgumentError(`slmkit ${CMD}: --config ${file}: ${e.message}`);
    }
    proxyName = path.basename(file);
  } else {
    proxyName = choiceFlag(
      CMD,
      "preset",
      values.preset ?? "tiny",
      Object.keys(MINICPM_PRESETS) as (keyof typeof MINICPM_PRESETS)[],
    );
    proxy = MINICPM_PRESETS[proxyName as keyof typeof MINICPM_PRESETS];
  }
  const random = choiceFlag(CMD, "search", values.search, ["grid", "random"] as const) === "random";
  if (random !== (values.trials !== undefined))
    throw new ArgumentError(
      random ? `slmkit ${CMD}: --search random needs --trials N` : `slmkit ${CMD}: --trials applies to --search random`,
    );
  const space: TunnelSpace = {};
  for (const [flag, key] of Object.entries(AXES))
    if (values[flag] !== undefined) space[key] = axisFlag(flag, String(values[flag]), random);
  const steps = int("steps", 1);
  const seqLen = int("seq-len", 1);
  if (seqLen > proxy.max_position_embeddings)
    throw new ArgumentError(
      `slmkit ${CMD}: --seq-len must be at most ${proxy.max_position_embeddings} (the proxy's max_position_embeddings), got ${seqLen}`,
    );
  return {
    kind: "search",
    out,
    proxy,
    proxyName,
    space,
    search: random ? { trials: int("trials", 1), seed: int("search-seed", 0) } : "grid",
    steps,
    batchSize: int("batch-size", 1),
    seqLen,
    warmup:
      values.warmup === undefined
        ? undefined
        : numberFlag(CMD, "warmup", values.warmup, { integer: true, min: 0, max: steps }),
    decayFraction: numberFlag(CMD, "decay-fraction", values["decay-fraction"], { min: 0, max: 0.99 }),
    weightDecay: numberFlag(CMD, "weight-decay", values["weight-decay"], { min: 0 }),
    evalBatches: int("eval-batches", 1),
    corpus: readCorpusFlags(CMD, values),
  };
}

/**
 * Runs `slmkit tunnel` with the arguments after the command name.
 *
 * @example
 * await tunnelCommand(["--preset", "9m", "--lr", "0.005,0.01,0.02", "--scale-emb", "6,12", "--device", "cuda", "--data", "shard.bin", "--tokenizer", "tokenizer.json"]);
 */
export async function tunnelCommand(argv: string[]): Promise<void> {
  const { values, given, help } = parseFlags(TUNNEL_SPEC, argv);
  if (help) return console.log(helpText(TUNNEL_SPEC));
  const p = plan(values, given);
  const { seed, device, threads } = readRunFlags(CMD, values);
  if (threads !== undefined) setNumThreads(threads);
  const log = progressLog(values.quiet === true);
  fs.mkdirSync(p.out, { recursive: true });
  if (p.kind === "coord-check") return coordCheckRun(p, seed, device, log);

  const { tokenizer, sequences } = loadCorpus(p.corpus, log);
  const { train, valid } = corpusSamplers(CMD, sequences, p.corpus, { batchSize: p.batchSize, seqLen: p.seqLen, seed });
  const output = path.join(p.out, "trials.jsonl");
  log(
    `wind tunnel: ${p.proxyName} proxy, ${p.steps} steps of ${p.batchSize}×${p.seqLen} tokens per trial on ${device}; trials in ${output}`,
  );
  const result = await windTunnel({
    proxy: { ...p.proxy, vocab_size: tokenizer.vocabSize },
    space: p.space,
    search: p.search,
    train,
    valid,
    output,
    steps: p.steps,
    warmupSteps: p.warmup,
    decayFraction: p.decayFraction,
    evalBatches: p.evalBatches,
    seed,
    weightDecay: p.weightDecay,
    device,
    onTrial: (r, done, total) => {
      const loss =
        r.status === "diverged"
          ? "diverged"
          : `train ${r.trainLoss!.toFixed(4)}${r.validLoss === null ? "" : `, valid ${r.validLoss.toFixed(4)}`}`;
      log(`[${done}/${total}] ${r.id}: ${loss} (${r.seconds.toFixed(1)} s)`);
    },
  });
  if (result.skipped > 0) log(`${result.skipped} trial(s) were already finished in ${output}`);
  const best = result.best;
  console.log(
    best
      ? `best of ${result.records.length}: ${best.id} (${best.validLoss === null ? `train loss ${best.trainLoss!.toFixed(4)}` : `validation loss ${best.validLoss.toFixed(4)}`})`
      : "no trial finished without diverging",
  );
}

function coordCheckRun(p: CoordPlan, seed: number, device: Device, log: (line: string) => void): void {
  const results = [true, false].map((mup) => {
    log(
      `coordinate check, ${mup ? "μP" : "standard parametrisation"}: widths ${p.widths.join(", ")}, ${p.steps} steps`,
    );
    return coordCheck({ widths: p.widths, steps: p.steps, mup, seed, device });
  });
  writeJsonAtomic(path.join(p.out, "coord_check.json"), results);
  for (const r of results)
    writeFileAtomic(path.join(p.out, `coord_check_${r.mup ? "mup" : "sp"}.svg`), coordCheckSvg(r));
  // How much the last layer's mean |x| grows from the narrowest to the widest model: about 1 means μP works.
  for (const r of results) {
    const k = r.outputs.length - 3;
    const last = r.meanAbs.map((perStep) => perStep.at(-1)![k]!);
    console.log(
      `${r.mup ? "μP      " : "standard"}: ${r.outputs[k]} mean |x| ${last.map((x) => x.toFixed(3)).join(" → ")} (×${(last.at(-1)! / last[0]!).toFixed(2)} from width ${p.widths[0]} to ${p.widths.at(-1)})`,
    );
  }
  console.log(`wrote ${path.join(p.out, "coord_check.json")}, coord_check_mup.svg and coord_check_sp.svg`);
}
