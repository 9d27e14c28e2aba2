// The CPU kernels give the reference's answers under every instruction set the machine supports combined
// with 1 or several threads, for f32 and bf16, on sizes that leave vector and thread remainders
// (test/backend/isa.test.ts checks the ISA-dispatched kernels one by one).
import { afterAll, describe, expect, it } from "vitest";
import * as S from "../../src/index.js";
import { expectClose } from "../helpers/expect.js";
import { floatInput } from "../helpers/tensors.js";
import { accumulationTol, elementwiseTol } from "../helpers/tolerance.js";
import * as R from "../reference/index.js";

const rng = new R.Rng(3141);
const ORDER: S.CpuIsa[] = ["baseline", "avx2", "avx512"];
const info = S.cpuInfo();
const isas = ORDER.slice(0, ORDER.indexOf(info.bestIsa) + 1);
const threads0 = info.threads;

afterAll(() => {
  S.setCpuIsa(info.bestIsa);
  S.setNumThreads(threads0);
});

describe("every ISA and thread count", () => {
  it("setCpuIsa reports the ISA in use and never goes above the best one", () => {
    for (const isa of isas) expect(S.setCpuIsa(isa)).toBe(isa);
    expect(ORDER.indexOf(S.setCpuIsa("avx512"))).toBeLessThanOrEqual(ORDER.indexOf(info.bestIsa));
    S.setCpuIsa(info.bestIsa);
  });
  for (const isa of isas) {
    for (const threads of [1, 3]) {
      for (const dtype of ["f32", "bf16"] as const) {
        it(`${isa}, ${threads} thread(s), ${dtype}: unary, binary, reductions, softmax`, () => {
          S.setCpuIsa(isa);
          S.setNumThreads(threads);
          S.tidy(() => {
            for (const shape of [[37], [1031, 17], [3, 4099]]) {
              const x = floatInput(rng.ref(shape, -3, 3), dtype);
              const y = floatInput(rng.ref([shape[shape.length - 1]!], -3, 3), dtype);
              for (const name of ["exp", "tanh", "sigmoid", "silu", "gelu", "erf"] as const) {
                const want = R.unary(name, x.r);
                expectClose(S[name](x.t), want, elementwiseTol(dtype, want), `${isa} ${name} [${shape}]`);
              }
              for (const name of ["add", "mul", "maximum"] as const) {
                const want = R.binary(name, x.r, y.r);
                expectClose(S[name](x.t, y.t), want, elementwiseTol(dtype, want), `${isa} ${name} [${shape}]`);
              }
              const n = shape[shape.length - 1]!;
              const sum = R.sum(x.r, { dim: -1 });
              expectClose(
                S.sum(x.t, { dim: -1 }),
                sum,
                accumulationTol(dtype, sum, R.sqrt(R.sum(R.mul(x.r, x.r), { dim: -1 })), n),
                `${isa} sum`,
              );
              expectClose(S.max(x.t, { dim: 0 }), R.max(x.r, { dim: 0 }), 0, `${isa} max`);
              const sm = R.softmax(x.r, -1);
              expectClose(
                S.softmax(x.t, -1),
                sm,
                R.add(elementwiseTol(dtype, sm, 2), R.full(sm.shape, 8 * R.unitRoundoff.f32 * Math.sqrt(n))),
                `${isa} softmax`,
              );
            }
          });
        });
        it(`${isa}, ${threads} thread(s), ${dtype}: matmul`, () => {
          S.setCpuIsa(isa);
          S.setNumThreads(threads);
          S.tidy(() => {
            const a = floatInput(rng.ref([67, 131]), dtype);
            const b = floatInput(rng.ref([131, 45]), dtype);
            const want = R.matmul(a.r, b.r);
            const abs = R.matmul(R.abs(a.r), R.abs(b.r));
            const out = dtype === "f32" ? 2 * R.unitRoundoff.f32 : 2 * R.unitRoundoff.bf16;
            const tol = R.ref(
              want.shape,
              (i) => out * Math.abs(want.data[i]!) + 8 * R.unitRoundoff.f32 * Math.sqrt(131) * abs.data[i]!,
            );
            expectClose(S.matmul(a.t, b.t), want, tol, `${isa} matmul`);
          });
        });
      }
    }
  }
});
