// `slmkit scaling fit | study`: fit MiniCPM's data–model scaling law to (N, D, loss) points, or measure the
// points with WSD decay branches and fit them. Every flag is checked before any work; errors name the flag.
import { setNumThreads } from "../backend/cpu.js";
import { ArgumentError, SlmkitError } from "../errors.js";
import { computeOptimal } from "../experiments/scaling/compute_optimal.js";
import { type ScalingLawFit, fitScalingLaw } from "../experiments/scaling/fit_scaling_law.js";
import { MINICPM_SCALING_LAW, type ScalingLaw } from "../experiments/scaling/scaling_law.js";
import { type ScalingStudySize, scalingStudy } from "../experiments/scaling/wsd_study.js";
import { readJsonl } from "../io/jsonl.js";
import type { MiniCPMConfigInput } from "../models/minicpm/config.js";
import { MINICPM_PRESETS } from "../models/minicpm/presets.js";
import { CORPUS_FLAGS, corpusSamplers, loadCorpus, readCorpusFlags } from "./corpus.js";
import {
  type CommandSpec,
  type Flag,
  helpText,
  numberFlag,
  outputFolderFlag,
  parseFlags,
  requireFile,
} from "./flags.js";
import { RUN_FLAGS, progressLog, readRunFlags } from "./run_flags.js";

const FLOPS_FLAG: Flag = {
  name: "flops",
  type: "string",
  value: "C",
  default: "1e21",
  help: "compute budget (6·N·D FLOPs) for the compute-optimal N, D and tokens per parameter",
};

export const SCALING_FIT_SPEC: CommandSpec = {
  name: "scaling fit",
  usage: "slmkit scaling fit --points FILE.jsonl [--flops C]   |   slmkit scaling fit --paper [--flops C]",
  description: [
    "Fits L(N, D) = C_N·N^−α + C_D·D^−β + L0 (N non-embedding parameters and D tokens, in billions) to the",
    "points of a JSON Lines file (one { paramsBillions, tokensBillions, loss } per line, as `slmkit scaling study`",
    "writes) and prints the constants with 95% intervals and the compute-optimal model at --flops (C = 6ND).",
    "--paper prints the same for MiniCPM's averaged constants (192 tokens per parameter at 1.45e21 FLOPs).",
  ].join("\n"),
  flags: [
    { name: "points", type: "string", value: "FILE", help: "the (N, D, loss) points, one JSON object per line" },
    { name: "paper", type: "boolean", help: "use MiniCPM's averaged constants instead of fitting" },
    FLOPS_FLAG,
  ],
};

export const SCALING_STUDY_SPEC: CommandSpec = {
  name: "scaling study",
  usage: "slmkit scaling study [options]",
  description: [
    "MiniCPM's WSD scaling-law study: per model size one stable WSD run that stops at each --branches step, a",
    "decay branch from each of those checkpoints, and the branch's final validation loss as a point (N, D, loss)",
    "in <out>/points.jsonl; then the fit, as `slmkit scaling fit` prints it. Run folders: <out>/<size>/stable and",
    "<out>/<size>/decay-<step>. Run it again with the same --out to resume. The defaults are CPU-sized; at real",
    "size, e.g.: --sizes 9m,30m,70m,0.1b,0.17b,0.2b --branches 2000,4000,8000,16000,32000,64000 --batch-size 64",
    "--seq-len 1024 --device cuda --data shards/*.bin --tokenizer tokenizer.json.",
  ].join("\n"),
  flags: [
    { name: "out", type: "string", value: "DIR", default: "runs/scaling", help: "folder of the runs and points.jsonl" },
    {
      name: "sizes",
      type: "string",
      value: "LIST",
      default: "64x2,96x3,128x4",
      help: `model sizes: presets (${Object.keys(MINICPM_PRESETS).join(", ")}) or CxL (width C, a multiple of 32, L layers)`,
    },
    {
      name: "branches",
      type: "string",
      value: "LIST",
      default: "100,200,400",
      help: "stable steps at which decay branches start",
    },
    {
      name: "decay-fraction",
      type: "string",
      value: "X",
      default: "0.1",
      help: "share of each branch's steps in the decay",
    },
    {
      name: "lr",
      type: "string",
      value: "X",
      default: "0.01",
      help: "peak learning rate (μP scales it per parameter)",
    },
    { name: "warmup", type: "string", value: "N", help: "warmup steps (default 1% of the first branch step)" },
    { name: "batch-size", type: "string", value: "N", default: "8", help: "sequences per batch" },
    { name: "seq-len", type: "string", value: "N", default: "64", help: "tokens per sequence" },
    { name: "eval-batches", type: "string", value: "N", default: "8", help: "validation batches scored per branch" },
    ...CORPUS_FLAGS,
    ...RUN_FLAGS,
    FLOPS_FLAG,
    { name: "quiet", type: "boolean", help: "print only the result" },
  ],
};

