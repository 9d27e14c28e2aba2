// The references checked against each other, against closed forms and against true constants,
// so that the library's tests rest on something trustworthy.
import { describe, expect, it } from "vitest";
import * as R from "./index.js";

const rng = new R.Rng(1234);

function expectClose(a: R.Ref, b: R.Ref, tol = 1e-12): void {
  expect(a.shape).toEqual(b.shape);
  for (let i = 0; i < a.data.length; i++) {
    const x = a.data[i]!;
    const y = b.data[i]!;
    if (Number.isNaN(y)) expect(x).toBeNaN();
    else expect(Math.abs(x - y)).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(y)));
  }
}

describe("ndarray helpers", () => {
  it("broadcasts shapes like NumPy", () => {
    expect(R.broadcastShapes([3, 1, 5], [4, 1])).toEqual([3, 4, 5]);
    expect(R.broadcastShapes([], [2, 3])).toEqual([2, 3]);
    expect(R.broadcastShapes([0, 1], [1, 7])).toEqual([0, 7]);
    expect(() => R.broadcastShapes([2, 3], [3, 2])).toThrow();
  });
  it("round-trips nested arrays and index math", () => {
    const nested = [[[1, 2, 3]], [[4, 5, 6]]];
    const x = R.fromNested(nested);
    expect(x.shape).toEqual([2, 1, 3]);
    expect(R.toNested(x)).toEqual(nested);
    for (let i = 0; i < 6; i++) expect(R.ravel(R.unravel(i, x.shape), R.stridesOf(x.shape))).toBe(i);
    expect(R.get(x, [1, 0, 2])).toBe(6);
  });
  it("broadcastTo repeats along size-1 and missing dims", () => {
    const x = R.fromNested([[1], [2]]);
    expect(R.toNested(R.broadcastTo(x, [2, 2, 3]))).toEqual([
      [
        [1, 1, 1],
        [2, 2, 2],
      ],
      [
        [1, 1, 1],
        [2, 2, 2],
      ],
    ]);
  });
});

describe("erf", () => {
  // True constants (Abramowitz & Stegun / high-precision tables), with all their digits.
  // biome-ignore-start lint/correctness/noPrecisionLoss: the tables' digits, beyond a double's
  const known: [number, number][] = [
    [0.1, 0.1124629160182848922],
    [0.5, 0.5204998778130465377],
    [1, 0.8427007929497148693],
    [2, 0.9953222650189527342],
    [3, 0.9999779095030014146],
  ];
  // biome-ignore-end lint/correctness/noPrecisionLoss: the tables' digits, beyond a double's
  it.each(known)("erf(%d) matches its tabulated value to 1e-15", (x, y) => {
    expect(Math.abs(R.erfScalar(x) - y)).toBeLessThan(1e-15);
    expect(Math.abs(R.erfScalar(-x) + y)).toBeLessThan(1e-15);
  });
  it("is odd, saturates, and its derivative is 2/sqrt(pi) exp(-x^2)", () => {
    expect(R.erfScalar(0)).toBe(0);
    expect(R.erfScalar(10)).toBe(1);
    expect(R.erfScalar(-Infinity)).toBe(-1);
    expect(R.erfScalar(NaN)).toBeNaN();
    for (const x of [-4, -2.5, -1, -0.3, 0, 0.7, 1.9, 3.3, 5.5]) {
      const h = 1e-5;
      const fd = (R.erfScalar(x + h) - R.erfScalar(x - h)) / (2 * h);
      expect(Math.abs(fd - R.scalarDerivs.erf(x))).toBeLessThan(1e-9);
    }
  });
});

