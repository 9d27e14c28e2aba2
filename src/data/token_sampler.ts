import { ArgumentError } from "../errors.js";
import type { Batch, BatchSource, JSONValue } from "./batch.js";
import { CounterRandom } from "./seeded_random.js";
import { readShard } from "./shard.js";

/** Options of `TokenSampler`. */
export interface TokenSamplerOptions {
  /** Rows per batch (B). */
  batchSize: number;
  /** Tokens per row (T); each row reads a window of T + 1 tokens. */
  seqLen: number;
  /** Seeds the order of windows in each epoch (default 0). */
  seed?: number;
  /** Which side of the train/validation split to draw from (default "train"). */
  split?: "train" | "valid";
  /** Share of windows held out for validation, in [0, 1) (default 0). */
  validFraction?: number;
  /**
   * Seeds which windows are held out (default 0). Keep it equal for the train and valid samplers of one
   * run; it is separate from `seed` so that changing the shuffle never moves windows between the splits.
   */
  splitSeed?: number;
}

/**
 * Batches of fixed windows over token sequences (one array, or one per shard). Each sequence is cut into
 * consecutive windows of T + 1 tokens that share no token (the tail shorter than a window is dropped).
 * A seeded, fixed subset of the windows forms the validation split and the rest the training split, so
 * the two never overlap. Each epoch visits every window of the split once, in an order seeded by
 * (seed, epoch); rows run on into the next epoch without a gap.
 *
 * @example
 * const train = new TokenSampler(tokens, { batchSize: 8, seqLen: 256, seed: 1, validFraction: 0.01 });
 * const valid = new TokenSampler(tokens, { batchSize: 8, seqLen: 256, split: "valid", validFraction: 0.01 });
 * const { inputs, targets } = train.next(); // Int32Array, 8 × 256 each
 */
export class TokenSampler implements BatchSource {
  readonly batchSize: number;
  readonly seqLen: number;
  readonly seed: number;
  readonly split: "train" | "valid";

  private readonly sequences: readonly ArrayLike<number>[];
  /** windowStart[s] = global index of the first window of sequence s (one extra entry: the total). */
  private readonly windowStart: number[];
  /** Global window indices that belong to this split, ascending. */
  private readonly windows: Uint32Array;
  private order: Uint32Array;
  private epoch = 0;
  private cursor = 0;

  constructor(tokens: ArrayLike<number> | readonly ArrayLike<number>[], options: TokenSamplerOptions) {
    const { batchSize, seqLen, seed = 0, split = "train", validFraction = 0, splitSeed = 0 } = options;
    const name = "TokenSampler";
    if (!Number.isInteger(batchSize) || batchSize < 1)
      throw new ArgumentError(`${name}: batchSize must be a whole number >= 1, got ${batchSize}`);
    if (!Number.isInteger(seqLen) || seqLen < 1)
      throw new ArgumentError(`${name}: seqLen must be a whole number >= 1, got ${seqLen}`);
    if (!Number.isSafeInteger(seed) || !Number.isSafeInteger(splitSeed))
      throw new ArgumentError(`${name}: seed and splitSeed must be safe integers, got ${seed} and ${splitSeed}`);
    if (split !== "train" && split !== "valid")
      throw new ArgumentError(`${name}: split must be "train" or "valid", got ${JSON.stringify(split)}`);
    if (!(validFraction >= 0 && validFraction < 1))
      throw new ArgumentError(`${name}: validFraction must be in [0, 1), got ${validFraction}`);
    this.batchSize = batchSize;
    this.seqLen = seqLen;
    this.seed = seed;
    this.split = split;

    this.sequences = isSequenceList(tokens) ? tokens : [tokens];
    this.windowStart = [0];
    for (const seq of this.sequences)
      this.windowStart.push(this.windowStart.at(-1)! + Math.floor(seq.length / (seqLen + 1)));
    const total = this.windowStart.at(-1)!;
    if (total >= 2 ** 32) throw new ArgumentError(`${name}: ${total} windows exceed 2^32; use a longer seqLen`);

    // Hold out round(total · validFraction) windows, at least one when validFraction > 0 and at least one left to train on.
    const numValid = validFraction === 0 ? 0 : Math.min(Math.max(Math.round(total * validFraction), 1), total - 1);
    const all = new Uint32Array(total);
    for (let i = 0; i < total; i++) all[i] = i;
    new CounterRandom(splitSeed, "split").shuffle(all);
    this.windows = (split === "valid" ? all.subarray(0, numValid) : all.subarray(numValid)).slice().sort();
    if (this.windows.length === 0) {
      const lengths = this.sequences.map((s) => s.length).join(", ");
      throw new ArgumentError(
        `${name}: the ${split} split has no windows of ${seqLen + 1} tokens (sequence lengths [${lengths}], validFraction ${validFraction})`,
      );
    }
    this.order = this.epochOrder(0);
  }

