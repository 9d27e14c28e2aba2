/**
 * The safetensors format (Hugging Face): an 8-byte little-endian header length N, N bytes of JSON header
 * (padded with spaces so that the data starts 8-byte aligned), then the raw tensor bytes. Each header entry
 * gives `dtype`, `shape` and `data_offsets` [begin, end) relative to the data start; the optional
 * `__metadata__` entry is a string-to-string map. slmkit writes F32, BF16, I32 and BOOL tensors, largest
 * element size first, so every tensor is aligned to its element size. Bytes are little-endian (the host
 * order on every platform slmkit builds for).
 */
import * as fs from "node:fs";
import type { Device } from "../backend/backend.js";
import { SlmkitError } from "../errors.js";
import { tensor } from "../ops/creation.js";
import { dataSync } from "../ops/readback.js";
import { bf16ToF32, DTYPE_BYTES, type DType, roundToBf16 } from "../tensor/dtype.js";
import { Tensor } from "../tensor/tensor.js";
import { type ChunkWriter, writeFileAtomic } from "./atomic.js";

/** A safetensors file that cannot be read: truncated, corrupt, or using a dtype slmkit does not support. */
export class SafetensorsError extends SlmkitError {}

/**
 * Tensors by name plus the file's `__metadata__` strings. Both are objects without a prototype, so any
 * name a file holds (`__proto__`, `constructor`) is an ordinary key.
 */
export interface SafetensorsContents {
  tensors: Record<string, Tensor>;
  metadata: Record<string, string>;
}

const TO_FILE: Record<DType, string> = { f32: "F32", bf16: "BF16", i32: "I32", bool: "BOOL" };
const FROM_FILE: Record<string, DType> = { F32: "f32", BF16: "bf16", I32: "i32", BOOL: "bool" };
/** Headers beyond this size are corruption, not models (the reference implementation uses the same cap). */
const MAX_HEADER_BYTES = 100_000_000;

/** A tensor's elements as little-endian file bytes. */
function tensorBytes(t: Tensor): Uint8Array {
  const values = dataSync(t);
  const raw = t.dtype === "bf16" ? roundToBf16(values as Float32Array) : values;
  return new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
}

interface Layout {
  header: Uint8Array;
  order: string[];
}

