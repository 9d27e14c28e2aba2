// `slmkit tokenize`: text files -> token shards, with a given tokenizer or one trained on the inputs.
import * as fs from "node:fs";
import * as path from "node:path";
import { BpeTokenizer } from "../data/bpe_tokenizer.js";
import { tokenizeFiles } from "../data/tokenize_files.js";
import { ArgumentError, SlmkitError } from "../errors.js";
import { type CommandSpec, numberFlag, outputFolderFlag, parseFlags } from "./flags.js";

const HELP = `slmkit tokenize [options] FILE...

Tokenizes UTF-8 text files (one document each, ended by <|endoftext|>) into token shards.

options:
  --tokenizer PATH      tokenizer.json to use (Hugging Face byte-level BPE format)
  --train-tokenizer     train a byte-level BPE on the input files instead, saved as OUT/tokenizer.json
  --vocab-size N        vocabulary size when training (default 8192)
  --out DIR             output directory for shard-00000.bin, ... (required)
  --shard-tokens N      tokens per shard (default 100000000)
  --help                this text`;

const TOKENIZE_SPEC: CommandSpec = {
  name: "tokenize",
  usage: "slmkit tokenize [options] FILE...",
  description: "Tokenizes UTF-8 text files into token shards.",
  positionals: "FILE",
  flags: [
    { name: "tokenizer", type: "string", value: "PATH", help: "tokenizer.json to use" },
    { name: "train-tokenizer", type: "boolean", help: "train a byte-level BPE on the input files" },
    { name: "vocab-size", type: "string", value: "N", default: "8192", help: "vocabulary size when training" },
    { name: "out", type: "string", value: "DIR", help: "output directory (required)" },
    { name: "shard-tokens", type: "string", value: "N", default: "100000000", help: "tokens per shard" },
  ],
};

/** Every flag and input checked before any work; returns what the command needs. */
function readOptions(argv: string[]) {
  const { values, help, positionals: inputs } = parseFlags(TOKENIZE_SPEC, argv);
  if (help) return null;
  if (inputs.length === 0)
    throw new ArgumentError("slmkit tokenize: no input files given (slmkit tokenize [options] FILE...)");
  for (const file of inputs) {
    if (!fs.existsSync(file)) throw new ArgumentError(`slmkit tokenize: input ${file}: no such file`);
    if (!fs.statSync(file).isFile()) throw new ArgumentError(`slmkit tokenize: input ${file}: not a file`);
  }
  if (values.out === undefined) throw new ArgumentError("slmkit tokenize: --out DIR is required");
  const out = outputFolderFlag("tokenize", "out", values.out);
  const trainTokenizer = values["train-tokenizer"] === true;
  if ((values.tokenizer === undefined) === !trainTokenizer)
    throw new ArgumentError("slmkit tokenize: give exactly one of --tokenizer PATH and --train-tokenizer");
  const vocabSize = numberFlag("tokenize", "vocab-size", values["vocab-size"], { integer: true, min: 257 });
  const shardTokens = numberFlag("tokenize", "shard-tokens", values["shard-tokens"], { integer: true, min: 1 });
  let tokenizer: BpeTokenizer | null = null;
  if (values.tokenizer !== undefined) {
    const file = String(values.tokenizer);
    if (!fs.existsSync(file)) throw new ArgumentError(`slmkit tokenize: --tokenizer ${file}: no such file`);
    try {
      tokenizer = BpeTokenizer.load(file);
    } catch (e) {
      if (!(e instanceof SlmkitError)) throw e;
      throw new ArgumentError(`slmkit tokenize: --tokenizer ${file}: ${e.message.replace(/^BpeTokenizer\.\w+: /, "")}`);
    }
  }
  return { inputs, out, tokenizer, vocabSize, shardTokens };
}

/**
 * Runs `slmkit tokenize` with the arguments after the command name; resolves to the exit code
 * (0 done, 1 failed, 2 bad usage). A failed run removes the folder it made.
 *
 * @example
 * process.exitCode = await tokenizeCommand(["--train-tokenizer", "--vocab-size", "4096", "--out", "data", "corpus.txt"]);
 */
export async function tokenizeCommand(argv: string[]): Promise<number> {
  let options;
  try {
    options = readOptions(argv);
  } catch (e) {
    if (!(e instanceof ArgumentError)) throw e;
    console.error(`${e.message}\n\n${HELP}`);
    return 2;
  }
  if (options === null) {
    console.log(HELP);
    return 0;
  }
  const { inputs, out, vocabSize, shardTokens } = options;
  const created = !fs.existsSync(out);
  try {
    const started = performance.now();
    let tokenizer = options.tokenizer;
    if (!tokenizer) {
      const texts = inputs.map((file) => fs.readFileSync(file, "utf8"));
      tokenizer = BpeTokenizer.train(texts, { vocabSize });
      const file = path.join(out, "tokenizer.json");
      fs.mkdirSync(out, { recursive: true });
      tokenizer.save(file);
      console.log(`trained a ${tokenizer.vocabSize}-token tokenizer in ${seconds(started)} s -> ${file}`);
    }
    const paths = tokenizeFiles({ inputs, tokenizer, outDir: out, shardTokens, log: (line) => console.log(line) });
    console.log(`${paths.length} shard(s) in ${out} (${seconds(started)} s)`);
    return 0;
  } catch (e) {
    if (created) fs.rmSync(out, { recursive: true, force: true });
    if (!(e instanceof SlmkitError) && !isFileError(e)) throw e;
    console.error(`slmkit tokenize: ${(e as Error).message}`);
    return 1;
  }
}

function seconds(since: number): string {
  return ((performance.now() - since) / 1000).toFixed(1);
}

function isFileError(e: unknown): boolean {
  return e instanceof Error && typeof (e as NodeJS.ErrnoException).code === "string";
}
