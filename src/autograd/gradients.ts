import { AutogradError } from "../errors.js";
import { attentionBackward } from "../ops/attention.js";
import { crossEntropyBackward } from "../ops/cross_entropy.js";
import {
  add,
  cos,
  div,
  eq,
  erf,
  exp,
  ge,
  gt,
  le,
  log,
  lt,
  mul,
  neg,
  pow,
  sigmoid,
  sin,
  sub,
  where,
} from "../ops/elementwise.js";
import { indexAdd, scatterAdd, tril, triu } from "../ops/indexing.js";
import { matmul } from "../ops/matmul.js";
import { cast } from "../ops/operands.js";
import { toDevice } from "../ops/readback.js";
import { type DifferentiableOp, setSaveSpecs } from "../ops/record.js";
import { sum } from "../ops/reduce.js";
import { rmsNormBackward } from "../ops/rmsnorm.js";
import { ropeBackward } from "../ops/rope.js";
import { swigluBackward } from "../ops/swiglu.js";
import type { KernelAttrs } from "../ops/table.js";
import { expand, permute, reshape, slice, transpose, unslice, unsqueeze } from "../ops/views.js";
import type { Device } from "../backend/backend.js";
import type { FloatDType } from "../tensor/dtype.js";
import type { GradNode, SaveSpec } from "../tensor/graph.js";
import type { Tensor } from "../tensor/tensor.js";
import { broadcastShapes } from "../tensor/shape.js";

type T = Tensor<FloatDType>;

/** What a rule sees of its node: saved tensors, attributes and the shapes of the inputs. */
export interface GradContext {
  input(i: number): T;
  output(): T;
  extra(i: number): Tensor;
  attrs: Readonly<Record<string, unknown>>;
  inputShapes: readonly (readonly number[])[];
  inputDtypes: readonly FloatDType[];
  needsGrad: readonly boolean[];
}

/** A gradient rule: what it saves and how it maps the output gradient to input gradients. */
export interface GradRule {
  saves?: SaveSpec;
  backward(ctx: GradContext, g: T): (T | undefined)[];
}

/** Sums a broadcast gradient back down to `shape`. */
export function sumTo(g: T, shape: readonly number[]): T {
  if (g.shape.length === shape.length && g.shape.every((s, i) => s === shape[i])) return g;
  const lead = g.ndim - shape.length;
  const axes = g.shape.map((_, i) => i).filter((i) => i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1));
  const s = axes.length ? sum(g, { dim: axes, keepdim: true }) : g;
  return reshape(s, shape);
}

/** A part of the gradient table: a misspelt op name is an excess property, so it does not compile. */
type Rules = Partial<Record<DifferentiableOp, GradRule>>;

const same = (g: T, shape: readonly number[]): T => sumTo(g, shape);
const onlyInput: SaveSpec = { inputs: [0] };
const onlyOutput: SaveSpec = { outputs: [0] };
const bothInputs: SaveSpec = { inputs: [0, 1] };
const asFloat = (t: Tensor, like: T): T => cast(t, like.dtype) as T;

