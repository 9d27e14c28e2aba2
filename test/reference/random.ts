// Seeded test-data generator (mulberry32): reproducible inputs without touching the library's RNG.
import { ref, type Ref } from "./ndarray.js";

export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  /** Uniform in [0, 1). */
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  uniform(lo = -1, hi = 1): number {
    return lo + (hi - lo) * this.next();
  }
  normal(): number {
    const u1 = 1 - this.next();
    const u2 = this.next();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo));
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(0, xs.length)]!;
  }
  /** Ref of uniform values in [lo, hi). */
  ref(shape: readonly number[], lo = -1, hi = 1): Ref {
    return ref(shape, () => this.uniform(lo, hi));
  }
  /** Ref of integers in [lo, hi). */
  intRef(shape: readonly number[], lo: number, hi: number): Ref {
    return ref(shape, () => this.int(lo, hi));
  }
}
