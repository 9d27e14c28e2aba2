// Byte-level BPE training. Texts are pre-tokenised once into a table of distinct pieces and their counts;
// merges then work on that table. Each merge touches only the pieces that contain the merged pair (an
// index from pairs to pieces) and updates pair counts incrementally; the next pair comes from a lazy
// max-heap, so no merge ever recounts the corpus.
import { ArgumentError } from "../errors.js";
import { BinaryHeap } from "./binary_heap.js";
import { BYTE_TO_CHAR, BYTES_IN_VOCAB_ORDER } from "./byte_level.js";
import { forEachPiece } from "./pretokenize.js";

/** Options of `BpeTokenizer.train`. */
export interface BpeTrainOptions {
  /** Final vocabulary size, special tokens and the 256 byte tokens included. */
  vocabSize: number;
  /** Pairs seen fewer times than this are never merged; training stops early at the first one (default 2). */
  minFrequency?: number;
  /** Tokens that are never split, given the first ids in this order (default ["<|endoftext|>"]). */
  specialTokens?: string[];
}

/** What training produces: token strings by id (specials, then bytes, then merges) and ranked merges. */
export interface TrainedBpe {
  vocab: string[];
  merges: [string, string][];
  specialTokens: string[];
}

interface HeapEntry {
  count: number;
  pair: number;
}

/**
 * Trains byte-level BPE on `texts`. Each step merges the most frequent adjacent pair; ties go to the pair
 * with the smaller (left id, right id), which makes the result independent of iteration order.
 */
export function trainBpe(texts: Iterable<string>, options: BpeTrainOptions): TrainedBpe {
  const { vocabSize, minFrequency = 2, specialTokens = ["<|endoftext|>"] } = options;
  checkOptions(vocabSize, minFrequency, specialTokens);

  const vocab = [...specialTokens, ...BYTES_IN_VOCAB_ORDER.map((b) => BYTE_TO_CHAR[b]!)];
  const idOf = new Map(vocab.map((t, i) => [t, i]));
  const byteId = new Int32Array(256);
  for (let b = 0; b < 256; b++) byteId[b] = idOf.get(BYTE_TO_CHAR[b]!)!;

  const { words, freqs } = countWords(texts, byteId);
  // Pair keys pack (left, right) into one number; ids stay below vocabSize, so left-major order of keys is
  // the (left, right) order used for tie-breaking.
  const base = vocabSize;
  const pairCounts = new Map<number, number>();
  const pairWords = new Map<number, Set<number>>();
  for (let w = 0; w < words.length; w++) {
    const syms = words[w]!;
    for (let i = 0; i + 1 < syms.length; i++) {
      const pair = syms[i]! * base + syms[i + 1]!;
      pairCounts.set(pair, (pairCounts.get(pair) ?? 0) + freqs[w]!);
      let set = pairWords.get(pair);
      if (set === undefined) {
        set = new Set();
        pairWords.set(pair, set);
      }
      set.add(w);
    }
  }

  const heap = new BinaryHeap<HeapEntry>((a, b) => a.count > b.count || (a.count === b.count && a.pair < b.pair));
  for (const [pair, count] of pairCounts) heap.push({ count, pair });

  const merges: [string, string][] = [];
  const delta = new Map<number, number>();
  while (vocab.length < vocabSize) {
    const top = heap.pop();
    if (top === undefined) break;
    const current = pairCounts.get(top.pair) ?? 0;
    if (current !== top.count) {
      // Stale entry: counts of old pairs only fall, so re-queue it with its true count.
      if (current > 0) heap.push({ count: current, pair: top.pair });
      continue;
    }
    if (current < minFrequency) break;

    const left = Math.floor(top.pair / base);
    const right = top.pair % base;
    const token = vocab[left]! + vocab[right]!;
    // Two different merges can spell the same string; like Hugging Face's trainer, they share one id.
    let merged = idOf.get(token);
    if (merged === undefined) {
      merged = vocab.push(token) - 1;
      idOf.set(token, merged);
    }
    merges.push([vocab[left]!, vocab[right]!]);

    delta.clear();
    for (const w of pairWords.get(top.pair)!) {
      mergeInWord(words, w, left, right, merged, freqs[w]!, base, delta, pairWords);
    }
    pairWords.delete(top.pair);
    for (const [pair, d] of delta) {
      const count = (pairCounts.get(pair) ?? 0) + d;
      if (count > 0) pairCounts.set(pair, count);
      else pairCounts.delete(pair);
      if (d > 0) heap.push({ count, pair });
    }
  }
  return { vocab, merges, specialTokens: [...specialTokens] };
}

