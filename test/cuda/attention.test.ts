// CUDA attention (forward with lse, backward) against the float64 reference, finite differences and the
// CPU backend: causal and not, GQA, kv_offset, T and S not multiples of the tiles, D 64, 128 and odd sizes.
// f32 and odd head dims run the SIMT kernels; bf16 with D 64 or 128 the tensor-core kernels (the kernel
// choice of kernels/cuda/attention.cu), including a prefill forward whose keys are split.
import { describe, expect, it } from "vitest";
import * as S from "../../src/index.js";
import { emptyTensor, runKernel } from "../../src/ops/dispatch.js";
import { expectClose, expectSlmkitError } from "../helpers/expect.js";
import { FLOAT_DTYPES, floatInput, toRef } from "../helpers/tensors.js";
import { attentionTol, gradTol } from "../helpers/tolerance.js";
import { type AttentionCase, optsOf, qkv } from "../helpers/attention.js";
import * as R from "../reference/index.js";

const status = S.cuda.status();
if (!status.available) console.warn(`[test/cuda] CUDA is not available here, GPU tests skipped: ${status.reason}`);

const rng = new R.Rng(2718);

/** lse = m + log(sum exp(s - m)): the scores' D-term f32 dot products dominate; allow 16 sqrt(D) ulps. */
function lseTol(want: R.Ref, D: number): R.Ref {
  return R.ref(want.shape, (i) => 16 * R.unitRoundoff.f32 * Math.sqrt(Math.max(1, D)) * (1 + Math.abs(want.data[i]!)));
}

const FORWARD: AttentionCase[] = [
  { B: 1, H: 1, Hkv: 1, T: 1, S: 1, D: 64 },
  { B: 2, H: 4, Hkv: 2, T: 37, S: 37, D: 64, causal: true },
  { B: 1, H: 6, Hkv: 2, T: 70, S: 100, D: 128, causal: true, kvOffset: 30 },
  { B: 1, H: 2, Hkv: 1, T: 5, S: 129, D: 128 },
  { B: 1, H: 2, Hkv: 2, T: 1, S: 200, D: 128, causal: true, kvOffset: 199 }, // one decoding step
  { B: 2, H: 3, Hkv: 3, T: 33, S: 65, D: 80, scale: 0.05 },
  { B: 1, H: 4, Hkv: 1, T: 40, S: 17, D: 5, causal: true }, // queries past the last key see every key
  // Prefill (group * T > 64 rows) in one or two blocks against long keys: bf16 splits the keys (4 and 3
  // splits on a GPU of 4 or more multiprocessors), so it runs the mma.sync prefill forward and its combine
  // kernel, on Hopper too (the wgmma forward has no key splits).
  { B: 1, H: 4, Hkv: 1, T: 40, S: 1100, D: 64 },
  { B: 1, H: 2, Hkv: 1, T: 50, S: 900, D: 128, causal: true, kvOffset: 850 },
  { B: 1, H: 2, Hkv: 1, T: 3, S: 0, D: 64 }, // no keys: o = 0, lse = -inf
  { B: 1, H: 4, Hkv: 1, T: 40, S: 0, D: 64 }, // no keys in a prefill shape (never the wgmma kernel: no TMA map)
];

/** Runs the forward kernel directly to read lse as well as o. */
function forwardWithLse(q: S.Tensor, k: S.Tensor, v: S.Tensor, c: AttentionCase): { o: S.Tensor; lse: S.Tensor } {
  const o = emptyTensor(q.shape, q.dtype, q.device);
  const lse = emptyTensor([c.B, c.H, c.T], "f32", q.device);
  runKernel("attention", "attention_forward", [q, k, v], [o, lse], {
    scale: c.scale ?? 1 / Math.sqrt(c.D),
    causal: c.causal ?? false,
    kv_offset: c.kvOffset ?? 0,
  });
  return { o, lse };
}

describe.skipIf(!status.available)("CUDA attention forward", () => {
  for (const dtype of FLOAT_DTYPES) {
    for (const c of FORWARD) {
      it(`${dtype} ${JSON.stringify(c)}: o and lse`, () => {
        S.tidy(() => {
          const [q, k, v] = qkv(c, (shape) => floatInput(rng.ref(shape), dtype));
          const { o, lse } = forwardWithLse(q.t.to("cuda"), k.t.to("cuda"), v.t.to("cuda"), c);
          const want = R.attentionWithLse(q.r, k.r, v.r, optsOf(c));
          expectClose(o.to("cpu"), want.o, attentionTol(dtype, want.o, c.S, c.D), "attention o");
          expectClose(lse.to("cpu"), want.lse, lseTol(want.lse, c.D), "attention lse");
          // The public op gives the same o.
          const viaOp = S.attention(q.t.to("cuda"), k.t.to("cuda"), v.t.to("cuda"), optsOf(c));
          expect(Array.from(viaOp.to("cpu").dataSync())).toEqual(Array.from(o.to("cpu").dataSync()));
        });
      });
    }
  }

  it("D above 128 is a clear error naming the kernel and D", () => {
    const q = S.zeros([1, 1, 2, 160], { device: "cuda" });
    expectSlmkitError(() => S.attention(q, q, q), ["attention_forward", "D = 160"]);
  });

  it("a bad argument gets the CPU's message (one contract, kernels/include/slmkit/attention.h)", () => {
    const message = (device: "cpu" | "cuda", attrs: number[], lseShape: number[]): string =>
      S.tidy(() => {
        const q = S.zeros([1, 4, 3, 64], { dtype: "bf16", device }),
          kv = S.zeros([1, 2, 5, 64], { dtype: "bf16", device });
        const o = emptyTensor(q.shape, "bf16", device),
          lse = emptyTensor(lseShape, "f32", device);
        try {
          runKernel("attention", "attention_forward", [q, kv, kv], [o, lse], {
            scale: attrs[0]!,
            causal: attrs[1]!,
            kv_offset: attrs[2]!,
          });
        } catch (e) {
          return (e as Error).message;
        }
        return "no error";
      });
    for (const [attrs, lseShape, words] of [
      [[0.1, 1, -1], [1, 4, 3], "kv_offset must be >= 0"],
      [[0.1, 2, 0], [1, 4, 3], "causal must be 0 or 1"],
      [[NaN, 0, 0], [1, 4, 3], "scale must be finite"],
      [[0.1, 0, 0], [1, 4, 2], "lse must have shape [1, 4, 3]"],
    ] as [number[], number[], string][]) {
      const cpu = message("cpu", attrs, lseShape);
      expect(cpu).toContain(words);
      expect(message("cuda", attrs, lseShape)).toBe(cpu);
    }
  });
});

