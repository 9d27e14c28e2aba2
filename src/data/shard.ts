import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { endianness } from "node:os";
import { ArgumentError } from "../errors.js";
import { writeFileAtomic } from "../io/atomic.js";

// Layout in SHARDS.md beside this file.
const MAGIC = "SLMKTOKS";
const VERSION = 1;
const HEADER_BYTES = 32;
const U16_MAX_VOCAB = 65536;

/** A token shard read back from disk. */
export interface Shard {
  /** Token ids: `Uint16Array` when the vocabulary fits 16 bits, else `Uint32Array`. */
  tokens: Uint16Array | Uint32Array;
  vocabSize: number;
}

/** Options of `writeShard`. */
export interface WriteShardOptions {
  /** Vocabulary size of the tokenizer; picks the token width and bounds every id. */
  vocabSize: number;
}

// Typed arrays use the machine's byte order; the format is little-endian.
const assertLittleEndian = (fn: string): void => {
  if (endianness() !== "LE")
    throw new ArgumentError(`${fn}: token shards are little-endian and this machine is big-endian`);
};

/**
 * Writes `tokens` as a shard (format in src/data/SHARDS.md), atomically: a temporary file renamed over `path`.
 *
 * @example
 * writeShard("out/shard-00000.bin", tok.encode(text), { vocabSize: tok.vocabSize });
 */
export function writeShard(path: string, tokens: ArrayLike<number>, options: WriteShardOptions): void {
  assertLittleEndian("writeShard");
  const { vocabSize } = options;
  if (!Number.isInteger(vocabSize) || vocabSize < 1 || vocabSize > 0xffffffff) {
    throw new ArgumentError(`writeShard: vocabSize must be a whole number from 1 to 2^32 - 1, got ${vocabSize}`);
  }
  const width = vocabSize <= U16_MAX_VOCAB ? 2 : 4;
  const body = width === 2 ? new Uint16Array(tokens.length) : new Uint32Array(tokens.length);
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (!Number.isInteger(t) || t < 0 || t >= vocabSize) {
      throw new ArgumentError(
        `writeShard: tokens[${i}] = ${t} is not a token id below vocabSize ${vocabSize} (writing ${path})`,
      );
    }
    body[i] = t;
  }
  const header = new Uint8Array(HEADER_BYTES);
  const view = new DataView(header.buffer);
  for (let i = 0; i < MAGIC.length; i++) header[i] = MAGIC.charCodeAt(i);
  view.setUint32(8, VERSION, true);
  view.setUint32(12, HEADER_BYTES, true);
  view.setUint32(16, width, true);
  view.setUint32(20, vocabSize, true);
  view.setBigUint64(24, BigInt(tokens.length), true);
  writeFileAtomic(path, (write) => {
    write(header);
    write(new Uint8Array(body.buffer, body.byteOffset, body.byteLength));
  });
}

/**
 * Reads a shard written by `writeShard`, checking the header, the length and every id.
 *
 * @example
 * const { tokens, vocabSize } = readShard("out/shard-00000.bin");
 */
export function readShard(path: string): Shard {
  assertLittleEndian("readShard");
  const bytes = readWholeFile(path);
  const bad = (what: string): never => {
    throw new ArgumentError(`readShard: ${path} is not a valid token shard: ${what}`);
  };
  if (bytes.byteLength < HEADER_BYTES)
    bad(`the file has ${bytes.byteLength} bytes, fewer than the ${HEADER_BYTES}-byte header (truncated)`);
  const magic = String.fromCharCode(...bytes.subarray(0, MAGIC.length));
  if (magic !== MAGIC) bad(`magic is ${JSON.stringify(magic)}, expected ${JSON.stringify(MAGIC)}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(8, true);
  if (version !== VERSION) bad(`version ${version} is not supported (this reader knows version ${VERSION})`);
  const headerBytes = view.getUint32(12, true);
  if (headerBytes < HEADER_BYTES || headerBytes > bytes.byteLength)
    bad(`header size ${headerBytes} is outside ${HEADER_BYTES}..${bytes.byteLength}`);
  const width = view.getUint32(16, true);
  const vocabSize = view.getUint32(20, true);
  if (vocabSize === 0) bad("vocab size is 0");
  if (width !== 2 && width !== 4) bad(`token width ${width} must be 2 or 4`);
  if (width === 2 && vocabSize > U16_MAX_VOCAB) bad(`vocab size ${vocabSize} does not fit 16-bit tokens`);
  const count = view.getBigUint64(24, true);
  const expected = BigInt(headerBytes) + count * BigInt(width);
  const actual = BigInt(bytes.byteLength);
  if (actual < expected)
    bad(`the header promises ${count} tokens (${expected} bytes) but the file has ${actual} bytes (truncated)`);
  if (actual > expected) bad(`${actual - expected} unexpected bytes after the ${count} tokens`);

  // `bytes` starts its own buffer, so the body is aligned when the header size is a multiple of the width
  // (always in version 1); otherwise copy it to an aligned buffer.
  const body = headerBytes % width === 0 ? bytes : bytes.slice(headerBytes);
  const start = body === bytes ? headerBytes : 0;
  const n = Number(count);
  const tokens = width === 2 ? new Uint16Array(body.buffer, start, n) : new Uint32Array(body.buffer, start, n);
  for (let i = 0; i < tokens.length; i++) {
    if (tokens[i]! >= vocabSize) bad(`token ${i} is ${tokens[i]}, not below vocab size ${vocabSize}`);
  }
  return { tokens, vocabSize };
}

function readWholeFile(path: string): Uint8Array {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (e) {
    throw new ArgumentError(`readShard: cannot open ${path}: ${(e as Error).message}`);
  }
  try {
    const stat = fstatSync(fd);
    // A folder opens fine on POSIX; reading it would be a bare EISDIR.
    if (!stat.isFile()) throw new ArgumentError(`readShard: ${path} is not a file`);
    const bytes = new Uint8Array(stat.size);
    for (let done = 0; done < bytes.byteLength; ) {
      const n = readSync(fd, bytes, done, bytes.byteLength - done, done);
      if (n === 0) throw new ArgumentError(`readShard: ${path} shrank while being read`);
      done += n;
    }
    return bytes;
  } finally {
    closeSync(fd);
  }
}
