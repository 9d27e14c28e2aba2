// Op functions as Tensor methods (`a.add(b)`), attached here so that src/tensor never imports src/ops.
import type { Device } from "../backend/backend.js";
import type { DType, FloatDType, NumericDType, Promote } from "../tensor/dtype.js";
import { Tensor } from "../tensor/tensor.js";
import * as ew from "./elementwise.js";
import { gather, indexSelect, tril, triu } from "./indexing.js";
import { matmul } from "./matmul.js";
import { cast, type TensorLike } from "./operands.js";
import * as rb from "./readback.js";
import * as rd from "./reduce.js";
import { logSoftmax, softmax } from "./softmax.js";
import * as vw from "./views.js";

type F = FloatDType;
type N = NumericDType;

declare module "../tensor/tensor.js" {
  interface Tensor<D extends DType = DType> {
    add<B extends DType = D>(other: TensorLike<B>): Tensor<Promote<D, B>>;
    sub<B extends DType = D>(other: TensorLike<B>): Tensor<Promote<D, B>>;
    mul<B extends DType = D>(other: TensorLike<B>): Tensor<Promote<D, B>>;
    div<B extends DType = D>(other: TensorLike<B>): Tensor<Promote<D, B>>;
    maximum<B extends DType = D>(other: TensorLike<B>): Tensor<Promote<D, B>>;
    minimum<B extends DType = D>(other: TensorLike<B>): Tensor<Promote<D, B>>;
    pow(this: Tensor<F>, exponent: TensorLike<F>): Tensor<D>;
    neg(): Tensor<D>;
    abs(): Tensor<D>;
    exp(this: Tensor<F>): Tensor<D>;
    log(this: Tensor<F>): Tensor<D>;
    sqrt(this: Tensor<F>): Tensor<D>;
    rsqrt(this: Tensor<F>): Tensor<D>;
    sin(this: Tensor<F>): Tensor<D>;
    cos(this: Tensor<F>): Tensor<D>;
    tanh(this: Tensor<F>): Tensor<D>;
    sigmoid(this: Tensor<F>): Tensor<D>;
    relu(): Tensor<D>;
    silu(this: Tensor<F>): Tensor<D>;
    gelu(this: Tensor<F>): Tensor<D>;
    erf(this: Tensor<F>): Tensor<D>;
    clamp(this: Tensor<N>, bounds: { min?: number; max?: number }): Tensor<D>;
    eq(other: TensorLike): Tensor<"bool">;
    ne(other: TensorLike): Tensor<"bool">;
    lt(other: TensorLike): Tensor<"bool">;
    le(other: TensorLike): Tensor<"bool">;
    gt(other: TensorLike): Tensor<"bool">;
    ge(other: TensorLike): Tensor<"bool">;
    sum(this: Tensor<N>, opts?: rd.ReduceOptions): Tensor<D>;
    mean(this: Tensor<F>, opts?: rd.ReduceOptions): Tensor<D>;
    max(this: Tensor<N>, opts?: rd.ReduceOptions): Tensor<D>;
    min(this: Tensor<N>, opts?: rd.ReduceOptions): Tensor<D>;
    argmax(this: Tensor<N>, opts?: { dim?: number; keepdim?: boolean }): Tensor<"i32">;
    argmin(this: Tensor<N>, opts?: { dim?: number; keepdim?: boolean }): Tensor<"i32">;
    logsumexp(this: Tensor<F>, opts?: rd.ReduceOptions): Tensor<D>;
    var(this: Tensor<F>, opts?: rd.ReduceOptions & { correction?: number }): Tensor<D>;
    norm(this: Tensor<F>, opts?: rd.ReduceOptions & { p?: number }): Tensor<D>;
    matmul(this: Tensor<F>, other: Tensor<D>): Tensor<D>;
    softmax(this: Tensor<F>, dim?: number): Tensor<D>;
    logSoftmax(this: Tensor<F>, dim?: number): Tensor<D>;
    reshape(shape: readonly number[]): Tensor<D>;
    view(shape: readonly number[]): Tensor<D>;
    permute(dims: readonly number[]): Tensor<D>;
    transpose(dim0: number, dim1: number): Tensor<D>;
    expand(shape: readonly number[]): Tensor<D>;
    squeeze(dim?: number): Tensor<D>;
    unsqueeze(dim: number): Tensor<D>;
    slice(dim: number, start?: number, end?: number, step?: number): Tensor<D>;
    narrow(dim: number, start: number, length: number): Tensor<D>;
    flatten(startDim?: number, endDim?: number): Tensor<D>;
    contiguous(): Tensor<D>;
    clone(): Tensor<D>;
    detach(): Tensor<D>;
    split(sizeOrSizes: number | readonly number[], dim?: number): Tensor<D>[];
    chunk(chunks: number, dim?: number): Tensor<D>[];
    gather(this: Tensor<N>, dim: number, index: Tensor<"i32">): Tensor<D>;
    indexSelect(this: Tensor<N>, dim: number, index: Tensor<"i32">): Tensor<D>;
    triu(diagonal?: number): Tensor<D>;
    tril(diagonal?: number): Tensor<D>;
    cast<T extends DType>(dtype: T): Tensor<T>;
    to<T extends DType | Device>(target: T): Tensor<T extends DType ? T : D>;
    data(): Promise<import("../tensor/dtype.js").ArrayFor<D>>;
    dataSync(): import("../tensor/dtype.js").ArrayFor<D>;
    item(): number;
    toArray(): rb.NestedNumbers;
  }
}