const unaryRules = {
  neg: { backward: (_, g) => [neg(g)] },
  abs: {
    saves: onlyInput,
    backward: (c, g) => [mul(g, sub(asFloat(gt(c.input(0), 0), g), asFloat(lt(c.input(0), 0), g)))],
  },
  exp: { saves: onlyOutput, backward: (c, g) => [mul(g, c.output())] },
  log: { saves: onlyInput, backward: (c, g) => [div(g, c.input(0))] },
  sqrt: { saves: onlyOutput, backward: (c, g) => [div(g, mul(c.output(), 2))] },
  rsqrt: { saves: onlyOutput, backward: (c, g) => [mul(g, mul(pow(c.output(), 3), -0.5))] },
  sin: { saves: onlyInput, backward: (c, g) => [mul(g, cos(c.input(0)))] },
  cos: { saves: onlyInput, backward: (c, g) => [neg(mul(g, sin(c.input(0))))] },
  tanh: { saves: onlyOutput, backward: (c, g) => [mul(g, sub(1, mul(c.output(), c.output())))] },
  sigmoid: { saves: onlyOutput, backward: (c, g) => [mul(g, mul(c.output(), sub(1, c.output())))] },
  relu: { saves: onlyInput, backward: (c, g) => [mul(g, asFloat(gt(c.input(0), 0), g))] },
  silu: {
    saves: onlyInput,
    backward: (c, g) => {
      const x = c.input(0);
      const s = sigmoid(x);
      return [mul(g, mul(s, add(1, mul(x, sub(1, s)))))];
    },
  },
  gelu: {
    saves: onlyInput,
    backward: (c, g) => {
      const x = c.input(0);
      const cdf = mul(add(erf(mul(x, Math.SQRT1_2)), 1), 0.5);
      const pdf = mul(exp(mul(mul(x, x), -0.5)), 1 / Math.sqrt(2 * Math.PI));
      return [mul(g, add(cdf, mul(x, pdf)))];
    },
  },
  erf: {
    saves: onlyInput,
    backward: (c, g) => [mul(g, mul(exp(neg(mul(c.input(0), c.input(0)))), 2 / Math.sqrt(Math.PI)))],
  },
  clamp: {
    saves: onlyInput,
    backward: (c, g) => {
      const x = c.input(0);
      const { min, max } = c.attrs as { min: number; max: number };
      return [mul(g, mul(asFloat(ge(x, min), g), asFloat(le(x, max), g)))];
    },
  },
  pow_scalar: {
    saves: onlyInput,
    backward: (c, g) => {
      const p = c.attrs.exponent as number;
      return [mul(g, mul(pow(c.input(0), p - 1), p))];
    },
  },
  cast: { backward: (c, g) => [cast(g, c.inputDtypes[0]!) as T] },
} satisfies Rules;

const binaryRules = {
  add: { backward: (c, g) => [same(g, c.inputShapes[0]!), same(g, c.inputShapes[1]!)] },
  sub: { backward: (c, g) => [same(g, c.inputShapes[0]!), same(neg(g), c.inputShapes[1]!)] },
  mul: {
    saves: bothInputs,
    backward: (c, g) => [same(mul(g, c.input(1)), c.inputShapes[0]!), same(mul(g, c.input(0)), c.inputShapes[1]!)],
  },
  div: {
    saves: bothInputs,
    backward: (c, g) => {
      const [a, b] = [c.input(0), c.input(1)];
      return [same(div(g, b), c.inputShapes[0]!), same(neg(div(mul(g, a), mul(b, b))), c.inputShapes[1]!)];
    },
  },
  pow: {
    saves: { inputs: [0, 1], outputs: [0] },
    backward: (c, g) => {
      const [a, b, y] = [c.input(0), c.input(1), c.output()];
      return [
        same(mul(g, mul(b, pow(a, sub(b, 1)))), c.inputShapes[0]!),
        same(mul(g, mul(y, log(a))), c.inputShapes[1]!),
      ];
    },
  },
  maximum: { saves: bothInputs, backward: (c, g) => minMaxGrads(c, g, gt) },
  minimum: { saves: bothInputs, backward: (c, g) => minMaxGrads(c, g, lt) },
  where: {
    saves: { extras: [0] },
    backward: (c, g) => {
      const cond = c.extra(0) as Tensor<"bool">;
      return [same(where(cond, g, 0) as T, c.inputShapes[0]!), same(where(cond, 0, g) as T, c.inputShapes[1]!)];
    },
  },
} satisfies Rules;

/** maximum/minimum: the winner gets the gradient; ties split it evenly, as PyTorch does. */
function minMaxGrads(c: GradContext, g: T, wins: typeof gt): T[] {
  const [a, b] = [c.input(0), c.input(1)];
  const tie = mul(asFloat(eq(a, b), g), 0.5);
  const aShare = add(asFloat(wins(a, b), g), tie);
  const bShare = add(asFloat(wins(b, a), g), tie);
  return [same(mul(g, aShare), c.inputShapes[0]!), same(mul(g, bShare), c.inputShapes[1]!)];
}

