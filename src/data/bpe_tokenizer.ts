import { readFileSync } from "node:fs";
import { ArgumentError } from "../errors.js";
import { writeFileAtomic } from "../io/atomic.js";
import { applyMerges, type MergeTable } from "./bpe_merge.js";
import { trainBpe, type BpeTrainOptions } from "./bpe_train.js";
import { BYTE_TO_CHAR, CHAR_TO_BYTE, toByteLevel } from "./byte_level.js";
import { pretokenize } from "./pretokenize.js";
import { parseTokenizerJSON, type AddedTokenJSON, type ParsedTokenizer, type TokenizerJSON } from "./tokenizer_json.js";

/** Names tried, in order, for the end-of-text token that separates documents. */
const EOS_NAMES = ["<|endoftext|>", "</s>", "<|end_of_text|>", "<eos>"];

/** Distinct pieces remembered by `encode`; the cache is emptied when it grows past this. */
const CACHE_LIMIT = 200_000;

const utf8 = new TextEncoder();

/**
 * A byte-level BPE tokenizer in the style of GPT-2: text is split by the GPT-2 regex, each piece is
 * written as UTF-8 bytes, and ranked merges join bytes into tokens. Any string encodes (no unknown
 * token) and `decode(encode(s))` gives `s` back (lone surrogates come back as U+FFFD). Added and special
 * tokens (e.g. "<|endoftext|>") are recognised in the text and never split. Files use Hugging Face's
 * tokenizer.json format, so GPT-2-style tokenizers from the Hub load too.
 *
 * @example
 * const tok = BpeTokenizer.train(texts, { vocabSize: 4096 });
 * const ids = tok.encode("Hello world<|endoftext|>");
 * tok.decode(ids); // "Hello world<|endoftext|>"
 * tok.save("tokenizer.json");
 * const same = BpeTokenizer.load("tokenizer.json");
 */
export class BpeTokenizer {
  /** Id of the token that ends a document, or null when the tokenizer has none (see `EOS_NAMES`). */
  readonly eosId: number | null;
  /** Contents of the special tokens, in id order. */
  readonly specialTokens: readonly string[];
  /** Whether a space is put before text that does not start with one (tokenizer.json's add_prefix_space). */
  readonly addPrefixSpace: boolean;

  private readonly vocab: Map<string, number>;
  private readonly tokens: (string | undefined)[];
  private readonly tokenBytes: (Uint8Array | undefined)[];
  private readonly merges: [string, string][];
  private readonly mergeTable: MergeTable;
  private readonly byteIds: number[];
  private readonly addedTokens: AddedTokenJSON[];
  private readonly addedIds: Map<string, number>;
  private readonly addedPattern: RegExp | null;
  private readonly ignoreMerges: boolean;
  private readonly cache = new Map<string, number[]>();

  private constructor(parsed: ParsedTokenizer) {
    this.vocab = parsed.vocab;
    this.merges = parsed.merges;
    this.addedTokens = parsed.addedTokens;
    this.addPrefixSpace = parsed.addPrefixSpace;
    this.ignoreMerges = parsed.ignoreMerges;

    this.tokens = [];
    for (const [token, id] of this.vocab) this.tokens[id] = token;
    for (const t of this.addedTokens) this.tokens[t.id] = t.content;
    this.addedIds = new Map(this.addedTokens.map((t) => [t.content, t.id]));
    this.tokenBytes = this.tokens.map((t, id) =>
      t === undefined ? undefined : this.addedIds.get(t) === id ? utf8.encode(t) : byteLevelToBytes(t),
    );

    this.byteIds = BYTE_TO_CHAR.map((ch, b) => {
      const id = this.vocab.get(ch);
      if (id === undefined)
        throw new ArgumentError(
          `BpeTokenizer: the vocabulary lacks the byte-level token ${JSON.stringify(ch)} for byte ${b}; every byte needs a token`,
        );
      return id;
    });
    const base = this.tokens.length;
    const rank = new Map<number, number>();
    const result = new Int32Array(this.merges.length);
    this.merges.forEach(([a, b], r) => {
      const key = this.vocab.get(a)! * base + this.vocab.get(b)!;
      if (!rank.has(key)) rank.set(key, r); // a repeated merge keeps its first (best) rank
      result[r] = this.vocab.get(a + b)!;
    });
    this.mergeTable = { base, rank, result };

    this.addedPattern =
      this.addedTokens.length === 0
        ? null
        : new RegExp(
            [...this.addedTokens]
              .sort((x, y) => y.content.length - x.content.length)
              .map((t) => `${t.lstrip ? "\\s*" : ""}(${escapeRegExp(t.content)})${t.rstrip ? "\\s*" : ""}`)
              .join("|"),
            "gu",
          );
    this.specialTokens = this.addedTokens
      .filter((t) => t.special === true)
      .sort((x, y) => x.id - y.id)
      .map((t) => t.content);
    const eos =
      EOS_NAMES.find((n) => this.addedIds.has(n)) ??
      (this.specialTokens.length === 1 ? this.specialTokens[0] : undefined);
    this.eosId = eos === undefined ? null : this.addedIds.get(eos)!;
  }

