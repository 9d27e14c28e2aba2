// The CPU kernels that dispatch on the instruction set (GEMM micro-kernels, vectorised exp/log/tanh/...,
// softmax, logsumexp, Box–Muller) checked under every ISA this CPU supports, switched at run time.
import { afterAll, describe, expect, it } from "vitest";
import * as S from "../../src/index.js";
import { expectClose } from "../helpers/expect.js";
import { floatInput, toRef } from "../helpers/tensors.js";
import { accumulationTol, elementwiseTol } from "../helpers/tolerance.js";
import * as R from "../reference/index.js";

const ORDER: S.CpuIsa[] = ["baseline", "avx2", "avx512"];
const best = S.cpuInfo().bestIsa;
const isas = ORDER.slice(0, ORDER.indexOf(best) + 1);
const original = S.cpuInfo().isa;
if (isas.length < ORDER.length)
  console.warn(`[isa] this CPU stops at ${best}: ${ORDER.slice(isas.length).join(", ")} kernels not tested here`);
afterAll(() => S.setCpuIsa(original));

/** Deterministic pseudo-random values in [lo, hi). */
function values(n: number, seed: number, lo = -1, hi = 1): number[] {
  let s = seed >>> 0;
  return Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return lo + ((hi - lo) * s) / 2 ** 32;
  });
}

describe.each(isas)("%s kernels", (isa) => {
  it("switches", () => {
    expect(S.setCpuIsa(isa)).toBe(isa);
    expect(S.cpuInfo().isa).toBe(isa);
  });

  it.each([
    [1, 1, 1],
    [13, 29, 31],
    [67, 129, 45],
    [200, 300, 17],
  ])("matmul %i×%i @ %i×… matches float64, plain and transposed", (m, k, n) => {
    S.setCpuIsa(isa);
    for (const dtype of ["f32", "bf16"] as const) {
      const a = floatInput(R.ref([m, k], values(m * k, m + k)), dtype);
      const b = floatInput(R.ref([n, k], values(n * k, n * 7 + 1)), dtype);
      const want = R.matmul(a.r, R.views.transpose(b.r, 0, 1));
      const norms = R.ref(want.shape, () => Math.sqrt(k));
      expectClose(S.matmul(a.t, b.t.transpose(0, 1)), want, accumulationTol(dtype, want, norms, k), `${isa} ${dtype}`);
    }
  });

  it("vectorised unary maths across the float range", () => {
    S.setCpuIsa(isa);
    const x = R.ref([4099], values(4099, 3, -30, 30));
    const positive = R.ref([4099], values(4099, 5, 1e-30, 1e4));
    for (const name of ["exp", "tanh", "sigmoid", "silu", "gelu", "erf"] as const) {
      const t = floatInput(name === "exp" ? R.ref([4099], values(4099, 9, -80, 80)) : x, "f32");
      expectClose(S[name](t.t), R.unary(name, t.r), elementwiseTol("f32", R.unary(name, t.r)), `${isa} ${name}`);
    }
    const p = floatInput(positive, "f32");
    expectClose(S.log(p.t), R.unary("log", p.r), elementwiseTol("f32", R.unary("log", p.r)), `${isa} log`);
  });

  it("softmax, logSoftmax and logsumexp rows (one long row crosses thread chunks)", () => {
    S.setCpuIsa(isa);
    for (const shape of [
      [7, 1031],
      [1, 70001],
    ]) {
      const x = floatInput(R.ref(shape, values(shape[0]! * shape[1]!, shape[1]!, -20, 20)), "f32");
      expectClose(S.softmax(x.t, -1), R.softmax(x.r, -1), elementwiseTol("f32", R.softmax(x.r, -1)), `${isa} softmax`);
      expectClose(
        S.logSoftmax(x.t, -1),
        R.logSoftmax(x.r, -1),
        elementwiseTol("f32", R.logSoftmax(x.r, -1), 4),
        `${isa} logSoftmax`,
      );
      const lse = R.logsumexp(x.r, { dim: -1 });
      expectClose(S.logsumexp(x.t, { dim: -1 }), lse, elementwiseTol("f32", lse, 4), `${isa} logsumexp`);
    }
  });

  it("randn draws the same stream as the baseline kernels (to a few ulp)", () => {
    S.setCpuIsa("baseline");
    S.manualSeed(1234);
    const want = toRef(S.randn([5003]));
    S.setCpuIsa(isa);
    S.manualSeed(1234);
    expectClose(S.randn([5003]), want, elementwiseTol("f32", want), `${isa} randn`);
  });
});
