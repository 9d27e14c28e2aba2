// Kernel attributes go by name and reach the addon in the op table's order; a missing, unknown or
// non-numeric attribute is an error naming the op, the kernel and the attribute.
import { describe, expect, it } from "vitest";
import { ArgumentError } from "../../src/errors.js";
import { emptyTensor, runKernel } from "../../src/ops/dispatch.js";
import { attrLength, writeAttrs, type AttrValues } from "../../src/ops/kernel_attrs.js";
import { expectSlmkitError } from "../helpers/expect.js";

function encode(kernel: Parameters<typeof attrLength>[1], attrs: AttrValues | undefined): number[] {
  const buf = new Float64Array(attrLength("test", kernel, attrs));
  expect(writeAttrs(kernel, attrs, buf, 0)).toBe(buf.length);
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
    expectSlmkitError(() => attrLength("rmsNorm", "rmsnorm_forward", {}), ["rmsNorm:", "rmsnorm_forward", "needs attribute eps", "its attributes are eps"], ArgumentError);
    expectSlmkitError(() => attrLength("attention", "attention_forward", { scale: 1, causal: false }), ["attention_forward", "kv_offset"], ArgumentError);
    expectSlmkitError(() => attrLength("adamwStep", "adamw_step", { beta1: 0.9, beta2: 0.95, eps: 1e-8, step: 1, grad_scale: 1 }), ["adamw_step", "lr_wd (a list of numbers)"], ArgumentError);
  });

  it("an unknown or non-numeric attribute is an error too", () => {
    expectSlmkitError(() => attrLength("rmsNorm", "rmsnorm_forward", { eps: 1e-5, epsilon: 1e-5 }), ["rmsnorm_forward", "has no attribute epsilon"], ArgumentError);
    expectSlmkitError(() => attrLength("matmul", "matmul", { alpha: 1 }), ["matmul", "has no attribute alpha", "takes no attributes"], ArgumentError);
    expectSlmkitError(() => attrLength("rmsNorm", "rmsnorm_forward", { eps: "1e-5" } as never), ["rmsnorm_forward", "eps (a number), got 1e-5"], ArgumentError);
  });

  it("runKernel checks them before the addon sees anything", () => {
    const t = emptyTensor([2], "f32", "cpu");
    expectSlmkitError(() => runKernel("full", "fill", [], [t], {} as never), ["full:", "fill", "needs attribute value"], ArgumentError);
    runKernel("full", "fill", [], [t], { value: 2.5 });
    expect(t.toArray()).toEqual([2.5, 2.5]);
    t.dispose();
  });
});