  /**
   * Trains a tokenizer on `texts` (see `BpeTrainOptions`). Special tokens get ids 0, 1, ...; the 256
   * bytes follow in GPT-2's order, then one id per merge.
   *
   * @example
   * const tok = BpeTokenizer.train(["the cat sat on the mat"], { vocabSize: 300, minFrequency: 1 });
   */
  static train(texts: Iterable<string>, options: BpeTrainOptions): BpeTokenizer {
    const { vocab, merges, specialTokens } = trainBpe(texts, options);
    return new BpeTokenizer({
      vocab: new Map(vocab.map((t, i) => [t, i])),
      merges,
      addedTokens: specialTokens.map((content, id) => ({
        id,
        content,
        single_word: false,
        lstrip: false,
        rstrip: false,
        normalized: false,
        special: true,
      })),
      addPrefixSpace: false,
      ignoreMerges: false,
    });
  }

  /**
   * Builds a tokenizer from a parsed Hugging Face tokenizer.json (a byte-level BPE: model.type "BPE",
   * pre_tokenizer ByteLevel). Throws an `ArgumentError` naming the field for anything else.
   *
   * @example
   * const tok = BpeTokenizer.fromJSON(JSON.parse(readFileSync("gpt2/tokenizer.json", "utf8")));
   */
  static fromJSON(json: unknown): BpeTokenizer {
    return new BpeTokenizer(parseTokenizerJSON(json));
  }