  /**
   * A sampler over token shards (see `writeShard`); each shard is a separate sequence. Every shard is read
   * into memory (2 or 4 bytes per token).
   *
   * @example
   * const train = TokenSampler.fromShards(paths, { batchSize: 8, seqLen: 512, validFraction: 0.005 });
   */
  static fromShards(paths: readonly string[], options: TokenSamplerOptions): TokenSampler {
    if (paths.length === 0) throw new ArgumentError("TokenSampler.fromShards: paths is empty");
    return new TokenSampler(
      paths.map((p) => readShard(p).tokens),
      options,
    );
  }

  /** Windows in this split: one epoch is this many rows. */
  get numWindows(): number {
    return this.windows.length;
  }

  next(): Batch {
    const T = this.seqLen;
    const inputs = new Int32Array(this.batchSize * T);
    const targets = new Int32Array(this.batchSize * T);
    for (let row = 0; row < this.batchSize; row++) {
      if (this.cursor === this.order.length) {
        this.epoch++;
        this.cursor = 0;
        this.order = this.epochOrder(this.epoch);
      }
      const [seq, start] = this.locate(this.order[this.cursor++]!);
      for (let t = 0; t < T; t++) {
        inputs[row * T + t] = seq[start + t]!;
        targets[row * T + t] = seq[start + t + 1]!;
      }
    }
    return { inputs, targets, batchSize: this.batchSize, seqLen: T };
  }

  state(): JSONValue {
    return {
      kind: "TokenSampler",
      epoch: this.epoch,
      cursor: this.cursor,
      seed: this.seed,
      split: this.split,
      seqLen: this.seqLen,
      windows: this.windows.length,
    };
  }

  setState(state: JSONValue): void {
    const s = state as Record<string, unknown>;
    const mine = this.state() as Record<string, unknown>;
    const same = (k: string): boolean => s !== null && typeof s === "object" && s[k] === mine[k];
    if (!["kind", "seed", "split", "seqLen", "windows"].every(same)) {
      throw new ArgumentError(
        `TokenSampler.setState: the state ${JSON.stringify(state)} belongs to a different sampler (this one: ${JSON.stringify(mine)})`,
      );
    }
    const { epoch, cursor } = s;
    if (
      !Number.isSafeInteger(epoch) ||
      (epoch as number) < 0 ||
      !Number.isInteger(cursor) ||
      (cursor as number) < 0 ||
      (cursor as number) > this.windows.length
    ) {
      throw new ArgumentError(
        `TokenSampler.setState: epoch ${epoch} / cursor ${cursor} are out of range (cursor 0..${this.windows.length})`,
      );
    }
    this.epoch = epoch as number;
    this.cursor = cursor as number;
    this.order = this.epochOrder(this.epoch);
  }

  private epochOrder(epoch: number): Uint32Array {
    const order = this.windows.slice();
    new CounterRandom(this.seed, "epoch", epoch).shuffle(order);
    return order;
  }

  /** The sequence holding global window `w` and the window's first token. */
  private locate(w: number): [ArrayLike<number>, number] {
    let lo = 0;
    let hi = this.sequences.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.windowStart[mid]! <= w) lo = mid;
      else hi = mid - 1;
    }
    return [this.sequences[lo]!, (w - this.windowStart[lo]!) * (this.seqLen + 1)];
  }
}

function isSequenceList(x: ArrayLike<number> | readonly ArrayLike<number>[]): x is readonly ArrayLike<number>[] {
  return Array.isArray(x) && x.length > 0 && typeof x[0] !== "number";
}
