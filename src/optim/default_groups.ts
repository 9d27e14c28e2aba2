import { ArgumentError } from "../errors.js";
import { Tensor } from "../tensor/tensor.js";
import type { ParameterGroup } from "./param_group.js";

/**
 * The usual two AdamW groups: "decay" holds every parameter with 2 or more dimensions (weight matrices,
 * embeddings) with `weightDecay`; "no_decay" holds the rest (norm weights, biases) without decay. Empty
 * groups are left out. Both train at the scheduled rate (lrMultiplier 1).
 *
 * @example
 * const opt = new AdamW(defaultParameterGroups({ "fc.weight": w, "fc.bias": b }, { weightDecay: 0.1 }));
 */
export function defaultParameterGroups(
  namedParams: Readonly<Record<string, Tensor<"f32">>> | Iterable<readonly [string, Tensor<"f32">]>,
  options: { weightDecay: number },
): ParameterGroup[] {
  const wd = options?.weightDecay;
  if (typeof wd !== "number" || !Number.isFinite(wd) || wd < 0)
    throw new ArgumentError(`defaultParameterGroups: weightDecay must be a finite number >= 0, got ${String(wd)}`);
  const entries =
    Symbol.iterator in Object(namedParams)
      ? [...(namedParams as Iterable<readonly [string, Tensor<"f32">]>)]
      : Object.entries(namedParams);
  const decay: [string, Tensor<"f32">][] = [];
  const noDecay: [string, Tensor<"f32">][] = [];
  for (const [name, p] of entries) {
    if (!(p instanceof Tensor)) throw new ArgumentError(`defaultParameterGroups: parameter "${name}" is not a Tensor`);
    (p.shape.length >= 2 ? decay : noDecay).push([name, p]);
  }
  const group = (name: string, list: [string, Tensor<"f32">][], weightDecay: number): ParameterGroup => ({
    name,
    params: list.map(([, p]) => p),
    paramNames: list.map(([n]) => n),
    lrMultiplier: 1,
    weightDecay,
  });
  return [
    ...(decay.length ? [group("decay", decay, wd)] : []),
    ...(noDecay.length ? [group("no_decay", noDecay, 0)] : []),
  ];
}
