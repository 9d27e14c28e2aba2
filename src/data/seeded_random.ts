// Counter-based random numbers: each value is a hash of (seed, purpose, counter), so a sampler's random
// state is just its counters, which makes resuming exact and cheap.

function mix32(h: number): number {
  // murmur3's finaliser: every input bit affects every output bit.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function hash32(start: number, words: readonly number[]): number {
  let h = start;
  for (const w of words) h = mix32(h ^ mix32((w >>> 0) + 0x7f4a7c15));
  return h;
}

function tagHash(tag: string): number {
  return hash32(
    0x9e3779b9,
    Array.from(tag, (c) => c.charCodeAt(0)),
  );
}

/**
 * Draws keyed by a counter: `uniform(i)` is always the same number for the same seed, tag and index. The
 * tag keeps different uses of one seed (the split, each epoch, the mixture) independent of each other.
 */
export class CounterRandom {
  private readonly key: number;

  /** `seed` is any safe integer; `tag` names the purpose; `index` tells apart repeats (an epoch number). */
  constructor(seed: number, tag: string, index = 0) {
    this.key = hash32(tagHash(tag), [
      seed >>> 0,
      Math.floor(seed / 2 ** 32) >>> 0,
      index >>> 0,
      Math.floor(index / 2 ** 32) >>> 0,
    ]);
  }

  /** A uniform number in [0, 1) with 53 random bits. */
  uniform(counter: number): number {
    const lo = counter >>> 0;
    const hi = Math.floor(counter / 2 ** 32) >>> 0;
    const a = hash32(this.key, [lo, hi]) >>> 5; // 27 bits
    const b = hash32(this.key ^ 0x5bd1e995, [lo, hi]) >>> 6; // 26 bits
    return (a * 2 ** 26 + b) / 2 ** 53;
  }

  /** Shuffles `items` in place (Fisher–Yates); the order depends only on the seed, tag and index. */
  shuffle(items: Uint32Array): void {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(this.uniform(i) * (i + 1));
      const t = items[i]!;
      items[i] = items[j]!;
      items[j] = t;
    }
  }
}
