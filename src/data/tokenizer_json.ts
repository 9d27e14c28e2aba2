// The subset of Hugging Face's tokenizer.json that describes a byte-level BPE tokenizer (GPT-2 style), and
// the checks that turn an arbitrary parsed file into it with errors a user can act on.
import { ArgumentError } from "../errors.js";

/** One entry of tokenizer.json's `added_tokens`. */
export interface AddedTokenJSON {
  id: number;
  content: string;
  single_word?: boolean;
  lstrip?: boolean;
  rstrip?: boolean;
  normalized?: boolean;
  special?: boolean;
}

/** A Hugging Face `tokenizer.json` holding a byte-level BPE model. Fields we do not use are kept as given. */
export interface TokenizerJSON {
  version?: string;
  truncation?: unknown;
  padding?: unknown;
  added_tokens?: AddedTokenJSON[];
  normalizer?: unknown;
  pre_tokenizer?: { type: string; add_prefix_space?: boolean; trim_offsets?: boolean; use_regex?: boolean } | null;
  post_processor?: unknown;
  decoder?: { type: string; [key: string]: unknown } | null;
  model: {
    type: string;
    vocab: Record<string, number>;
    /** "left right" strings (tokenizers < 0.20) or [left, right] pairs (newer files). */
    merges: (string | [string, string])[];
    dropout?: number | null;
    unk_token?: string | null;
    continuing_subword_prefix?: string | null;
    end_of_word_suffix?: string | null;
    fuse_unk?: boolean;
    byte_fallback?: boolean;
    ignore_merges?: boolean;
  };
}

/** The parts of a tokenizer.json that encoding and decoding need, checked. */
export interface ParsedTokenizer {
  vocab: Map<string, number>;
  merges: [string, string][];
  addedTokens: AddedTokenJSON[];
  addPrefixSpace: boolean;
  ignoreMerges: boolean;
}

function fail(what: string): never {
  throw new ArgumentError(`BpeTokenizer.fromJSON: ${what}`);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Validates a parsed tokenizer.json; anything this tokenizer would encode differently from Hugging Face is refused. */
export function parseTokenizerJSON(json: unknown): ParsedTokenizer {
  if (!isObject(json) || !isObject(json.model))
    fail("expected an object with a `model` field (a Hugging Face tokenizer.json)");
  const model = json.model;
  if (model.type !== "BPE") fail(`model.type must be "BPE", got ${JSON.stringify(model.type)}`);
  if (model.continuing_subword_prefix || model.end_of_word_suffix)
    fail("continuing_subword_prefix / end_of_word_suffix are not supported (not a byte-level BPE)");
  if (model.byte_fallback === true)
    fail("byte_fallback BPE (SentencePiece style) is not supported; expected a byte-level BPE");
  if (typeof model.dropout === "number" && model.dropout > 0)
    fail(`BPE dropout is not supported, got ${model.dropout}`);
  if (json.normalizer !== null && json.normalizer !== undefined)
    fail(`normalizers are not supported, got ${JSON.stringify(json.normalizer)}`);
  const pre = json.pre_tokenizer;
  if (!isObject(pre) || pre.type !== "ByteLevel" || pre.use_regex === false) {
    fail(`pre_tokenizer must be {"type": "ByteLevel"} with the GPT-2 regex, got ${JSON.stringify(pre)}`);
  }
  const decoder = json.decoder;
  if (decoder !== null && decoder !== undefined && !(isObject(decoder) && decoder.type === "ByteLevel")) {
    fail(`decoder must be ByteLevel or null, got ${JSON.stringify(decoder)}`);
  }

  if (!isObject(model.vocab)) fail("model.vocab must be an object mapping token strings to ids");
  if (json.added_tokens !== undefined && !Array.isArray(json.added_tokens)) fail("added_tokens must be an array");
  // Ids index arrays sized by the largest one, and the largest sizes the model's embedding: a file with
  // a few tokens cannot claim a vocabulary of 2^31. Gaps are allowed, up to as many ids as tokens (+1024).
  const vocabEntries = Object.entries(model.vocab);
  const idLimit = 2 * (vocabEntries.length + (json.added_tokens?.length ?? 0)) + 1024;
  const checkId = (where: string, id: unknown): void => {
    if (!Number.isInteger(id) || (id as number) < 0 || (id as number) >= idLimit) {
      fail(
        `${where} must be an integer id in [0, ${idLimit}) (twice the number of tokens, plus 1024), got ${JSON.stringify(id)}`,
      );
    }
  };
  const vocab = new Map<string, number>();
  const usedIds = new Set<number>();
  for (const [token, id] of vocabEntries) {
    checkId(`model.vocab[${JSON.stringify(token)}]`, id);
    if (usedIds.has(id as number)) fail(`model.vocab gives id ${id} to more than one token`);
    usedIds.add(id as number);
    vocab.set(token, id as number);
  }

  if (!Array.isArray(model.merges)) fail("model.merges must be an array");
  const merges = model.merges.map((m, i): [string, string] => {
    const pair = typeof m === "string" ? m.split(" ") : m;
    if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== "string" || typeof pair[1] !== "string") {
      fail(`model.merges[${i}] must be "left right" or [left, right], got ${JSON.stringify(m)}`);
    }
    for (const t of [pair[0], pair[1], pair[0] + pair[1]]) {
      if (!vocab.has(t))
        fail(`model.merges[${i}] ${JSON.stringify(m)} uses ${JSON.stringify(t)}, which is not in model.vocab`);
    }
    return [pair[0], pair[1]];
  });

  const added = json.added_tokens ?? [];
  const addedTokens = added.map((t, i): AddedTokenJSON => {
    if (!isObject(t) || typeof t.content !== "string" || t.content.length === 0) {
      fail(`added_tokens[${i}] must have an integer id and non-empty content, got ${JSON.stringify(t)}`);
    }
    checkId(`added_tokens[${i}].id`, t.id);
    if (t.single_word === true)
      fail(`added_tokens[${i}] (${JSON.stringify(t.content)}): single_word tokens are not supported`);
    const owner = vocab.get(t.content);
    if (owner === undefined ? usedIds.has(t.id as number) : owner !== t.id) {
      fail(
        `added_tokens[${i}] (${JSON.stringify(t.content)}) has id ${t.id}, which model.vocab gives to another token`,
      );
    }
    return t as unknown as AddedTokenJSON;
  });

  return {
    vocab,
    merges,
    addedTokens,
    addPrefixSpace: pre.add_prefix_space === true,
    ignoreMerges: model.ignore_merges === true,
  };
}
