// The bf16 CUDA attention (the tensor-core kernels) against a float64 reference, held to PyTorch's own bf16
// SDPA: per case, our max and mean absolute error of o, gq, gk and gv must be at most twice SDPA's
// (test/fixtures/attention_sdpa_error.json, from scripts/fixtures/attention_sdpa_error.py on a GPU). Both
// sides draw the same inputs from the case's seed (mulberry32, R.Rng; rounded to bf16), so the fixture
// stores only error statistics. Outputs are poisoned with NaN first: every element must be written.
// Run once per set of kernels a GPU runs, each in its own process because SLMKIT_CUDA_PRE_HOPPER is read
// once per process: attention_sdpa.test.ts (the default kernels; on Hopper the wgmma prefill forward and
// backward) and attention_sdpa_pre_hopper.test.ts (the mma.sync kernels of the GPUs before Hopper). The
// decoding cases (group * T <= 64 query rows against long key sequences) run the mma.sync split-KV forward
// in both.
import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import * as S from "../../src/index.js";
import { runKernel } from "../../src/ops/dispatch.js";
import { type AttentionCase, qkv } from "../helpers/attention.js";
import { toRef } from "../helpers/tensors.js";
import * as R from "../reference/index.js";

interface ErrStat {
  max: number;
  mean: number;
  refMaxAbs: number;
}
interface Case extends AttentionCase {
  causal: boolean;
  kvOffset: number;
  seed: number;
  backend: string;
  sdpaError: Record<"o" | "gq" | "gk" | "gv", ErrStat>;
}
interface Fixture {
  ranges: Record<"q" | "k" | "v" | "go", number>;
  cases: Case[];
}
const fixtureUrl = new URL("../fixtures/attention_sdpa_error.json", import.meta.url);
const fixture: Fixture | undefined = existsSync(fixtureUrl)
  ? (JSON.parse(readFileSync(fixtureUrl, "utf8")) as Fixture)
  : undefined;

/** The case's inputs exactly as the fixture script draws them: q, k, v, go in that order, f32 then bf16. */
function inputsOf(c: Case, ranges: Fixture["ranges"]): Record<"q" | "k" | "v" | "go", R.Ref> {
  const rng = new R.Rng(c.seed);
  const [qShape, kvShape] = qkv(c, (shape) => shape);
  const draw = (shape: number[], range: number) => R.roundRef(rng.ref(shape, -range, range), "bf16");
  return {
    q: draw(qShape, ranges.q),
    k: draw(kvShape, ranges.k),
    v: draw(kvShape, ranges.v),
    go: draw(qShape, ranges.go),
  };
}

/**
 * float64 attention backward, written out: p = exp(scale q.k - lse), delta = go.o, ds = p (go.v - delta);
 * gq = scale sum ds k, gk = scale sum ds q, gv = sum p go (summed over the query heads of a kv head).
 */
function attentionGrads(
  q: R.Ref,
  k: R.Ref,
  v: R.Ref,
  go: R.Ref,
  opts: R.AttentionRefOpts,
): { o: R.Ref; lse: R.Ref; gq: R.Ref; gk: R.Ref; gv: R.Ref } {
  const [B, H, T, D] = q.shape as [number, number, number, number];
  const [, Hkv, S_] = k.shape as [number, number, number, number];
  const scale = opts.scale ?? 1 / Math.sqrt(D);
  const { o, lse } = R.attentionWithLse(q, k, v, opts);
  const gq = R.ref(q.shape),
    gk = R.ref(k.shape),
    gv = R.ref(v.shape);
  const group = H / Hkv;
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      const kv = (b * Hkv + Math.floor(h / group)) * S_;
      for (let t = 0; t < T; t++) {
        const row = (b * H + h) * T + t;
        const last = opts.causal ? Math.min(S_ - 1, t + (opts.kvOffset ?? 0)) : S_ - 1;
        let delta = 0;
        for (let d = 0; d < D; d++) delta += go.data[row * D + d]! * o.data[row * D + d]!;
        for (let s = 0; s <= last; s++) {
          let qk = 0,
            dp = 0;
          for (let d = 0; d < D; d++) {
            qk += q.data[row * D + d]! * k.data[(kv + s) * D + d]!;
            dp += go.data[row * D + d]! * v.data[(kv + s) * D + d]!;
          }
          const p = Math.exp(scale * qk - lse.data[row]!);
          const ds = p * (dp - delta);
          for (let d = 0; d < D; d++) {
            gq.data[row * D + d]! += scale * ds * k.data[(kv + s) * D + d]!;
            gk.data[(kv + s) * D + d]! += scale * ds * q.data[row * D + d]!;
            gv.data[(kv + s) * D + d]! += p * go.data[row * D + d]!;
          }
        }
      }
    }
  }
  return { o, lse, gq, gk, gv };
}

