// `slmkit train`: with no flags, the embedded default run (a byte-level BPE tokenizer and a tiny MiniCPM
// trained on the State of the Union addresses with μP, WSD and AdamW on the CPU in a few minutes).
// Flags and the run folder are checked first (train_options.ts); this file does the work.
import * as fs from "node:fs";
import * as path from "node:path";
import { setNumThreads } from "../backend/cpu.js";
import { BpeTokenizer } from "../data/bpe_tokenizer.js";
import { MixtureSampler } from "../data/mixture_sampler.js";
import { TokenSampler } from "../data/token_sampler.js";
import { TwoStageSampler } from "../data/two_stage_sampler.js";
import { writeFileAtomic, writeJsonAtomic } from "../io/atomic.js";
import { MiniCPM, miniCPMHFConfig } from "../models/minicpm/index.js";
import { AdamW } from "../optim/adamw.js";
import { WSD } from "../schedule/wsd.js";
import { noGrad } from "../tensor/graph.js";
import { latestCheckpoint } from "../train/checkpoint.js";
import { lockRunDir } from "../train/run_lock.js";
import { Trainer } from "../train/trainer.js";
import { corpusSamplers, encodeTexts, loadCorpus, shardSequences } from "./corpus.js";
import { helpText } from "./flags.js";
import { slmkitCommand } from "./invocation.js";
import { progressLog } from "./run_flags.js";
import { removeRunOutputs } from "./run_folder.js";
import { planTraining, SAMPLE_PROMPTS, TRAIN_SPEC, type TrainPlan, type TrainSettings } from "./train_options.js";

export { TRAIN_SPEC };

/** Token sequences (one per document or shard) and the tokenizer that made them, saved in the run folder. */
function prepareData(
  s: TrainSettings,
  resuming: boolean,
  log: (line: string) => void,
): { tokenizer: BpeTokenizer; sequences: Int32Array[] } {
  const saved = path.join(s.runDir, "tokenizer.json");
  const data = loadCorpus(s.corpus, log, resuming && fs.existsSync(saved) ? BpeTokenizer.load(saved) : undefined);
  data.tokenizer.save(saved);
  return data;
}

/**
 * Two-stage pre-training (--decay-data): from the decay's first step on, each sequence comes from --decay-data
 * with probability --decay-data-weight, else from the main data, which goes on where the stable phase left it
 * (one sampler serves both stages, and each stage's saved state holds its position).
 */
function twoStage(
  s: TrainSettings,
  tokenizer: BpeTokenizer,
  train: TokenSampler,
  decayStartStep: number,
): TwoStageSampler {
  const sequences = s.corpus.shards
    ? shardSequences(s.decayData)
    : encodeTexts(
        tokenizer,
        s.decayData.map((f) => fs.readFileSync(f, "utf8")),
      );
  const decay = new TokenSampler(sequences, { batchSize: s.batchSize, seqLen: s.seqLen, seed: s.seed });
  const second = new MixtureSampler(
    [
      { name: "data", source: train, weight: 1 - s.decayDataWeight },
      { name: "decay-data", source: decay, weight: s.decayDataWeight },
    ],
    { seed: s.seed },
  );
  return new TwoStageSampler({ first: train, second, switchAt: decayStartStep * s.gradAccum });
}

/** The outermost folder of `dir` that does not exist yet (the first that mkdir -p would make), or null. */
function firstMissingFolder(dir: string): string | null {
  let missing: string | null = null;
  for (let d = path.resolve(dir); !fs.existsSync(d); d = path.dirname(d)) missing = d;
  return missing;
}

