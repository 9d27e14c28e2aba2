// Rotary position embedding, rotate-half layout, as KERNELS.md: pairs (d, d + D/2), p = positionOffset + t,
// angle = p * theta^(-2d/D).
import { type Ref, ref } from "./ndarray.js";

export interface RopeRefOpts {
  theta?: number;
  positionOffset?: number;
}

export function rope(x: Ref, opts: RopeRefOpts = {}): Ref {
  const [B, H, T, D] = x.shape as [number, number, number, number];
  if (x.shape.length !== 4 || D % 2 !== 0) throw new Error("rope: x [B,H,T,D] with D even");
  const theta = opts.theta ?? 10000;
  const off = opts.positionOffset ?? 0;
  const half = D / 2;
  const y = ref(x.shape);
  for (let bh = 0; bh < B * H; bh++) {
    for (let t = 0; t < T; t++) {
      const base = (bh * T + t) * D;
      for (let d = 0; d < half; d++) {
        const angle = (off + t) * Math.pow(theta, (-2 * d) / D);
        const c = Math.cos(angle);
        const s = Math.sin(angle);
        const a = x.data[base + d]!;
        const b = x.data[base + d + half]!;
        y.data[base + d] = a * c - b * s;
        y.data[base + d + half] = b * c + a * s;
      }
    }
  }
  return y;
}