describe("elementwise", () => {
  it("each derivative table entry agrees with finite differences of its function", () => {
    for (const name of Object.keys(R.scalarFns) as R.UnaryName[]) {
      for (const x0 of [0.3, 0.9, 1.7, -0.6, -2.2]) {
        if ((name === "log" || name === "sqrt" || name === "rsqrt") && x0 <= 0) continue;
        const h = 1e-6;
        const f = R.scalarFns[name];
        const fd = (f(x0 + h) - f(x0 - h)) / (2 * h);
        expect(Math.abs(fd - R.scalarDerivs[name](x0)), `${name}(${x0})`).toBeLessThan(1e-7);
      }
    }
  });
  it("gelu(x) = x * Phi(x), sigmoid is stable at the extremes", () => {
    expect(R.scalarFns.gelu(1)).toBeCloseTo(0.5 * (1 + 0.6826894921370859), 15);
    expect(R.scalarFns.sigmoid(-800)).toBe(0);
    expect(R.scalarFns.sigmoid(800)).toBe(1);
    expect(R.scalarFns.silu(-800)).toBe(-0);
  });
  it("binary ops broadcast and compare gives 0/1", () => {
    const a = R.fromNested([[1, 2, 3]]);
    const b = R.fromNested([[10], [20]]);
    expect(R.toNested(R.add(a, b))).toEqual([
      [11, 12, 13],
      [21, 22, 23],
    ]);
    expect(R.toNested(R.compare("lt", a, R.scalar(2)))).toEqual([[1, 0, 0]]);
    expect(R.toNested(R.where(R.fromNested([1, 0, 1]), a, R.scalar(-1)))).toEqual([[1, -1, 3]]);
    expect(R.maximum(R.scalar(NaN), R.scalar(1)).data[0]).toBeNaN();
    expect(R.powScalar(1, NaN)).toBe(1);
  });
  it("clamp follows torch (NaN kept, min > max gives max)", () => {
    const x = R.fromNested([-3, 0.5, 7, NaN]);
    const y = R.clamp(x, { min: -1, max: 1 });
    expect(Array.from(y.data.subarray(0, 3))).toEqual([-1, 0.5, 1]);
    expect(y.data[3]).toBeNaN();
    expect(Array.from(R.clamp(R.fromNested([0, 5]), { min: 3, max: 2 }).data)).toEqual([2, 2]);
  });
});

describe("reductions", () => {
  const x = rng.ref([3, 4, 5]);
  it("sum over several axes equals nested single-axis sums", () => {
    expectClose(R.sum(x, { dim: [0, 2] }), R.sum(R.sum(x, { dim: 2 }), { dim: 0 }));
    expectClose(R.sum(x), R.sum(R.sum(R.sum(x, { dim: 0 }), { dim: 0 }), { dim: 0 }));
    expect(R.sum(x, { dim: [-1, 0], keepdim: true }).shape).toEqual([1, 4, 1]);
  });
  it("var equals sum of squared deviations / (n - correction)", () => {
    const m = R.mean(x, { dim: 1, keepdim: true });
    const dev2 = R.mul(R.sub(x, m), R.sub(x, m));
    expectClose(R.variance(x, { dim: 1 }), R.div(R.sum(dev2, { dim: 1 }), R.scalar(3)));
    expectClose(R.variance(x, { dim: 1, correction: 0 }), R.div(R.sum(dev2, { dim: 1 }), R.scalar(4)));
  });
  it("logsumexp equals log(sum(exp)) and handles -Infinity rows", () => {
    expectClose(R.logsumexp(x, { dim: 2 }), R.log(R.sum(R.exp(x), { dim: 2 })));
    expect(R.logsumexp(R.fromNested([-Infinity, -Infinity])).data[0]).toBe(-Infinity);
    expect(R.logsumexp(R.fromNested([1000, 1000])).data[0]).toBeCloseTo(1000 + Math.LN2, 10);
  });
  it("max/argmax agree; ties give the first index; NaN wins", () => {
    const am = R.argmax(x, { dim: 1 });
    const mx = R.max(x, { dim: 1 });
    for (let i = 0; i < am.data.length; i++) {
      const [a, c] = R.unravel(i, am.shape) as [number, number];
      expect(R.get(x, [a, am.data[i]!, c])).toBe(mx.data[i]);
    }
    expect(R.argmax(R.fromNested([1, 3, 3, 2])).data[0]).toBe(1);
    expect(R.argmin(R.fromNested([2, 1, 1, 2])).data[0]).toBe(1);
    expect(R.argmax(R.fromNested([1, NaN, 5])).data[0]).toBe(1);
    expect(R.max(R.fromNested([1, NaN, 5])).data[0]).toBeNaN();
  });
  it("norm p=2 equals sqrt(sum x^2); p=1 and p=Infinity", () => {
    expectClose(R.norm(x, { dim: 0 }), R.sqrt(R.sum(R.mul(x, x), { dim: 0 })));
    expectClose(R.norm(x, { p: 1 }), R.sum(R.abs(x)));
    expectClose(R.norm(x, { p: Infinity }), R.max(R.abs(x)));
  });
});

