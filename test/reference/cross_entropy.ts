// Cross-entropy of logits [N, V] and integer targets [N], as torch.nn.functional.cross_entropy:
// ignored rows give loss 0; "mean" divides by the number of non-ignored rows (NaN when all are ignored).
import { type Ref, ref } from "./ndarray.js";
import { logsumexpOf } from "./reduce.js";

export interface CrossEntropyRefOpts {
  ignoreIndex?: number;
  reduction?: "mean" | "sum" | "none";
}

export function crossEntropy(logits: Ref, targets: Ref, opts: CrossEntropyRefOpts = {}): Ref {
  const [N, V] = logits.shape as [number, number];
  if (logits.shape.length !== 2 || targets.shape.length !== 1 || targets.shape[0] !== N) {
    throw new Error("crossEntropy: logits [N, V], targets [N]");
  }
  const ignore = opts.ignoreIndex ?? -100;
  const losses = ref([N]);
  let count = 0;
  for (let i = 0; i < N; i++) {
    const t = targets.data[i]!;
    if (t === ignore) continue;
    if (!Number.isInteger(t) || t < 0 || t >= V) throw new Error(`crossEntropy: target ${t} out of range`);
    const row = Array.from(logits.data.subarray(i * V, (i + 1) * V));
    losses.data[i] = logsumexpOf(row) - row[t]!;
    count++;
  }
  const reduction = opts.reduction ?? "mean";
  if (reduction === "none") return losses;
  let s = 0;
  for (const l of losses.data) s += l;
  return ref([], [reduction === "sum" ? s : s / count]);
}