/** Runs `slmkit train` with command-line arguments `argv` (after the subcommand). */
export async function trainCommand(argv: string[]): Promise<void> {
  const unlocked = planTraining(argv);
  if (unlocked.kind === "help") {
    console.log(helpText(TRAIN_SPEC));
    return;
  }
  if (unlocked.kind === "finished") return reportFinished(unlocked.settings, unlocked.step);
  // One training per run folder: the lock is held from the checks of the folder to the last write.
  const runDir = unlocked.settings.runDir;
  const created = firstMissingFolder(runDir);
  const lock = lockRunDir(runDir, "slmkit train", (note) => console.error(note));
  let plan: TrainPlan | undefined;
  try {
    plan = planTraining(argv); // again, under the lock: another training may have changed the folder meanwhile
    if (plan.kind === "help") return;
    if (plan.kind === "finished") return reportFinished(plan.settings, plan.step);
    await runPlan(plan);
  } catch (e) {
    // A run that fails before its first checkpoint leaves nothing behind (its outputs, and the folders made
    // for it, <out> included); one with checkpoints is kept, to be resumed.
    if (plan === undefined || plan.kind === "fresh") {
      let hasCheckpoint = false;
      try {
        hasCheckpoint = latestCheckpoint(runDir) !== null;
      } catch {
        // a broken checkpoints/latest is no checkpoint to keep
      }
      if (!hasCheckpoint) {
        if (plan) removeRunOutputs(runDir);
        if (created) fs.rmSync(created, { recursive: true, force: true });
      }
    }
    throw e;
  } finally {
    lock.release();
  }
}

function reportFinished(s: TrainSettings, step: number): void {
  console.log(
    `${s.runDir} already holds this run, finished (${step} of ${s.steps} steps); nothing to train.\n` +
      `  generate from it:    ${generateHint(s)}\n` +
      `  train it again:      add --overwrite\n` +
      `  train it further:    add --resume --steps N (N > ${step})`,
  );
}

const generateHint = (s: TrainSettings): string =>
  `${slmkitCommand()} generate --run ${s.runDir} --prompt "The state of the Union"`;

async function runPlan(plan: Extract<TrainPlan, { kind: "fresh" | "resume" }>): Promise<void> {
  const s = plan.settings;
  if (s.threads !== undefined) setNumThreads(s.threads);
  const log = progressLog(s.quiet);
  if (plan.kind === "resume" && plan.automatic)
    log(
      `${s.runDir} holds this run (same options) stopped at step ${plan.fromStep} of ${s.steps}: continuing it (--overwrite starts again)`,
    );
  if (plan.kind === "fresh" && plan.overwrite) {
    log(plan.note ?? `deleting the run in ${s.runDir} and starting again`);
    removeRunOutputs(s.runDir);
  }
  await train(s, plan.kind === "resume" ? plan.checkpoint : null, plan.values, slmkitCommand(), generateHint(s), log);
}