describe("matmul", () => {
  it("agrees with a sum-of-products built from mul and sum", () => {
    const a = rng.ref([2, 1, 3, 4]);
    const b = rng.ref([5, 4, 2]);
    const y = R.matmul(a, b);
    expect(y.shape).toEqual([2, 5, 3, 2]);
    // a[..., i, k, 1] * b[..., 1, k, j] summed over k
    const prod = R.mul(R.views.unsqueeze(a, -1), R.views.unsqueeze(b, -3));
    expectClose(y, R.sum(prod, { dim: -2 }));
  });
  it("handles the 1-D cases of torch.matmul", () => {
    const v = R.fromNested([1, 2, 3]);
    const m = R.fromNested([
      [1, 0],
      [0, 1],
      [1, 1],
    ]);
    expect(R.matmul(v, v).shape).toEqual([]);
    expect(R.matmul(v, v).data[0]).toBe(14);
    expect(R.toNested(R.matmul(v, m))).toEqual([4, 5]);
    expect(R.toNested(R.matmul(R.views.transpose(m, 0, 1), v))).toEqual([4, 5]);
    expect(R.matmul(rng.ref([3, 2, 3]), v).shape).toEqual([3, 2]);
    expect(() => R.matmul(v, R.fromNested([1, 2]))).toThrow();
  });
});

describe("softmax", () => {
  const x = rng.ref([4, 6, 3], -5, 5);
  it("softmax == exp(logSoftmax), rows sum to 1, along any dim", () => {
    for (const d of [0, 1, -1]) {
      expectClose(R.softmax(x, d), R.exp(R.logSoftmax(x, d)));
      expectClose(
        R.sum(R.softmax(x, d), { dim: d }),
        R.ref(R.reducedShape(x.shape, d), () => 1),
      );
    }
  });
  it("logSoftmax = x - logsumexp", () => {
    expectClose(R.logSoftmax(x, 1), R.sub(x, R.logsumexp(x, { dim: 1, keepdim: true })));
  });
});

describe("indexing", () => {
  const x = rng.ref([3, 5]);
  it("gather along dim 1 picks x[i, idx[i, j]]; indexSelect agrees with gather of a broadcast index", () => {
    const idx = R.fromNested([
      [4, 0],
      [2, 2],
      [1, 3],
    ]);
    const g = R.gather(x, 1, idx);
    expect(g.data[0]).toBe(R.get(x, [0, 4]));
    expect(g.data[5]).toBe(R.get(x, [2, 3]));
    const sel = R.fromNested([4, 1]);
    expectClose(R.indexSelect(x, 1, sel), R.gather(x, 1, R.broadcastTo(sel, [3, 2])));
    expect(() => R.gather(x, 1, R.fromNested([[5], [0], [0]]))).toThrow();
  });
  it("embedding = indexSelect on dim 0; oneHot @ weight = embedding", () => {
    const ids = R.fromNested([
      [2, 0],
      [1, 2],
    ]);
    const emb = R.embedding(x, ids);
    expect(emb.shape).toEqual([2, 2, 5]);
    expectClose(R.views.reshape(emb, [4, 5]), R.indexSelect(x, 0, R.views.reshape(ids, [4])));
    expectClose(R.matmul(R.oneHot(ids, 3), x), emb);
  });
  it("triu + tril - diag = x; triu(k) keeps j - i >= k", () => {
    const m = rng.ref([2, 4, 6]);
    const eyeMask = R.ref([4, 6], (f) => (f % 6 === Math.floor(f / 6) ? 1 : 0));
    expectClose(R.sub(R.add(R.triu(m), R.tril(m)), R.mul(m, eyeMask)), m);
    const t = R.triu(m, 2);
    expect(R.get(t, [0, 1, 2])).toBe(0);
    expect(R.get(t, [0, 1, 3])).toBe(R.get(m, [0, 1, 3]));
    expect(R.get(R.tril(m, -1), [1, 2, 2])).toBe(0);
  });
});

