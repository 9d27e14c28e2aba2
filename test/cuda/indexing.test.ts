// CUDA indexing kernels against the CPU kernels: index_select, gather (every data dtype, any dim),
// index_add / scatter_add (through indexAdd, scatterAdd and autograd) bit-exact, triu/tril for every dtype, and
// out-of-range indices as errors that leave the process alive.
import { describe, expect, it } from "vitest";
import {
  backward,
  cast,
  embedding,
  gather,
  indexSelect,
  mul,
  randint,
  randn,
  sum,
  tensor,
  type Tensor,
  tril,
  triu,
} from "../../src/index.js";
import { indexAdd, scatterAdd } from "../../src/ops/indexing.js";
import { expectSlmkitError } from "../helpers/expect.js";
import { FLOAT_DTYPES } from "../helpers/tensors.js";
import { gpuStatus, onBoth } from "./gpu.js";

const DATA_DTYPES = ["f32", "bf16", "i32"] as const;

describe.skipIf(!gpuStatus.available)("CUDA indexing", () => {
  for (const dtype of DATA_DTYPES) {
    it(`indexSelect and gather ${dtype} along every dim (exact copies)`, () => {
      const x = cast(randn([5, 7, 3], { std: 10 }), dtype);
      for (const dim of [0, 1, 2]) {
        const A = x.shape[dim]!;
        const idx = randint(0, A, [11]);
        const r = onBoth([x, idx], (t, i) => indexSelect(t, dim, i as Tensor<"i32">));
        expect(Array.from(r.cuda.data), `indexSelect dim ${dim}`).toEqual(Array.from(r.cpu.data));
        const gshape = x.shape.slice();
        gshape[dim] = 4;
        const gidx = randint(0, A, gshape);
        const g = onBoth([x, gidx], (t, i) => gather(t, dim, i as Tensor<"i32">));
        expect(Array.from(g.cuda.data), `gather dim ${dim}`).toEqual(Array.from(g.cpu.data));
      }
    });
  }

  for (const dtype of FLOAT_DTYPES) {
    it(`indexAdd and scatterAdd ${dtype} with many duplicate indices match the CPU bit for bit`, () => {
      // Both backends add duplicates in index order and round to the dtype after every add, so the sums
      // are the same floating-point sums: equality, not a tolerance.
      const src = randn([3, 4000, 5], { dtype });
      const idx = randint(0, 7, [4000]);
      const r = onBoth([src, idx], (s, i) => indexAdd(s, [3, 7, 5], 1, i as Tensor<"i32">));
      expect(Array.from(r.cuda.data), "indexAdd").toEqual(Array.from(r.cpu.data));
      const sidx = randint(0, 6, [3, 4000, 5]);
      const s = onBoth([src, sidx], (t, i) => scatterAdd(t, [3, 6, 5], 1, i as Tensor<"i32">));
      expect(Array.from(s.cuda.data), "scatterAdd").toEqual(Array.from(s.cpu.data));
      // Wide rows over many blocks, an index that never occurs, and a hot index taking most rows.
      const wide = randn([1, 3001, 515], { dtype });
      const hot = tensor(Int32Array.from({ length: 3001 }, (_, j) => (j % 5 === 0 ? j % 11 : 3)));
      const w = onBoth([wide, hot], (t, i) => indexAdd(t, [1, 12, 515], 1, i as Tensor<"i32">));
      expect(Array.from(w.cuda.data), "indexAdd wide").toEqual(Array.from(w.cpu.data));
    });
  }

  it("embedding and gather gradients through autograd on CUDA match the CPU", () => {
    const w = randn([50, 9]);
    const ids = randint(0, 50, [4, 33]);
    const gy = randn([4, 33, 9]);
    const g = onBoth([w, ids, gy], (t, i, o) => {
      const leaf = t.detach();
      leaf.requiresGrad = true;
      backward(sum(mul(embedding(leaf, i as Tensor<"i32">), o)));
      return leaf.grad!;
    });
    expect(Array.from(g.cuda.data), "embedding grad").toEqual(Array.from(g.cpu.data));
    const x = randn([6, 10]);
    const gi = randint(0, 10, [6, 15]);
    const gg = onBoth([x, gi], (t, i) => {
      const leaf = t.detach();
      leaf.requiresGrad = true;
      backward(sum(mul(gather(leaf, 1, i as Tensor<"i32">), 3)));
      return leaf.grad!;
    });
    expect(Array.from(gg.cuda.data)).toEqual(Array.from(gg.cpu.data)); // sums of a few 3s: exact in any order
  });

  it("out-of-range indices are errors naming the kernel, and the GPU stays usable", () => {
    const x = randn([4, 3], { device: "cuda" });
    expectSlmkitError(
      () => indexSelect(x, 0, tensor(new Int32Array([0, 4, 1])).to("cuda")),
      ["index_select", "index 4 at position 1", "[0, 4)"],
    );
    expectSlmkitError(
      () => gather(x, 1, tensor(new Int32Array([0, 1, 3, 0, 0, 0, 0, 0]), { shape: [4, 2] }).to("cuda")),
      ["gather", "index 3 at position 2"],
    );
    expectSlmkitError(
      () => indexAdd(randn([2, 3], { device: "cuda" }), [4, 3], 0, tensor(new Int32Array([1, -1])).to("cuda")),
      ["index_add", "index -1 at position 1"],
    );
    // The GPU is still usable after the errors.
    expect(sum(x).to("cpu").item()).toBeCloseTo(sum(x.to("cpu")).item(), 5);
  });

  it("triu and tril for every dtype, k inside and far outside the matrix", () => {
    for (const dtype of ["f32", "bf16", "i32", "bool"] as const) {
      const x = cast(randn([3, 5, 7], { std: 5 }), dtype);
      for (const k of [0, 1, -2, 3, -4, 100, -100]) {
        for (const f of [triu, tril]) {
          const r = onBoth([x], (t) => f(t, k));
          expect(Array.from(r.cuda.data), `${f.name} ${dtype} k=${k}`).toEqual(Array.from(r.cpu.data));
        }
      }
    }
  });
});
