import { closeSync, mkdirSync, openSync, readdirSync, readSync } from "node:fs";
import { join } from "node:path";
import { ArgumentError } from "../errors.js";
import type { BpeTokenizer } from "./bpe_tokenizer.js";
import { writeShard } from "./shard.js";

/** Options of `tokenizeFiles`. */
export interface TokenizeFilesOptions {
  /** UTF-8 text files; each is one document, ended by the tokenizer's EOS token. */
  inputs: readonly string[];
  tokenizer: BpeTokenizer;
  /** Directory for `shard-00000.bin`, `shard-00001.bin`, ...; created if missing, must hold no shards yet. */
  outDir: string;
  /** Tokens per shard; the last shard holds the rest (default 1e8). */
  shardTokens?: number;
  /** Called with a line of progress after each file. */
  log?: (line: string) => void;
}

const CHUNK_BYTES = 8 << 20;

/**
 * Tokenizes text files into token shards (format in src/data/SHARDS.md) and returns the shard paths in
 * order. Files are read in chunks cut where the GPT-2 pre-tokeniser also cuts (a newline followed by a
 * letter or digit), so the result equals encoding each whole file, without holding it in memory.
 *
 * @example
 * const paths = tokenizeFiles({ inputs: ["a.txt", "b.txt"], tokenizer: tok, outDir: "data/shards" });
 */
export function tokenizeFiles(options: TokenizeFilesOptions): string[] {
  const { inputs, tokenizer, outDir, shardTokens = 1e8, log } = options;
  if (!Array.isArray(inputs) || inputs.length === 0)
    throw new ArgumentError("tokenizeFiles: inputs must list at least one text file");
  if (!Number.isInteger(shardTokens) || shardTokens < 1)
    throw new ArgumentError(`tokenizeFiles: shardTokens must be a whole number >= 1, got ${shardTokens}`);
  const eos = tokenizer.eosId;
  if (eos === null)
    throw new ArgumentError(
      'tokenizeFiles: the tokenizer has no end-of-text token to separate documents (add "<|endoftext|>" as a special token)',
    );
  mkdirSync(outDir, { recursive: true });
  const existing = readdirSync(outDir).filter((f) => /^shard-\d+\.bin$/.test(f));
  if (existing.length > 0)
    throw new ArgumentError(
      `tokenizeFiles: ${outDir} already holds shards (${existing[0]}, ...); remove them or choose another outDir`,
    );

  const paths: string[] = [];
  let buffer = new Uint32Array(Math.min(shardTokens, 1 << 20));
  let filled = 0;
  const flush = (): void => {
    const path = join(outDir, `shard-${String(paths.length).padStart(5, "0")}.bin`);
    writeShard(path, buffer.subarray(0, filled), { vocabSize: tokenizer.vocabSize });
    paths.push(path);
    filled = 0;
  };
  const push = (ids: readonly number[]): void => {
    for (const id of ids) {
      if (filled === buffer.length) {
        if (filled === shardTokens) flush();
        else {
          const grown = new Uint32Array(Math.min(shardTokens, buffer.length * 2));
          grown.set(buffer);
          buffer = grown;
        }
      }
      buffer[filled++] = id;
    }
  };

  for (const input of inputs) {
    let count = 0;
    // A tokenizer that adds a prefix space to every text would add one to every chunk, so it reads whole files.
    forEachChunk(input, tokenizer.addPrefixSpace, (text) => {
      const ids = tokenizer.encode(text);
      count += ids.length;
      push(ids);
    });
    push([eos]);
    log?.(`${input}: ${count + 1} tokens`);
  }
  if (filled > 0) flush();
  return paths;
}

/** Calls `fn` with consecutive pieces of a UTF-8 file (or once with all of it when `whole`), cut by `lastSafeCut`. */
function forEachChunk(path: string, whole: boolean, fn: (text: string) => void): void {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (e) {
    throw new ArgumentError(`tokenizeFiles: cannot read ${path}: ${(e as Error).message}`);
  }
  try {
    const decoder = new TextDecoder("utf-8");
    const bytes = new Uint8Array(CHUNK_BYTES);
    let carry = "";
    for (;;) {
      const n = readSync(fd, bytes, 0, CHUNK_BYTES, null);
      const text = carry + decoder.decode(bytes.subarray(0, n), { stream: n > 0 });
      if (n === 0) {
        if (text.length > 0) fn(text);
        return;
      }
      const cut = whole ? 0 : lastSafeCut(text);
      if (cut > 0) fn(text.slice(0, cut));
      carry = text.slice(cut);
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * Index just after the last "\n" that follows a non-space and precedes a letter or digit, or 0. The GPT-2
 * regex always makes such a newline a piece of its own ("x\nThe" -> "x", "\n", "The"), so cutting there
 * changes nothing; after a space it would ("  \n" at the end of a chunk becomes one piece, not two).
 */
function lastSafeCut(text: string): number {
  for (let i = text.lastIndexOf("\n"); i >= 0; i = i === 0 ? -1 : text.lastIndexOf("\n", i - 1)) {
    if (i + 1 < text.length && /[\p{L}\p{N}]/u.test(text[i + 1]!) && (i === 0 || /\S/.test(text[i - 1]!))) return i + 1;
  }
  return 0;
}
