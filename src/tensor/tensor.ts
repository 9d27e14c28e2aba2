import type { Device } from "../backend/backend.js";
import { ArgumentError, AutogradError, BackendError, DisposedError } from "../errors.js";
import type { DType } from "./dtype.js";
import { DTYPE_BYTES, isFloat } from "./dtype.js";
import { dropNodeRef, type GradNode } from "./graph.js";
import { addTensors } from "./memory.js";
import { track, untrack } from "./scope.js";
import { contiguousStrides, formatShape, numelOf } from "./shape.js";
import { Storage } from "./storage.js";

/** What a live tensor holds: its storage reference and its reference on the node that made it. */
interface Lifetime {
  storage: Storage;
  device: Device;
  node: GradNode | null;
}

// The safety net: a tensor the program dropped without dispose() gives back its storage (and its hold
// on the autograd node that made it) when it is collected.
const finalizer = new FinalizationRegistry<Lifetime>(({ storage, device, node }) => {
  storage.release();
  addTensors(device, -1);
  if (node) dropNodeRef(node);
});

/**
 * An n-dimensional array on a device, with its dtype in the type (`Tensor<"f32">`). Views (reshape,
 * permute, slice, ...) share storage with their base. Op functions (`add`, `matmul`, ...) are also
 * methods (`a.add(b)`); see `src/ops`.
 *
 * @example
 * const x = tensor([[1, 2], [3, 4]]);
 * console.log(x.shape, x.dtype, x.matmul(x).toArray()); // [2, 2] "f32" [[7, 10], [15, 22]]
 */
export class Tensor<D extends DType = DType> {
  readonly dtype: D;
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  /** Offset of element 0 in the storage, in elements. */
  readonly offset: number;
  readonly device: Device;
  /** The accumulated gradient after backward(), for tensors that require grad. */
  grad: Tensor<D> | undefined;
  private storageRef: Storage | null;
  private gradNode: GradNode | null = null;
  private readonly lifetime: Lifetime;
  private requiresGradFlag = false;

  /** @internal Use the creation functions (`tensor`, `zeros`, ...) instead. */
  constructor(storage: Storage, dtype: D, shape: readonly number[], strides?: readonly number[], offset = 0) {
    this.storageRef = storage;
    this.dtype = dtype;
    // Callers pass arrays they no longer touch (no copy needed); freezing keeps users from mutating them.
    this.shape = Object.isFrozen(shape) ? shape : Object.freeze(shape as number[]);
    this.strides = Object.freeze((strides ?? contiguousStrides(shape)) as number[]);
    this.offset = offset;
    this.device = storage.device;
    addTensors(this.device, 1);
    this.lifetime = { storage, device: this.device, node: null };
    finalizer.register(this, this.lifetime, this);
    track(this);
  }

  /** @internal A new tensor of fresh, uninitialised storage. */
  static empty<D extends DType>(shape: readonly number[], dtype: D, backend: Storage["backend"]): Tensor<D> {
    const bytes = numelOf(shape) * DTYPE_BYTES[dtype];
    let storage: Storage;
    try {
      storage = Storage.allocate(backend, bytes);
    } catch (e) {
      throw new BackendError(
        `cannot allocate a ${dtype} tensor of shape ${formatShape(shape)} (${bytes} bytes) on ${backend.device}: ${(e as Error).message}`,
      );
    }
    return new Tensor(storage, dtype, shape);
  }

  /** @internal A view of the same storage (the storage gains a reference). */
  static view<D extends DType>(
    base: Tensor<D>,
    shape: readonly number[],
    strides: readonly number[],
    offset: number,
    op: string,
  ): Tensor<D> {
    return new Tensor(base.storageFor(op).retain(), base.dtype, shape, strides, offset);
  }

  /** The node that produced this tensor when it was recorded for autograd (kept after dispose). */
  get gradFn(): GradNode | null {
    return this.gradNode;
  }

  /** @internal Called by record(): this tensor is the node's output and holds one reference on it. */
  setGradFn(node: GradNode): void {
    this.gradNode = node;
    this.lifetime.node = node;
  }

  get ndim(): number {
    return this.shape.length;
  }

  get numel(): number {
    return numelOf(this.shape);
  }

  get isDisposed(): boolean {
    return this.storageRef === null;
  }

  /** Whether gradients flow into this tensor. Only floating-point tensors can require grad. */
  get requiresGrad(): boolean {
    return this.requiresGradFlag;
  }

  set requiresGrad(value: boolean) {
    if (value && !isFloat(this.dtype))
      throw new AutogradError(`requiresGrad: only f32/bf16 tensors can require grad, got ${this.dtype}`);
    if (!value && this.gradFn)
      throw new AutogradError("requiresGrad: cannot turn off grad on a non-leaf tensor; use detach()");
    this.requiresGradFlag = value;
  }

  /** True for tensors created by the user (not by a recorded op). */
  get isLeaf(): boolean {
    return this.gradFn === null;
  }

  /** @internal The storage, or a DisposedError naming the op that wanted it. */
  storageFor(op: string): Storage {
    if (!this.storageRef)
      throw new DisposedError(`${op}: tensor of shape ${formatShape(this.shape)} (${this.dtype}) was disposed`);
    return this.storageRef;
  }

  isContiguous(): boolean {
    let expected = 1;
    for (let i = this.shape.length - 1; i >= 0; i--) {
      if (this.shape[i] !== 1 && this.strides[i] !== expected) return false;
      expected *= this.shape[i]!;
    }
    return true;
  }

  /** Frees this tensor's reference to its storage (views keep theirs). Safe to call twice. */
  dispose(): void {
    if (!this.storageRef) return;
    finalizer.unregister(this);
    untrack(this);
    this.storageRef.release();
    this.storageRef = null;
    addTensors(this.device, -1);
    if (this.lifetime.node) {
      dropNodeRef(this.lifetime.node);
      this.lifetime.node = null;
    }
    if (this.grad) {
      this.grad.dispose();
      this.grad = undefined;
    }
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  /** Drops the accumulated gradient. */
  zeroGrad(): void {
    this.grad?.dispose();
    this.grad = undefined;
  }
}

function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? (value.constructor?.name ?? "an object") : `${typeof value} ${String(value)}`;
}

/**
 * Throws unless `value` is a live Tensor: an ArgumentError naming the op and the argument for anything
 * else, a DisposedError for a disposed tensor. Every op calls it on its tensor arguments first.
 */
export function expectTensor(op: string, arg: string, value: unknown): asserts value is Tensor {
  if (!(value instanceof Tensor))
    throw new ArgumentError(`${op}: ${arg} must be a Tensor, got ${describeValue(value)}`);
  value.storageFor(op);
}
