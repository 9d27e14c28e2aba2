// Autograd semantics: accumulation, shared inputs, noGrad, detach, zeroGrad, graph freeing, errors, and
// a composed chain against finite differences of the float64 reference.
import { describe, expect, it } from "vitest";
import * as S from "../../src/index.js";
import { checkForwardBackward } from "../helpers/grad.js";
import { expectClose, expectSlmkitError } from "../helpers/expect.js";
import { fromRef, toRef } from "../helpers/tensors.js";
import * as R from "../reference/index.js";

const rng = new R.Rng(8080);

describe("backward basics", () => {
  it("a scalar root gets gradient 1; leaves get .grad of their own shape and dtype", () => {
    for (const dtype of ["f32", "bf16"] as const) {
      const x = S.tensor([1, 2, 3], { dtype, requiresGrad: true });
      S.sum(S.mul(x, x)).backward();
      expect(x.grad!.dtype).toBe(dtype);
      expect(x.grad!.shape).toEqual([3]);
      expect(Array.from(x.grad!.dataSync())).toEqual([2, 4, 6]);
    }
  });
  it("a non-scalar root needs an explicit gradient of its shape", () => {
    const x = S.tensor([1, 2], { requiresGrad: true });
    const y = S.mul(x, 3);
    expectSlmkitError(() => y.backward(), ["backward", "[2]"], S.AutogradError);
    expectSlmkitError(() => y.backward(S.ones([3])), ["backward", "[3]", "[2]"], S.AutogradError);
    y.backward(S.tensor([1, 10]));
    expect(Array.from(x.grad!.dataSync())).toEqual([3, 30]);
  });
  it("gradients accumulate over backward calls until zeroGrad", () => {
    const x = S.tensor([1, 2], { requiresGrad: true });
    S.sum(S.mul(x, 2)).backward();
    S.sum(S.mul(x, 3)).backward();
    expect(Array.from(x.grad!.dataSync())).toEqual([5, 5]);
    x.zeroGrad();
    expect(x.grad).toBeUndefined();
    S.sum(x).backward();
    expect(Array.from(x.grad!.dataSync())).toEqual([1, 1]);
  });
  it("an input used on several paths sums its gradients (diamond)", () => {
    const x = S.tensor([0.5, -1.5], { requiresGrad: true });
    const a = S.exp(x);
    const b = S.mul(x, x);
    S.sum(S.add(S.mul(a, b), a)).backward();
    const r = [0.5, -1.5];
    const want = R.fromNested(r.map((v) => Math.exp(v) * v * v + Math.exp(v) * 2 * v + Math.exp(v)));
    expectClose(x.grad!, want, 1e-5);
  });
  it("backward on a leaf that requires grad sets its grad to the seed", () => {
    const x = S.tensor(3, { requiresGrad: true });
    x.backward();
    expect(x.grad!.item()).toBe(1);
  });
  it("the graph is freed by backward: a second backward through it is an AutogradError", () => {
    const x = S.tensor([1, 2], { requiresGrad: true });
    const y = S.sum(S.exp(x));
    y.backward();
    expectSlmkitError(() => y.backward(), ["backward"], S.AutogradError);
  });
  it("backward on a tensor that needs no grad is an AutogradError", () => {
    expectSlmkitError(() => S.sum(S.ones([2])).backward(), ["backward", "does not require grad"], S.AutogradError);
  });
  it("requiresGrad: integers cannot, non-leaves cannot be switched off", () => {
    expectSlmkitError(
      () => {
        S.zeros([2], { dtype: "i32" }).requiresGrad = true;
      },
      ["requiresGrad", "i32"],
      S.AutogradError,
    );
    const y = S.mul(S.tensor([1], { requiresGrad: true }), 2);
    expect(y.requiresGrad).toBe(true);
    expect(y.isLeaf).toBe(false);
    expectSlmkitError(
      () => {
        y.requiresGrad = false;
      },
      ["requiresGrad", "detach"],
      S.AutogradError,
    );
  });
  it("the functional backward(root) equals root.backward()", () => {
    const x = S.tensor([1, 2], { requiresGrad: true });
    S.backward(S.sum(S.mul(x, x)));
    expect(Array.from(x.grad!.dataSync())).toEqual([2, 4]);
  });
});

describe("noGrad, detach and integer results", () => {
  it("noGrad records nothing and isGradEnabled reports it", () => {
    const x = S.tensor([1, 2], { requiresGrad: true });
    const y = S.noGrad(() => {
      expect(S.isGradEnabled()).toBe(false);
      return S.mul(x, x);
    });
    expect(S.isGradEnabled()).toBe(true);
    expect(y.requiresGrad).toBe(false);
    expectSlmkitError(() => S.sum(y).backward(), ["backward"], S.AutogradError);
  });
  it("noGrad restores the mode when fn throws", () => {
    expect(() =>
      S.noGrad(() => {
        throw new Error("boom");
      }),
    ).toThrow("boom");
    expect(S.isGradEnabled()).toBe(true);
  });
  it("detach shares data but cuts the graph", () => {
    const x = S.tensor([1, 2], { requiresGrad: true });
    const d = S.detach(S.mul(x, 3));
    expect(d.requiresGrad).toBe(false);
    expect(d.toArray()).toEqual([3, 6]);
    S.sum(S.mul(S.mul(x, 1), d)).backward();
    expect(Array.from(x.grad!.dataSync())).toEqual([3, 6]);
  });
  it("comparisons and argmax give results that need no grad", () => {
    const x = S.tensor([1, 2], { requiresGrad: true });
    expect(S.gt(x, 1).requiresGrad).toBe(false);
    expect(S.argmax(x).requiresGrad).toBe(false);
  });
});

