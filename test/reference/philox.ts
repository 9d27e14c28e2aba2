// Philox4x32-10 (Salmon et al., SC'11) and the random streams KERNELS.md defines on top of it.
// BigInt keeps the 32x32->64 products exact; speed does not matter for test sizes.

const M0 = 0xd2511f53n;
const M1 = 0xcd9e8d57n;
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;
const MASK = 0xffffffffn;

function mulhilo(a: number, m: bigint): [number, number] {
  const p = BigInt(a >>> 0) * m;
  return [Number(p >> 32n), Number(p & MASK)];
}

/** Philox4x32 with `rounds` rounds: counter (4 words), key (2 words) -> 4 words. */
export function philox4x32(
  ctr: readonly number[],
  key: readonly number[],
  rounds = 10,
): [number, number, number, number] {
  let [c0, c1, c2, c3] = ctr.map((x) => x >>> 0) as [number, number, number, number];
  let [k0, k1] = key.map((x) => x >>> 0) as [number, number];
  for (let r = 0; r < rounds; r++) {
    if (r > 0) {
      k0 = (k0 + W0) >>> 0;
      k1 = (k1 + W1) >>> 0;
    }
    const [hi0, lo0] = mulhilo(c0, M0);
    const [hi1, lo1] = mulhilo(c2, M1);
    [c0, c1, c2, c3] = [(hi1 ^ c1 ^ k0) >>> 0, lo1, (hi0 ^ c3 ^ k1) >>> 0, lo0];
  }
  return [c0, c1, c2, c3];
}

function block(seed: number, n: number): [number, number, number, number] {
  const key = [seed % 2 ** 32, Math.floor(seed / 2 ** 32)];
  return philox4x32([n % 2 ** 32, Math.floor(n / 2 ** 32), 0, 0], key);
}

/** Element i of rand_uniform(seed, offset, low, high). */
export function uniformAt(seed: number, offset: number, i: number, low = 0, high = 1): number {
  const w = block(seed, offset + Math.floor(i / 4))[i % 4]!;
  return low + (high - low) * ((w >>> 8) * 2 ** -24);
}

/** Element i of rand_normal(seed, offset, mean, std). */
export function normalAt(seed: number, offset: number, i: number, mean = 0, std = 1): number {
  const w = block(seed, offset + Math.floor(i / 2));
  const j = 2 * (i % 2);
  const u1 = ((w[j]! >>> 8) + 1) * 2 ** -24;
  const u2 = (w[j + 1]! >>> 8) * 2 ** -24;
  return mean + std * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/** Element i of randint(seed, offset, low, high). */
export function randintAt(seed: number, offset: number, i: number, low: number, high: number): number {
  const w = block(seed, offset + Math.floor(i / 4))[i % 4]!;
  return low + (w % (high - low));
}
