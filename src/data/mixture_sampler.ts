import { ArgumentError } from "../errors.js";
import type { Batch, BatchSource, JSONValue } from "./batch.js";
import { CounterRandom } from "./seeded_random.js";

/** One input of a `MixtureSampler`. */
export interface MixtureComponent {
  /** Names the component in saved states; must be unique. */
  name: string;
  source: BatchSource;
  /** Relative weight (>= 0); the probability of a row coming from this source is weight / total weight. */
  weight: number;
}

/** Options of `MixtureSampler`. */
export interface MixtureSamplerOptions {
  /** Seeds which source each row comes from. */
  seed: number;
  /** Rows per batch; defaults to the batch size of the first batch drawn from a source. */
  batchSize?: number;
}

interface ComponentCursor {
  /** The source's state before `batch` was drawn, so a resumed mixture can draw it again. */
  before: JSONValue;
  batch: Batch | null;
  used: number;
}

/**
 * Mixes batch sources row by row: each row comes from a source drawn with the given weights (seeded by
 * row number, so the choice is reproducible), and takes that source's next unused row. Sources must share
 * `seqLen`. Used for replay in continual pre-training (e.g. 90% new domain, 10% original data).
 *
 * @example
 * const mix = new MixtureSampler([
 *   { name: "new", source: newData, weight: 0.9 },
 *   { name: "replay", source: oldData, weight: 0.1 },
 * ], { seed: 0 });
 * const batch = mix.next();
 */
export class MixtureSampler implements BatchSource {
  private readonly components: readonly MixtureComponent[];
  private readonly cumulative: number[];
  private readonly random: CounterRandom;
  private readonly cursors: ComponentCursor[];
  private batchSize: number | null;
  private seqLen: number | null = null;
  private row = 0;

  constructor(components: readonly MixtureComponent[], options: MixtureSamplerOptions) {
    const name = "MixtureSampler";
    if (!Array.isArray(components) || components.length === 0)
      throw new ArgumentError(`${name}: needs at least one component`);
    const names = new Set<string>();
    for (const [i, c] of components.entries()) {
      if (typeof c.name !== "string" || c.name === "" || names.has(c.name))
        throw new ArgumentError(
          `${name}: components[${i}].name must be a unique non-empty string, got ${JSON.stringify(c.name)}`,
        );
      names.add(c.name);
      if (!(Number.isFinite(c.weight) && c.weight >= 0))
        throw new ArgumentError(
          `${name}: components[${i}] (${c.name}) weight must be a finite number >= 0, got ${c.weight}`,
        );
    }
    const total = components.reduce((s, c) => s + c.weight, 0);
    if (!(total > 0)) throw new ArgumentError(`${name}: the weights sum to ${total}; at least one must be positive`);
    const { seed, batchSize } = options;
    if (!Number.isSafeInteger(seed)) throw new ArgumentError(`${name}: seed must be a safe integer, got ${seed}`);
    if (batchSize !== undefined && !(Number.isInteger(batchSize) && batchSize >= 1))
      throw new ArgumentError(`${name}: batchSize must be a whole number >= 1, got ${batchSize}`);

    this.components = components;
    let running = 0;
    this.cumulative = components.map((c) => (running += c.weight / total));
    this.random = new CounterRandom(seed, "mixture");
    this.batchSize = batchSize ?? null;
    this.cursors = components.map(() => ({ before: null, batch: null, used: 0 }));
  }

  next(): Batch {
    let inputs: Int32Array | null = null;
    let targets: Int32Array | null = null;
    for (let r = 0; this.batchSize === null || r < this.batchSize; r++) {
      const k = this.pick(this.row++);
      const batch = this.rowSource(k);
      this.batchSize ??= batch.batchSize;
      const T = batch.seqLen;
      inputs ??= new Int32Array(this.batchSize * T);
      targets ??= new Int32Array(this.batchSize * T);
      const cursor = this.cursors[k]!;
      const from = cursor.used++ * T;
      inputs.set(batch.inputs.subarray(from, from + T), r * T);
      targets.set(batch.targets.subarray(from, from + T), r * T);
    }
    return { inputs: inputs!, targets: targets!, batchSize: this.batchSize, seqLen: this.seqLen! };
  }

  state(): JSONValue {
    return {
      kind: "MixtureSampler",
      row: this.row,
      batchSize: this.batchSize,
      seqLen: this.seqLen,
      components: this.components.map((c, k) => {
        const cur = this.cursors[k]!;
        // With a batch in hand, save the state from before it and how many of its rows were used.
        return cur.batch === null
          ? { name: c.name, state: c.source.state(), used: null }
          : { name: c.name, state: structuredClone(cur.before), used: cur.used };
      }),
    };
  }

  setState(state: JSONValue): void {
    const s = state as {
      kind?: unknown;
      row?: unknown;
      batchSize?: unknown;
      seqLen?: unknown;
      components?: { name: unknown; state: JSONValue; used: unknown }[];
    };
    const names = this.components.map((c) => c.name);
    if (
      s === null ||
      typeof s !== "object" ||
      s.kind !== "MixtureSampler" ||
      !Array.isArray(s.components) ||
      s.components.map((c) => c?.name).join("\0") !== names.join("\0")
    ) {
      throw new ArgumentError(`MixtureSampler.setState: not the state of a mixture of [${names.join(", ")}]`);
    }
    if (!Number.isSafeInteger(s.row) || (s.row as number) < 0)
      throw new ArgumentError(`MixtureSampler.setState: row must be a whole number >= 0, got ${s.row}`);
    this.row = s.row as number;
    this.batchSize = (s.batchSize as number | null) ?? this.batchSize;
    this.seqLen = s.seqLen as number | null;
    this.components.forEach((c, k) => {
      const saved = s.components![k]!;
      c.source.setState(saved.state);
      const cur = this.cursors[k]!;
      if (saved.used === null) {
        cur.batch = null;
        cur.used = 0;
        return;
      }
      cur.before = structuredClone(saved.state);
      cur.batch = c.source.next();
      cur.used = saved.used as number;
      if (!(Number.isInteger(cur.used) && cur.used >= 0 && cur.used <= cur.batch.batchSize))
        throw new ArgumentError(`MixtureSampler.setState: ${c.name}.used = ${saved.used} is out of range`);
    });
  }

  /** The component that row `row` comes from. */
  private pick(row: number): number {
    const u = this.random.uniform(row);
    const k = this.cumulative.findIndex((c) => u < c);
    // Rounding can leave the last cumulative weight a hair below 1; then the last positive weight wins.
    if (k >= 0) return k;
    let last = this.components.length - 1;
    while (this.components[last]!.weight === 0) last--;
    return last;
  }

  /** The batch holding component k's next unused row, drawing a new one when the current is used up. */
  private rowSource(k: number): Batch {
    const cur = this.cursors[k]!;
    if (cur.batch === null || cur.used === cur.batch.batchSize) {
      const source = this.components[k]!;
      cur.before = source.source.state();
      cur.batch = source.source.next();
      cur.used = 0;
      this.seqLen ??= cur.batch.seqLen;
      if (cur.batch.seqLen !== this.seqLen) {
        throw new ArgumentError(
          `MixtureSampler: source ${source.name} gives seqLen ${cur.batch.seqLen}, the mixture has seqLen ${this.seqLen}; sources must agree`,
        );
      }
    }
    return cur.batch;
  }
}