describe("gradients through dtype casts and disposed intermediates", () => {
  it("cast f32 -> bf16 -> f32 passes gradients through; a bf16 leaf gets a bf16 grad", () => {
    const x = S.tensor([1.5, -2], { requiresGrad: true });
    S.sum(S.mul(S.cast(S.cast(x, "bf16"), "f32"), 4)).backward();
    expect(Array.from(x.grad!.dataSync())).toEqual([4, 4]);
    const b = S.tensor([1, 2], { dtype: "bf16", requiresGrad: true });
    S.sum(S.mul(S.cast(b, "f32"), 0.5)).backward();
    expect(b.grad!.dtype).toBe("bf16");
    expect(Array.from(b.grad!.dataSync())).toEqual([0.5, 0.5]);
  });
  it("disposing intermediates before backward does not change gradients (saved tensors hold their data)", () => {
    const x = S.tensor([0.3, -0.7, 1.1], { requiresGrad: true });
    const y = S.exp(x);
    const z = S.mul(y, y);
    const s = S.sum(S.tanh(z));
    y.dispose();
    z.dispose();
    s.backward();
    const want = R.ref([3], (i) => {
      const v = [0.3, -0.7, 1.1][i]!;
      const e2 = Math.exp(2 * v);
      return (1 - Math.tanh(e2) ** 2) * 2 * e2;
    });
    expectClose(x.grad!, want, 1e-5);
  });
  it("disposing a leaf before backward skips its grad without failing", () => {
    const a = S.tensor([1, 2], { requiresGrad: true });
    const b = S.tensor([3, 4], { requiresGrad: true });
    const s = S.sum(S.mul(a, b));
    a.dispose();
    s.backward();
    expect(a.grad).toBeUndefined();
    expect(Array.from(b.grad!.dataSync())).toEqual([1, 2]);
  });
});

describe("a composed chain against finite differences", () => {
  for (const dtype of ["f32", "bf16"] as const) {
    it(`${dtype}: layer norm-ish chain of elementwise ops, reductions, views and softmax`, () => {
      checkForwardBackward({
        dtype,
        rng,
        ops: 20,
        label: "chain",
        inputs: [rng.ref([3, 4]), rng.ref([4]), rng.ref([3, 1])],
        lib: ([x, w, b]) => {
          const centered = S.sub(x!, S.mean(x!, { dim: -1, keepdim: true }));
          const h = S.silu(S.add(S.mul(centered, w!), b!));
          return S.sum(S.mul(S.softmax(S.transpose(h, 0, 1), -1), S.tanh(S.transpose(x!, 0, 1))), { dim: 0 });
        },
        ref: ([x, w, b]) => {
          const centered = R.sub(x!, R.mean(x!, { dim: -1, keepdim: true }));
          const h = R.silu(R.add(R.mul(centered, w!), b!));
          return R.sum(R.mul(R.softmax(R.views.transpose(h, 0, 1), -1), R.tanh(R.views.transpose(x!, 0, 1))), {
            dim: 0,
          });
        },
        forwardTol: (w) => R.ref(w.shape, (i) => (dtype === "f32" ? 1e-5 : 0.02) * Math.max(1, Math.abs(w.data[i]!))),
      });
    });
  }
  it("f32: a two-layer MLP with cross-entropy (matmul, gelu, crossEntropy)", () => {
    const t = R.fromNested([1, 0, 2, 1]);
    const ti = fromRef(t, "i32") as S.Tensor<"i32">;
    checkForwardBackward({
      dtype: "f32",
      rng,
      ops: 20,
      label: "mlp",
      inputs: [rng.ref([4, 5]), rng.ref([5, 6]), rng.ref([6, 3])],
      lib: ([x, w1, w2]) =>
        S.crossEntropy(
          S.matmul(S.gelu(S.matmul(x as S.Tensor<"f32">, w1 as S.Tensor<"f32">)), w2 as S.Tensor<"f32">),
          ti,
        ),
      ref: ([x, w1, w2]) => R.crossEntropy(R.matmul(R.gelu(R.matmul(x!, w1!)), w2!), t),
    });
  });
  it("grads written by backward inside tidy() survive it", () => {
    const w = S.tensor([1, 2, 3], { requiresGrad: true });
    S.tidy(() => {
      S.sum(S.mul(w, w)).backward();
    });
    expect(w.grad!.isDisposed).toBe(false);
    expect(toRef(w.grad!).data).toEqual(new Float64Array([2, 4, 6]));
  });
});
