// Assertions shared by the suite.
import { expect } from "vitest";
import { SlmkitError, type Tensor } from "../../src/index.js";
import type { Ref } from "../reference/index.js";
import { toRef } from "./tensors.js";
import type { Tol } from "./tolerance.js";

/**
 * Every element of `got` within `tol` of `want` (same shape; NaN where want is NaN; equal infinities).
 * Reports the worst element with its index.
 */
export function expectClose(got: Tensor | Ref, want: Ref, tol: Tol | number, label = ""): void {
  const g = "data" in got && got.data instanceof Float64Array ? (got as Ref) : toRef(got as Tensor);
  expect([...g.shape], `${label} shape`).toEqual([...want.shape]);
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < want.data.length; i++) {
    const w = want.data[i]!;
    const v = g.data[i]!;
    const t = typeof tol === "number" ? tol : tol.data[i]!;
    let excess: number;
    if (Number.isNaN(w)) excess = Number.isNaN(v) ? 0 : Infinity;
    else if (!Number.isFinite(w)) excess = v === w ? 0 : Infinity;
    else excess = Number.isNaN(v) ? Infinity : Math.abs(v - w) - t;
    if (excess > 0 && (worst < 0 || excess > worstExcess)) {
      worst = i;
      worstExcess = excess;
    }
  }
  if (worst >= 0) {
    const t = typeof tol === "number" ? tol : tol.data[worst]!;
    expect.fail(
      `${label}: element ${worst} of shape [${want.shape}] is ${g.data[worst]}, want ${want.data[worst]} ± ${t.toExponential(2)}`,
    );
  }
}

/** Exactly equal values (integers, bools, copies). */
export function expectEqualValues(got: Tensor, want: Ref, label = ""): void {
  const g = toRef(got);
  expect([...g.shape], `${label} shape`).toEqual([...want.shape]);
  expect(Array.from(g.data), label).toEqual(Array.from(want.data));
}

/**
 * `fn` throws a SlmkitError (of `cls` when given) whose message contains every fragment (case-sensitive),
 * e.g. the op's name, the argument and the shapes.
 */
export function expectSlmkitError(
  fn: () => unknown,
  fragments: (string | RegExp)[] = [],
  cls: new (...a: never[]) => SlmkitError = SlmkitError,
): SlmkitError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, "expected a throw").toBeDefined();
  expect(caught, String(caught)).toBeInstanceOf(cls);
  const message = (caught as Error).message;
  for (const f of fragments) {
    if (typeof f === "string") expect(message).toContain(f);
    else expect(message).toMatch(f);
  }
  return caught as SlmkitError;
}
