// rmsNorm over the last dim: y = x / sqrt(mean(x^2) + eps) * w.
import { type Ref, ref } from "./ndarray.js";

export function rmsNorm(x: Ref, w: Ref, eps = 1e-5): Ref {
  const C = x.shape[x.shape.length - 1]!;
  if (w.shape.length !== 1 || w.shape[0] !== C) throw new Error("rmsNorm: weight must be [C]");
  const out = ref(x.shape);
  const N = x.data.length / C;
  for (let n = 0; n < N; n++) {
    let ss = 0;
    for (let c = 0; c < C; c++) ss += x.data[n * C + c]! ** 2;
    const rstd = 1 / Math.sqrt(ss / C + eps);
    for (let c = 0; c < C; c++) out.data[n * C + c] = x.data[n * C + c]! * rstd * w.data[c]!;
  }
  return out;
}
