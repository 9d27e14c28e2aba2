// The training text of the experiment commands (`slmkit tunnel`, `slmkit scaling study`): text files or the
// built-in State of the Union texts tokenized with a freshly trained BPE tokenizer, or token shards with the
// tokenizer that made them; then train and validation samplers over the same split.
import * as fs from "node:fs";
import { BpeTokenizer } from "../data/bpe_tokenizer.js";
import { readShard } from "../data/shard.js";
import { sotuTexts } from "../data/sotu.js";
import { TokenSampler } from "../data/token_sampler.js";
import { ArgumentError, SlmkitError } from "../errors.js";
import { type Flag, numberFlag } from "./flags.js";
import { requireFile } from "./train_options.js";

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
  files: string[];
  shards: boolean;
  tokenizer: BpeTokenizer | null;
  vocabSize: number;
  validFraction: number;
}

export function readCorpusFlags(command: string, values: Record<string, unknown>): CorpusSpec {
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
      throw new ArgumentError(
        `slmkit ${command}: --tokenizer ${file}: ${e.message.replace(/^BpeTokenizer\.\w+: /, "")}`,
      );
    }
  }
  if (shards && !tokenizer)
    throw new ArgumentError(
      `slmkit ${command}: token shards (--data *.bin) need --tokenizer (the tokenizer.json that made them)`,
    );
  return {
    files,
    shards,
    tokenizer,
    vocabSize: numberFlag(command, "vocab-size", values["vocab-size"], { integer: true, min: 257 }),
    validFraction: numberFlag(command, "valid-fraction", values["valid-fraction"], { min: 0, max: 0.5 }),
  };
}

/** Token sequences (one per text or shard) and the vocabulary size the model needs. */
export function loadCorpus(
  spec: CorpusSpec,
  log: (line: string) => void,
): { sequences: Int32Array[]; vocabSize: number } {
  if (spec.shards) {
    return {
      sequences: spec.files.map((f) => Int32Array.from(readShard(f).tokens)),
      vocabSize: spec.tokenizer!.vocabSize,
    };
  }
  const texts = spec.files.length ? spec.files.map((f) => fs.readFileSync(f, "utf8")) : sotuTexts();
  let tokenizer = spec.tokenizer;
  if (!tokenizer) {
    tokenizer = BpeTokenizer.train(texts, { vocabSize: spec.vocabSize, specialTokens: ["<|endoftext|>"] });
    log(`trained a ${tokenizer.vocabSize}-token BPE tokenizer on ${texts.length} texts`);
  }
  const eos = tokenizer.eosId;
  const sequences = texts.map((t) =>
    Int32Array.from(eos === null ? tokenizer.encode(t) : [...tokenizer.encode(t), eos]),
  );
  return { sequences, vocabSize: tokenizer.vocabSize };
}

/** Train and validation samplers over one seeded split; the error names --seq-len when the texts are too short. */
export function corpusSamplers(
  command: string,
  sequences: Int32Array[],
  {
    batchSize,
    seqLen,
    validFraction,
    seed,
  }: { batchSize: number; seqLen: number; validFraction: number; seed: number },
): { train: TokenSampler; valid: TokenSampler | undefined } {
  const windows = sequences.reduce((a, q) => a + Math.floor(q.length / (seqLen + 1)), 0);
  const needed = validFraction > 0 ? 2 : 1;
  if (windows < needed)
    throw new ArgumentError(
      `slmkit ${command}: --seq-len ${seqLen} is too long for the data: it holds ${windows} window(s) of ${seqLen + 1} tokens; lower --seq-len or add --data`,
    );
  const split = { batchSize, seqLen, validFraction, splitSeed: seed };
  return {
    train: new TokenSampler(sequences, { ...split, seed, split: "train" }),
    valid: validFraction > 0 ? new TokenSampler(sequences, { ...split, seed, split: "valid" }) : undefined,
  };
}