function keepdimShape(shape: readonly number[], axes: readonly number[]): number[] {
  return shape.map((s, i) => (axes.includes(i) ? 1 : s));
}

const reduceRules = {
  sum: {
    backward: (c, g) => {
      const { axes } = c.attrs as { axes: number[] };
      return [expand(reshape(g, keepdimShape(c.inputShapes[0]!, axes)), c.inputShapes[0]!)];
    },
  },
  logsumexp: {
    saves: { inputs: [0], outputs: [0] },
    backward: (c, g) => {
      const { axes } = c.attrs as { axes: number[] };
      const shape = keepdimShape(c.inputShapes[0]!, axes);
      return [mul(reshape(g, shape), exp(sub(c.input(0), reshape(c.output(), shape))))];
    },
  },
  max: { saves: { inputs: [0], outputs: [0] }, backward: (c, g) => [extremumGrad(c, g)] },
  min: { saves: { inputs: [0], outputs: [0] }, backward: (c, g) => [extremumGrad(c, g)] },
} satisfies Rules;

/** max/min over axes: the gradient is shared evenly by every element equal to the extremum. */
function extremumGrad(c: GradContext, g: T): T {
  const { axes } = c.attrs as { axes: number[] };
  const shape = keepdimShape(c.inputShapes[0]!, axes);
  const hits = asFloat(eq(c.input(0), reshape(c.output(), shape)), g);
  const count = sum(hits, { dim: axes, keepdim: true });
  return mul(hits, div(reshape(g, shape), count));
}

const viewRules = {
  contiguous: { backward: (_, g) => [g] },
  reshape: { backward: (c, g) => [reshape(g, c.inputShapes[0]!)] },
  permute: {
    backward: (c, g) => {
      const dims = c.attrs.dims as number[];
      const inverse = dims.map((_, i) => dims.indexOf(i));
      return [permute(g, inverse)];
    },
  },
  expand: { backward: (c, g) => [sumTo(g, c.inputShapes[0]!)] },
  slice: {
    backward: (c, g) => {
      const { dim, start, step } = c.attrs as { dim: number; start: number; step: number };
      return [unslice(g, c.inputShapes[0]!, dim, start, step)];
    },
  },
  cat: {
    backward: (c, g) => {
      const { dim, sizes } = c.attrs as { dim: number; sizes: number[] };
      let at = 0;
      return sizes.map((s) => {
        const part = slice(g, dim, at, at + s);
        at += s;
        return part;
      });
    },
  },
  toDevice: { backward: (c, g) => [toDevice(g, c.attrs.from as Device)] },
} satisfies Rules;

const matmulRules = {
  matmul: {
    saves: bothInputs,
    backward: (c, g) => {
      const [a, b] = [c.input(0), c.input(1)];
      // Vectors are matrices with a unit dim (as in the forward pass); g gets those unit dims back.
      const A = a.ndim === 1 ? unsqueeze(a, 0) : a;
      const B = b.ndim === 1 ? unsqueeze(b, -1) : b;
      const batch = broadcastShapes("matmul backward", A.shape.slice(0, -2), B.shape.slice(0, -2));
      const G = reshape(g, [...batch, A.shape[A.ndim - 2]!, B.shape[B.ndim - 1]!]);
      const gA = c.needsGrad[0] ? reshape(sumTo(matmul(G, transpose(B, -1, -2)), A.shape), a.shape) : undefined;
      const gB = c.needsGrad[1] ? reshape(sumTo(matmul(transpose(A, -1, -2), G), B.shape), b.shape) : undefined;
      return [gA, gB];
    },
  },
  softmax: {
    saves: onlyOutput,
    backward: (c, g) => {
      const y = c.output();
      const dim = c.attrs.dim as number;
      return [mul(y, sub(g, sum(mul(g, y), { dim, keepdim: true })))];
    },
  },
  logSoftmax: {
    saves: onlyOutput,
    backward: (c, g) => {
      const dim = c.attrs.dim as number;
      return [sub(g, mul(exp(c.output()), sum(g, { dim, keepdim: true })))];
    },
  },
} satisfies Rules;

