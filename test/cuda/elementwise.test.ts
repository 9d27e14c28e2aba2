// CUDA elementwise kernels against the CPU kernels: every op and dtype, strided/broadcast/unaligned
// inputs, NaN and infinity cases, integer wrap-around. (Its bandwidth is a row of `npm run bench:cuda`.)
import { describe, expect, it } from "vitest";
import * as S from "../../src/index.js";
import {
  abs,
  add,
  cast,
  clamp,
  eq,
  maximum,
  minimum,
  mul,
  ne,
  neg,
  pow,
  randn,
  relu,
  sub,
  tensor,
  type Tensor,
  where,
} from "../../src/index.js";
import { BINARY_KERNELS, COMPARE_KERNELS, UNARY_KERNELS } from "../../src/ops/table.js";
import { ref, type Ref } from "../reference/index.js";
import { expectClose } from "../helpers/expect.js";
import { elementwiseTol } from "../helpers/tolerance.js";
import { FLOAT_DTYPES } from "../helpers/tensors.js";
import { gpuStatus, onBoth } from "./gpu.js";

const SPECIAL = [NaN, Infinity, -Infinity, 0, -0, 1e-30, -1e-30, 100, -100, 30, -30, 0.5, -0.5];

// A float input: random values spread over [-6, 6] plus the special values, shaped [r, c].
function floatInput(dtype: "f32" | "bf16", r: number, c: number): Tensor {
  const n = r * c;
  const base = mul(randn([n]), 3).dataSync();
  for (let i = 0; i < SPECIAL.length && i < n; i++) base[(i * 7) % n] = SPECIAL[i]!;
  return tensor(base, { shape: [r, c], dtype });
}

// The CPU and CUDA float results within twice one backend's elementwise tolerance (each may be off by it).
function expectSameFloat(dtype: "f32" | "bf16", got: { cpu: Ref; cuda: Ref }, label: string, scale = 2): void {
  expectClose(got.cuda, got.cpu, elementwiseTol(dtype, got.cpu, scale), label);
}

describe.skipIf(!gpuStatus.available)("CUDA unary kernels", () => {
  for (const dtype of FLOAT_DTYPES) {
    for (const op of UNARY_KERNELS) {
      it(`${op} ${dtype}: contiguous, transposed and unaligned inputs`, () => {
        const x = floatInput(dtype, 37, 131);
        const f = (S as unknown as Record<string, (t: Tensor) => Tensor>)[op]!;
        expectSameFloat(
          dtype,
          onBoth([x], (t) => f(t)),
          `${op} contiguous`,
        );
        expectSameFloat(
          dtype,
          onBoth([x], (t) => f(t.transpose(0, 1))),
          `${op} transposed`,
        );
        // Starting one element in leaves the data 16-byte misaligned: the scalar path of the dense kernel.
        expectSameFloat(
          dtype,
          onBoth([x], (t) => f(t.reshape([37 * 131]).narrow(0, 1, 37 * 131 - 1))),
          `${op} unaligned`,
        );
      });
    }
  }

  it("neg, abs, relu on i32 wrap like PyTorch (INT32_MIN stays INT32_MIN)", () => {
    const x = tensor(new Int32Array([-2147483648, 2147483647, -5, 0, 7, -1, 3, 9, -9]));
    for (const f of [neg, abs, relu]) {
      const r = onBoth([x], (t) => f(t as Tensor<"i32">));
      expect(Array.from(r.cuda.data)).toEqual(Array.from(r.cpu.data));
    }
    expect(Array.from(neg(x.to("cuda")).to("cpu").dataSync())).toEqual([
      -2147483648, -2147483647, 5, 0, -7, 1, -3, -9, 9,
    ]);
  });

  it("clamp: NaN propagates, min > max gives max, i32 bounds round inward", () => {
    for (const dtype of FLOAT_DTYPES) {
      const x = floatInput(dtype, 9, 33);
      expectSameFloat(
        dtype,
        onBoth([x], (t) => clamp(t, { min: -1.5, max: 2 })),
        "clamp",
      );
      expectSameFloat(
        dtype,
        onBoth([x], (t) => clamp(t.transpose(0, 1), { min: 3, max: -3 })),
        "clamp min > max",
      );
      expectSameFloat(
        dtype,
        onBoth([x], (t) => clamp(t, { max: 0.25 })),
        "clamp max only",
      );
    }
    const xi = tensor(new Int32Array([-10, -2, -1, 0, 1, 2, 3, 10]));
    expect(Array.from(clamp(xi.to("cuda"), { min: -1.5, max: 2.5 }).to("cpu").dataSync())).toEqual([
      -1, -1, -1, 0, 1, 2, 2, 2,
    ]);
  });

  it("pow with a scalar exponent (cheap forms and the general powf)", () => {
    for (const dtype of FLOAT_DTYPES) {
      const x = floatInput(dtype, 11, 29);
      for (const e of [1, 2, 0.5, -1, 3, 1.5, -0.7])
        expectSameFloat(
          dtype,
          onBoth([x], (t) => pow(t, e)),
          `pow ${e}`,
        );
    }
  });
});

