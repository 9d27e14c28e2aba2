// The bf16 copy outputs of adamw_step, shared by the CPU test (test/optim/adamw_copy.test.ts) and the
// CUDA test (test/cuda/adamw.test.ts): each copy must be the updated f32 master rounded to nearest even
// (checked exactly against the float64 reference rounding), and writing copies must not change p, m or v
// by a single bit.
import { expect, it } from "vitest";
import * as S from "../../src/index.js";
import { fromRef, toRef } from "../helpers/tensors.js";
import * as R from "../reference/index.js";

// Empty, 1, odd, prime, more than one 2^16 chunk, and a size that is not a multiple of 4 (vector tail).
const SIZES = [[0], [1], [7], [3, 5], [4099], [65537], [2, 100003]];
const OPTS = { beta1: 0.9, beta2: 0.95, eps: 1e-8, gradScale: 0.8 };

/** The first index where a and b differ (NaN equals NaN), or -1: a fast exact comparison of big arrays. */
function firstDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return 0;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return i;
  return -1;
}

interface Slot {
  p: S.Tensor<"f32">;
  m: S.Tensor<"f32">;
  v: S.Tensor<"f32">;
}

export function adamwCopyCases(device: S.Device): void {
  const rng = new R.Rng(4242);
  const put = <D extends S.DType>(r: R.Ref, dtype: D): S.Tensor<D> => {
    const t = fromRef(R.roundRef(r, dtype === "bf16" ? "bf16" : "f32"), dtype);
    if (device === "cpu") return t;
    const moved = t.to(device);
    t.dispose();
    return moved as S.Tensor<D>;
  };
  const slots = (seed: R.Ref[]): Slot[] =>
    seed.map((r) => ({ p: put(r, "f32"), m: S.zeros([...r.shape], { device }), v: S.zeros([...r.shape], { device }) }));

  it(`${device}: copies equal round-to-nearest-even of the updated masters; p, m, v unchanged by them`, () => {
    const start = SIZES.map((shape) => rng.ref(shape, -2, 2));
    const withCopies = slots(start);
    const without = slots(start);
    // Every other tensor has a copy; the others pass undefined (an empty c_i to the kernel).
    const copies = SIZES.map((shape, i) => (i % 2 === 0 ? S.zeros(shape, { dtype: "bf16", device }) : undefined));
    const lr = SIZES.map((_, i) => 1e-2 * (i + 1));
    const weightDecay = SIZES.map((_, i) => (i % 3) * 0.05);
    for (let step = 1; step <= 3; step++) {
      const grads = SIZES.map((shape, i) => put(rng.ref(shape, -1, 1), i % 3 === 1 ? "bf16" : "f32"));
      for (const [set, c] of [
        [withCopies, copies],
        [without, undefined],
      ] as const) {
        S.adamwStep({
          params: set.map((s) => s.p),
          grads,
          expAvg: set.map((s) => s.m),
          expAvgSq: set.map((s) => s.v),
          lr,
          weightDecay,
          step,
          ...OPTS,
          copies: c,
        });
      }
      for (const g of grads) g.dispose();
      withCopies.forEach((s, i) => {
        const o = without[i]!;
        expect(firstDifference(s.p.dataSync(), o.p.dataSync()), `p ${i} step ${step}`).toBe(-1);
        expect(firstDifference(s.m.dataSync(), o.m.dataSync()), `m ${i} step ${step}`).toBe(-1);
        expect(firstDifference(s.v.dataSync(), o.v.dataSync()), `v ${i} step ${step}`).toBe(-1);
        const c = copies[i];
        if (c)
          expect(firstDifference(c.dataSync(), R.roundRef(toRef(s.p), "bf16").data), `copy ${i} step ${step}`).toBe(-1);
      });
    }
    // A tie: 1 + 2^-8 lies halfway between two bf16 values and rounds to the even one, 1; 1 + 3·2^-8 to 1 + 2^-6.
    // (Checked through the step with lr = 0, which leaves p as it is.)
    const p = put(R.ref([3], [1 + 2 ** -8, 1 + 3 * 2 ** -8, -(1 + 2 ** -8)]), "f32");
    const [g, m, v] = [S.zeros([3], { device }), S.zeros([3], { device }), S.zeros([3], { device })];
    const c = S.zeros([3], { dtype: "bf16", device });
    S.adamwStep({
      params: [p],
      grads: [g],
      expAvg: [m],
      expAvgSq: [v],
      lr: 0,
      weightDecay: 0,
      step: 1,
      ...OPTS,
      copies: [c],
    });
    expect([...c.dataSync()]).toEqual([1, 1 + 2 ** -6, -1]);
    for (const t of [...withCopies, ...without].flatMap((s) => [s.p, s.m, s.v])) t.dispose();
    for (const t of [...copies, p, g, m, v, c]) t?.dispose();
  });

  it(`${device}: a NaN master gives a NaN copy`, () => {
    const p = put(R.ref([5], [0.5, -0.5, 1, 2, 3]), "f32");
    const g = put(R.ref([5], [0.1, Number.NaN, 0.1, 0.1, 0.1]), "f32");
    const [m, v] = [S.zeros([5], { device }), S.zeros([5], { device })];
    const c = S.zeros([5], { dtype: "bf16", device });
    S.adamwStep({
      params: [p],
      grads: [g],
      expAvg: [m],
      expAvgSq: [v],
      lr: 1e-3,
      weightDecay: 0,
      step: 1,
      ...OPTS,
      copies: [c],
    });
    const got = c.dataSync();
    expect(Number.isNaN(got[1])).toBe(true);
    expect([got[0], got[2], got[3], got[4]]).toEqual(
      Array.from(R.roundRef(toRef(p), "bf16").data).filter((_, i) => i !== 1),
    );
    for (const t of [p, g, m, v, c]) t.dispose();
  });

  it(`${device}: bad copies are rejected with the argument and shapes named`, () => {
    const p = S.zeros([4], { device });
    const g = S.zeros([4], { device });
    const args = {
      params: [p],
      grads: [g],
      expAvg: [S.zeros([4], { device })],
      expAvgSq: [S.zeros([4], { device })],
      lr: 1e-3,
      weightDecay: 0,
      step: 1,
      ...OPTS,
    };
    const f32Copy = S.zeros([4], { device });
    const wrongShape = S.zeros([5], { dtype: "bf16", device });
    expect(() => S.adamwStep({ ...args, copies: [f32Copy as unknown as S.Tensor<"bf16">] })).toThrow(S.DTypeError);
    expect(() => S.adamwStep({ ...args, copies: [wrongShape] })).toThrow(/copy 0 has shape \[5\], param \[4\]/);
    expect(() => S.adamwStep({ ...args, copies: [] })).toThrow(S.ArgumentError);
    for (const t of [p, g, ...args.expAvg, ...args.expAvgSq, f32Copy, wrongShape]) t.dispose();
  });
}