describe("views", () => {
  const x = rng.ref([2, 3, 4]);
  it("permute then inverse permute is the identity; transpose is a permute", () => {
    expectClose(R.views.permute(R.views.permute(x, [2, 0, 1]), [1, 2, 0]), x);
    expectClose(R.views.transpose(x, 0, 2), R.views.permute(x, [2, 1, 0]));
  });
  it("split/chunk pieces cat back; stack = cat of unsqueezed", () => {
    expectClose(R.views.cat(R.views.split(x, 3, 2), 2), x);
    expect(R.views.split(x, 3, 2).map((p) => p.shape[2])).toEqual([3, 1]);
    expect(R.views.chunk(x, 3, 2).map((p) => p.shape[2])).toEqual([2, 2]);
    expectClose(R.views.cat(R.views.split(x, [1, 2], 1), 1), x);
    const s = R.views.stack([x, x], -1);
    expect(s.shape).toEqual([2, 3, 4, 2]);
    expect(R.get(s, [1, 2, 3, 1])).toBe(R.get(x, [1, 2, 3]));
  });
  it("slice with step and negative bounds", () => {
    const v = R.fromNested([0, 1, 2, 3, 4, 5, 6]);
    expect(Array.from(R.views.slice(v, 0, 1, -1, 2).data)).toEqual([1, 3, 5]);
    expect(Array.from(R.views.slice(v, 0, -3).data)).toEqual([4, 5, 6]);
    expect(R.views.slice(v, 0, 5, 2).shape).toEqual([0]);
  });
});

