// Shape and view ops: values against the reference, which results share storage, gradients, and errors.
import { describe, expect, it } from "vitest";
import * as S from "../../src/index.js";
import { checkForwardBackward } from "../helpers/grad.js";
import { expectEqualValues, expectSlmkitError } from "../helpers/expect.js";
import { FLOAT_DTYPES, fromRef, toRef } from "../helpers/tensors.js";
import * as R from "../reference/index.js";

const rng = new R.Rng(4242);
const V = R.views;
const DTYPES = ["f32", "bf16", "i32", "bool"] as const;

/** Values exactly representable in every dtype (small integers; 0/1 for bool). */
function valuesFor(dtype: (typeof DTYPES)[number], shape: number[]): R.Ref {
  return dtype === "bool" ? rng.intRef(shape, 0, 2) : rng.intRef(shape, -50, 50);
}

/** Whether writing through `a` would be visible through `b`: same storage (checked via memory accounting). */
function sharesStorage(make: () => S.Tensor, base: S.Tensor): boolean {
  const before = S.memory().numBytes;
  const y = make();
  const grew = S.memory().numBytes > before;
  y.dispose();
  void base;
  return !grew;
}

describe("view ops give the reference's values for every dtype", () => {
  for (const dtype of DTYPES) {
    it(dtype, () => {
      S.tidy(() => {
        const r = valuesFor(dtype, [2, 3, 4]);
        const t = fromRef(r, dtype);
        const check = (got: S.Tensor, want: R.Ref, label: string) => {
          expect(got.dtype, label).toBe(dtype);
          expectEqualValues(got, want, label);
        };
        check(S.reshape(t, [4, -1]), V.reshape(r, [4, 6]), "reshape -1");
        check(S.view(t, [6, 4]), V.reshape(r, [6, 4]), "view");
        check(S.permute(t, [2, 0, 1]), V.permute(r, [2, 0, 1]), "permute");
        check(S.transpose(t, 0, -1), V.transpose(r, 0, 2), "transpose");
        check(S.expand(S.slice(t, 1, 0, 1), [5, 2, 3, 4]), R.broadcastTo(V.slice(r, 1, 0, 1), [5, 2, 3, 4]), "expand");
        check(S.unsqueeze(t, -1), V.unsqueeze(r, 3), "unsqueeze");
        check(S.squeeze(S.unsqueeze(t, 1)), r, "squeeze all");
        check(S.squeeze(S.unsqueeze(t, 1), 1), r, "squeeze dim");
        check(S.squeeze(t, 0), r, "squeeze of a non-1 dim keeps it");
        check(S.slice(t, 2, 1, -1), V.slice(r, 2, 1, -1), "slice negative end");
        check(S.slice(t, 2, 0, undefined, 3), V.slice(r, 2, 0, undefined, 3), "slice step");
        check(S.slice(t, 1, -2), V.slice(r, 1, -2), "slice negative start");
        check(S.narrow(t, 2, 1, 2), V.narrow(r, 2, 1, 2), "narrow");
        check(S.flatten(t), V.flatten(r), "flatten");
        check(S.flatten(t, 1), V.flatten(r, 1), "flatten from 1");
        check(S.flatten(t, 0, 1), V.flatten(r, 0, 1), "flatten 0..1");
        check(S.contiguous(S.transpose(t, 1, 2)), V.transpose(r, 1, 2), "contiguous");
        check(S.cat([t, t], 1), V.cat([r, r], 1), "cat");
        check(S.stack([t, t, t], -1), V.stack([r, r, r], -1), "stack");
        S.split(t, 3, 2).forEach((p, i) => check(p, V.split(r, 3, 2)[i]!, `split ${i}`));
        S.split(t, [1, 2], 1).forEach((p, i) => check(p, V.split(r, [1, 2], 1)[i]!, `split sizes ${i}`));
        S.chunk(t, 3, 2).forEach((p, i) => check(p, V.chunk(r, 3, 2)[i]!, `chunk ${i}`));
      });
    });
  }
  it("views of views of views compose (reshape of a permuted slice copies only when it must)", () => {
    const r = rng.ref([4, 6, 5]);
    const t = fromRef(r, "f32");
    const v = S.reshape(S.permute(S.slice(t, 1, 1, 5), [2, 0, 1]), [5, -1]);
    expectEqualValues(v, R.roundRef(V.reshape(V.permute(V.slice(r, 1, 1, 5), [2, 0, 1]), [5, 16]), "f32"));
  });
  it("empty views (a slice past the end, a transposed empty tensor) can be read and copied", () => {
    const t = S.zeros([2, 3, 4]);
    const s = S.slice(t, 1, 5, 9);
    expect(s.shape).toEqual([2, 0, 4]);
    expect(s.toArray()).toEqual([[], []]);
    expect(S.contiguous(s).shape).toEqual([2, 0, 4]);
    expect(S.contiguous(S.transpose(S.zeros([2, 0, 3]), 0, 2)).shape).toEqual([3, 0, 2]);
  });
  it("large cat and split cross thread boundaries", () => {
    const a = R.roundRef(rng.ref([1031, 300]), "f32");
    const b = R.roundRef(rng.ref([1031, 217]), "f32");
    const y = S.cat([fromRef(a, "f32"), fromRef(b, "f32")], 1);
    expectEqualValues(y, V.cat([a, b], 1));
    const [p, q] = S.split(y, [300, 217], 1);
    expectEqualValues(S.contiguous(q!), b);
    expectEqualValues(S.contiguous(p!), a);
  });
});

