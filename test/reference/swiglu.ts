// swiglu(gate, up) = silu(gate) * up, elementwise on equal shapes.
import { scalarFns } from "./elementwise.js";
import { type Ref, ref, sameShape } from "./ndarray.js";

export function swiglu(gate: Ref, up: Ref): Ref {
  if (!sameShape(gate.shape, up.shape)) throw new Error("swiglu: gate and up must have one shape");
  return ref(gate.shape, (i) => scalarFns.silu(gate.data[i]!) * up.data[i]!);
}
