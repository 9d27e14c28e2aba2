// `slmkit train`: with no flags, the embedded default run (a byte-level BPE tokenizer and a tiny MiniCPM
// trained on the State of the Union addresses with μP, WSD and AdamW on the CPU in a few minutes).
import * as fs from "node:fs";
import * as path from "node:path";
import { setNumThreads } from "../backend/cpu.js";
import { BpeTokenizer } from "../data/bpe_tokenizer.js";
import { readShard } from "../data/shard.js";
import { sotuTexts } from "../data/sotu.js";
import { TokenSampler } from "../data/token_sampler.js";
import { ArgumentError } from "../errors.js";
import { writeFileAtomic, writeJsonAtomic } from "../io/atomic.js";
import { MiniCPM } from "../models/minicpm/index.js";
import { AdamW } from "../optim/adamw.js";
import { WSD, type WsdDecay } from "../schedule/wsd.js";
import { noGrad } from "../tensor/graph.js";
import { Trainer } from "../train/trainer.js";
import { type CommandSpec, deviceFlag, helpText, numberFlag, parseFlags } from "./flags.js";
import { slmkitCommand } from "./invocation.js";

export const TRAIN_SPEC: CommandSpec = {
  name: "train",
  usage: "slmkit train [options]",
  description: [
    "Trains a MiniCPM language model. Without options it runs the built-in example: a 2048-token byte-level BPE",
    "tokenizer and a `tiny` MiniCPM (μP init, WSD schedule, AdamW) trained on the US State of the Union addresses",
    "on the CPU in a few minutes. Outputs go to <out>/<name>/: tokenizer.json, config.json, run.json,",
    "checkpoints/, metrics.jsonl, loss.svg and samples.txt. --resume continues that run from its latest checkpoint",
    "with its saved options (flags given now override them).",
  ].join("\n"),
  flags: [
    { name: "name", type: "string", value: "NAME", default: "sotu-tiny", help: "run name (the output folder's name)" },
    { name: "out", type: "string", value: "DIR", default: "runs", help: "folder that holds run folders" },
    { name: "data", type: "string", value: "PATH", multiple: true, help: "text files (.txt, ...) or token shards (.bin, needs --tokenizer); default: the State of the Union texts" },
    { name: "tokenizer", type: "string", value: "PATH", help: "an existing tokenizer.json instead of training one" },
    { name: "vocab-size", type: "string", value: "N", default: "2048", help: "vocabulary of the trained BPE tokenizer" },
    { name: "valid-fraction", type: "string", value: "X", default: "0.02", help: "share of the token windows held out for validation" },
    { name: "preset", type: "string", value: "NAME", default: "tiny", help: `MiniCPM shape: ${Object.keys(MiniCPM.presets).join(", ")}` },
    { name: "init", type: "string", value: "mup|standard", default: "mup", help: "weight initialisation" },
    { name: "steps", type: "string", value: "N", default: "800", help: "optimiser steps" },
    { name: "batch-size", type: "string", value: "N", default: "16", help: "sequences per micro-batch" },
    { name: "seq-len", type: "string", value: "N", default: "128", help: "tokens per sequence" },
    { name: "grad-accum", type: "string", value: "N", default: "1", help: "micro-batches per optimiser step" },
    { name: "lr", type: "string", value: "X", default: "0.01", help: "peak learning rate (μP groups scale it per parameter)" },
    { name: "warmup", type: "string", value: "N", default: "50", help: "linear warmup steps" },
    { name: "decay-fraction", type: "string", value: "X", default: "0.2", help: "share of the steps spent in the WSD decay phase" },
    { name: "decay", type: "string", value: "exponential|cosine|linear|1-sqrt", default: "exponential", help: "shape of the WSD decay (MiniCPM: exponential)" },
    { name: "half-life", type: "string", value: "N", help: "steps per halving of the exponential decay (default: a quarter of the decay steps)" },
    { name: "min-lr-ratio", type: "string", value: "X", default: "0.01", help: "floor of the decay, as a share of --lr" },
    { name: "weight-decay", type: "string", value: "X", default: "0.1", help: "AdamW decoupled weight decay of the matrices" },
    { name: "clip", type: "string", value: "X", default: "1", help: "gradient-norm clipping threshold (0 disables clipping)" },
    { name: "seed", type: "string", value: "N", default: "0", help: "seeds the weights and the data order" },
    { name: "device", type: "string", value: "cpu|cuda", default: "cpu", help: "where to train (cuda: bf16 compute with fp32 master weights)" },
    { name: "threads", type: "string", value: "N", help: "CPU threads of the kernels (default: the pool size)" },
    { name: "eval-every", type: "string", value: "N", default: "50", help: "validate every N steps (and at the end)" },
    { name: "eval-batches", type: "string", value: "N", default: "8", help: "validation batches per evaluation" },
    { name: "log-every", type: "string", value: "N", default: "10", help: "write a metrics.jsonl record every N steps" },
    { name: "checkpoint-every", type: "string", value: "N", default: "200", help: "checkpoint every N steps (and at the end)" },
    { name: "keep-checkpoints", type: "string", value: "N", default: "3", help: "checkpoints kept on disk" },
    { name: "samples", type: "string", value: "N", default: "3", help: "text samples generated into samples.txt at the end" },
    { name: "sample-tokens", type: "string", value: "N", default: "60", help: "tokens per sample" },
    { name: "resume", type: "boolean", help: "continue <out>/<name> from its latest checkpoint" },
    { name: "quiet", type: "boolean", help: "no progress output" },
  ],
};