describe("fused references", () => {
  it("rmsNorm with unit weight gives rows of mean square 1 (eps = 0)", () => {
    const x = rng.ref([3, 7]);
    const y = R.rmsNorm(
      x,
      R.ref([7], () => 1),
      0,
    );
    expectClose(
      R.mean(R.mul(y, y), { dim: 1 }),
      R.ref([3], () => 1),
    );
  });

  it("attention with T = S = 1 returns v; a hand-computed two-key case", () => {
    const q = R.fromNested([[[[1, 2]]]]);
    const k = R.fromNested([[[[3, -1]]]]);
    const v = R.fromNested([[[[5, 7]]]]);
    expect(Array.from(R.attention(q, k, v).data)).toEqual([5, 7]);
    // Two keys: scores s_j = scale * q.k_j; o = sum softmax(s)_j v_j.
    const k2 = R.fromNested([
      [
        [
          [1, 0],
          [0, 1],
        ],
      ],
    ]);
    const v2 = R.fromNested([
      [
        [
          [1, 0],
          [0, 1],
        ],
      ],
    ]);
    const { o, lse } = R.attentionWithLse(q, k2, v2, { scale: 0.5 });
    const e1 = Math.exp(0.5);
    const e2 = Math.exp(1);
    expect(o.data[0]).toBeCloseTo(e1 / (e1 + e2), 14);
    expect(o.data[1]).toBeCloseTo(e2 / (e1 + e2), 14);
    expect(lse.data[0]).toBeCloseTo(Math.log(e1 + e2), 14);
  });

  it("attention equals softmax(scale q k^T + mask) v built from basic references, with GQA and kvOffset", () => {
    const [B, H, Hkv, T, S, D] = [2, 4, 2, 3, 5, 4];
    const q = rng.ref([B, H, T, D]);
    const k = rng.ref([B, Hkv, S, D]);
    const v = rng.ref([B, Hkv, S, D]);
    for (const kvOffset of [0, 2]) {
      const got = R.attention(q, k, v, { causal: true, kvOffset, scale: 0.7 });
      // repeat kv heads: head h uses kv head floor(h / 2)
      const idx = R.fromNested([0, 0, 1, 1]);
      const kr = R.indexSelect(k, 1, idx);
      const vr = R.indexSelect(v, 1, idx);
      const scores = R.mul(R.matmul(q, R.views.transpose(kr, -1, -2)), R.scalar(0.7));
      const mask = R.ref([T, S], (f) => (f % S <= Math.floor(f / S) + kvOffset ? 0 : -Infinity));
      const want = R.matmul(R.softmax(R.add(scores, mask), -1), vr);
      expectClose(got, want);
    }
  });

  it("attention: a causal row that sees no key gives o = 0 and lse = -Infinity", () => {
    const q = rng.ref([1, 1, 3, 2]);
    const k = rng.ref([1, 1, 2, 2]);
    const { o, lse } = R.attentionWithLse(q, k, k, { causal: true, kvOffset: -1 });
    expect(Array.from(o.data.subarray(0, 2))).toEqual([0, 0]);
    expect(lse.data[0]).toBe(-Infinity);
    expect(Number.isFinite(lse.data[1]!)).toBe(true);
  });

  it("crossEntropy = -logSoftmax at the target; ignoreIndex and reductions", () => {
    const logits = rng.ref([4, 5], -3, 3);
    const t = R.fromNested([1, -100, 4, 0]);
    const none = R.crossEntropy(logits, t, { reduction: "none" });
    const ls = R.logSoftmax(logits, 1);
    for (const [i, c] of [
      [0, 1],
      [2, 4],
      [3, 0],
    ] as const)
      expect(none.data[i]).toBeCloseTo(-R.get(ls, [i, c]), 14);
    expect(none.data[1]).toBe(0);
    const s = none.data[0]! + none.data[2]! + none.data[3]!;
    expect(R.crossEntropy(logits, t, { reduction: "sum" }).data[0]).toBeCloseTo(s, 14);
    expect(R.crossEntropy(logits, t).data[0]).toBeCloseTo(s / 3, 14);
    expect(R.crossEntropy(logits, R.fromNested([7, 7, 7, 7]), { ignoreIndex: 7 }).data[0]).toBeNaN();
  });

  it("rope preserves pair norms, is the identity at position 0, and composes with positionOffset", () => {
    const x = rng.ref([1, 2, 3, 6]);
    const y = R.rope(x, { theta: 100 });
    for (let row = 0; row < 6; row++) {
      for (let d = 0; d < 3; d++) {
        const a = row * 6 + d;
        const n0 = x.data[a]! ** 2 + x.data[a + 3]! ** 2;
        const n1 = y.data[a]! ** 2 + y.data[a + 3]! ** 2;
        expect(n1).toBeCloseTo(n0, 12);
      }
    }
    expectClose(R.views.slice(y, 2, 0, 1), R.views.slice(x, 2, 0, 1));
    // Token t with offset o equals token t + o without offset.
    const tail = R.views.slice(y, 2, 2, 3);
    const shifted = R.rope(R.views.slice(x, 2, 2, 3), { theta: 100, positionOffset: 2 });
    expectClose(shifted, tail);
    // d = 0 rotates by exactly p radians.
    const x0 = R.ref([1, 1, 1, 2], [1, 0]);
    const y0 = R.rope(x0, { positionOffset: 1 });
    expect(y0.data[0]).toBeCloseTo(Math.cos(1), 15);
    expect(y0.data[1]).toBeCloseTo(Math.sin(1), 15);
  });

  it("swiglu = silu(gate) * up", () => {
    const g = rng.ref([3, 4]);
    const u = rng.ref([3, 4]);
    expectClose(R.swiglu(g, u), R.mul(R.silu(g), u));
  });

  it("adamw: first step moves each weight by about lr * sign(g) (plus decay)", () => {
    const p = R.fromNested([1, -2, 0.5]);
    const g = R.fromNested([0.3, -0.1, 2]);
    const z = R.ref([3]);
    const lr = 1e-3;
    const r = R.adamwStep(p, g, z, z, { lr, weightDecay: 0.1, step: 1, eps: 0 });
    for (let i = 0; i < 3; i++) {
      const want = p.data[i]! * (1 - lr * 0.1) - lr * Math.sign(g.data[i]!);
      expect(r.p.data[i]).toBeCloseTo(want, 14);
      expect(r.m.data[i]).toBeCloseTo(0.1 * g.data[i]!, 15);
      expect(r.v.data[i]).toBeCloseTo(0.001 * g.data[i]! ** 2, 15);
    }
    const scaled = R.adamwStep(p, R.mul(g, R.scalar(2)), z, z, { lr, step: 1 });
    const folded = R.adamwStep(p, g, z, z, { lr, step: 1, gradScale: 2 });
    expectClose(scaled.p, folded.p, 0);
  });
});