function layout(fn: string, tensors: Record<string, Tensor>, metadata: Record<string, string>): Layout {
  if (tensors === null || typeof tensors !== "object")
    throw new SafetensorsError(`${fn}: tensors must be an object of tensors by name`);
  if (metadata === null || typeof metadata !== "object")
    throw new SafetensorsError(`${fn}: metadata must be an object of strings`);
  for (const [k, v] of Object.entries(metadata)) {
    if (typeof v !== "string")
      throw new SafetensorsError(`${fn}: metadata values must be strings, "${k}" is ${typeof v}`);
  }
  const names = Object.keys(tensors);
  for (const name of names) {
    if (!(tensors[name] instanceof Tensor)) throw new SafetensorsError(`${fn}: "${name}" is not a Tensor`);
    if (name === "__metadata__")
      throw new SafetensorsError(`${fn}: "__metadata__" is reserved and cannot name a tensor`);
  }
  // Largest elements first keeps every tensor aligned to its element size within the 8-aligned data block.
  const order = names.sort(
    (a, b) => DTYPE_BYTES[tensors[b]!.dtype] - DTYPE_BYTES[tensors[a]!.dtype] || (a < b ? -1 : a > b ? 1 : 0),
  );
  // No prototype: a tensor named __proto__ is an entry like any other.
  const entries: Record<string, unknown> = Object.create(null);
  if (Object.keys(metadata).length > 0) entries.__metadata__ = metadata;
  let offset = 0;
  for (const name of order) {
    const t = tensors[name]!;
    const bytes = t.numel * DTYPE_BYTES[t.dtype];
    entries[name] = { dtype: TO_FILE[t.dtype], shape: [...t.shape], data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(entries);
  json += " ".repeat((8 - (Buffer.byteLength(json, "utf8") % 8)) % 8);
  return { header: Buffer.from(json, "utf8"), order };
}

function writeAll(write: ChunkWriter, tensors: Record<string, Tensor>, { header, order }: Layout): void {
  const size = new Uint8Array(8);
  new DataView(size.buffer).setBigUint64(0, BigInt(header.byteLength), true);
  write(size);
  write(header);
  for (const name of order) write(tensorBytes(tensors[name]!));
}

/**
 * The safetensors bytes of `tensors` (any device; read back to the host).
 *
 * @example
 * const bytes = encodeSafetensors({ w: ones([2, 2]) }, { format: "pt" });
 */
export function encodeSafetensors(tensors: Record<string, Tensor>, metadata: Record<string, string> = {}): Uint8Array {
  const chunks: Uint8Array[] = [];
  writeAll(
    (c) => chunks.push(typeof c === "string" ? Buffer.from(c, "utf8") : c),
    tensors,
    layout("encodeSafetensors", tensors, metadata),
  );
  return Buffer.concat(chunks);
}

/**
 * Writes `tensors` to `file` in the safetensors format, atomically: a failure part-way (a disposed tensor,
 * a full disk) leaves any previous `file` as it was.
 *
 * @example
 * saveSafetensors("model.safetensors", model.stateDict(), { format: "pt" });
 */
export function saveSafetensors(
  file: string,
  tensors: Record<string, Tensor>,
  metadata: Record<string, string> = {},
): void {
  const plan = layout("saveSafetensors", tensors, metadata);
  writeFileAtomic(file, (write) => writeAll(write, tensors, plan));
}

function fail(source: string, why: string): never {
  throw new SafetensorsError(`safetensors: ${source}: ${why}`);
}

function isCount(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
}

/** Checks one header entry and returns its dtype, shape and byte range. */
function parseEntry(
  source: string,
  name: string,
  entry: unknown,
): { dtype: DType; shape: number[]; begin: number; end: number } {
  if (entry === null || typeof entry !== "object") fail(source, `header entry "${name}" is not an object`);
  const { dtype: fileDType, shape, data_offsets: offsets } = entry as Record<string, unknown>;
  const dtype = typeof fileDType === "string" && Object.hasOwn(FROM_FILE, fileDType) ? FROM_FILE[fileDType] : undefined;
  if (!dtype)
    fail(
      source,
      `tensor "${name}" has dtype ${JSON.stringify(fileDType)}; slmkit reads ${Object.keys(FROM_FILE).join(", ")}`,
    );
  if (!Array.isArray(shape) || !shape.every(isCount))
    fail(source, `tensor "${name}" has an invalid shape ${JSON.stringify(shape)}`);
  if (
    !Array.isArray(offsets) ||
    offsets.length !== 2 ||
    !isCount(offsets[0]) ||
    !isCount(offsets[1]) ||
    offsets[1] < offsets[0]
  ) {
    fail(source, `tensor "${name}" has invalid data_offsets ${JSON.stringify(offsets)}`);
  }
  const [begin, end] = offsets as [number, number];
  const expected = (shape as number[]).reduce((a, b) => a * b, 1) * DTYPE_BYTES[dtype];
  if (end - begin !== expected)
    fail(
      source,
      `tensor "${name}" (${fileDType} [${(shape as number[]).join(", ")}]) needs ${expected} bytes but data_offsets span ${end - begin}`,
    );
  return { dtype, shape: shape as number[], begin, end };
}

/** Typed elements of one tensor, copied out of the file bytes (which need not be aligned). */
function elements(dtype: DType, bytes: Uint8Array): Float32Array | Int32Array | Uint8Array {
  const copy = new Uint8Array(bytes); // a copy with its own aligned buffer (Buffer.slice would share memory)
  if (dtype === "f32") return new Float32Array(copy.buffer);
  if (dtype === "i32") return new Int32Array(copy.buffer);
  if (dtype === "bf16") return bf16ToF32(new Uint16Array(copy.buffer));
  return copy;
}

/**
 * Parses safetensors bytes. Every header entry is validated (dtype, shape, offsets that tile the data block
 * exactly); `source` names the data in error messages.
 *
 * @example
 * const { tensors, metadata } = decodeSafetensors(fs.readFileSync("model.safetensors"));
 */
export function decodeSafetensors(
  bytes: Uint8Array,
  opts: { device?: Device; source?: string } = {},
): SafetensorsContents {
  const source = opts.source ?? "buffer";
  if (bytes.byteLength < 8)
    fail(source, `file is ${bytes.byteLength} bytes, too short for the 8-byte header length (truncated?)`);
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (headerLength > BigInt(MAX_HEADER_BYTES))
    fail(source, `header length ${headerLength} is implausibly large (corrupt file?)`);
  const dataStart = 8 + Number(headerLength);
  if (dataStart > bytes.byteLength)
    fail(source, `header length ${headerLength} runs past the end of the ${bytes.byteLength}-byte file (truncated?)`);
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset + 8, Number(headerLength)).toString("utf8"));
  } catch (e) {
    fail(source, `header is not valid JSON (${(e as Error).message})`);
  }
  if (header === null || typeof header !== "object" || Array.isArray(header))
    fail(source, "header is not a JSON object");
  const { __metadata__: rawMeta, ...rawEntries } = header as Record<string, unknown>;
  const metadata: Record<string, string> = Object.create(null);
  if (rawMeta !== undefined) {
    if (rawMeta === null || typeof rawMeta !== "object" || Array.isArray(rawMeta))
      fail(source, "__metadata__ is not an object of strings");
    for (const [k, v] of Object.entries(rawMeta)) {
      if (typeof v !== "string") fail(source, `__metadata__ value "${k}" is not a string`);
      metadata[k] = v;
    }
  }
  const entries = Object.entries(rawEntries).map(([name, e]) => ({ name, ...parseEntry(source, name, e) }));
  const dataBytes = bytes.byteLength - dataStart;
  let expectedBegin = 0;
  for (const e of [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end)) {
    if (e.begin !== expectedBegin)
      fail(
        source,
        `tensor "${e.name}" starts at byte ${e.begin} of the data, expected ${expectedBegin} (overlapping or gapped data_offsets)`,
      );
    expectedBegin = e.end;
  }
  if (expectedBegin !== dataBytes) {
    fail(
      source,
      `the header describes ${expectedBegin} bytes of tensor data but the file holds ${dataBytes}${expectedBegin > dataBytes ? " (truncated?)" : " (trailing bytes)"}`,
    );
  }
  const tensors: Record<string, Tensor> = Object.create(null);
  try {
    for (const e of entries) {
      const values = elements(e.dtype, bytes.subarray(dataStart + e.begin, dataStart + e.end));
      tensors[e.name] = tensor(values, { shape: e.shape, dtype: e.dtype, device: opts.device ?? "cpu" });
    }
  } catch (err) {
    for (const t of Object.values(tensors)) t.dispose();
    throw err;
  }
  return { tensors, metadata };
}

/**
 * Reads a safetensors file into tensors (on the CPU unless `device` says otherwise). The caller owns the
 * returned tensors and disposes them.
 *
 * @example
 * const { tensors } = loadSafetensors("runs/sotu-tiny/checkpoints/step-0000400/model.safetensors");
 * model.loadStateDict(tensors);
 * for (const t of Object.values(tensors)) t.dispose();
 */
export function loadSafetensors(file: string, opts: { device?: Device } = {}): SafetensorsContents {
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    throw new SafetensorsError(`safetensors: cannot read ${file}: ${(e as Error).message}`);
  }
  return decodeSafetensors(bytes, { ...opts, source: file });
}