/** Sample prompts for samples.txt (State of the Union flavoured; any text works). */
const PROMPTS = ["The state of the Union", "Congress", "Our nation", "The people of", "We must"];

type Values = Record<string, string | string[] | boolean | undefined>;

/** The run's options: defaults, overridden by run.json's saved options on --resume, overridden by flags given now. */
function resolveOptions(argv: string[]): { values: Values; help: boolean } {
  const parsed = parseFlags(TRAIN_SPEC, argv);
  if (parsed.help || !parsed.values.resume) return parsed;
  const runDir = path.join(String(parsed.values.out), String(parsed.values.name));
  const runFile = path.join(runDir, "run.json");
  if (!fs.existsSync(runFile)) throw new ArgumentError(`slmkit train --resume: ${runFile} does not exist; start the run without --resume first`);
  const saved = (JSON.parse(fs.readFileSync(runFile, "utf8")) as { options: Values }).options;
  const values: Values = { ...parsed.values };
  for (const [k, v] of Object.entries(saved)) if (!parsed.given.has(k) && k !== "resume" && k !== "quiet") values[k] = v;
  return { values, help: false };
}

/** Token sequences (one per document or shard) and the tokenizer that made them. */
function prepareData(values: Values, runDir: string, log: (line: string) => void): { tokenizer: BpeTokenizer; sequences: Int32Array[] } {
  const files = (values.data as string[] | undefined) ?? [];
  const shards = files.filter((f) => f.endsWith(".bin"));
  const textFiles = files.filter((f) => !f.endsWith(".bin"));
  if (shards.length && textFiles.length) throw new ArgumentError("slmkit train: --data takes either token shards (.bin) or text files, not both");
  const saved = path.join(runDir, "tokenizer.json");
  const texts = shards.length ? [] : textFiles.length ? textFiles.map((f) => fs.readFileSync(f, "utf8")) : sotuTexts();
  let tokenizer: BpeTokenizer;
  if (values.resume && fs.existsSync(saved)) tokenizer = BpeTokenizer.load(saved);
  else if (values.tokenizer) tokenizer = BpeTokenizer.load(String(values.tokenizer));
  else {
    if (shards.length) throw new ArgumentError("slmkit train: token shards need --tokenizer (the tokenizer.json that produced them)");
    const vocabSize = numberFlag("train", "vocab-size", values["vocab-size"], { integer: true, min: 257 });
    const t0 = performance.now();
    tokenizer = BpeTokenizer.train(texts, { vocabSize, specialTokens: ["<|endoftext|>"] });
    log(`trained a ${tokenizer.vocabSize}-token BPE tokenizer on ${texts.length} texts in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  tokenizer.save(saved);
  if (shards.length) return { tokenizer, sequences: shards.map((f) => Int32Array.from(readShard(f).tokens)) };
  const eos = tokenizer.eosId;
  const t0 = performance.now();
  const sequences = texts.map((text) => Int32Array.from(eos === null ? tokenizer.encode(text) : [...tokenizer.encode(text), eos]));
  const total = sequences.reduce((a, s) => a + s.length, 0);
  log(`tokenized ${texts.length} texts into ${total} tokens in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return { tokenizer, sequences };
}

/** Runs `slmkit train` with command-line arguments `argv` (after the subcommand). */
export async function trainCommand(argv: string[]): Promise<void> {
  const { values, help } = resolveOptions(argv);
  if (help) {
    console.log(helpText(TRAIN_SPEC));
    return;
  }
  const cmd = "train";
  const int = (name: string, min: number) => numberFlag(cmd, name, values[name], { integer: true, min });
  const num = (name: string, min: number, exclusiveMin = false) => numberFlag(cmd, name, values[name], { min, exclusiveMin });
  const steps = int("steps", 1);
  const batchSize = int("batch-size", 1);
  const seqLen = int("seq-len", 1);
  const seed = int("seed", 0);
  const lr = num("lr", 0, true);
  const warmup = int("warmup", 0);
  const decayFraction = num("decay-fraction", 0);
  const clip = num("clip", 0);
  const validFraction = num("valid-fraction", 0);
  const device = deviceFlag("train", values.device);
  const preset = String(values.preset);
  const init = String(values.init);
  const decay = String(values.decay);
  if (!(preset in MiniCPM.presets)) throw new ArgumentError(`slmkit train: --preset must be one of ${Object.keys(MiniCPM.presets).join(", ")}, got ${preset}`);
  if (init !== "mup" && init !== "standard") throw new ArgumentError(`slmkit train: --init must be mup or standard, got ${init}`);
  if (decayFraction > 1) throw new ArgumentError(`slmkit train: --decay-fraction must be in [0, 1], got ${decayFraction}`);
  if (values.threads !== undefined) setNumThreads(int("threads", 1));
  const quiet = values.quiet === true;
  const log = (line: string) => {
    if (!quiet) console.error(line);
  };

  const runDir = path.join(String(values.out), String(values.name));
  if (!values.resume && fs.existsSync(path.join(runDir, "checkpoints"))) {
    throw new ArgumentError(`slmkit train: ${runDir} already holds a run; pass --resume to continue it or --name for a new one`);
  }
  fs.mkdirSync(runDir, { recursive: true });
  const { tokenizer, sequences } = prepareData(values, runDir, log);
  const split = { batchSize, seqLen, validFraction, splitSeed: seed };
  const train = new TokenSampler(sequences, { ...split, seed, split: "train" });
  const valid = validFraction > 0 ? new TokenSampler(sequences, { ...split, seed, split: "valid" }) : undefined;

  const base = MiniCPM.presets[preset as keyof typeof MiniCPM.presets];
  const model = new MiniCPM({ ...base, vocab_size: tokenizer.vocabSize, max_position_embeddings: Math.max(base.max_position_embeddings, seqLen) }, { device, seed, init });
  // Hugging Face's config.json: the model's fields plus the keys that name the architecture.
  writeJsonAtomic(path.join(runDir, "config.json"), { architectures: ["MiniCPMForCausalLM"], model_type: "minicpm", torch_dtype: "float32", ...model.config });
  const optimizer = new AdamW(model.parameterGroups({ weightDecay: num("weight-decay", 0) }), { betas: [0.9, 0.95], eps: 1e-8 });
  const decaySteps = Math.round(decayFraction * steps);
  const warmupSteps = Math.min(warmup, steps - decaySteps);
  const schedule = new WSD({
    peakLr: lr,
    warmupSteps,
    stableSteps: steps - warmupSteps - decaySteps,
    decaySteps,
    decay: decay as WsdDecay,
    halfLife: decay !== "exponential" ? undefined : values["half-life"] !== undefined ? num("half-life", 0, true) : Math.max(1, decaySteps / 4),
    minLrRatio: num("min-lr-ratio", 0),
  });
  log(`${preset} MiniCPM, ${model.parameters().reduce((a, p) => a + p.numel, 0).toLocaleString("en-US")} parameters, ${steps} steps of ${batchSize}×${seqLen} tokens on ${device} (${model.computeDType} compute)`);

  // Ctrl-C: finish the current step, write a checkpoint, and stop (a second Ctrl-C kills at once).
  const stop = new AbortController();
  const onInterrupt = () => {
    if (stop.signal.aborted) process.exit(130);
    stop.abort();
    console.error(`\nstopping after this step; continue later with: ${slmkitCommand()} train --resume --out ${String(values.out)} --name ${String(values.name)}`);
  };
  process.on("SIGINT", onInterrupt);
  const result = await new Trainer({
    model,
    optimizer,
    schedule,
    train,
    valid,
    steps,
    gradAccumSteps: int("grad-accum", 1),
    clipNorm: clip > 0 ? clip : null,
    evalEvery: int("eval-every", 0),
    evalBatches: int("eval-batches", 1),
    checkpointEvery: int("checkpoint-every", 0),
    keepCheckpoints: int("keep-checkpoints", 1),
    logEvery: int("log-every", 1),
    outDir: runDir,
    device,
    runConfig: { command: "slmkit train", options: { ...values, resume: false } },
    progress: !quiet,
    title: `${String(values.name)}: ${preset} MiniCPM, WSD (${decay} decay)`,
    signal: stop.signal,
  })
    .fit(values.resume ? { resumeFrom: runDir } : {})
    .finally(() => process.off("SIGINT", onInterrupt));

  const samples: string[] = [];
  const maxNewTokens = int("sample-tokens", 1);
  noGrad(() => {
    model.eval();
    for (let i = 0; i < int("samples", 0); i++) {
      const prompt = PROMPTS[i % PROMPTS.length]!;
      const ids = model.generate(tokenizer.encode(prompt), { maxNewTokens, temperature: 0.8, topK: 40, seed: seed + i, stopTokens: tokenizer.eosId === null ? [] : [tokenizer.eosId] });
      samples.push(`--- sample ${i + 1} (prompt "${prompt}", temperature 0.8, top-k 40) ---\n${prompt}${tokenizer.decode(ids)}\n`);
    }
  });
  writeFileAtomic(path.join(runDir, "samples.txt"), samples.join("\n"));
  const last = result.metrics.at(-1);
  const lastValid = [...result.metrics].reverse().find((r) => r.valLoss !== undefined);
  if (!quiet) {
    console.log(samples.join("\n"));
    console.log(
      `done: ${result.step} steps, train loss ${last?.loss.toFixed(3)}${lastValid ? `, validation loss ${lastValid.valLoss!.toFixed(3)}` : ""} in ${last?.elapsed.toFixed(0)} s\n` +
        `outputs in ${runDir}/: tokenizer.json config.json run.json metrics.jsonl loss.svg samples.txt checkpoints/\n` +
        `try: ${slmkitCommand()} generate --run ${runDir} --prompt "The state of the Union"`,
    );
  }
  optimizer.dispose();
  model.dispose();
}
