// Compile-time API checks. vitest typechecks this file (vitest.config.ts: typecheck.include), and
// `tsc --noEmit` over test/ makes every @ts-expect-error line a real check: it fails if the line compiles.
import { describe, expectTypeOf, it } from "vitest";
import * as S from "../src/index.js";
import type { GRADIENTS } from "../src/autograd/gradients.js";
import { runKernel } from "../src/ops/dispatch.js";
import { type DifferentiableOp, record } from "../src/ops/record.js";

declare const f32: S.Tensor<"f32">;
declare const bf16: S.Tensor<"bf16">;
declare const i32: S.Tensor<"i32">;
declare const bool: S.Tensor<"bool">;

describe("dtypes flow through the types", () => {
  it("creation", () => {
    expectTypeOf(S.tensor([1, 2])).toEqualTypeOf<S.Tensor<"f32">>();
    expectTypeOf(S.tensor([1, 2], { dtype: "i32" })).toEqualTypeOf<S.Tensor<"i32">>();
    expectTypeOf(S.tensor(new Int32Array(2))).toEqualTypeOf<S.Tensor<"i32">>();
    expectTypeOf(S.tensor(new Uint8Array(2))).toEqualTypeOf<S.Tensor<"bool">>();
    expectTypeOf(S.tensor([true, false])).toEqualTypeOf<S.Tensor<"bool">>();
    expectTypeOf(S.zeros([2], { dtype: "bf16" })).toEqualTypeOf<S.Tensor<"bf16">>();
    expectTypeOf(S.randn([2])).toEqualTypeOf<S.Tensor<"f32">>();
    expectTypeOf(S.randint(0, 5, [2])).toEqualTypeOf<S.Tensor<"i32">>();
    expectTypeOf(S.zerosLike(bf16)).toEqualTypeOf<S.Tensor<"bf16">>();
  });
  it("elementwise promotion and comparisons", () => {
    expectTypeOf(S.add(bf16, bf16)).toEqualTypeOf<S.Tensor<"bf16">>();
    expectTypeOf(S.add(f32, bf16)).toEqualTypeOf<S.Tensor<"f32">>();
    expectTypeOf(S.mul(i32, 2)).toEqualTypeOf<S.Tensor<"i32">>();
    expectTypeOf(S.exp(bf16)).toEqualTypeOf<S.Tensor<"bf16">>();
    expectTypeOf(S.eq(f32, 1)).toEqualTypeOf<S.Tensor<"bool">>();
    expectTypeOf(f32.add(bf16)).toEqualTypeOf<S.Tensor<"f32">>();
  });
  it("reductions, indexing and fused ops", () => {
    expectTypeOf(S.sum(i32)).toEqualTypeOf<S.Tensor<"i32">>();
    expectTypeOf(S.argmax(f32)).toEqualTypeOf<S.Tensor<"i32">>();
    expectTypeOf(S.mean(bf16, { dim: [0, 1], keepdim: true })).toEqualTypeOf<S.Tensor<"bf16">>();
    expectTypeOf(S.matmul(f32, f32)).toEqualTypeOf<S.Tensor<"f32">>();
    expectTypeOf(S.gather(bf16, 0, i32)).toEqualTypeOf<S.Tensor<"bf16">>();
    expectTypeOf(S.oneHot(i32, 4)).toEqualTypeOf<S.Tensor<"i32">>();
    expectTypeOf(S.crossEntropy(bf16, i32)).toEqualTypeOf<S.Tensor<"f32">>();
    expectTypeOf(S.attention(bf16, bf16, bf16, { causal: true })).toEqualTypeOf<S.Tensor<"bf16">>();
    expectTypeOf(S.cast(f32, "bool")).toEqualTypeOf<S.Tensor<"bool">>();
    expectTypeOf(f32.sum({ dim: 1 })).toEqualTypeOf<S.Tensor<"f32">>();
  });
  it("readback types", () => {
    expectTypeOf(f32.data()).toEqualTypeOf<Promise<Float32Array>>();
    expectTypeOf(bf16.dataSync()).toEqualTypeOf<Float32Array>();
    expectTypeOf(i32.dataSync()).toEqualTypeOf<Int32Array>();
    expectTypeOf(bool.dataSync()).toEqualTypeOf<Uint8Array>();
    expectTypeOf(f32.item()).toEqualTypeOf<number>();
    expectTypeOf(f32.shape).toEqualTypeOf<readonly number[]>();
    expectTypeOf(S.tidy(() => 3)).toEqualTypeOf<number>();
    expectTypeOf(S.memory().devices.cpu.numBytes).toEqualTypeOf<number>();
  });
});