describe.skipIf(!gpuStatus.available)("CUDA binary kernels, comparisons and where", () => {
  for (const dtype of FLOAT_DTYPES) {
    it(`binary ops ${dtype}: dense (vector path + tail), broadcast, transposed, unaligned`, () => {
      const a = floatInput(dtype, 61, 67);
      const b = floatInput(dtype, 61, 67);
      const col = floatInput(dtype, 61, 1);
      const row = floatInput(dtype, 1, 67);
      for (const op of BINARY_KERNELS) {
        const f = (S as unknown as Record<string, (x: Tensor, y: Tensor) => Tensor>)[op]!;
        // pow of two random numbers overflows or is NaN often; its tolerance is relative, which covers it.
        expectSameFloat(
          dtype,
          onBoth([a, b], (x, y) => f(x, y)),
          `${op} dense`,
        );
        expectSameFloat(
          dtype,
          onBoth([col, row], (x, y) => f(x, y)),
          `${op} broadcast [61,1] x [1,67]`,
        );
        expectSameFloat(
          dtype,
          onBoth([a, b], (x, y) => f(x.transpose(0, 1), y.transpose(0, 1))),
          `${op} transposed`,
        );
        expectSameFloat(
          dtype,
          onBoth([a, b], (x, y) => f(x.narrow(1, 1, 66), y.narrow(1, 0, 66))),
          `${op} sliced`,
        );
        expectSameFloat(
          dtype,
          onBoth([a], (x) => f(x, tensor([0.75], { dtype }).to(x.device))),
          `${op} scalar`,
        );
      }
    });
  }

  it("maximum/minimum propagate NaN from either side", () => {
    const a = tensor([NaN, 1, NaN, -Infinity, 2]);
    const b = tensor([1, NaN, NaN, 3, -0]);
    expectClose(onBoth([a, b], (x, y) => maximum(x, y)).cuda, ref([5], [NaN, NaN, NaN, 3, 2]), 0, "maximum");
    expectClose(onBoth([a, b], (x, y) => minimum(x, y)).cuda, ref([5], [NaN, NaN, NaN, -Infinity, -0]), 0, "minimum");
  });

  it("i32 add, sub, mul, maximum, minimum wrap around and match the CPU exactly", () => {
    const a = tensor(new Int32Array(Array.from({ length: 1031 }, (_, i) => (i * 2654435761) | 0)));
    const b = tensor(new Int32Array(Array.from({ length: 1031 }, (_, i) => (i * 40503 - 7) | 0)));
    for (const f of [add, sub, mul, maximum, minimum]) {
      const r = onBoth([a, b], (x, y) => f(x as Tensor<"i32">, y as Tensor<"i32">));
      expect(Array.from(r.cuda.data)).toEqual(Array.from(r.cpu.data));
    }
  });

  it("comparisons on f32 (with NaN), bf16, i32 and bool, and broadcast", () => {
    const a = tensor([NaN, 1, 2, -0, Infinity, 5, 5, -3, 0.1]);
    const b = tensor([NaN, 2, 2, 0, Infinity, 4, NaN, -3, 0.2]);
    for (const op of COMPARE_KERNELS) {
      const f = (S as unknown as Record<string, (x: Tensor, y: Tensor) => Tensor>)[op]!;
      for (const dtype of ["f32", "bf16", "i32"] as const) {
        const r = onBoth([a, b], (x, y) => f(cast(x, dtype), cast(y, dtype)));
        expect(Array.from(r.cuda.data), `${op} ${dtype}`).toEqual(Array.from(r.cpu.data));
      }
      const m = floatInput("f32", 13, 1);
      const n = floatInput("f32", 1, 17);
      const rb = onBoth([m, n], (x, y) => f(x, y));
      expect(Array.from(rb.cuda.data), `${op} broadcast`).toEqual(Array.from(rb.cpu.data));
    }
    const bools = (bits: string) => tensor([...bits].map((b) => b === "1"));
    const p = bools("10101100101011001");
    const q = bools("11001010110010100");
    for (const f of [eq, ne]) {
      const r = onBoth([p, q], (x, y) => f(x, y));
      expect(Array.from(r.cuda.data)).toEqual(Array.from(r.cpu.data));
    }
  });

  it("where for every dtype with broadcast condition and operands", () => {
    const cond = tensor([true, false, true, true, false, false, true], { shape: [7, 1] });
    for (const dtype of ["f32", "bf16", "i32", "bool"] as const) {
      const a = cast(floatInput("f32", 7, 9), dtype);
      const b = cast(floatInput("f32", 1, 9), dtype);
      const r = onBoth([cond, a, b], (c, x, y) => where(c as Tensor<"bool">, x, y));
      expect(Array.from(r.cuda.data), dtype).toEqual(Array.from(r.cpu.data));
      const rt = onBoth([cond, a, b], (c, x, y) =>
        where(c.expand([7, 9]).transpose(0, 1) as Tensor<"bool">, x.transpose(0, 1), y.expand([7, 9]).transpose(0, 1)),
      );
      expect(Array.from(rt.cuda.data), `${dtype} transposed`).toEqual(Array.from(rt.cpu.data));
    }
  });

  // On sm_90+ elementwise kernels are launched overlapped (kernels/cuda/overlap.cuh): each may start while
  // the previous one finishes. A chain in which every kernel reads the one before's output, queued with
  // no pause, must still equal the CPU bit for bit (one f32 rounding per op on both devices).
  it("a chain of 60 back-to-back kernels, each reading the last one's output, equals the CPU exactly", () => {
    const x = randn([1 << 22]),
      a = S.full([1 << 22], 0.75);
    const r = onBoth([x, a], (x0, scale) => {
      let y = x0;
      for (let i = 0; i < 30; i++) y = add(mul(y, scale), x0);
      return y;
    });
    let differing = 0;
    for (let i = 0; i < r.cpu.data.length; i++) if (!Object.is(r.cuda.data[i], r.cpu.data[i])) differing++;
    expect(differing).toBe(0);
  });

  it("large dense tensors (more than one grid of blocks) and a sub-16-byte tail", () => {
    for (const dtype of FLOAT_DTYPES) {
      const n = 3 * 1024 * 1024 + 5;
      const a = randn([n], { dtype });
      const b = randn([n], { dtype });
      const r = onBoth([a, b], (x, y) => mul(add(x, y), sub(x, y)));
      expectSameFloat(dtype, r, `large ${dtype}`, 4);
    }
  });
});

