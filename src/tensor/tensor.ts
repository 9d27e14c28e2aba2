import type { Device } from "../backend/backend.js";
import { AutogradError, BackendError, DisposedError } from "../errors.js";
import type { DType } from "./dtype.js";
import { DTYPE_BYTES, isFloat } from "./dtype.js";
import type { GradNode } from "./graph.js";
import { addTensors } from "./memory.js";
import { track, untrack } from "./scope.js";
import { contiguousStrides, formatShape, numelOf } from "./shape.js";
import { Storage } from "./storage.js";

// The safety net: a tensor the program dropped without dispose() gives its storage back when collected.
const finalizer = new FinalizationRegistry<{ storage: Storage; device: Device }>(({ storage, device }) => {
  storage.release();
  addTensors(device, -1);
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
  /** The node that produced this tensor when it was recorded for autograd. */
  gradFn: GradNode | null = null;
  private storageRef: Storage | null;
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
    finalizer.register(this, { storage, device: this.device }, this);
    track(this);
  }

  /** @internal A new tensor of fresh, uninitialised storage. */
  static empty<D extends DType>(shape: readonly number[], dtype: D, backend: Storage["backend"]): Tensor<D> {
    const bytes = numelOf(shape) * DTYPE_BYTES[dtype];
    let storage: Storage;
    try {
      storage = Storage.allocate(backend, bytes);
    } catch (e) {
      throw new BackendError(`cannot allocate a ${dtype} tensor of shape ${formatShape(shape)} (${bytes} bytes) on ${backend.device}: ${(e as Error).message}`);
    }
    return new Tensor(storage, dtype, shape);
  }

  /** @internal A view of the same storage (the storage gains a reference). */
  static view<D extends DType>(base: Tensor<D>, shape: readonly number[], strides: readonly number[], offset: number, op: string): Tensor<D> {
    return new Tensor(base.storageFor(op).retain(), base.dtype, shape, strides, offset);
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
    if (value && !isFloat(this.dtype)) throw new AutogradError(`requiresGrad: only f32/bf16 tensors can require grad, got ${this.dtype}`);
    if (!value && this.gradFn) throw new AutogradError("requiresGrad: cannot turn off grad on a non-leaf tensor; use detach()");
    this.requiresGradFlag = value;
  }

  /** True for tensors created by the user (not by a recorded op). */
  get isLeaf(): boolean {
    return this.gradFn === null;
  }

  /** @internal The storage, or a DisposedError naming the op that wanted it. */
  storageFor(op: string): Storage {
    if (!this.storageRef) throw new DisposedError(`${op}: tensor of shape ${formatShape(this.shape)} (${this.dtype}) was disposed`);
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