describe("the kernel contract comes from the op table", () => {
  it("kernel names, attribute objects and recorded op names", () => {
    expectTypeOf<"rmsnorm_forward">().toExtend<S.KernelName>();
    expectTypeOf<S.KernelAttrs<"rmsnorm_forward">>().toEqualTypeOf<{ readonly eps: number | boolean }>();
    expectTypeOf<keyof S.KernelAttrs<"attention_forward">>().toEqualTypeOf<"scale" | "causal" | "kv_offset">();
    expectTypeOf<S.KernelAttrs<"adamw_step">["lr_wd"]>().toEqualTypeOf<ArrayLike<number>>();
    // biome-ignore lint/complexity/noBannedTypes: a kernel without attributes has exactly the empty object type.
    expectTypeOf<S.KernelAttrs<"matmul">>().toEqualTypeOf<{}>();
    expectTypeOf<keyof typeof GRADIENTS>().toEqualTypeOf<DifferentiableOp>();
  });
});

describe("mistakes that must not compile", () => {
  it("kernel names, kernel attributes and recorded op names are checked", () => {
    // @ts-expect-error a misspelt kernel name
    runKernel("rmsNorm", "rms_norm_forward", [f32, f32], [f32, f32], { eps: 1e-5 });
    // @ts-expect-error a misspelt kernel looked up in the table
    void S.KERNELS.rmsnorm_froward;
    // @ts-expect-error eps is missing
    runKernel("rmsNorm", "rmsnorm_forward", [f32, f32], [f32, f32], {});
    // @ts-expect-error a kernel with attributes needs them
    runKernel("rmsNorm", "rmsnorm_forward", [f32, f32], [f32, f32]);
    // @ts-expect-error kv_offset is missing
    runKernel("attention", "attention_forward", [f32, f32, f32], [f32, f32], { scale: 1, causal: true });
    // @ts-expect-error an attribute the kernel does not take
    runKernel("rmsNorm", "rmsnorm_forward", [f32, f32], [f32, f32], { eps: 1e-5, epsilon: 1e-5 });
    // @ts-expect-error attributes go by name, not by position
    runKernel("attention", "attention_forward", [f32, f32, f32], [f32, f32], [1, 1, 0]);
    // One number where the list of (lr, weight decay) pairs goes.
    const scalarLrWd = { beta1: 0.9, beta2: 0.95, eps: 1e-8, step: 1, grad_scale: 1, lr_wd: 1e-3 };
    // @ts-expect-error a variable-length attribute is a list
    runKernel("adamwStep", "adamw_step", [f32], [f32, f32, f32], scalarLrWd);
    // @ts-expect-error an op name with no gradient rule
    record("rmsnorm", [f32], f32);
  });
  it("index arguments must be i32 tensors", () => {
    // @ts-expect-error a float index
    S.gather(f32, 1, f32);
    // @ts-expect-error a bool index
    S.indexSelect(f32, 0, bool);
    // @ts-expect-error float token ids
    S.embedding(f32, f32);
    // @ts-expect-error float targets
    S.crossEntropy(f32, f32);
    // @ts-expect-error
    S.oneHot(f32, 3);
  });
  it("float-only ops reject integer and bool tensors", () => {
    // @ts-expect-error softmax of i32
    S.softmax(i32);
    // @ts-expect-error matmul of i32
    S.matmul(i32, i32);
    // @ts-expect-error mean of i32
    S.mean(i32);
    // @ts-expect-error rmsNorm of i32
    S.rmsNorm(i32, i32);
    // @ts-expect-error the exp method needs a float tensor
    i32.exp();
    // @ts-expect-error sum of bool
    S.sum(bool);
  });
  it("where needs a bool condition; matmul needs one dtype", () => {
    // @ts-expect-error a float condition
    S.where(f32, f32, f32);
    // @ts-expect-error f32 @ bf16
    S.matmul(f32, bf16);
  });
  it("options are checked", () => {
    // @ts-expect-error unknown dtype
    S.zeros([2], { dtype: "f64" });
    // @ts-expect-error unknown device
    S.zeros([2], { device: "tpu" });
    // @ts-expect-error rand makes floats only
    S.rand([2], { dtype: "i32" });
    // @ts-expect-error reduction names
    S.crossEntropy(f32, i32, { reduction: "avg" });
    // @ts-expect-error shape is readonly
    f32.shape.push(1);
  });
});
