// Seeded fuzzing: thousands of random, mostly invalid calls. The process must survive (a native crash
// kills the worker and fails the run) and every error thrown must be a SlmkitError.
import { describe, expect, it } from "vitest";
import * as S from "../../src/index.js";
import { Rng } from "../reference/index.js";

const rng = new Rng(0xf00d);

const DTYPES = ["f32", "bf16", "i32", "bool"] as const;
// Numbers that are safe as sizes: small, negative, fractional, non-finite, or far beyond the 2^40 limit
// (mid-sized huge numbers could make a legal multi-GB allocation).
const NUMBERS = [0, 1, 2, 3, -1, -2, 0.5, -0.5, NaN, Infinity, -Infinity, 2 ** 53, 1e300, -1e300];

function randomShape(): number[] {
  const nd = rng.int(0, 4);
  return Array.from({ length: nd }, () => rng.pick([0, 1, 1, 2, 3, 4, 5]));
}

function randomTensor(): S.Tensor {
  const dtype = rng.pick(DTYPES);
  const shape = randomShape();
  let t: S.Tensor =
    dtype === "f32" || dtype === "bf16"
      ? S.randn(shape, { dtype })
      : dtype === "i32"
        ? S.randint(0, 3, shape)
        : S.lt(S.rand(shape), 0.5);
  const kind = rng.int(0, 8);
  if (kind === 0 && t.ndim >= 2) t = S.transpose(t, 0, 1);
  else if (kind === 1 && t.ndim >= 1) t = S.slice(t, 0, 0, undefined, 2);
  else if (kind === 2) t = S.unsqueeze(t, 0);
  else if (kind === 3 && t.ndim >= 1) t = S.expand(S.unsqueeze(t, 0), [2, ...t.shape]);
  else if (kind === 4) t.dispose();
  else if (kind === 5 && (dtype === "f32" || dtype === "bf16")) t.requiresGrad = true;
  return t;
}

function randomValue(depth = 0): unknown {
  switch (rng.int(0, 12)) {
    case 0:
    case 1:
    case 2:
    case 3:
      return randomTensor();
    case 4:
    case 5:
      return rng.pick(NUMBERS);
    case 6:
      return randomShape().map((s) => (rng.next() < 0.1 ? rng.pick(NUMBERS) : s));
    case 7:
      return rng.pick(["f32", "bf16", "i32", "bool", "cpu", "cuda", "", "x", "mean", "sum", "none"]);
    case 8:
      return rng.pick([null, undefined, true, false]);
    case 9:
      return depth < 2
        ? {
            dim: randomValue(depth + 1),
            keepdim: rng.next() < 0.5,
            min: rng.pick(NUMBERS),
            max: rng.pick(NUMBERS),
            causal: true,
            scale: rng.pick(NUMBERS),
            kvOffset: rng.pick(NUMBERS),
            theta: rng.pick(NUMBERS),
            positionOffset: rng.pick(NUMBERS),
            ignoreIndex: rng.pick(NUMBERS),
            reduction: rng.pick(["mean", "sum", "none", "x"]),
            p: rng.pick(NUMBERS),
            correction: rng.pick(NUMBERS),
            dtype: rng.pick(DTYPES),
          }
        : {};
    case 10:
      return depth < 2 ? [randomValue(depth + 1), randomValue(depth + 1)] : [];
    default:
      return () => 1;
  }
}

const OPS: Record<string, (...args: never[]) => unknown> = {
  tensor: S.tensor,
  zeros: S.zeros,
  ones: S.ones,
  full: S.full,
  arange: S.arange,
  eye: S.eye,
  rand: S.rand,
  randn: S.randn,
  randint: S.randint,
  zerosLike: S.zerosLike,
  onesLike: S.onesLike,
  fullLike: S.fullLike,
  reshape: S.reshape,
  view: S.view,
  permute: S.permute,
  transpose: S.transpose,
  expand: S.expand,
  squeeze: S.squeeze,
  unsqueeze: S.unsqueeze,
  slice: S.slice,
  narrow: S.narrow,
  contiguous: S.contiguous,
  cat: S.cat,
  stack: S.stack,
  split: S.split,
  chunk: S.chunk,
  flatten: S.flatten,
  add: S.add,
  sub: S.sub,
  mul: S.mul,
  div: S.div,
  pow: S.pow,
  neg: S.neg,
  abs: S.abs,
  exp: S.exp,
  log: S.log,
  sqrt: S.sqrt,
  rsqrt: S.rsqrt,
  sin: S.sin,
  cos: S.cos,
  tanh: S.tanh,
  sigmoid: S.sigmoid,
  relu: S.relu,
  silu: S.silu,
  gelu: S.gelu,
  erf: S.erf,
  maximum: S.maximum,
  minimum: S.minimum,
  clamp: S.clamp,
  where: S.where,
  eq: S.eq,
  ne: S.ne,
  lt: S.lt,
  le: S.le,
  gt: S.gt,
  ge: S.ge,
  sum: S.sum,
  mean: S.mean,
  max: S.max,
  min: S.min,
  argmax: S.argmax,
  argmin: S.argmin,
  logsumexp: S.logsumexp,
  var: S.var,
  norm: S.norm,
  matmul: S.matmul,
  softmax: S.softmax,
  logSoftmax: S.logSoftmax,
  cast: S.cast,
  gather: S.gather,
  indexSelect: S.indexSelect,
  embedding: S.embedding,
  oneHot: S.oneHot,
  triu: S.triu,
  tril: S.tril,
  rmsNorm: S.rmsNorm,
  attention: S.attention,
  crossEntropy: S.crossEntropy,
  rope: S.rope,
  swiglu: S.swiglu,
  adamwStep: S.adamwStep,
  globalNorm: S.globalNorm,
  backward: S.backward,
  to: S.to,
  item: S.item,
  toArray: S.toArray,
  tidy: S.tidy,
  noGrad: S.noGrad,
  manualSeed: S.manualSeed,
};

