import { ArgumentError, show } from "../errors.js";

// The global generator: a Philox key (the seed) and a counter offset that every random op advances, so
// the same seed reproduces the same numbers on every backend (native/KERNELS.md, "Random numbers").
let seed = 0;
let offset = 0;

function wholeNumber(op: string, name: string, v: unknown): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v >= 2 ** 53)
    throw new ArgumentError(`${op}: ${name} must be a whole number in [0, 2^53), got ${show(v)}`);
  return v;
}

/**
 * Seeds the global random generator used by rand, randn, randint and initialisers.
 *
 * @example
 * manualSeed(42); const a = randn([3]); manualSeed(42); const b = randn([3]); // a equals b
 */
export function manualSeed(value: number): void {
  seed = wholeNumber("manualSeed", "seed", value);
  offset = 0;
}

/** Claims `counters` Philox counters and returns [seed, first counter]. */
export function nextRandom(counters: number): [number, number] {
  const start = offset;
  offset += counters;
  return [seed, start];
}

/** The generator's state, for checkpoints. */
export function getRngState(): { seed: number; offset: number } {
  return { seed, offset };
}

/** Restores a state from getRngState(); anything else (a damaged checkpoint, say) is an ArgumentError. */
export function setRngState(state: { seed: number; offset: number }): void {
  if (state === null || typeof state !== "object")
    throw new ArgumentError(`setRngState: expected { seed, offset }, got ${String(state)}`);
  const next = wholeNumber("setRngState", "seed", state.seed);
  offset = wholeNumber("setRngState", "offset", state.offset);
  seed = next;
}
