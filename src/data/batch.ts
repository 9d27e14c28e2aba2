/** A value that survives `JSON.stringify` / `JSON.parse` unchanged: what sampler states are made of. */
export type JSONValue = null | boolean | number | string | JSONValue[] | { [key: string]: JSONValue };

/**
 * One training batch of next-token prediction: row b of `inputs` holds tokens t..t+T-1 of some window and
 * the same row of `targets` holds tokens t+1..t+T. Both are B×T, row-major.
 */
export interface Batch {
  inputs: Int32Array;
  targets: Int32Array;
  batchSize: number;
  seqLen: number;
}

/**
 * An endless, resumable stream of batches. `state()` is a JSON snapshot of the position; after
 * `setState(state())` on an equally built source, `next()` returns the same batches, bit for bit.
 *
 * @example
 * const saved = JSON.stringify(sampler.state()); // into a checkpoint
 * sampler.setState(JSON.parse(saved));          // after restarting
 */
export interface BatchSource {
  next(): Batch;
  state(): JSONValue;
  setState(state: JSONValue): void;
}
