// GPT-2's byte-level alphabet: every byte gets a printable Unicode character so that token strings never
// contain whitespace or control characters (the space byte becomes "Ġ", newline "Ċ"). Printable Latin-1
// bytes map to themselves; the other 68 bytes map, in byte order, to U+0100 onwards.

function isPrintableLatin1(b: number): boolean {
  return (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
}

function buildTables(): { byteToChar: string[]; charToByte: Map<string, number>; gpt2Order: number[] } {
  const byteToChar: string[] = new Array(256);
  const charToByte = new Map<string, number>();
  const printable: number[] = [];
  const remapped: number[] = [];
  let next = 0x100;
  for (let b = 0; b < 256; b++) {
    const ch = String.fromCharCode(isPrintableLatin1(b) ? b : next++);
    byteToChar[b] = ch;
    charToByte.set(ch, b);
    (isPrintableLatin1(b) ? printable : remapped).push(b);
  }
  return { byteToChar, charToByte, gpt2Order: [...printable, ...remapped] };
}

const TABLES = buildTables();

/** The printable character standing for each byte (index = byte value). */
export const BYTE_TO_CHAR: readonly string[] = TABLES.byteToChar;

/** The inverse of BYTE_TO_CHAR. */
export const CHAR_TO_BYTE: ReadonlyMap<string, number> = TABLES.charToByte;

/**
 * The 256 bytes in GPT-2's vocabulary order (printable bytes first, then the remapped ones), so that a
 * tokenizer trained here gives single bytes the same relative ids as GPT-2.
 */
export const BYTES_IN_VOCAB_ORDER: readonly number[] = TABLES.gpt2Order;

/** Writes bytes as byte-level characters: the form token strings take in a vocabulary. */
export function toByteLevel(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) out += BYTE_TO_CHAR[b];
  return out;
}