  /**
   * Reads a tokenizer.json file.
   *
   * @example
   * const tok = BpeTokenizer.load("runs/sotu/tokenizer.json");
   */
  static load(path: string): BpeTokenizer {
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch (e) {
      throw new ArgumentError(`BpeTokenizer.load: cannot read ${path}: ${(e as Error).message}`);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (e) {
      throw new ArgumentError(`BpeTokenizer.load: ${path}: not valid JSON: ${(e as Error).message}`);
    }
    try {
      return BpeTokenizer.fromJSON(json);
    } catch (e) {
      if (!(e instanceof ArgumentError)) throw e;
      throw new ArgumentError(`BpeTokenizer.load: ${path}: ${e.message.replace(/^BpeTokenizer(\.fromJSON)?: /, "")}`);
    }
  }

  /** Number of ids (one more than the largest id). */
  get vocabSize(): number {
    return this.tokens.length;
  }

  /** The id of a token string (byte-level form, e.g. "Ġthe"), or undefined. */
  tokenToId(token: string): number | undefined {
    return this.addedIds.get(token) ?? this.vocab.get(token);
  }

  /** The token string of an id (byte-level form), or undefined. */
  idToToken(id: number): string | undefined {
    return this.tokens[id];
  }

  /**
   * Token ids of `text`. Added tokens written in the text (e.g. "<|endoftext|>") become their ids.
   *
   * @example
   * tok.encode("Hello<|endoftext|>"); // [..., tok.eosId]
   */
  encode(text: string): number[] {
    if (typeof text !== "string")
      throw new ArgumentError(`BpeTokenizer.encode: text must be a string, got ${typeof text}`);
    const out: number[] = [];
    if (this.addedPattern === null) {
      this.encodeOrdinary(text, out);
      return out;
    }
    let start = 0;
    for (const m of text.matchAll(this.addedPattern)) {
      if (m.index! > start) this.encodeOrdinary(text.slice(start, m.index), out);
      const content = m.slice(1).find((g) => g !== undefined)!;
      out.push(this.addedIds.get(content)!);
      start = m.index! + m[0].length;
    }
    if (start < text.length) this.encodeOrdinary(text.slice(start), out);
    return out;
  }

  /**
   * The text of `ids`. Byte sequences that are not valid UTF-8 (a slice cut through a character) become
   * U+FFFD instead of throwing.
   *
   * @example
   * tok.decode(tok.encode("naïve 🙂")); // "naïve 🙂"
   */
  decode(ids: ArrayLike<number>): string {
    const parts: Uint8Array[] = [];
    let length = 0;
    for (let i = 0; i < ids.length; i++) {
      const bytes = this.tokenBytes[ids[i]!];
      if (bytes === undefined)
        throw new ArgumentError(
          `BpeTokenizer.decode: ids[${i}] = ${ids[i]} is not a token id (vocabSize ${this.vocabSize})`,
        );
      parts.push(bytes);
      length += bytes.length;
    }
    const all = new Uint8Array(length);
    let offset = 0;
    for (const p of parts) {
      all.set(p, offset);
      offset += p.length;
    }
    return new TextDecoder("utf-8", { fatal: false, ignoreBOM: true }).decode(all);
  }

  /** The tokenizer as a Hugging Face tokenizer.json object. */
  toJSON(): TokenizerJSON {
    const vocab: Record<string, number> = {};
    for (const [token, id] of [...this.vocab].sort((a, b) => a[1] - b[1])) vocab[token] = id;
    return {
      version: "1.0",
      truncation: null,
      padding: null,
      added_tokens: this.addedTokens.map((t) => ({ ...t })),
      normalizer: null,
      pre_tokenizer: { type: "ByteLevel", add_prefix_space: this.addPrefixSpace, trim_offsets: true, use_regex: true },
      post_processor: null,
      decoder: { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true },
      model: {
        type: "BPE",
        dropout: null,
        unk_token: null,
        continuing_subword_prefix: null,
        end_of_word_suffix: null,
        fuse_unk: false,
        byte_fallback: false,
        ignore_merges: this.ignoreMerges,
        vocab,
        // "left right" strings are read by every tokenizers version; byte-level tokens never contain a space.
        merges: this.merges.map(([a, b]) => `${a} ${b}`),
      },
    };
  }

  /** Writes tokenizer.json to `path` atomically (a temporary file renamed into place). */
  save(path: string): void {
    writeFileAtomic(path, JSON.stringify(this.toJSON()));
  }

  private encodeOrdinary(text: string, out: number[]): void {
    const input = this.addPrefixSpace && !text.startsWith(" ") ? ` ${text}` : text;
    for (const piece of pretokenize(input)) {
      let ids = this.cache.get(piece);
      if (ids === undefined) {
        ids = this.encodePiece(piece);
        if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
        this.cache.set(piece, ids);
      }
      for (const id of ids) out.push(id);
    }
  }

  private encodePiece(piece: string): number[] {
    const bytes = utf8.encode(piece);
    if (this.ignoreMerges) {
      const whole = this.vocab.get(toByteLevel(bytes));
      if (whole !== undefined) return [whole];
    }
    return applyMerges(
      Array.from(bytes, (b) => this.byteIds[b]!),
      this.mergeTable,
    );
  }
}

function byteLevelToBytes(token: string): Uint8Array {
  const chars = [...token];
  const bytes = chars.map((ch) => CHAR_TO_BYTE.get(ch));
  // A vocabulary entry outside the byte-level alphabet (rare in hand-made files) decodes as its own text.
  return bytes.every((b) => b !== undefined) ? Uint8Array.from(bytes as number[]) : utf8.encode(token);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}