function describeArg(v: unknown): string {
  if (v instanceof S.Tensor)
    return v.isDisposed
      ? `<disposed ${v.dtype}[${v.shape}]>`
      : `${v.dtype}[${v.shape}]${v.isContiguous() ? "" : "(strided)"}`;
  if (typeof v === "function") return "<fn>";
  if (Array.isArray(v)) return `[${v.map(describeArg).join(", ")}]`;
  if (v && typeof v === "object") return "{opts}";
  return String(v);
}

describe("fuzz", () => {
  it("5,000 random calls: the process survives and every thrown error is a SlmkitError", () => {
    S.manualSeed(1);
    const start = S.memory();
    const names = Object.keys(OPS);
    const offenders = new Map<string, string>();
    let thrown = 0;
    let returned = 0;
    for (let batch = 0; batch < 50; batch++) {
      S.tidy(() => {
        for (let i = 0; i < 100; i++) {
          const name = rng.pick(names);
          const args = Array.from({ length: rng.int(0, 5) }, () => randomValue());
          try {
            (OPS[name] as (...a: unknown[]) => unknown)(...args);
            returned++;
          } catch (e) {
            thrown++;
            // One example per op keeps the report readable.
            if (!(e instanceof S.SlmkitError) && !offenders.has(name)) {
              offenders.set(
                name,
                `${(e as Error)?.constructor?.name}: ${String((e as Error)?.message ?? e).slice(0, 100)} <- ${name}(${args.map(describeArg).join(", ")})`,
              );
            }
          }
        }
      });
    }
    // Every batch ran inside tidy(): failed calls must not leave half-built outputs behind either.
    expect(S.memory()).toEqual(start);
    expect(returned).toBeGreaterThan(100); // the fuzzer also exercises valid calls
    expect(thrown).toBeGreaterThan(1000);
    const report = [...offenders.entries()].sort().map(([op, example]) => `${op}: ${example}`);
    expect(report, `${offenders.size} ops threw non-SlmkitErrors`).toEqual([]);
  });

  it("values that break String() (Symbols, objects without a prototype, BigInts) still give SlmkitErrors", () => {
    // Error messages used to format such arguments with String() or a template and threw TypeErrors.
    const awkward: unknown[] = [
      Symbol("s"),
      10n,
      Object.create(null),
      [Symbol("a")],
      [10n],
      { dim: Symbol("d") },
      [Object.create(null)],
    ];
    const offenders = new Set<string>();
    S.tidy(() => {
      for (const [name, op] of Object.entries(OPS)) {
        for (const value of awkward) {
          for (let at = 0; at < 3; at++) {
            const args: unknown[] = [S.ones([2, 3]), 1, 0];
            args[at] = value;
            try {
              (op as (...a: unknown[]) => unknown)(...args);
            } catch (e) {
              if (!(e instanceof S.SlmkitError))
                offenders.add(
                  `${name}: argument ${at}: ${(e as Error)?.constructor?.name}: ${String((e as Error)?.message).slice(0, 80)}`,
                );
            }
          }
        }
      }
    });
    const first = (list: string[]) =>
      list.filter((o, i) => list.findIndex((p) => p.split(":")[0] === o.split(":")[0]) === i);
    expect(first([...offenders].sort())).toEqual([]);
  });

  it("Tensor methods called with random arguments throw only SlmkitErrors", () => {
    const methods = [
      "add",
      "mul",
      "pow",
      "sum",
      "max",
      "argmax",
      "var",
      "norm",
      "matmul",
      "softmax",
      "reshape",
      "permute",
      "transpose",
      "expand",
      "squeeze",
      "unsqueeze",
      "slice",
      "narrow",
      "flatten",
      "split",
      "chunk",
      "gather",
      "indexSelect",
      "triu",
      "cast",
      "to",
      "item",
      "toArray",
      "clamp",
      "backward",
      "dataSync",
      "detach",
      "contiguous",
    ];
    const offenders = new Set<string>();
    S.tidy(() => {
      for (let i = 0; i < 2000; i++) {
        const t = randomTensor();
        const m = rng.pick(methods);
        const args = Array.from({ length: rng.int(0, 3) }, () => randomValue());
        try {
          (t as unknown as Record<string, (...a: unknown[]) => unknown>)[m]!(...args);
        } catch (e) {
          if (!(e instanceof S.SlmkitError) && ![...offenders].some((o) => o.startsWith(`.${m}(`))) {
            offenders.add(
              `.${m}(${args.map(describeArg).join(", ")}) on ${describeArg(t)}: ${(e as Error)?.constructor?.name}: ${String((e as Error)?.message).slice(0, 100)}`,
            );
          }
        }
      }
    });
    expect([...offenders].sort(), `${offenders.size} methods threw non-SlmkitErrors`).toEqual([]);
  });
});
