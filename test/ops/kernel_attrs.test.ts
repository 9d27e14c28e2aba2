// Kernel attributes go by name and reach the addon in the op table's order; a missing, unknown or
// non-numeric attribute is an error naming the op, the kernel and the attribute.
import { describe, expect, it } from "vitest";
import { ArgumentError } from "../../src/errors.js";
import { emptyTensor, runKernel } from "../../src/ops/dispatch.js";
import { attrLayout, type AttrValues } from "../../src/ops/kernel_attrs.js";
import type { KernelName } from "../../src/ops/table.js";
import { expectSlmkitError } from "../helpers/expect.js";

function encode(kernel: KernelName, attrs: AttrValues | undefined, op = "test"): number[] {
  const layout = attrLayout(op, kernel);
  const buf = new Float64Array(layout.wireLength(op, attrs));
  expect(layout.write(op, attrs, buf, 0)).toBe(buf.length);
  return Array.from(buf);
}

describe("kernel attributes by name", () => {
  it("are written in the table's order whatever the object's order, booleans as 1 or 0", () => {
    expect(encode("attention_forward", { kv_offset: 3, causal: true, scale: 0.5 })).toEqual([0.5, 1, 3]);
    expect(encode("rope_backward", { position_offset: 7, theta: 10000 })).toEqual([10000, 7]);
    expect(encode("matmul", undefined)).toEqual([]);
  });

  it("a variable-length list comes after the fixed attributes, one number each", () => {
    const attrs = { lr_wd: [1e-3, 0.1, 2e-3, 0], grad_scale: 1, step: 4, eps: 1e-8, beta2: 0.95, beta1: 0.9 };
    expect(encode("adamw_step", attrs)).toEqual([0.9, 0.95, 1e-8, 4, 1, 1e-3, 0.1, 2e-3, 0]);
    expect(encode("adamw_step", { ...attrs, lr_wd: new Float64Array([5, 6]) })).toEqual([0.9, 0.95, 1e-8, 4, 1, 5, 6]);
  });

  it("a missing attribute names the op, the kernel and the attribute", () => {
    expectSlmkitError(
      () => encode("rmsnorm_forward", {}, "rmsNorm"),
      ["rmsNorm:", "rmsnorm_forward", "needs attribute eps", "its attributes are eps"],
      ArgumentError,
    );
    expectSlmkitError(
      () => encode("attention_forward", { scale: 1, causal: false }, "attention"),
      ["attention_forward", "kv_offset"],
      ArgumentError,
    );
    expectSlmkitError(
      () => encode("adamw_step", { beta1: 0.9, beta2: 0.95, eps: 1e-8, step: 1, grad_scale: 1 }, "adamwStep"),
      ["adamw_step", "lr_wd (a list of numbers)"],
      ArgumentError,
    );
  });

  it("an unknown or non-numeric attribute is an error too", () => {
    expectSlmkitError(
      () => encode("rmsnorm_forward", { eps: 1e-5, epsilon: 1e-5 }, "rmsNorm"),
      ["rmsNorm:", "rmsnorm_forward", "has no attribute epsilon"],
      ArgumentError,
    );
    expectSlmkitError(
      () => encode("matmul", { alpha: 1 }, "matmul"),
      ["matmul", "has no attribute alpha", "takes no attributes"],
      ArgumentError,
    );
    expectSlmkitError(
      () => encode("rmsnorm_forward", { eps: "1e-5" } as never, "rmsNorm"),
      ["rmsnorm_forward", "eps (a number), got 1e-5"],
      ArgumentError,
    );
  });

  it("runKernel checks them before the addon sees anything", () => {
    const t = emptyTensor([2], "f32", "cpu");
    expectSlmkitError(
      () => runKernel("full", "fill", [], [t], {} as never),
      ["full:", "fill", "needs attribute value"],
      ArgumentError,
    );
    runKernel("full", "fill", [], [t], { value: 2.5 });
    expect(t.toArray()).toEqual([2.5, 2.5]);
    t.dispose();
  });
});