function errStat(got: R.Ref, want: R.Ref): { max: number; mean: number } {
  let max = 0,
    sum = 0;
  for (let i = 0; i < want.data.length; i++) {
    const e = Math.abs(got.data[i]! - want.data[i]!);
    if (Number.isNaN(e)) return { max: NaN, mean: NaN };
    max = Math.max(max, e);
    sum += e;
  }
  return { max, mean: want.data.length ? sum / want.data.length : 0 };
}

/** The float64 gradients above against central finite differences (no GPU needed). */
export function referenceGradsSuite(): void {
  describe("float64 attention gradients of this test", () => {
    it("match central finite differences (GQA, causal, kv_offset)", () => {
      const rng = new R.Rng(5);
      const q = rng.ref([1, 4, 3, 8]),
        k = rng.ref([1, 2, 5, 8]),
        v = rng.ref([1, 2, 5, 8]),
        go = rng.ref([1, 4, 3, 8]);
      const opts = { causal: true, kvOffset: 1, scale: 0.6 };
      const got = attentionGrads(q, k, v, go, opts);
      const want = R.numericGrad((xs) => R.attention(xs[0]!, xs[1]!, xs[2]!, opts), [q, k, v], go);
      [got.gq, got.gk, got.gv].forEach((g, i) => {
        const e = errStat(g, want[i]!);
        expect(e.max).toBeLessThan(1e-7);
      });
    });
  });
}

/** Runs forward and backward on CUDA with NaN-poisoned outputs; returns host copies. */
function runOurs(x: Record<"q" | "k" | "v" | "go", R.Ref>, c: Case): Record<"o" | "lse" | "gq" | "gk" | "gv", R.Ref> {
  return S.tidy(() => {
    const dev = (r: R.Ref) => S.tensor(Float32Array.from(r.data), { shape: r.shape, dtype: "bf16" }).to("cuda");
    const q = dev(x.q),
      k = dev(x.k),
      v = dev(x.v),
      go = dev(x.go);
    const attrs = { scale: 1 / Math.sqrt(c.D), causal: c.causal, kv_offset: c.kvOffset };
    const o = S.full(q.shape, NaN, { dtype: "bf16", device: "cuda" });
    const lse = S.full([c.B, c.H, c.T], NaN, { dtype: "f32", device: "cuda" });
    runKernel("attention", "attention_forward", [q, k, v], [o, lse], attrs);
    const gq = S.full(q.shape, NaN, { dtype: "bf16", device: "cuda" });
    const gk = S.full(k.shape, NaN, { dtype: "bf16", device: "cuda" });
    const gv = S.full(v.shape, NaN, { dtype: "bf16", device: "cuda" });
    runKernel("attention backward", "attention_backward", [q, k, v, o, lse, go], [gq, gk, gv], attrs);
    return {
      o: toRef(o.to("cpu")),
      lse: toRef(lse.to("cpu")),
      gq: toRef(gq.to("cpu")),
      gk: toRef(gk.to("cpu")),
      gv: toRef(gv.to("cpu")),
    };
  });
}