/** Attaches `fn(this, ...args)` as a method for each entry. */
function attach(methods: Record<string, (...args: never[]) => unknown>): void {
  for (const [name, fn] of Object.entries(methods)) {
    Object.defineProperty(Tensor.prototype, name, {
      value: function (this: Tensor, ...args: unknown[]) {
        return (fn as (...a: unknown[]) => unknown)(this, ...args);
      },
      writable: true,
      configurable: true,
    });
  }
}

attach({
  add: ew.add,
  sub: ew.sub,
  mul: ew.mul,
  div: ew.div,
  maximum: ew.maximum,
  minimum: ew.minimum,
  pow: ew.pow,
  neg: ew.neg,
  abs: ew.abs,
  exp: ew.exp,
  log: ew.log,
  sqrt: ew.sqrt,
  rsqrt: ew.rsqrt,
  sin: ew.sin,
  cos: ew.cos,
  tanh: ew.tanh,
  sigmoid: ew.sigmoid,
  relu: ew.relu,
  silu: ew.silu,
  gelu: ew.gelu,
  erf: ew.erf,
  clamp: ew.clamp,
  eq: ew.eq,
  ne: ew.ne,
  lt: ew.lt,
  le: ew.le,
  gt: ew.gt,
  ge: ew.ge,
  sum: rd.sum,
  mean: rd.mean,
  max: rd.max,
  min: rd.min,
  argmax: rd.argmax,
  argmin: rd.argmin,
  logsumexp: rd.logsumexp,
  var: rd.variance,
  norm: rd.norm,
  matmul,
  softmax,
  logSoftmax,
  reshape: vw.reshape,
  view: vw.view,
  permute: vw.permute,
  transpose: vw.transpose,
  expand: vw.expand,
  squeeze: vw.squeeze,
  unsqueeze: vw.unsqueeze,
  slice: vw.slice,
  narrow: vw.narrow,
  flatten: vw.flatten,
  contiguous: vw.contiguous,
  clone: vw.clone,
  detach: vw.detach,
  split: vw.split,
  chunk: vw.chunk,
  gather,
  indexSelect,
  triu,
  tril,
  cast,
  to: rb.to,
  data: rb.data,
  dataSync: rb.dataSync,
  item: rb.item,
  toArray: rb.toArray,
  toString: rb.toString,
});
