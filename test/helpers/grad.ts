// Checks a library op's forward and backward against a float64 reference and its finite differences.
import { expect } from "vitest";
import { type FloatDType, type Tensor, tidy } from "../../src/index.js";
import { type FloatKind, numericGrad, type Ref, roundRef, type Rng } from "../reference/index.js";
import { expectClose } from "./expect.js";
import { fromRef, toRef } from "./tensors.js";
import { elementwiseTol, gradTol, type Tol } from "./tolerance.js";

export interface GradCase {
  dtype: FloatKind;
  /** Inputs; rounded to dtype here so the reference sees exactly what the tensors hold. */
  inputs: Ref[];
  lib: (xs: Tensor<FloatDType>[]) => Tensor;
  ref: (xs: Ref[]) => Ref;
  rng: Rng;
  /** Number of rounding steps in the backward rule (scales the gradient tolerance). */
  ops?: number;
  /** Forward tolerance; elementwise by default. */
  forwardTol?: (want: Ref) => Tol;
  /** The output's dtype when it differs from the inputs' (crossEntropy gives f32 for bf16 logits). */
  outDtype?: FloatKind;
  /** Inputs that get no gradient check (e.g. kept constant). */
  skip?: number[];
  label?: string;
}

/**
 * Runs y = lib(xs), compares y with ref, then y.backward(cot) with a random cotangent and compares each
 * x.grad with the central finite differences of sum(ref(xs) * cot).
 */
export function checkForwardBackward(c: GradCase): void {
  const label = c.label ?? "";
  const inputs = c.inputs.map((r) => roundRef(r, c.dtype));
  tidy(() => {
    const xs: Tensor<FloatDType>[] = inputs.map((r) => fromRef(r, c.dtype, true));
    const y = c.lib(xs);
    const want = c.ref(inputs);
    const outDtype = c.outDtype ?? c.dtype;
    expect(y.dtype, `${label} output dtype`).toBe(outDtype);
    expectClose(y, want, (c.forwardTol ?? ((w) => elementwiseTol(outDtype, w)))(want), `${label} forward`);
    const cot = roundRef(c.rng.ref(want.shape), outDtype);
    y.backward(fromRef(cot, outDtype));
    const grads = numericGrad(c.ref, inputs, cot);
    xs.forEach((x, i) => {
      if (c.skip?.includes(i)) return;
      expect(x.grad, `${label} grad ${i} exists`).toBeDefined();
      expect(x.grad!.dtype, `${label} grad ${i} dtype`).toBe(c.dtype);
      expectClose(toRef(x.grad!), grads[i]!, gradTol(c.dtype, grads[i]!, c.ops), `${label} grad of input ${i}`);
    });
  });
}
