// The GPT-2 pre-tokeniser (the regex of Hugging Face's ByteLevel pre-tokenizer with use_regex: true):
// English contractions, letters with an optional leading space, digits with an optional leading space,
// other symbols with an optional leading space, and runs of whitespace. A run of spaces gives all but its
// last space to a piece of its own, so that the last one can lead the following word (" world").
const GPT2_PATTERN = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

/** Splits `text` into the pieces that BPE merges never cross. Pieces concatenate back to `text`. */
export function pretokenize(text: string): string[] {
  return text.match(GPT2_PATTERN) ?? [];
}

/** Calls `fn` for every piece of `text` without building an array (training reads megabytes). */
export function forEachPiece(text: string, fn: (piece: string) => void): void {
  for (const m of text.matchAll(GPT2_PATTERN)) fn(m[0]);
}