const indexRules = {
  indexSelect: {
    saves: { extras: [0] },
    backward: (c, g) => [indexAdd(g, c.inputShapes[0]!, c.attrs.dim as number, c.extra(0) as Tensor<"i32">)],
  },
  gather: {
    saves: { extras: [0] },
    backward: (c, g) => [scatterAdd(g, c.inputShapes[0]!, c.attrs.dim as number, c.extra(0) as Tensor<"i32">)],
  },
  triu: { backward: (c, g) => [triu(g, c.attrs.diagonal as number)] },
  tril: { backward: (c, g) => [tril(g, c.attrs.diagonal as number)] },
} satisfies Rules;

const fusedRules = {
  rmsNorm: {
    saves: { inputs: [0, 1], extras: [0] },
    backward: (c, g) => rmsNormBackward(c.input(0), c.input(1), c.extra(0) as Tensor<"f32">, g),
  },
  attention: {
    saves: { inputs: [0, 1, 2], outputs: [0], extras: [0] },
    backward: (c, g) =>
      attentionBackward(
        c.input(0),
        c.input(1),
        c.input(2),
        c.output(),
        c.extra(0) as Tensor<"f32">,
        g,
        c.attrs as KernelAttrs<"attention_backward">,
      ),
  },
  rope: { backward: (c, g) => [ropeBackward(g, c.attrs as KernelAttrs<"rope_backward">)] },
  swiglu: { saves: bothInputs, backward: (c, g) => swigluBackward(c.input(0), c.input(1), g) },
  crossEntropy: {
    saves: { inputs: [0], extras: [0, 1, 2] },
    backward: (c, g) => {
      const { ignoreIndex, reduction } = c.attrs as { ignoreIndex: number; reduction: string };
      const count = reduction === "mean" ? (c.extra(2) as Tensor<"f32">) : undefined;
      return [
        crossEntropyBackward(
          c.input(0),
          c.extra(1) as Tensor<"i32">,
          c.extra(0) as Tensor<"f32">,
          g as Tensor<"f32">,
          count,
          ignoreIndex,
          reduction,
        ) as T,
      ];
    },
  },
} satisfies Rules;

/** The gradient-rule table, keyed by the op name ops pass to record(): one rule for every such op. */
export const GRADIENTS: Readonly<Record<DifferentiableOp, GradRule>> = {
  ...unaryRules,
  ...binaryRules,
  ...reduceRules,
  ...viewRules,
  ...matmulRules,
  ...indexRules,
  ...fusedRules,
};

setSaveSpecs((op) => GRADIENTS[op].saves);

/** The rule for a node, or an AutogradError naming the op. */
export function ruleFor(node: GradNode): GradRule {
  // Nodes carry the op's name as a plain string (src/tensor knows no op names).
  const rule: GradRule | undefined = GRADIENTS[node.op as DifferentiableOp];
  if (!rule) throw new AutogradError(`backward: no gradient rule for op ${node.op}`);
  return rule;
}

/** Wraps a node's saved tensors for its rule. */
export function contextFor(node: GradNode): GradContext {
  const missing = (what: string): never => {
    throw new AutogradError(
      `backward: ${node.op} did not save ${what}; the graph may have been freed by an earlier backward()`,
    );
  };
  return {
    input: (i) => (node.saved.inputs[i] as T | undefined) ?? missing(`input ${i}`),
    output: () => (node.saved.output as T | undefined) ?? missing("its output"),
    extra: (i) => node.saved.extras[i] ?? missing(`extra ${i}`),
    attrs: node.attrs,
    inputShapes: node.inputShapes,
    inputDtypes: node.inputs.map((t) => t.dtype as FloatDType),
    needsGrad: node.needsGrad,
  };
}
