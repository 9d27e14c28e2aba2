// The training text of the commands that train (`slmkit train`, `tunnel`, `scaling study`): text files or the
// built-in State of the Union texts tokenized with a freshly trained BPE tokenizer, or token shards with the
// tokenizer that made them; then train and validation samplers over the same split.
import * as fs from "node:fs";
import { BpeTokenizer } from "../data/bpe_tokenizer.js";
import { readShard } from "../data/shard.js";
import { sotuTexts } from "../data/sotu.js";
import { TokenSampler } from "../data/token_sampler.js";
import { ArgumentError, SlmkitError } from "../errors.js";
import { type Flag, numberFlag, requireFile } from "./flags.js";

/** The flags that choose the corpus, shared by the commands that train on one. */
export const CORPUS_FLAGS: readonly Flag[] = [
  {
    name: "data",
    type: "string",
    value: "PATH",
    multiple: true,
    help: "text files, or token shards (.bin, needs --tokenizer); default: the State of the Union texts",
  },
  {
    name: "tokenizer",
    type: "string",
    value: "PATH",
    help: "the tokenizer.json of the shards, or to use on the texts",
  },
  {
    name: "vocab-size",
    type: "string",
    value: "N",
    default: "2048",
    help: "vocabulary of the BPE tokenizer trained on the texts",
  },
  {
    name: "valid-fraction",
    type: "string",
    value: "X",
    default: "0.02",
    help: "share of the token windows held out for validation",
  },
];

/** The corpus flags, read and checked (files exist, a tokenizer loads) before any work. */
export interface CorpusSpec {
  /** Text files, or token shards when `shards` is true; empty: the built-in State of the Union texts. */
  files: string[];
  shards: boolean;
  /** A tokenizer given with --tokenizer (already loaded, so a bad file fails before any work). */
  tokenizer: BpeTokenizer | null;
  vocabSize: number;
  validFraction: number;
}

/**
 * Reads the corpus flags. `maxValidFraction` bounds --valid-fraction; `tokenizerSaved` says a tokenizer comes
 * from elsewhere (a resumed run's), so that shards need no --tokenizer.
 */
export function readCorpusFlags(
  command: string,
  values: Record<string, unknown>,
  { maxValidFraction = 0.5, tokenizerSaved = false } = {},
): CorpusSpec {
  const files = (values.data as string[] | undefined) ?? [];
  for (const f of files) requireFile(command, "data", f);
  const shards = files.some((f) => f.endsWith(".bin"));
  if (shards && files.some((f) => !f.endsWith(".bin")))
    throw new ArgumentError(`slmkit ${command}: --data takes either token shards (.bin) or text files, not both`);
  let tokenizer: BpeTokenizer | null = null;
  if (values.tokenizer !== undefined) {
    const file = String(values.tokenizer);
    requireFile(command, "tokenizer", file);
    try {
      tokenizer = BpeTokenizer.load(file);
    } catch (e) {
      if (!(e instanceof SlmkitError)) throw e;
      // load's message names the file already; the flag says which one.
      throw new ArgumentError(`slmkit ${command}: --tokenizer ${e.message.replace(/^BpeTokenizer\.\w+: /, "")}`);
    }
  }
  if (shards && !tokenizer && !tokenizerSaved)
    throw new ArgumentError(
      `slmkit ${command}: token shards (--data *.bin) need --tokenizer (the tokenizer.json that made them)`,
    );
  return {
    files,
    shards,
    tokenizer,
    vocabSize: numberFlag(command, "vocab-size", values["vocab-size"], { integer: true, min: 257 }),
    validFraction: numberFlag(command, "valid-fraction", values["valid-fraction"], { min: 0, max: maxValidFraction }),
  };
}

/** The tokens of token shards, one sequence a shard. */
export const shardSequences = (files: string[]): Int32Array[] => files.map((f) => Int32Array.from(readShard(f).tokens));

/** Each text's tokens, ended by the end-of-text token when the tokenizer has one. */
export function encodeTexts(tokenizer: BpeTokenizer, texts: string[]): Int32Array[] {
  const eos = tokenizer.eosId;
  return texts.map((text) => Int32Array.from(eos === null ? tokenizer.encode(text) : [...tokenizer.encode(text), eos]));
}

/**
 * Token sequences (one per text or shard) and the tokenizer that made them: `tokenizer` when given (a resumed
 * run's), else the spec's, else a BPE tokenizer trained on the texts.
 */
export function loadCorpus(
  spec: CorpusSpec,
  log: (line: string) => void,
  tokenizer: BpeTokenizer | null = spec.tokenizer,
): { tokenizer: BpeTokenizer; sequences: Int32Array[] } {
  const texts = spec.shards ? [] : spec.files.length ? spec.files.map((f) => fs.readFileSync(f, "utf8")) : sotuTexts();
  if (!tokenizer) {
    const t0 = performance.now();
    tokenizer = BpeTokenizer.train(texts, { vocabSize: spec.vocabSize, specialTokens: ["<|endoftext|>"] });
    log(`trained a ${tokenizer.vocabSize}-token BPE tokenizer on ${texts.length} texts in ${seconds(t0)} s`);
  }
  if (spec.shards) return { tokenizer, sequences: shardSequences(spec.files) };
  const t0 = performance.now();
  const sequences = encodeTexts(tokenizer, texts);
  const total = sequences.reduce((a, q) => a + q.length, 0);
  log(`tokenized ${texts.length} texts into ${total} tokens in ${seconds(t0)} s`);
  return { tokenizer, sequences };
}

const seconds = (t0: number): string => ((performance.now() - t0) / 1000).toFixed(1);

/**
 * The train and validation samplers over one seeded split. The data must hold enough windows of seqLen + 1
 * tokens (one for validation, one for training); otherwise the error names --seq-len and the longest text.
 */
export function corpusSamplers(
  command: string,
  sequences: Int32Array[],
  spec: CorpusSpec,
  { batchSize, seqLen, seed }: { batchSize: number; seqLen: number; seed: number },
): { train: TokenSampler; valid: TokenSampler | undefined } {
  const validFraction = spec.validFraction;
  const windows = sequences.reduce((a, q) => a + Math.floor(q.length / (seqLen + 1)), 0);
  const needed = validFraction > 0 ? 2 : 1;
  if (windows < needed) {
    const longest = Math.max(0, ...sequences.map((q) => q.length));
    throw new ArgumentError(
      `slmkit ${command}: --seq-len ${seqLen} is too long for the data: it holds ${windows} window(s) of ${seqLen + 1} tokens ` +
        `(longest text: ${longest} tokens) and training needs ${needed}${needed === 2 ? " (one held out by --valid-fraction)" : ""}; lower --seq-len or add --data`,
    );
  }
  const split = { batchSize, seqLen, validFraction, splitSeed: seed };
  return {
    train: new TokenSampler(sequences, { ...split, seed, split: "train" }),
    valid: validFraction > 0 ? new TokenSampler(sequences, { ...split, seed, split: "valid" }) : undefined,
  };
}