// arange (start + i*step, unfused f64) and every conversion to i32 (NaN and out-of-range values give
// INT32_MIN) are defined once for both devices (slmkit/elementwise_ops.h): CUDA must equal the CPU bit for bit.
describe.skipIf(!gpuStatus.available)("CUDA arange and casts to i32 equal the CPU", () => {
  it("arange with a non-integer step, in f32 and i32", () => {
    for (const [start, end, step, dtype] of [
      [-1, 1, 0.1, "f32"],
      [0.3, 16, 0.7, "i32"],
    ] as const) {
      const cpu = S.arange(start, end, step, { dtype }).dataSync();
      const cuda = S.arange(start, end, step, { dtype, device: "cuda" }).to("cpu").dataSync();
      expect(Array.from(cuda), `arange(${start}, ${end}, ${step}) ${dtype}`).toEqual(Array.from(cpu));
    }
  });
  it("NaN, infinities and out-of-range values cast to INT32_MIN", () => {
    const x = tensor([
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      3e9,
      -3e9,
      2147483520,
      -2.5,
      2.5,
    ]);
    const r = onBoth([x], (t) => cast(t, "i32"));
    expect(Array.from(r.cuda.data)).toEqual(Array.from(r.cpu.data));
    expect(Array.from(r.cuda.data).slice(0, 5)).toEqual(Array(5).fill(-2147483648));
  });
});
