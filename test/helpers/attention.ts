// The cases of the attention tests (test/ops, test/cuda): the problem's sizes and options, and its inputs.

/** B batch, H query heads, Hkv key/value heads, T queries, S keys, D head dim; and the options of attention. */
export interface AttentionCase {
  B: number;
  H: number;
  Hkv: number;
  T: number;
  S: number;
  D: number;
  causal?: boolean;
  kvOffset?: number;
  scale?: number;
}

/** The options of S.attention and R.attention for case c. */
export const optsOf = (c: AttentionCase) => ({ causal: c.causal, kvOffset: c.kvOffset, scale: c.scale });

/** q, k and v of case c, each made by `make` from its shape, in that order (so seeded draws stay the same). */
export function qkv<T>(c: AttentionCase, make: (shape: number[]) => T): [T, T, T] {
  return [make([c.B, c.H, c.T, c.D]), make([c.B, c.Hkv, c.S, c.D]), make([c.B, c.Hkv, c.S, c.D])];
}
