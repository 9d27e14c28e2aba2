// Mixed precision in src/nn (CPU): bf16 shadows of the matmul weights, their gradient path to the f32
// masters, their lifecycle (setComputeDType, loadStateDict, dispose, AdamW) and the bf16 Linear against a
// float64 reference fed the bf16-rounded operands.
import { describe, expect, it } from "vitest";
import * as S from "../../src/index.js";
import { expectClose } from "../helpers/expect.js";
import { matmulTol } from "../helpers/tolerance.js";
import { toRef } from "../helpers/tensors.js";
import * as R from "../reference/index.js";

const transposed = (w: R.Ref): R.Ref => {
  const [o, i] = w.shape as [number, number];
  return R.ref([i, o], (k) => w.data[(k % o) * i + Math.floor(k / o)]!);
};

describe("bf16 compute in nn modules", () => {
  it("Linear: bf16 output = the float64 product of the bf16-rounded x and W; f32 gradients reach the masters", () => {
    S.manualSeed(11);
    const lin = new S.Linear(37, 19).setComputeDType("bf16");
    const x = S.randn([5, 37], { requiresGrad: true });
    const y = lin.forward(x);
    expect(y.dtype).toBe("bf16");
    const xr = R.roundRef(toRef(x), "bf16");
    const wt = transposed(R.roundRef(toRef(lin.weight), "bf16"));
    const want = R.matmul(xr, wt);
    expectClose(y, want, matmulTol("bf16", xr, wt, want), "y");
    // dL/dW for L = sum(y * c): cᵀ x, computed in bf16 (operands bf16, result rounded to bf16).
    const c = S.randn([5, 19]);
    const loss = S.sum(S.mul(S.cast(y, "f32"), c));
    loss.backward();
    expect(lin.weight.grad?.dtype).toBe("f32");
    expect(x.grad?.dtype).toBe("f32");
    const cr = R.roundRef(toRef(c), "bf16");
    const ct = transposed(cr);
    const gw = R.matmul(ct, xr);
    expectClose(lin.weight.grad!, gw, matmulTol("bf16", ct, xr, gw), "grad W");
    for (const t of [x, y, c, loss]) t.dispose();
    lin.dispose();
  });

  it("a shadow is bf16(master) after setComputeDType, loadStateDict and AdamW steps, and is freed by f32 and dispose", () => {
    S.manualSeed(12);
    const before = S.memory().numTensors;
    const mlp = new S.SwiGLUMLP(16, 40);
    const afterBuild = S.memory().numTensors;
    const weights = mlp.parameters();
    expect(weights.map((w) => S.shadowOf(w))).toEqual([undefined, undefined, undefined]);
    mlp.setComputeDType("bf16");
    expect(S.memory().numTensors).toBe(afterBuild + 3);
    const isRounded = (w: S.Tensor<"f32">) =>
      expect([...S.shadowOf(w)!.dataSync()]).toEqual([...R.roundRef(toRef(w), "bf16").data]);
    weights.forEach(isRounded);
    // loadStateDict writes the masters and re-derives the shadows.
    const other = new S.SwiGLUMLP(16, 40);
    mlp.loadStateDict(other.stateDict());
    weights.forEach(isRounded);
    expect([...S.shadowOf(weights[0]!)!.dataSync()]).toEqual([
      ...R.roundRef(toRef(other.gateProj.weight), "bf16").data,
    ]);
    // The fused AdamW step refreshes them in the same pass.
    const opt = new S.AdamW([{ name: "all", params: weights, lrMultiplier: 1, weightDecay: 0.1 }]);
    for (let step = 0; step < 3; step++) {
      S.tidy(() => S.sum(S.cast(mlp.forward(S.randn([3, 16])), "f32")).backward());
      opt.step(0.05);
      opt.zeroGrad();
      weights.forEach(isRounded);
    }
    mlp.setComputeDType("f32");
    expect(weights.map((w) => S.shadowOf(w))).toEqual([undefined, undefined, undefined]);
    expect(S.tidy(() => mlp.forward(S.zeros([1, 16])).dtype)).toBe("f32");
    mlp.setComputeDType("bf16");
    opt.dispose();
    other.dispose();
    mlp.dispose(); // frees the shadows with the masters
    expect(S.memory().numTensors).toBe(before);
  });

  it("attention computes in bf16 and matches its f32 self to bf16 accuracy", () => {
    S.manualSeed(13);
    const attn = new S.CausalSelfAttention({ hiddenSize: 32, numHeads: 4, numKvHeads: 2 });
    const x = S.randn([2, 7, 32]);
    const y32 = attn.forward(x);
    attn.setComputeDType("bf16");
    const y16 = attn.forward(x);
    expect([y32.dtype, y16.dtype]).toEqual(["f32", "bf16"]);
    // Four bf16 roundings on the way (input, projection, RoPE, attention) then o_proj's: 5 u of the output scale.
    const want = toRef(y32);
    const scale = Math.max(...want.data.map(Math.abs));
    expectClose(y16, want, 5 * R.unitRoundoff.bf16 * scale, "attention");
    for (const t of [x, y32, y16]) t.dispose();
    attn.dispose();
  });

  it("RMSNorm keeps f32 statistics for bf16 input and returns bf16", () => {
    const norm = new S.RMSNorm(8);
    const x = S.cast(S.randn([3, 8]), "bf16");
    const y = norm.forward(x);
    expect(y.dtype).toBe("bf16");
    const xr = toRef(x);
    const want = R.ref([3, 8], (i) => {
      const row = Math.floor(i / 8);
      let ss = 0;
      for (let j = 0; j < 8; j++) ss += xr.data[row * 8 + j]! ** 2;
      return xr.data[i]! / Math.sqrt(ss / 8 + 1e-5);
    });
    expectClose(
      y,
      want,
      R.ref([3, 8], (i) => 2 * R.unitRoundoff.bf16 * Math.abs(want.data[i]!) + 1e-6),
      "rmsnorm",
    );
    for (const t of [x, y]) t.dispose();
    norm.dispose();
  });

  it("setComputeDType rejects other dtypes", () => {
    const lin = new S.Linear(2, 2);
    expect(() => lin.setComputeDType("f16" as S.ComputeDType)).toThrow(
      /setComputeDType: dtype must be "f32" or "bf16", got f16/,
    );
    lin.dispose();
  });
});