const USAGE = `slmkit scaling <fit|study> [options]

  fit    fit L(N, D) to (N, D, loss) points and print the compute-optimal model
  study  measure the points with WSD decay branches, then fit

\`slmkit scaling fit --help\` and \`slmkit scaling study --help\` list the options.`;

/**
 * Runs `slmkit scaling` with the arguments after the command name.
 *
 * @example
 * await scalingCommand(["fit", "--points", "runs/scaling/points.jsonl", "--flops", "1e21"]);
 */
export async function scalingCommand(argv: string[]): Promise<void> {
  const [sub, ...rest] = argv;
  if (sub === "fit") return fitCommand(rest);
  if (sub === "study") return studyCommand(rest);
  if (sub === undefined || sub === "--help" || sub === "-h" || sub === "help") return console.log(USAGE);
  throw new ArgumentError(`slmkit scaling: unknown subcommand ${JSON.stringify(sub)}; give fit or study\n\n${USAGE}`);
}

const flopsOf = (command: string, raw: unknown): number =>
  numberFlag(command, "flops", raw, { min: 0, exclusiveMin: true });

function fitCommand(argv: string[]): void {
  const cmd = SCALING_FIT_SPEC.name;
  const { values, help } = parseFlags(SCALING_FIT_SPEC, argv);
  if (help) return console.log(helpText(SCALING_FIT_SPEC));
  const flops = flopsOf(cmd, values.flops);
  if ((values.points === undefined) === (values.paper !== true))
    throw new ArgumentError(`slmkit ${cmd}: give --points FILE (to fit) or --paper (MiniCPM's constants), one of them`);
  if (values.paper === true) {
    console.log("MiniCPM's averaged fit: L = 0.0715·N^−0.29 + 0.300·D^−0.23 + 0.31 (N, D in billions)");
    return printOptimum(MINICPM_SCALING_LAW, flops);
  }
  const file = String(values.points);
  requireFile(cmd, "points", file);
  const points = readJsonl(file) as { paramsBillions: number; tokensBillions: number; loss: number }[];
  let fit: ScalingLawFit;
  try {
    fit = fitScalingLaw(
      points.map(({ paramsBillions, tokensBillions, loss }) => ({ paramsBillions, tokensBillions, loss })),
    );
  } catch (e) {
    if (!(e instanceof SlmkitError)) throw e;
    // Bad points are the user's to fix (exit 2); points the law does not fit are a failed fit (exit 1).
    const Err = e instanceof ArgumentError ? ArgumentError : SlmkitError;
    throw new Err(`slmkit ${cmd}: --points ${file}: ${e.message}`);
  }
  printFit(fit, points.length, flops);
}

/** The fitted constants with their 95% intervals, the fit's quality and the compute-optimal model. */
function printFit(fit: ScalingLawFit, n: number, flops: number): void {
  console.log(`L(N, D) = C_N·N^−α + C_D·D^−β + L0 (N, D in billions), fitted to ${n} points:`);
  const names = { cN: "C_N", alpha: "α", cD: "C_D", beta: "β", l0: "L0" } as const;
  for (const [key, name] of Object.entries(names)) {
    const e = fit.estimates[key as keyof typeof names];
    console.log(`  ${name.padEnd(4)} ${fmt(e.value)}   95% interval [${fmt(e.ci95[0])}, ${fmt(e.ci95[1])}]`);
  }
  console.log(`  R² ${fit.rSquared.toFixed(4)}, residual standard deviation ${fmt(fit.residualStdDev)} (loss units)`);
  printOptimum(fit.law, flops);
}

function printOptimum(law: ScalingLaw, flops: number): void {
  const opt = computeOptimal(law, flops);
  console.log(
    `compute-optimal at ${flops.toExponential(2)} FLOPs (C = 6ND): N ${fmt(opt.paramsBillions)}B parameters, ` +
      `D ${fmt(opt.tokensBillions)}B tokens, ${opt.tokensPerParam.toFixed(1)} tokens per parameter, loss ${fmt(opt.loss)}`,
  );
}

const fmt = (v: number): string =>
  Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(3) : v.toPrecision(4);

