// attention (KERNELS.md: GQA, causal with kvOffset, default scale 1/sqrt(D)) against the float64
// reference; gradients of q, k and v against finite differences.
import { describe, expect, it } from "vitest";
import * as S from "../../src/index.js";
import { checkForwardBackward } from "../helpers/grad.js";
import { expectClose, expectSlmkitError } from "../helpers/expect.js";
import { FLOAT_DTYPES, floatInput } from "../helpers/tensors.js";
import { attentionTol } from "../helpers/tolerance.js";
import { type AttentionCase, optsOf, qkv } from "../helpers/attention.js";
import * as R from "../reference/index.js";

const rng = new R.Rng(6174);

const CASES: AttentionCase[] = [
  { B: 1, H: 1, Hkv: 1, T: 1, S: 1, D: 1 },
  { B: 2, H: 3, Hkv: 3, T: 5, S: 7, D: 4 },
  { B: 1, H: 4, Hkv: 2, T: 6, S: 6, D: 8, causal: true },
  { B: 2, H: 6, Hkv: 1, T: 3, S: 9, D: 5, causal: true, kvOffset: 6 },
  { B: 1, H: 2, Hkv: 2, T: 1, S: 13, D: 16, causal: true, kvOffset: 12 },
  { B: 1, H: 4, Hkv: 2, T: 8, S: 8, D: 4, causal: true, kvOffset: 3, scale: 0.3 },
  { B: 1, H: 2, Hkv: 1, T: 67, S: 67, D: 64, causal: true },
  { B: 1, H: 1, Hkv: 1, T: 129, S: 257, D: 80 },
];

describe("attention forward", () => {
  for (const dtype of FLOAT_DTYPES) {
    for (const c of CASES) {
      it(`${dtype} ${JSON.stringify(c)}`, () => {
        S.tidy(() => {
          const [q, k, v] = qkv(c, (shape) => floatInput(rng.ref(shape), dtype));
          const o = S.attention(q.t, k.t, v.t, optsOf(c));
          expect(o.dtype).toBe(dtype);
          const want = R.attention(q.r, k.r, v.r, optsOf(c));
          expectClose(o, want, attentionTol(dtype, want, c.S, c.D), "attention");
        });
      });
    }
  }
  it("causal equals softmax(q k^T * scale + mask) v composed from library ops", () => {
    const q = floatInput(rng.ref([1, 2, 5, 4]), "f32");
    const k = floatInput(rng.ref([1, 2, 5, 4]), "f32");
    const v = floatInput(rng.ref([1, 2, 5, 4]), "f32");
    const o = S.attention(q.t, k.t, v.t, { causal: true });
    const mask = S.triu(S.full([5, 5], -Infinity), 1);
    const scores = S.add(S.mul(S.matmul(q.t, S.transpose(k.t, -1, -2)), 0.5), mask);
    const composed = S.matmul(S.softmax(scores, -1), v.t);
    expectClose(o, R.ref([1, 2, 5, 4], composed.dataSync()), 1e-5);
  });
  it("takes q, k, v as transposed views of [B, T, H, D] (the usual projection layout)", () => {
    const q = floatInput(rng.ref([2, 5, 4, 8]), "f32");
    const k = floatInput(rng.ref([2, 5, 2, 8]), "f32");
    const v = floatInput(rng.ref([2, 5, 2, 8]), "f32");
    const tr = (r: R.Ref) => R.views.transpose(r, 1, 2);
    const want = R.attention(tr(q.r), tr(k.r), tr(v.r), { causal: true });
    const o = S.attention(S.transpose(q.t, 1, 2), S.transpose(k.t, 1, 2), S.transpose(v.t, 1, 2), { causal: true });
    expectClose(o, want, attentionTol("f32", want, 5, 8));
  });
  it("decoding: the last query with kvOffset equals the last row of the full causal pass", () => {
    const q = floatInput(rng.ref([1, 2, 6, 8]), "f32");
    const k = floatInput(rng.ref([1, 2, 6, 8]), "f32");
    const v = floatInput(rng.ref([1, 2, 6, 8]), "f32");
    const full = S.attention(q.t, k.t, v.t, { causal: true });
    const step = S.attention(S.slice(q.t, 2, 5), k.t, v.t, { causal: true, kvOffset: 5 });
    expectClose(step, R.ref([1, 2, 1, 8], S.slice(full, 2, 5).dataSync()), 1e-6);
  });
  it("no keys (S = 0) gives zeros", () => {
    const o = S.attention(S.ones([1, 1, 2, 4]), S.zeros([1, 1, 0, 4]), S.zeros([1, 1, 0, 4]));
    expect(Array.from(o.dataSync())).toEqual(new Array(8).fill(0));
  });
});

describe("attention backward", () => {
  const small: AttentionCase[] = [
    { B: 1, H: 2, Hkv: 2, T: 3, S: 4, D: 3 },
    { B: 1, H: 4, Hkv: 2, T: 3, S: 3, D: 2, causal: true },
    { B: 2, H: 2, Hkv: 1, T: 2, S: 5, D: 4, causal: true, kvOffset: 3, scale: 0.7 },
  ];
  for (const dtype of FLOAT_DTYPES) {
    for (const c of small) {
      it(`${dtype} ${JSON.stringify(c)}: grads of q, k, v`, () => {
        const opts = optsOf(c);
        checkForwardBackward({
          dtype,
          rng,
          ops: 10,
          label: "attention",
          inputs: qkv(c, (shape) => rng.ref(shape)),
          lib: ([q, k, v]) => S.attention(q!, k!, v!, opts),
          ref: ([q, k, v]) => R.attention(q!, k!, v!, opts),
          forwardTol: (w) => attentionTol(dtype, w, c.S, c.D),
        });
      });
    }
  }
});

describe("attention errors", () => {
  const q = S.zeros([1, 4, 3, 8]);
  const kv = S.zeros([1, 2, 5, 8]);
  it("shapes: 4-D, matching B and D, k = v, Hkv divides H", () => {
    expectSlmkitError(() => S.attention(S.zeros([4, 3, 8]), kv, kv), ["attention", "[4, 3, 8]"], S.ShapeError);
    expectSlmkitError(
      () => S.attention(q, S.zeros([1, 2, 5, 7]), S.zeros([1, 2, 5, 7])),
      ["attention", "[1, 2, 5, 7]"],
      S.ShapeError,
    );
    expectSlmkitError(() => S.attention(q, kv, S.zeros([1, 2, 6, 8])), ["attention", "[1, 2, 6, 8]"], S.ShapeError);
    expectSlmkitError(
      () => S.attention(q, S.zeros([1, 3, 5, 8]), S.zeros([1, 3, 5, 8])),
      ["attention", "[1, 3, 5, 8]"],
      S.ShapeError,
    );
    expectSlmkitError(() => S.attention(q, S.zeros([2, 2, 5, 8]), S.zeros([2, 2, 5, 8])), ["attention"], S.ShapeError);
  });
  it("options and dtypes", () => {
    expectSlmkitError(() => S.attention(q, kv, kv, { kvOffset: -1 }), ["attention", "kvOffset"], S.ArgumentError);
    expectSlmkitError(() => S.attention(q, kv, kv, { scale: NaN }), ["attention", "scale"], S.ArgumentError);
    expectSlmkitError(
      () => S.attention(q, S.zeros([1, 2, 5, 8], { dtype: "bf16" }) as never, kv),
      ["attention"],
      S.DTypeError,
    );
  });
});