/**
 * Key splits of the mma.sync decoding forward for case c on a GPU with `sms` multiprocessors: the rule of
 * forward_splits in kernels/cuda/attention.cu (split only when the (b, kv head, 64-row tile) blocks cannot
 * fill the GPU and every split keeps >= 256 keys), before rounding the splits to whole key tiles.
 */
function decodingSplits(c: Case, sms: number): number {
  const rows = (c.H / c.Hkv) * c.T;
  if (rows > 64) return 1;
  const blocks = c.B * c.Hkv;
  const keys = c.causal ? Math.min(c.S, c.T + c.kvOffset) : c.S;
  if (blocks >= sms || keys < 512) return 1;
  return Math.max(1, Math.min(Math.ceil((2 * sms) / blocks), Math.floor(keys / 256), 128));
}

/**
 * The fixture's cases on the kernels this process runs. `kernels` is what deviceProperties() must report:
 * "default" = "wgmma" on a Hopper GPU (compute capability 9.0) and "mma.sync" elsewhere; "mma.sync" =
 * always (SLMKIT_CUDA_PRE_HOPPER=1).
 */
export function sdpaErrorSuite(kernels: "default" | "mma.sync"): void {
  it("has the fixture", () => expect(fixture?.cases.length).toBeGreaterThan(0));

  it(`runs the ${kernels === "default" ? "wgmma kernels on Hopper" : "mma.sync kernels"}, so the cases below test them`, () => {
    const props = S.cuda.deviceProperties();
    const want = kernels === "default" && props.computeCapability === "9.0" ? "wgmma" : "mma.sync";
    expect(props.attentionKernels).toBe(want);
  });

  it("has decoding cases that split their keys on this GPU (the split-KV forward and its combine kernel)", () => {
    const sms = S.cuda.deviceProperties().multiprocessors as number;
    const split = fixture!.cases.filter((c) => decodingSplits(c, sms) > 1);
    expect(split.length).toBeGreaterThanOrEqual(2);
  });

  for (const c of fixture?.cases ?? []) {
    const label = `B${c.B} H${c.H} Hkv${c.Hkv} T${c.T} S${c.S} D${c.D}${c.causal ? " causal" : ""}${c.kvOffset ? ` kvOffset ${c.kvOffset}` : ""}`;
    it(label, () => {
      const x = inputsOf(c, fixture!.ranges);
      const want = attentionGrads(x.q, x.k, x.v, x.go, { causal: c.causal, kvOffset: c.kvOffset });
      const got = runOurs(x, c);
      const report: string[] = [];
      for (const n of ["o", "gq", "gk", "gv"] as const) {
        const e = errStat(got[n], want[n]);
        const sdpa = c.sdpaError[n];
        report.push(
          `${n} max ${e.max.toExponential(2)} (sdpa ${sdpa.max.toExponential(2)}) mean ${e.mean.toExponential(2)} (sdpa ${sdpa.mean.toExponential(2)})`,
        );
        expect(e.max, `${n} max error`).toBeLessThanOrEqual(2 * sdpa.max);
        expect(e.mean, `${n} mean error`).toBeLessThanOrEqual(2 * sdpa.mean);
      }
      // lse: f32 sums of exact bf16 products; allow 1e-4 relative (it is saved for the backward only).
      const lseErr = want.lse.data.reduce(
        (m, w, i) => Math.max(m, Math.abs(got.lse.data[i]! - w) / (1 + Math.abs(w))),
        0,
      );
      expect(lseErr).toBeLessThan(1e-4);
      console.log(`[attention ${kernels}] ${label}: ${report.join("; ")}; lse ${lseErr.toExponential(2)}`);
    });
  }

  it("bf16 backward is deterministic: the same gradients twice, bit for bit", () => {
    const c = fixture!.cases.find((k) => k.H !== k.Hkv && k.causal && k.T > 100)!;
    const x = inputsOf(c, fixture!.ranges);
    const a = runOurs(x, c),
      b = runOurs(x, c);
    for (const n of ["o", "lse", "gq", "gk", "gv"] as const)
      expect(Array.from(a[n].data)).toEqual(Array.from(b[n].data));
  });
}
