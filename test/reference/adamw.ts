// One AdamW step exactly as torch.optim.AdamW (single-tensor path, no amsgrad), in float64:
//   p *= 1 - lr*wd; m = m + (1-b1)*(g - m) [lerp]; v = b2*v + (1-b2)*g*g;
//   p -= lr/(1-b1^step) * m / (sqrt(v)/sqrt(1-b2^step) + eps)
// `gradScale` multiplies the gradient first (how slmkit folds clipping in).
import { type Ref, ref } from "./ndarray.js";

export interface AdamWRefOpts {
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
  /** 1-based step number after incrementing (torch's state["step"]). */
  step: number;
  gradScale?: number;
}

export function adamwStep(p: Ref, g: Ref, m: Ref, v: Ref, o: AdamWRefOpts): { p: Ref; m: Ref; v: Ref } {
  const b1 = o.beta1 ?? 0.9;
  const b2 = o.beta2 ?? 0.999;
  const eps = o.eps ?? 1e-8;
  const wd = o.weightDecay ?? 0.01;
  const gs = o.gradScale ?? 1;
  const n = p.data.length;
  const P = ref(p.shape);
  const M = ref(p.shape);
  const Vv = ref(p.shape);
  const bc1 = 1 - Math.pow(b1, o.step);
  const bc2sqrt = Math.sqrt(1 - Math.pow(b2, o.step));
  const stepSize = o.lr / bc1;
  for (let i = 0; i < n; i++) {
    const gi = g.data[i]! * gs;
    let pi = p.data[i]! * (1 - o.lr * wd);
    const mi = m.data[i]! + (1 - b1) * (gi - m.data[i]!);
    const vi = b2 * v.data[i]! + (1 - b2) * gi * gi;
    pi -= (stepSize * mi) / (Math.sqrt(vi) / bc2sqrt + eps);
    P.data[i] = pi;
    M.data[i] = mi;
    Vv.data[i] = vi;
  }
  return { p: P, m: M, v: Vv };
}
