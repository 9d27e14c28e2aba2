// Central finite differences in float64: the gradient of sum(f(inputs) * cot) with respect to each input.
import { clone, type Ref, ref } from "./ndarray.js";

export interface GradCheckOpts {
  /** Relative step; the absolute step is rel * max(1, |x|). */
  rel?: number;
}

function dot(a: Ref, b: Ref): number {
  if (a.data.length !== b.data.length)
    throw new Error(`numericGrad: output has ${a.data.length} values, cotangent ${b.data.length}`);
  let s = 0;
  for (let i = 0; i < a.data.length; i++) s += a.data[i]! * b.data[i]!;
  return s;
}

export function numericGrad(
  f: (inputs: Ref[]) => Ref,
  inputs: readonly Ref[],
  cot: Ref,
  opts: GradCheckOpts = {},
): Ref[] {
  const rel = opts.rel ?? 1e-6;
  const work = inputs.map(clone);
  return work.map((x) => {
    const g = ref(x.shape);
    for (let i = 0; i < x.data.length; i++) {
      const x0 = x.data[i]!;
      const h = rel * Math.max(1, Math.abs(x0));
      x.data[i] = x0 + h;
      const up = dot(f(work), cot);
      x.data[i] = x0 - h;
      const down = dot(f(work), cot);
      x.data[i] = x0;
      g.data[i] = (up - down) / (2 * h);
    }
    return g;
  });
}
