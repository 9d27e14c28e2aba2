// gather, indexSelect, embedding, oneHot, triu/tril: values, gradients (scatter/index adds), bad indices.
import { describe, expect, it } from "vitest";
import * as S from "../../src/index.js";
import { checkForwardBackward } from "../helpers/grad.js";
import { expectEqualValues, expectSlmkitError } from "../helpers/expect.js";
import { FLOAT_DTYPES, fromRef } from "../helpers/tensors.js";
import * as R from "../reference/index.js";

const rng = new R.Rng(99);
const idx = (r: R.Ref) => fromRef(r, "i32") as S.Tensor<"i32">;

describe("indexSelect", () => {
  for (const dtype of ["f32", "bf16", "i32"] as const) {
    it(`${dtype}: every dim, repeated and out-of-order indices, large rows`, () => {
      for (const [shape, dim, n] of [
        [[5, 4], 0, 7],
        [[5, 4], 1, 3],
        [[3, 4, 6], -1, 10],
        [[3, 4, 6], 1, 1],
        [[1031, 517], 0, 64],
        [[1031, 517], 1, 300],
      ] as [number[], number, number][]) {
        S.tidy(() => {
          const x = dtype === "i32" ? rng.intRef(shape, -99, 99) : R.roundRef(rng.ref(shape), dtype);
          const size = shape[dim < 0 ? dim + shape.length : dim]!;
          const i = rng.intRef([n], 0, size);
          const y = S.indexSelect(fromRef(x, dtype), dim, idx(i));
          expect(y.dtype).toBe(dtype);
          expectEqualValues(y, R.indexSelect(x, dim, i), `indexSelect [${shape}] dim ${dim}`);
        });
      }
    });
  }
  for (const dtype of FLOAT_DTYPES) {
    it(`${dtype} backward accumulates repeated indices`, () => {
      const i = R.fromNested([2, 0, 2, 2, 1]);
      checkForwardBackward({
        dtype,
        rng,
        ops: 3,
        inputs: [rng.ref([3, 4])],
        lib: ([x]) => S.indexSelect(x!, 0, idx(i)),
        ref: ([x]) => R.indexSelect(x!, 0, i),
      });
      checkForwardBackward({
        dtype,
        rng,
        ops: 3,
        inputs: [rng.ref([2, 3, 4])],
        lib: ([x]) => S.indexSelect(x!, 2, idx(i)),
        ref: ([x]) => R.indexSelect(x!, 2, i),
      });
    });
  }
  it("works on a transposed input", () => {
    const x = R.roundRef(rng.ref([4, 6]), "f32");
    const i = R.fromNested([5, 0, 3]);
    expectEqualValues(
      S.indexSelect(S.transpose(fromRef(x, "f32"), 0, 1), 0, idx(i)),
      R.indexSelect(R.views.transpose(x, 0, 1), 0, i),
    );
  });
});

describe("gather", () => {
  for (const dtype of ["f32", "bf16", "i32"] as const) {
    it(`${dtype}: along each dim`, () => {
      for (const [shape, dim, k] of [
        [[4, 5], 1, 3],
        [[4, 5], 0, 6],
        [[3, 4, 5], 1, 2],
        [[3, 4, 5], -1, 1],
        [[517, 131], 1, 40],
      ] as [number[], number, number][]) {
        const x = dtype === "i32" ? rng.intRef(shape, -99, 99) : R.roundRef(rng.ref(shape), dtype);
        const d = dim < 0 ? dim + shape.length : dim;
        const ishape = shape.slice();
        ishape[d] = k;
        const i = rng.intRef(ishape, 0, shape[d]!);
        expectEqualValues(
          S.gather(fromRef(x, dtype), dim, idx(i)),
          R.gather(x, dim, i),
          `gather [${shape}] dim ${dim}`,
        );
      }
    });
  }
  for (const dtype of FLOAT_DTYPES) {
    it(`${dtype} backward scatter-adds (repeated positions accumulate)`, () => {
      const i = rng.intRef([3, 6], 0, 4); // 6 picks from 4 columns: repeats guaranteed
      checkForwardBackward({
        dtype,
        rng,
        ops: 3,
        inputs: [rng.ref([3, 4])],
        lib: ([x]) => S.gather(x!, 1, idx(i)),
        ref: ([x]) => R.gather(x!, 1, i),
      });
    });
  }
  it("picks each row's target from log-probabilities (the cross-entropy idiom)", () => {
    const lp = R.roundRef(rng.ref([5, 7]), "f32");
    const t = rng.intRef([5], 0, 7);
    const got = S.gather(fromRef(lp, "f32"), 1, S.unsqueeze(idx(t), 1));
    expectEqualValues(
      got,
      R.ref([5, 1], (r) => R.get(lp, [r, t.data[r]!])),
    );
  });
});