describe("which ops are views", () => {
  it("reshape of contiguous data, permute, slice, expand, squeeze/unsqueeze, detach, split allocate nothing", () => {
    const t = S.zeros([4, 6]);
    const ops: [string, () => S.Tensor][] = [
      ["reshape", () => S.reshape(t, [6, 4])],
      ["view", () => S.view(t, [2, 12])],
      ["permute", () => S.permute(t, [1, 0])],
      ["transpose", () => S.transpose(t, 0, 1)],
      ["slice", () => S.slice(t, 1, 1, 5, 2)],
      ["narrow", () => S.narrow(t, 0, 1, 2)],
      ["expand", () => S.expand(S.slice(t, 0, 0, 1), [7, 6])],
      ["unsqueeze", () => S.unsqueeze(t, 0)],
      ["detach", () => S.detach(t)],
    ];
    for (const [name, make] of ops) expect(sharesStorage(make, t), name).toBe(true);
  });
  it("contiguous() of a contiguous tensor returns it; of a transposed one makes a copy", () => {
    const t = S.zeros([3, 4]);
    expect(S.contiguous(t)).toBe(t);
    const tt = S.transpose(t, 0, 1);
    expect(tt.isContiguous()).toBe(false);
    const c = S.contiguous(tt);
    expect(c).not.toBe(tt);
    expect(c.isContiguous()).toBe(true);
  });
  it("view of a transposed tensor that needs a copy is a ShapeError; reshape copies instead", () => {
    const t = S.transpose(S.zeros([3, 4]), 0, 1);
    expectSlmkitError(() => S.view(t, [12]), ["view", "[4, 3]", "[12]"], S.ShapeError);
    expect(S.reshape(t, [12]).shape).toEqual([12]);
  });
  it("disposing a view leaves its base readable, and vice versa", () => {
    const t = S.tensor([
      [1, 2],
      [3, 4],
    ]);
    const v = S.transpose(t, 0, 1);
    t.dispose();
    expect(v.toArray()).toEqual([
      [1, 3],
      [2, 4],
    ]);
    v.dispose();
    const u = S.tensor([5, 6]);
    const w = S.unsqueeze(u, 0);
    w.dispose();
    expect(u.toArray()).toEqual([5, 6]);
  });
});

describe("view ops backward", () => {
  for (const dtype of FLOAT_DTYPES) {
    const cases: [string, number[][], (xs: S.Tensor[]) => S.Tensor, (xs: R.Ref[]) => R.Ref][] = [
      ["reshape", [[2, 6]], ([x]) => S.reshape(x!, [3, 4]), ([x]) => V.reshape(x!, [3, 4])],
      ["permute", [[2, 3, 4]], ([x]) => S.permute(x!, [1, 2, 0]), ([x]) => V.permute(x!, [1, 2, 0])],
      ["transpose", [[3, 5]], ([x]) => S.transpose(x!, 0, 1), ([x]) => V.transpose(x!, 0, 1)],
      ["expand", [[3, 1]], ([x]) => S.expand(x!, [2, 3, 4]), ([x]) => R.broadcastTo(x!, [2, 3, 4])],
      ["slice step", [[7, 3]], ([x]) => S.slice(x!, 0, 1, 6, 2), ([x]) => V.slice(x!, 0, 1, 6, 2)],
      ["narrow", [[4, 5]], ([x]) => S.narrow(x!, 1, 1, 3), ([x]) => V.narrow(x!, 1, 1, 3)],
      [
        "squeeze/unsqueeze",
        [[3, 1, 2]],
        ([x]) => S.unsqueeze(S.squeeze(x!, 1), 0),
        ([x]) => V.unsqueeze(V.squeeze(x!, 1), 0),
      ],
      ["flatten", [[2, 3, 2]], ([x]) => S.flatten(x!, 1), ([x]) => V.flatten(x!, 1)],
      [
        "contiguous of transposed",
        [[3, 4]],
        ([x]) => S.contiguous(S.transpose(x!, 0, 1)),
        ([x]) => V.transpose(x!, 0, 1),
      ],
      [
        "cat",
        [
          [2, 3],
          [4, 3],
        ],
        ([a, b]) => S.cat([a!, b!], 0),
        ([a, b]) => V.cat([a!, b!], 0),
      ],
      [
        "stack",
        [
          [2, 3],
          [2, 3],
        ],
        ([a, b]) => S.stack([a!, b!], 1),
        ([a, b]) => V.stack([a!, b!], 1),
      ],
      ["split (second piece)", [[5, 2]], ([x]) => S.split(x!, 2, 0)[1]!, ([x]) => V.split(x!, 2, 0)[1]!],
      [
        "chunk pieces recombined",
        [[6, 2]],
        ([x]) => {
          const [a, b] = S.chunk(x!, 2, 0);
          return S.mul(a!, b!);
        },
        ([x]) => {
          const [a, b] = V.chunk(x!, 2, 0);
          return R.mul(a!, b!);
        },
      ],
      ["clone", [[2, 3]], ([x]) => S.clone(S.transpose(x!, 0, 1)), ([x]) => V.transpose(x!, 0, 1)],
      [
        "the same input used twice",
        [[3, 3]],
        ([x]) => S.mul(x!, S.transpose(x!, 0, 1)),
        ([x]) => R.mul(x!, V.transpose(x!, 0, 1)),
      ],
    ];
    for (const [name, shapes, lib, ref] of cases) {
      it(`${name} ${dtype}`, () => {
        checkForwardBackward({ dtype, rng, label: name, inputs: shapes.map((s) => rng.ref(s)), lib, ref, ops: 2 });
      });
    }
  }
});

