import { ArgumentError, ShapeError } from "../errors.js";
import type { FloatDType } from "../tensor/dtype.js";
import { formatShape } from "../tensor/shape.js";
import type { Tensor } from "../tensor/tensor.js";
import { emptyTensor, runKernel } from "./dispatch.js";
import { checkFloatArgs, contiguousInputs } from "./fused_util.js";
import { record } from "./record.js";
import type { KernelAttrs } from "./table.js";

/** Options of attention(). */
export interface AttentionOptions {
  /** Mask keys after each query (query t sees keys s <= t + kvOffset). Default false. */
  causal?: boolean;
  /** Multiplier of q·k; default 1/sqrt(D). */
  scale?: number;
  /** Position of the first query among the keys, for decoding after cached keys. Default 0. */
  kvOffset?: number;
}

/**
 * Fused scaled-dot-product attention with grouped-query heads: q [B, H, T, D], k and v [B, Hkv, S, D]
 * with Hkv dividing H (query head h reads kv head h / (H / Hkv)). Online softmax; the forward pass saves
 * only the log-sum-exp of each row, and no T×S matrix is ever stored.
 *
 * @example
 * attention(q, k, v, { causal: true }); // [B, H, T, D]
 */
export function attention<D extends FloatDType>(
  q: Tensor<D>,
  k: Tensor<D>,
  v: Tensor<D>,
  opts: AttentionOptions = {},
): Tensor<D> {
  checkFloatArgs("attention", { q, k, v });
  const shapes = `q ${formatShape(q.shape)}, k ${formatShape(k.shape)}, v ${formatShape(v.shape)}`;
  if (q.ndim !== 4 || k.ndim !== 4 || v.ndim !== 4)
    throw new ShapeError(`attention: q, k and v must be 4-D [B, H, T, D], got ${shapes}`);
  const [B, H, T, D] = q.shape as [number, number, number, number];
  const [Bk, Hkv, S, Dk] = k.shape as [number, number, number, number];
  if (Bk !== B || Dk !== D || v.shape.some((s, i) => s !== k.shape[i]))
    throw new ShapeError(`attention: batch and head dims must agree and k, v must share a shape, got ${shapes}`);
  if (Hkv === 0 || H % Hkv !== 0)
    throw new ShapeError(`attention: kv heads (${Hkv}) must divide query heads (${H}), got ${shapes}`);
  // Sent as 0 or 1 whatever a JavaScript caller passed, as before attributes went by name.
  const causal = Boolean(opts.causal);
  const scale = opts.scale ?? 1 / Math.sqrt(D);
  const kvOffset = opts.kvOffset ?? 0;
  if (typeof scale !== "number" || !Number.isFinite(scale))
    throw new ArgumentError(`attention: scale must be a finite number, got ${String(scale)}`);
  if (!Number.isInteger(kvOffset) || kvOffset < 0)
    throw new ArgumentError(`attention: kvOffset must be a whole number >= 0, got ${String(kvOffset)}`);
  const o = emptyTensor([B, H, T, D], q.dtype, q.device);
  const lse = emptyTensor([B, H, T], "f32", q.device);
  const attrs = { scale, causal, kv_offset: kvOffset };
  const { c, release } = contiguousInputs([q, k, v]);
  runKernel("attention", "attention_forward", c, [o, lse], attrs);
  release();
  // The backward kernel takes the same attributes: the node keeps them for it.
  record("attention", [q, k, v], o, attrs, [lse]);
  lse.dispose();
  return o;
}

/** dq, dk, dv of attention from the saved inputs, output and log-sum-exp (the fused backward kernel). */
export function attentionBackward<D extends FloatDType>(
  q: Tensor<D>,
  k: Tensor<D>,
  v: Tensor<D>,
  o: Tensor<D>,
  lse: Tensor<"f32">,
  go: Tensor<D>,
  attrs: KernelAttrs<"attention_backward">,
): [Tensor<D>, Tensor<D>, Tensor<D>] {
  const gq = emptyTensor(q.shape, q.dtype, q.device);
  const gk = emptyTensor(k.shape, k.dtype, k.device);
  const gv = emptyTensor(v.shape, v.dtype, v.device);
  const { c, release } = contiguousInputs([q, k, v, o, lse, go]);
  runKernel("attention backward", "attention_backward", c, [gq, gk, gv], attrs);
  release();
  return [gq, gk, gv];
}