describe("embedding and oneHot", () => {
  for (const dtype of FLOAT_DTYPES) {
    it(`embedding ${dtype}: any index shape, backward sums rows of repeated ids`, () => {
      const ids = rng.intRef([2, 3], 0, 5);
      ids.data[4] = ids.data[0]!;
      const w = R.roundRef(rng.ref([5, 4]), dtype);
      const y = S.embedding(fromRef(w, dtype), idx(ids));
      expect(y.shape).toEqual([2, 3, 4]);
      expectEqualValues(y, R.embedding(w, ids));
      checkForwardBackward({
        dtype,
        rng,
        ops: 3,
        inputs: [w],
        lib: ([x]) => S.embedding(x!, idx(ids)),
        ref: ([x]) => R.embedding(x!, ids),
      });
    });
  }
  it("embedding of a 0-d index and of many tokens", () => {
    const w = R.roundRef(rng.ref([1000, 8]), "f32");
    const one = R.scalar(999);
    expectEqualValues(S.embedding(fromRef(w, "f32"), idx(one)), R.embedding(w, one));
    const ids = rng.intRef([64, 33], 0, 1000);
    expectEqualValues(S.embedding(fromRef(w, "f32"), idx(ids)), R.embedding(w, ids));
  });
  it("oneHot gives i32 [..., numClasses]", () => {
    const ids = rng.intRef([3, 4], 0, 6);
    const y = S.oneHot(idx(ids), 6);
    expect(y.dtype).toBe("i32");
    expectEqualValues(y, R.oneHot(ids, 6));
  });
});

describe("triu and tril", () => {
  for (const dtype of ["f32", "bf16", "i32", "bool"] as const) {
    it(`${dtype}: diagonals -2..3 on square, wide, tall and batched matrices`, () => {
      for (const shape of [
        [4, 4],
        [3, 7],
        [6, 2],
        [2, 3, 5, 4],
      ]) {
        const x = dtype === "bool" ? rng.intRef(shape, 0, 2) : rng.intRef(shape, -9, 10);
        const t = fromRef(x, dtype);
        for (const k of [-2, -1, 0, 1, 3]) {
          expectEqualValues(S.triu(t, k), R.triu(x, k), `triu [${shape}] k=${k}`);
          expectEqualValues(S.tril(t, k), R.tril(x, k), `tril [${shape}] k=${k}`);
        }
        expectEqualValues(S.triu(t), R.triu(x), "triu default");
      }
    });
  }
  for (const dtype of FLOAT_DTYPES) {
    it(`${dtype} backward masks the gradient`, () => {
      checkForwardBackward({
        dtype,
        rng,
        ops: 1,
        inputs: [rng.ref([3, 4])],
        lib: ([x]) => S.triu(x!, 1),
        ref: ([x]) => R.triu(x!, 1),
      });
      checkForwardBackward({
        dtype,
        rng,
        ops: 1,
        inputs: [rng.ref([2, 4, 3])],
        lib: ([x]) => S.tril(x!, -1),
        ref: ([x]) => R.tril(x!, -1),
      });
    });
  }
  it("on a transposed input", () => {
    const x = rng.intRef([3, 5], -9, 9);
    expectEqualValues(S.triu(S.transpose(fromRef(x, "f32"), 0, 1)), R.triu(R.views.transpose(x, 0, 1)));
  });
});

describe("indexing errors", () => {
  const x = S.zeros([3, 4]);
  it("out-of-range and negative indices are SlmkitErrors naming the op (never a crash)", () => {
    expectSlmkitError(() => S.indexSelect(x, 0, S.tensor([0, 3], { dtype: "i32" })), ["indexSelect"]);
    expectSlmkitError(() => S.indexSelect(x, 1, S.tensor([-1], { dtype: "i32" })), ["indexSelect"]);
    expectSlmkitError(() => S.gather(x, 1, S.tensor([[4], [0], [0]], { dtype: "i32" })), ["gather"]);
    expectSlmkitError(() => S.oneHot(S.tensor([5], { dtype: "i32" }), 3), ["oneHot"]);
  });
  it("an out-of-range embedding id is an error that names embedding (the op the user called)", () => {
    expectSlmkitError(() => S.embedding(x, S.tensor([[3]], { dtype: "i32" })), ["embedding"]);
    expectSlmkitError(() => S.embedding(x, S.tensor([2 ** 31 - 1], { dtype: "i32" })), ["embedding"]);
  });
  it("float indices are DTypeErrors; wrong index ranks and shapes are ShapeErrors", () => {
    expectSlmkitError(() => S.indexSelect(x, 0, S.tensor([0]) as never), ["indexSelect", "index", "f32"], S.DTypeError);
    expectSlmkitError(() => S.gather(x, 0, S.tensor([[0]]) as never), ["gather", "i32"], S.DTypeError);
    expectSlmkitError(
      () => S.indexSelect(x, 0, S.tensor([[0]], { dtype: "i32" })),
      ["indexSelect", "1-D"],
      S.ShapeError,
    );
    expectSlmkitError(
      () => S.gather(x, 1, S.tensor([[0]], { dtype: "i32" })),
      ["gather", "[1, 1]", "[3, 4]"],
      S.ShapeError,
    );
    expectSlmkitError(
      () => S.embedding(S.zeros([5]), S.tensor([0], { dtype: "i32" })),
      ["embedding", "[5]"],
      S.ShapeError,
    );
    expectSlmkitError(() => S.triu(S.zeros([4])), ["triu", "[4]"], S.ShapeError);
    expectSlmkitError(() => S.oneHot(S.tensor([0], { dtype: "i32" }), 0), ["oneHot", "numClasses"], S.ArgumentError);
  });
});
