// `slmkit tokenize`: text files -> token shards, with a given tokenizer or one trained on the inputs.
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { BpeTokenizer } from "../data/bpe_tokenizer.js";
import { tokenizeFiles } from "../data/tokenize_files.js";
import { SlmkitError } from "../errors.js";

const HELP = `slmkit tokenize [options] FILE...

Tokenizes UTF-8 text files (one document each, ended by <|endoftext|>) into token shards.

options:
  --tokenizer PATH      tokenizer.json to use (Hugging Face byte-level BPE format)
  --train-tokenizer     train a byte-level BPE on the input files instead, saved as OUT/tokenizer.json
  --vocab-size N        vocabulary size when training (default 8192)
  --out DIR             output directory for shard-00000.bin, ... (required)
  --shard-tokens N      tokens per shard (default 100000000)
  --help                this text`;

/**
 * Runs `slmkit tokenize` with the arguments after the command name; resolves to the exit code
 * (0 done, 1 failed, 2 bad usage).
 *
 * @example
 * process.exitCode = await tokenizeCommand(["--train-tokenizer", "--vocab-size", "4096", "--out", "data", "corpus.txt"]);
 */
export async function tokenizeCommand(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        tokenizer: { type: "string" },
        "train-tokenizer": { type: "boolean", default: false },
        "vocab-size": { type: "string", default: "8192" },
        out: { type: "string" },
        "shard-tokens": { type: "string", default: "100000000" },
        help: { type: "boolean", default: false },
      },
    });
  } catch (e) {
    return usage((e as Error).message);
  }
  const { values, positionals: inputs } = parsed;
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (inputs.length === 0) return usage("no input files given");
  if (values.out === undefined) return usage("--out DIR is required");
  if ((values.tokenizer === undefined) === !values["train-tokenizer"]) return usage("give exactly one of --tokenizer PATH and --train-tokenizer");
  const vocabSize = Number(values["vocab-size"]);
  const shardTokens = Number(values["shard-tokens"]);
  if (!Number.isInteger(vocabSize) || vocabSize < 1) return usage(`--vocab-size must be a whole number, got ${values["vocab-size"]}`);
  if (!Number.isInteger(shardTokens) || shardTokens < 1) return usage(`--shard-tokens must be a whole number, got ${values["shard-tokens"]}`);

  try {
    const started = performance.now();
    let tokenizer: BpeTokenizer;
    if (values.tokenizer !== undefined) {
      tokenizer = BpeTokenizer.load(values.tokenizer);
    } else {
      const texts = inputs.map((path) => readFileSync(path, "utf8"));
      tokenizer = BpeTokenizer.train(texts, { vocabSize });
      const path = join(values.out, "tokenizer.json");
      mkdirSync(values.out, { recursive: true });
      tokenizer.save(path);
      console.log(`trained a ${tokenizer.vocabSize}-token tokenizer in ${seconds(started)} s -> ${path}`);
    }
    const paths = tokenizeFiles({ inputs, tokenizer, outDir: values.out, shardTokens, log: (line) => console.log(line) });
    console.log(`${paths.length} shard(s) in ${values.out} (${seconds(started)} s)`);
    return 0;
  } catch (e) {
    if (!(e instanceof SlmkitError) && !isFileError(e)) throw e;
    console.error(`slmkit tokenize: ${(e as Error).message}`);
    return 1;
  }
}

function usage(problem: string): number {
  console.error(`slmkit tokenize: ${problem}\n\n${HELP}`);
  return 2;
}

function seconds(since: number): string {
  return ((performance.now() - since) / 1000).toFixed(1);
}

function isFileError(e: unknown): boolean {
  return e instanceof Error && typeof (e as NodeJS.ErrnoException).code === "string";
}