/** Gradients of q, k, v through autograd on `device` for the same inputs and cotangent. */
function grads(dtype: "f32" | "bf16", device: "cpu" | "cuda", c: AttentionCase, inputs: R.Ref[], cot: R.Ref): R.Ref[] {
  return S.tidy(() => {
    const xs = inputs.map((r) =>
      S.tensor(Float32Array.from(r.data), { shape: r.shape, dtype, device, requiresGrad: true }),
    );
    const o = S.attention(xs[0]!, xs[1]!, xs[2]!, optsOf(c));
    o.backward(S.tensor(Float32Array.from(cot.data), { shape: cot.shape, dtype, device }));
    return xs.map((x) => toRef(x.grad!.to("cpu")));
  });
}

function inputsFor(c: AttentionCase, dtype: "f32" | "bf16"): { inputs: R.Ref[]; cot: R.Ref } {
  const inputs = qkv(c, (shape) => R.roundRef(rng.ref(shape), dtype));
  return { inputs, cot: R.roundRef(rng.ref([c.B, c.H, c.T, c.D]), dtype) };
}

describe.skipIf(!status.available)("CUDA attention backward", () => {
  // Small enough for central finite differences of the float64 reference.
  const small: AttentionCase[] = [
    { B: 1, H: 4, Hkv: 2, T: 5, S: 7, D: 64, causal: true, kvOffset: 2 },
    { B: 2, H: 2, Hkv: 1, T: 6, S: 3, D: 16, scale: 0.7 },
  ];
  for (const dtype of FLOAT_DTYPES) {
    for (const c of small) {
      it(`${dtype} ${JSON.stringify(c)}: grads against finite differences`, () => {
        const { inputs, cot } = inputsFor(c, dtype);
        const got = grads(dtype, "cuda", c, inputs, cot);
        const want = R.numericGrad((xs) => R.attention(xs[0]!, xs[1]!, xs[2]!, optsOf(c)), inputs, cot);
        got.forEach((g, i) => expectClose(g, want[i]!, gradTol(dtype, want[i]!, 10), `grad ${i}`));
      });
    }
  }

  // Larger: several query and key tiles, GQA groups of 4, D 128; against the CPU kernels (themselves
  // checked against finite differences in test/ops).
  const large: AttentionCase[] = [
    { B: 2, H: 8, Hkv: 2, T: 100, S: 100, D: 128, causal: true },
    { B: 1, H: 4, Hkv: 4, T: 67, S: 140, D: 64, causal: true, kvOffset: 73 },
    { B: 1, H: 3, Hkv: 1, T: 45, S: 33, D: 64 },
  ];
  for (const dtype of FLOAT_DTYPES) {
    for (const c of large) {
      it(`${dtype} ${JSON.stringify(c)}: grads equal the CPU backend's`, () => {
        const { inputs, cot } = inputsFor(c, dtype);
        const got = grads(dtype, "cuda", c, inputs, cot);
        const want = grads(dtype, "cpu", c, inputs, cot);
        got.forEach((g, i) => expectClose(g, want[i]!, gradTol(dtype, want[i]!, 10), `grad ${i}`));
      });
    }
  }

  it("is deterministic: the same gradients twice, bit for bit", () => {
    const c: AttentionCase = { B: 1, H: 8, Hkv: 2, T: 50, S: 50, D: 64, causal: true };
    const { inputs, cot } = inputsFor(c, "f32");
    const a = grads("f32", "cuda", c, inputs, cot);
    const b = grads("f32", "cuda", c, inputs, cot);
    a.forEach((g, i) => expect(Array.from(g.data)).toEqual(Array.from(b[i]!.data)));
  });

  it("a training-style step leaks no GPU memory", () => {
    const before = S.memory().devices.cuda;
    const c: AttentionCase = { B: 1, H: 2, Hkv: 1, T: 20, S: 20, D: 64, causal: true };
    const { inputs, cot } = inputsFor(c, "bf16");
    grads("bf16", "cuda", c, inputs, cot);
    expect(S.memory().devices.cuda).toEqual(before);
  });
});
