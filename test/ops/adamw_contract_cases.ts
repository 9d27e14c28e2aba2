// The argument checks of adamw_step and global_norm in their native contract (kernels/include/slmkit/adamw.h),
// called below the TypeScript checks: each bad call must fail with the same message on every device and
// leave every tensor as it was. Run on the CPU by adamw_contract.test.ts and on CUDA by test/cuda/adamw.test.ts.
import { expect, it } from "vitest";
import * as S from "../../src/index.js";
import { runKernel, type KernelArg } from "../../src/ops/dispatch.js";

const ATTRS = [0.9, 0.95, 1e-8, 1, 1]; // beta1, beta2, eps, step, grad_scale

/** The kernel's named attributes from [beta1, beta2, eps, step, grad_scale, ...lr_wd pairs]. */
const named = (list: number[]) => {
  const [beta1, beta2, eps, step, grad_scale] = list as [number, number, number, number, number];
  return { beta1, beta2, eps, step, grad_scale, lr_wd: list.slice(5) };
};

export function adamwContractCases(device: S.Device): void {
  const make = (shape: number[], dtype: S.DType = "f32", value = 0): S.Tensor => {
    const t = S.full(shape, value, { dtype });
    if (device === "cpu") return t;
    const moved = t.to(device);
    t.dispose();
    return moved;
  };
  /** adamw_step over two [3] tensors, one argument swapped for a bad one; returns the error message. */
  type Swap = { inputs?: KernelArg[]; outputs?: (state: S.Tensor[]) => KernelArg[]; attrs?: number[] };
  const step = (o: Swap): string =>
    S.tidy(() => {
      const g = [make([3], "f32", 1), make([3], "bf16", 1)];
      const state = [0, 1, 2].flatMap(() => [make([3]), make([3])]); // p0, p1, m0, m1, v0, v1
      const outputs = o.outputs ? o.outputs(state) : state;
      const before = state.map((t) => t.toArray());
      let message = "";
      try {
        runKernel(
          "adamw_step",
          "adamw_step",
          o.inputs ?? g,
          outputs,
          named(o.attrs ?? [...ATTRS, 1e-3, 0.1, 1e-3, 0.1]),
        );
      } catch (e) {
        message = (e as Error).message;
      }
      expect(state.map((t) => t.toArray())).toEqual(before);
      return message;
    });

  it(`${device}: adamw_step rejects bad counts, attributes and slots by name, touching nothing`, () => {
    S.tidy(() => {
      expect(step({ outputs: (s) => s.slice(0, 5) })).toBe(
        "adamw_step: expected n grads, 3n outputs (params, exp_avg, exp_avg_sq) or 4n (with bf16_copies) and " +
          "5 + 2n attributes (an lr_wd pair per tensor), got 2 inputs, 5 outputs and 9 attributes",
      );
      expect(step({ attrs: [...ATTRS, 1e-3, 0.1] })).toMatch(/got 2 inputs, 6 outputs and 7 attributes$/);
      const lrWd = [1e-3, 0.1, 1e-3, 0.1];
      const betas = "adamw_step: betas must be in [0, 1), got 1.000000, 0.950000";
      expect(step({ attrs: [1, 0.95, 1e-8, 1, 1, ...lrWd] })).toBe(betas);
      expect(step({ attrs: [0.9, 0.95, Infinity, 1, 1, ...lrWd] })).toBe("adamw_step: eps must be finite, got inf");
      expect(step({ attrs: [0.9, 0.95, 1e-8, 0, 1, ...lrWd] })).toBe("adamw_step: step counts from 1, got 0.000000");
      expect(step({ attrs: [...ATTRS, 1e-3, 0.1, Infinity, 0.1] })).toBe("adamw_step: lr[1] must be finite, got inf");
      expect(step({ attrs: [...ATTRS, 1e-3, -Infinity, 1e-3, 0.1] })).toBe(
        "adamw_step: wd[0] must be finite, got -inf",
      );
      expect(step({ inputs: [make([3], "i32"), make([3])] })).toBe(
        "adamw_step: grads[0] must be f32 or bf16, got [3] i32",
      );
      expect(step({ outputs: (s) => [s[0]!, make([4]), ...s.slice(2)] })).toBe(
        "adamw_step: grads[1] and params[1] shapes differ, got [3] bf16 and [4] f32",
      );
      expect(step({ outputs: (s) => [...s.slice(0, 5), make([3], "bf16")] })).toBe(
        "adamw_step: exp_avg_sq[1] must be f32, got [3] bf16",
      );
      const everyOther = { tensor: make([6]), shape: [3], strides: [2], offset: 0 }; // [3] with stride 2
      expect(step({ outputs: (s) => [...s.slice(0, 3), everyOther, ...s.slice(4)] })).toBe(
        "adamw_step: exp_avg[1] must be contiguous, got shape [3] f32 with strides [2]",
      );
      expect(step({ outputs: (s) => [...s, make([3], "bf16"), make([3], "f32")] })).toBe(
        "adamw_step: bf16_copies[1] must be bf16, got [3] f32",
      );
    });
  });

  it(`${device}: global_norm rejects a bad norm or tensor by name`, () => {
    S.tidy(() => {
      const run = (inputs: S.Tensor[], outputs: S.Tensor[]): string => {
        try {
          runKernel("global_norm", "global_norm", inputs, outputs);
        } catch (e) {
          return (e as Error).message;
        }
        return "";
      };
      const t = make([2]);
      expect(run([t], [make([1]), make([1])])).toBe("global_norm: expected 1 outputs, got 2");
      expect(run([t], [make([2])])).toBe("global_norm: norm must have shape [1], got [2] f32");
      expect(run([t, make([2], "i32")], [make([1])])).toBe("global_norm: tensors[1] must be f32 or bf16, got [2] i32");
    });
  });
}
