// Scaled dot-product attention exactly as KERNELS.md: GQA (head h reads kv head floor(h / (H/Hkv))),
// causal masks keys s > t + kvOffset, a row that sees no key gives o = 0 and lse = -Infinity.
import { type Ref, ref } from "./ndarray.js";

export interface AttentionRefOpts {
  causal?: boolean;
  /** Defaults to 1/sqrt(D). */
  scale?: number;
  kvOffset?: number;
}

export function attentionWithLse(q: Ref, k: Ref, v: Ref, opts: AttentionRefOpts = {}): { o: Ref; lse: Ref } {
  const [B, H, T, D] = q.shape as [number, number, number, number];
  const [B2, Hkv, S, D2] = k.shape as [number, number, number, number];
  if (q.shape.length !== 4 || k.shape.length !== 4 || B2 !== B || D2 !== D)
    throw new Error("attention: bad q/k shapes");
  if (v.shape.join() !== k.shape.join()) throw new Error("attention: v must match k");
  if (H % Hkv !== 0) throw new Error("attention: H must be a multiple of Hkv");
  const scale = opts.scale ?? 1 / Math.sqrt(D);
  const causal = opts.causal ?? false;
  const kvOffset = opts.kvOffset ?? 0;
  const group = H / Hkv;
  const o = ref([B, H, T, D]);
  const lse = ref([B, H, T]);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      const hk = Math.floor(h / group);
      for (let t = 0; t < T; t++) {
        const qo = ((b * H + h) * T + t) * D;
        const last = causal ? Math.min(S - 1, t + kvOffset) : S - 1;
        const scores: number[] = [];
        for (let s = 0; s <= last; s++) {
          const ko = ((b * Hkv + hk) * S + s) * D;
          let dot = 0;
          for (let d = 0; d < D; d++) dot += q.data[qo + d]! * k.data[ko + d]!;
          scores.push(scale * dot);
        }
        const li = (b * H + h) * T + t;
        if (scores.length === 0) {
          lse.data[li] = -Infinity;
          continue; // o stays 0
        }
        const m = Math.max(...scores);
        let z = 0;
        for (const sc of scores) z += Math.exp(sc - m);
        lse.data[li] = m + Math.log(z);
        for (let s = 0; s < scores.length; s++) {
          const p = Math.exp(scores[s]! - m) / z;
          const vo = ((b * Hkv + hk) * S + s) * D;
          for (let d = 0; d < D; d++) o.data[qo + d]! += p * v.data[vo + d]!;
        }
      }
    }
  }
  return { o, lse };
}

export const attention = (q: Ref, k: Ref, v: Ref, opts: AttentionRefOpts = {}): Ref =>
  attentionWithLse(q, k, v, opts).o;