/** A size of --sizes: a preset name, or CxL: width C (heads of 32), L layers, ffn 2.5·C, base width 64. */
function sizeFlag(cmd: string, raw: string): ScalingStudySize {
  if (raw in MINICPM_PRESETS) return { name: raw, model: raw as keyof typeof MINICPM_PRESETS };
  const m = /^(\d+)x(\d+)$/.exec(raw);
  if (!m)
    throw new ArgumentError(`slmkit ${cmd}: --sizes: ${JSON.stringify(raw)} is neither a preset nor CxL (e.g. 128x4)`);
  const [C, L] = [Number(m[1]), Number(m[2])];
  if (C < 32 || C % 32 !== 0 || L < 1)
    throw new ArgumentError(
      `slmkit ${cmd}: --sizes ${raw}: the width must be a multiple of 32 and the layers at least 1`,
    );
  // A vocab_size placeholder: the tokenizer's size replaces it once the corpus is read.
  const model: MiniCPMConfigInput = {
    vocab_size: 1,
    hidden_size: C,
    num_hidden_layers: L,
    num_attention_heads: C / 32,
    intermediate_size: 2.5 * C,
    dim_model_base: 64, // μP's base width for CPU-sized models: m = C / 64
  };
  return { name: raw, model };
}

async function studyCommand(argv: string[]): Promise<void> {
  const cmd = SCALING_STUDY_SPEC.name;
  const { values, help } = parseFlags(SCALING_STUDY_SPEC, argv);
  if (help) return console.log(helpText(SCALING_STUDY_SPEC));
  const int = (name: string, min: number) => numberFlag(cmd, name, values[name], { integer: true, min });
  const out = outputFolderFlag(cmd, "out", values.out);
  const sizes = String(values.sizes)
    .split(",")
    .map((s) => sizeFlag(cmd, s.trim()));
  if (new Set(sizes.map((s) => s.name)).size !== sizes.length)
    throw new ArgumentError(`slmkit ${cmd}: --sizes names a size twice`);
  const branches = String(values.branches)
    .split(",")
    .map((s) => numberFlag(cmd, "branches", s.trim(), { integer: true, min: 1 }));
  if (!branches.every((b, i) => i === 0 || b > branches[i - 1]!))
    throw new ArgumentError(`slmkit ${cmd}: --branches must be ascending, got ${values.branches}`);
  if (sizes.length * branches.length < 6 || sizes.length < 2 || branches.length < 2)
    throw new ArgumentError(
      `slmkit ${cmd}: the fit needs at least 6 points from 2 or more --sizes and 2 or more --branches`,
    );
  const decayFraction = numberFlag(cmd, "decay-fraction", values["decay-fraction"], {
    min: 0,
    exclusiveMin: true,
    max: 0.9,
  });
  const lr = numberFlag(cmd, "lr", values.lr, { min: 0, exclusiveMin: true });
  const warmup =
    values.warmup === undefined
      ? undefined
      : numberFlag(cmd, "warmup", values.warmup, { integer: true, min: 0, max: branches[0]! });
  const batchSize = int("batch-size", 1);
  const seqLen = int("seq-len", 1);
  const evalBatches = int("eval-batches", 1);
  const flops = flopsOf(cmd, values.flops);
  const corpus = readCorpusFlags(cmd, values);
  const { seed, device, threads } = readRunFlags(cmd, values);
  if (threads !== undefined) setNumThreads(threads);
  const log = progressLog(values.quiet === true);

  const { tokenizer, sequences } = loadCorpus(corpus, log);
  const { train, valid } = corpusSamplers(cmd, sequences, corpus, { batchSize, seqLen, seed });
  const vocabSize = tokenizer.vocabSize;
  const withVocab = sizes.map((s) =>
    typeof s.model === "string"
      ? { name: s.name, model: { ...MINICPM_PRESETS[s.model], vocab_size: vocabSize } }
      : { name: s.name, model: { ...s.model, vocab_size: vocabSize } },
  );
  log(
    `scaling study: sizes ${sizes.map((s) => s.name).join(", ")}, decay branches from steps ${branches.join(", ")}, ${batchSize}×${seqLen} tokens a step on ${device}`,
  );
  const result = await scalingStudy({
    sizes: withVocab,
    branchSteps: branches,
    decayFraction,
    lr,
    warmupSteps: warmup,
    train,
    valid,
    evalBatches,
    seed,
    device,
    outDir: out,
    onPoint: (p) =>
      log(
        `${p.size} from step ${p.branchStep} (+${p.decaySteps} decay): N ${p.params}, D ${p.tokens}, loss ${p.loss.toFixed(4)}`,
      ),
  });
  console.log(`${result.points.length} points in ${out}/points.jsonl`);
  if (result.fit) printFit(result.fit, result.points.length, flops);
  else
    console.log(
      `no fit: ${result.fitError} (short runs of small models may not follow the law; more steps and sizes help)`,
    );
}