async function train(
  s: TrainSettings,
  resumeFrom: string | null,
  values: Record<string, unknown>,
  cli: string,
  generateHint: string,
  log: (line: string) => void,
): Promise<void> {
  fs.mkdirSync(s.runDir, { recursive: true });
  const { tokenizer, sequences } = prepareData(s, resumeFrom !== null, log);
  const { train, valid } = corpusSamplers("train", sequences, s.corpus, s);

  const base = MiniCPM.presets[s.preset];
  const model = new MiniCPM(
    { ...base, vocab_size: tokenizer.vocabSize },
    { device: s.device, seed: s.seed, init: s.init },
  );
  const optimizer = new AdamW(model.parameterGroups({ weightDecay: s.weightDecay }), { betas: [0.9, 0.95], eps: 1e-8 });
  try {
    // Hugging Face's config.json, written so that its MiniCPM code computes what this model computes.
    writeJsonAtomic(path.join(s.runDir, "config.json"), miniCPMHFConfig(model.config));
    const decaySteps = Math.round(s.decayFraction * s.steps);
    const warmupSteps = Math.min(s.warmup, s.steps - decaySteps);
    const schedule = new WSD({
      peakLr: s.lr,
      warmupSteps,
      stableSteps: s.steps - warmupSteps - decaySteps,
      decaySteps,
      decay: s.decay,
      halfLife: s.decay !== "exponential" ? undefined : (s.halfLife ?? Math.max(1, decaySteps / 4)),
      // MiniCPM's exponential decay has no floor; the other shapes decay to the floor as transformers' do.
      minLrRatio: s.decay === "exponential" ? 0 : s.minLrRatio,
      convention: "minicpm",
    });
    log(
      `${s.preset} MiniCPM, ${model
        .parameters()
        .reduce((a, p) => a + p.numel, 0)
        .toLocaleString(
          "en-US",
        )} parameters, ${s.steps} steps of ${s.batchSize}×${s.seqLen} tokens on ${s.device} (${model.computeDType} compute)`,
    );

    // Ctrl-C, and SIGTERM from a job scheduler or container runtime: finish the current step, write a
    // checkpoint, and stop (a second signal exits at once, with the shell's 128 + signal number).
    const stop = new AbortController();
    const onInterrupt = (signal: NodeJS.Signals) => {
      if (stop.signal.aborted) process.exit(signal === "SIGTERM" ? 143 : 130);
      stop.abort();
      console.error(
        `\n${signal}: stopping after this step; continue later with: ${cli} train --resume --out ${s.out} --name ${s.name}`,
      );
    };
    process.on("SIGINT", onInterrupt);
    process.on("SIGTERM", onInterrupt);
    const result = await new Trainer({
      model,
      optimizer,
      schedule,
      train: s.decayData.length ? twoStage(s, tokenizer, train, warmupSteps + schedule.stableSteps) : train,
      valid,
      steps: s.steps,
      gradAccumSteps: s.gradAccum,
      clipNorm: s.clip > 0 ? s.clip : null,
      evalEvery: s.evalEvery,
      evalBatches: s.evalBatches,
      checkpointEvery: s.checkpointEvery,
      keepCheckpoints: s.keepCheckpoints,
      logEvery: s.logEvery,
      outDir: s.runDir,
      device: s.device,
      runConfig: { command: "slmkit train", options: { ...values, resume: false, overwrite: false } },
      progress: !s.quiet,
      title: `${s.name}: ${s.preset} MiniCPM, WSD (${s.decay} decay)`,
      signal: stop.signal,
    })
      .fit(resumeFrom !== null ? { resumeFrom } : {})
      .finally(() => {
        process.off("SIGINT", onInterrupt);
        process.off("SIGTERM", onInterrupt);
      });

    const samples: string[] = [];
    noGrad(() => {
      model.eval();
      for (let i = 0; i < s.samples; i++) {
        const prompt = SAMPLE_PROMPTS[i % SAMPLE_PROMPTS.length]!;
        const ids = model.generate(tokenizer.encode(prompt), {
          maxNewTokens: s.sampleTokens,
          temperature: 0.8,
          topK: 40,
          seed: s.seed + i,
          stopTokens: tokenizer.eosId === null ? [] : [tokenizer.eosId],
        });
        samples.push(
          `--- sample ${i + 1} (prompt "${prompt}", temperature 0.8, top-k 40) ---\n${prompt}${tokenizer.decode(ids)}\n`,
        );
      }
    });
    writeFileAtomic(path.join(s.runDir, "samples.txt"), samples.join("\n"));
    const last = result.metrics.at(-1);
    const lastValid = [...result.metrics].reverse().find((r) => r.valLoss !== undefined);
    if (!s.quiet) {
      console.log(samples.join("\n"));
      console.log(
        `done: ${result.step} steps, train loss ${last?.loss.toFixed(3)}${lastValid ? `, validation loss ${lastValid.valLoss!.toFixed(3)}` : ""} in ${last?.elapsed.toFixed(0)} s\n` +
          `outputs in ${s.runDir}/: tokenizer.json config.json run.json metrics.jsonl loss.svg samples.txt checkpoints/\n` +
          `try: ${generateHint}`,
      );
    }
  } finally {
    optimizer.dispose();
    model.dispose();
  }
}