describe("view op errors name the op, the argument and the shapes", () => {
  const t = S.zeros([2, 3]);
  it("reshape", () => {
    expectSlmkitError(() => S.reshape(t, [4, 2]), ["reshape", "[2, 3]", "[4, 2]"], S.ShapeError);
    expectSlmkitError(() => S.reshape(t, [-1, -1]), ["reshape"], S.ShapeError);
    expectSlmkitError(() => S.reshape(t, [7, -1]), ["reshape"], S.ShapeError);
  });
  it("permute, transpose, squeeze, unsqueeze", () => {
    expectSlmkitError(() => S.permute(t, [0]), ["permute"], S.ArgumentError);
    expectSlmkitError(() => S.permute(t, [0, 0]), ["permute"], S.ArgumentError);
    expectSlmkitError(() => S.transpose(t, 0, 2), ["transpose"], S.ArgumentError);
    expectSlmkitError(() => S.unsqueeze(t, 4), ["unsqueeze"], S.ArgumentError);
    expectSlmkitError(() => S.squeeze(t, -3), ["squeeze"], S.ArgumentError);
  });
  it("expand", () => {
    expectSlmkitError(() => S.expand(t, [2, 4]), ["expand", "[2, 3]", "[2, 4]"], S.ShapeError);
    expectSlmkitError(() => S.expand(t, [3]), ["expand"], S.ShapeError);
  });
  it("slice and narrow", () => {
    expectSlmkitError(() => S.slice(t, 1, 0, 2, 0), ["slice", "step"], S.ArgumentError);
    expectSlmkitError(() => S.slice(t, 1, 0.5), ["slice", "start"], S.ArgumentError);
    expectSlmkitError(() => S.narrow(t, 1, 2, 5), ["narrow", "[2, 3]"], S.ArgumentError);
  });
  it("cat, stack, split, chunk", () => {
    expectSlmkitError(() => S.cat([t, S.zeros([2, 4])], 0), ["cat", "[2, 3]", "[2, 4]"], S.ShapeError);
    expectSlmkitError(() => S.cat([t, S.zeros([2, 3], { dtype: "i32" })], 0), ["cat"], S.SlmkitError);
    expectSlmkitError(() => S.cat([], 0), ["cat"], S.ArgumentError);
    expectSlmkitError(() => S.stack([t, S.zeros([3, 2])], 0), ["stack", "[2, 3]", "[3, 2]"], S.ShapeError);
    expectSlmkitError(() => S.split(t, [1, 1], 1), ["split", "3"], S.ShapeError);
    expectSlmkitError(() => S.split(t, 0, 1), ["split"], S.ArgumentError);
    expectSlmkitError(() => S.chunk(t, 0, 1), ["chunk"], S.ArgumentError);
  });
  it("method forms match the functions", () => {
    const r = rng.intRef([2, 3, 4], -5, 5);
    const x = fromRef(r, "f32");
    expect(toRef(x.permute([2, 1, 0]))).toEqual(toRef(S.permute(x, [2, 1, 0])));
    expect(toRef(x.reshape([-1]))).toEqual(toRef(S.reshape(x, [24])));
    expect(x.split(2, 2).length).toBe(2);
    expect(x.transpose(0, 1).shape).toEqual([3, 2, 4]);
  });
});