function checkOptions(vocabSize: number, minFrequency: number, specialTokens: string[]): void {
  const minSize = specialTokens.length + 256;
  if (!Number.isInteger(vocabSize) || vocabSize < minSize || vocabSize > 2 ** 26) {
    throw new ArgumentError(
      `BpeTokenizer.train: vocabSize must be a whole number from ${minSize} (special tokens + 256 bytes) to 2^26, got ${vocabSize}`,
    );
  }
  if (!Number.isInteger(minFrequency) || minFrequency < 1) {
    throw new ArgumentError(`BpeTokenizer.train: minFrequency must be a whole number >= 1, got ${minFrequency}`);
  }
  const seen = new Set<string>();
  for (const t of specialTokens) {
    if (typeof t !== "string" || t.length === 0 || seen.has(t)) {
      throw new ArgumentError(
        `BpeTokenizer.train: specialTokens must be distinct non-empty strings, got ${JSON.stringify(specialTokens)}`,
      );
    }
    seen.add(t);
  }
}

/** Pre-tokenises every text and returns each distinct piece as byte ids, with its count. */
function countWords(texts: Iterable<string>, byteId: Int32Array): { words: number[][]; freqs: number[] } {
  const counts = new Map<string, number>();
  for (const text of texts) {
    if (typeof text !== "string")
      throw new ArgumentError(`BpeTokenizer.train: texts must be strings, got ${typeof text}`);
    forEachPiece(text, (piece) => counts.set(piece, (counts.get(piece) ?? 0) + 1));
  }
  const encoder = new TextEncoder();
  const words: number[][] = [];
  const freqs: number[] = [];
  for (const [piece, count] of counts) {
    words.push(Array.from(encoder.encode(piece), (b) => byteId[b]!));
    freqs.push(count);
  }
  return { words, freqs };
}

/**
 * Merges every (left, right) in word `w`, left to right, and records how pair counts change. Neighbours
 * are read from the partly merged word, so runs like "a a a" and "ab ab" come out right.
 */
function mergeInWord(
  words: number[][],
  w: number,
  left: number,
  right: number,
  merged: number,
  freq: number,
  base: number,
  delta: Map<number, number>,
  pairWords: Map<number, Set<number>>,
): void {
  const syms = words[w]!;
  const add = (a: number, b: number, d: number): void => {
    const pair = a * base + b;
    delta.set(pair, (delta.get(pair) ?? 0) + d);
    if (d > 0) {
      let set = pairWords.get(pair);
      if (set === undefined) {
        set = new Set();
        pairWords.set(pair, set);
      }
      set.add(w);
    }
  };
  const out: number[] = [];
  let i = 0;
  while (i < syms.length) {
    if (syms[i] === left && syms[i + 1] === right && i + 1 < syms.length) {
      const prev = out.length > 0 ? out[out.length - 1]! : -1;
      const next = i + 2 < syms.length ? syms[i + 2]! : -1;
      if (prev >= 0) {
        add(prev, left, -freq);
        add(prev, merged, freq);
      }
      if (next >= 0) {
        add(right, next, -freq);
        add(merged, next, freq);
      }
      add(left, right, -freq);
      out.push(merged);
      i += 2;
    } else {
      out.push(syms[i]!);
      i += 1;
    }
  }
  // A word can sit in a pair's index after the pair left it (the index is never pruned); then nothing changed.
  if (out.length !== syms.length) words[w] = out;
}