describe("bf16 rounding", () => {
  it("rounds to nearest even on the upper 16 bits", () => {
    expect(R.roundBf16(1)).toBe(1);
    expect(R.roundBf16(1 + 2 ** -8)).toBe(1); // exactly halfway: ties to even (1.0)
    expect(R.roundBf16(1 + 3 * 2 ** -8)).toBe(1 + 2 ** -6); // halfway: ties to even (odd mantissa rounds up)
    expect(R.roundBf16(1 + 2 ** -8 + 2 ** -20)).toBe(1 + 2 ** -7);
    expect(R.roundBf16(-Math.PI)).toBe(-3.140625);
    expect(R.roundBf16(Infinity)).toBe(Infinity);
    expect(R.roundBf16(NaN)).toBeNaN();
    expect(R.roundBf16(3.4e38)).toBe(Infinity);
  });
  it("relative error is at most 2^-8 (+ the f32 step) for normal numbers", () => {
    for (let i = 0; i < 1000; i++) {
      const x = rng.uniform(-1e6, 1e6);
      expect(Math.abs(R.roundBf16(x) - x)).toBeLessThanOrEqual(
        Math.abs(x) * (R.unitRoundoff.bf16 + R.unitRoundoff.f32),
      );
    }
  });
});

describe("finite differences", () => {
  it("recovers the analytic gradient of matmul (dA = G B^T, dB = A^T G)", () => {
    const a = rng.ref([3, 4]);
    const b = rng.ref([4, 2]);
    const cot = rng.ref([3, 2]);
    const [ga, gb] = R.numericGrad(([x, y]) => R.matmul(x!, y!), [a, b], cot);
    expectClose(ga!, R.matmul(cot, R.views.transpose(b, 0, 1)), 1e-8);
    expectClose(gb!, R.matmul(R.views.transpose(a, 0, 1), cot), 1e-8);
  });
  it("recovers the softmax-minus-onehot gradient of cross-entropy", () => {
    const logits = rng.ref([3, 4], -2, 2);
    const t = R.fromNested([0, 3, 2]);
    const [g] = R.numericGrad(([l]) => R.crossEntropy(l!, t, { reduction: "sum" }), [logits], R.scalar(1));
    expectClose(g!, R.sub(R.softmax(logits, 1), R.oneHot(t, 4)), 1e-8);
  });
});

describe("Philox", () => {
  // Known-answer vectors published with Random123 (kat_vectors): philox4x32, 10 rounds.
  it("matches the Random123 known-answer vectors", () => {
    expect(R.philox.philox4x32([0, 0, 0, 0], [0, 0]).map((w) => w.toString(16).padStart(8, "0"))).toEqual([
      "6627e8d5",
      "e169c58d",
      "bc57ac4c",
      "9b00dbd8",
    ]);
    const f = 0xffffffff;
    expect(R.philox.philox4x32([f, f, f, f], [f, f]).map((w) => w.toString(16).padStart(8, "0"))).toEqual([
      "408f276d",
      "41c83b0e",
      "a20bc7c6",
      "6d5451fd",
    ]);
    expect(
      R.philox
        .philox4x32([0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], [0xa4093822, 0x299f31d0])
        .map((w) => w.toString(16).padStart(8, "0")),
    ).toEqual(["d16cfe09", "94fdcceb", "5001e420", "24126ea1"]);
  });
  it("uniform stream is in [0,1) with mean ~ 1/2; normal has mean ~ 0, var ~ 1", () => {
    let s = 0;
    let s2 = 0;
    const n = 4000;
    for (let i = 0; i < n; i++) {
      const u = R.philox.uniformAt(7, 0, i);
      expect(u).toBeGreaterThanOrEqual(0);
      expect(u).toBeLessThan(1);
      s += u;
      const z = R.philox.normalAt(7, 0, i);
      s2 += z * z;
    }
    expect(Math.abs(s / n - 0.5)).toBeLessThan(0.02);
    expect(Math.abs(s2 / n - 1)).toBeLessThan(0.08);
  });
});
