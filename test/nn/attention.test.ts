// CausalSelfAttention and SwiGLUMLP against float64 references written here from their definitions, and the
// KV cache against a full forward pass.
import { describe, expect, it } from "vitest";
import * as S from "../../src/index.js";

type Mat = number[][];
const linear = (x: Mat, w: Mat): Mat => x.map((row) => w.map((wr) => wr.reduce((a, v, i) => a + v * row[i]!, 0)));
const toMat = (t: S.Tensor, rows: number, cols: number): Mat => {
  const d = t.dataSync();
  return Array.from({ length: rows }, (_, r) => Array.from({ length: cols }, (_, c) => d[r * cols + c]!));
};

/** Rotate-half RoPE of one head vector at position `pos`. */
function ropeRef(v: number[], pos: number, theta: number): number[] {
  const D = v.length;
  const half = D / 2;
  return v.map((x, i) => {
    const j = i % half;
    const angle = pos / theta ** ((2 * j) / D);
    const rotated = i < half ? -v[i + half]! : v[i - half]!;
    return x * Math.cos(angle) + rotated * Math.sin(angle);
  });
}

/** Causal GQA attention for one sequence x [T, C], float64. */
function attentionRef(x: Mat, W: Record<string, Mat>, H: number, Hkv: number, theta: number): Mat {
  const T = x.length;
  const C = x[0]!.length;
  const D = C / H;
  const q = linear(x, W.q!);
  const k = linear(x, W.k!);
  const v = linear(x, W.v!);
  const out: Mat = Array.from({ length: T }, () => new Array<number>(C).fill(0));
  for (let h = 0; h < H; h++) {
    const g = Math.floor(h / (H / Hkv));
    for (let t = 0; t < T; t++) {
      const qt = ropeRef(q[t]!.slice(h * D, h * D + D), t, theta);
      const scores = Array.from({ length: t + 1 }, (_, s) => {
        const ks = ropeRef(k[s]!.slice(g * D, g * D + D), s, theta);
        return qt.reduce((a, qv, i) => a + qv * ks[i]!, 0) / Math.sqrt(D);
      });
      const top = Math.max(...scores);
      const p = scores.map((s) => Math.exp(s - top));
      const z = p.reduce((a, b) => a + b, 0);
      for (let i = 0; i < D; i++) out[t]![h * D + i] = p.reduce((a, ps, s) => a + (ps / z) * v[s]![g * D + i]!, 0);
    }
  }
  return linear(out, W.o!);
}

describe("CausalSelfAttention", () => {
  const C = 16,
    H = 4,
    Hkv = 2,
    T = 6,
    theta = 500;
  S.manualSeed(21);
  const attn = new S.CausalSelfAttention({ hiddenSize: C, numHeads: H, numKvHeads: Hkv, ropeTheta: theta });

  it("names its projections like Hugging Face", () => {
    expect(attn.namedParameters().map(([n, p]) => [n, [...p.shape]])).toEqual([
      ["q_proj.weight", [16, 16]],
      ["k_proj.weight", [8, 16]],
      ["v_proj.weight", [8, 16]],
      ["o_proj.weight", [16, 16]],
    ]);
  });

  it("matches a float64 causal GQA + RoPE reference", () => {
    const x = S.randn([1, T, C]);
    const y = attn.forward(x);
    const W = {
      q: toMat(attn.qProj.weight, C, C),
      k: toMat(attn.kProj.weight, 8, C),
      v: toMat(attn.vProj.weight, 8, C),
      o: toMat(attn.oProj.weight, C, C),
    };
    const want = attentionRef(toMat(x, T, C), W, H, Hkv, theta);
    const got = toMat(y, T, C);
    // values are O(1) sums of O(C) terms: 1e-5 absolute is ~100 f32 roundings
    for (let t = 0; t < T; t++)
      for (let c = 0; c < C; c++) expect(Math.abs(got[t]![c]! - want[t]![c]!)).toBeLessThan(1e-5);
    x.dispose();
    y.dispose();
  });

  it("with a KV cache, token-by-token output equals the full pass", () => {
    const x = S.randn([2, T, C]);
    const full = S.noGrad(() => attn.forward(x));
    const cache = new S.KVCache(1);
    const steps = S.noGrad(() => [
      attn.forward(S.narrow(x, 1, 0, 3), { cache: cache.layers[0] }),
      ...[3, 4, 5].map((t) => attn.forward(S.narrow(x, 1, t, 1), { cache: cache.layers[0] })),
    ]);
    expect(cache.length).toBe(T);
    const joined = S.cat(steps, 1);
    const a = full.dataSync();
    const b = joined.dataSync();
    for (let i = 0; i < a.length; i++) expect(Math.abs(a[i]! - b[i]!)).toBeLessThan(1e-5);
    expect(() => attn.forward(x, { cache: cache.layers[0] })).toThrow(/noGrad/);
    cache.dispose();
    for (const t of [x, full, joined, ...steps]) t.dispose();
  });

  it("rejects shapes that do not fit", () => {
    expect(() => new S.CausalSelfAttention({ hiddenSize: 16, numHeads: 4, numKvHeads: 3 })).toThrow(
      /numKvHeads \(3\) must divide numHeads \(4\)/,
    );
    expect(() => attn.forward(S.zeros([1, 2, 8]))).toThrow(/\[B, T, 16\].*\[1, 2, 8\]/);
  });
});

describe("SwiGLUMLP", () => {
  it("computes down(silu(gate x) * up x)", () => {
    S.manualSeed(5);
    const mlp = new S.SwiGLUMLP(6, 10);
    expect(mlp.namedParameters().map(([n]) => n)).toEqual(["gate_proj.weight", "up_proj.weight", "down_proj.weight"]);
    const x = S.randn([3, 6]);
    const y = mlp.forward(x);
    const xs = toMat(x, 3, 6);
    const gate = linear(xs, toMat(mlp.gateProj.weight, 10, 6));
    const up = linear(xs, toMat(mlp.upProj.weight, 10, 6));
    const hidden = gate.map((r, i) => r.map((g, j) => (g / (1 + Math.exp(-g))) * up[i]![j]!));
    const want = linear(hidden, toMat(mlp.downProj.weight, 6, 10));
    const got = toMat(y, 3, 6);
    for (let i = 0; i < 3; i++)
      for (let j = 0; j < 6; j++) expect(Math.abs(got[i]![j]! - want[i]![j]!)).toBeLessThan(1e-5);
    x.dispose();
    y.dispose();
    mlp.dispose();
  });
});
