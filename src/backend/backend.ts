/** Where a tensor lives. */
export type Device = "cpu" | "cuda";

/** A native allocation owned by one backend: a number that the addon maps to its memory. */
export type StorageHandle = number & { readonly __storageHandle: unique symbol };

/**
 * What a native addon provides. CPU and CUDA implement the same interface; a kernel one of them lacks is
 * a loud error at dispatch, never a silent fallback to the other device.
 */
export interface Backend {
  readonly device: Device;
  alloc(bytes: number): StorageHandle;
  free(handle: StorageHandle): void;
  write(handle: StorageHandle, byteOffset: number, data: ArrayBufferView): void;
  /** Blocks until the bytes are on the host. */
  read(handle: StorageHandle, byteOffset: number, bytes: number): ArrayBuffer;
  /** Resolves when the bytes are on the host; the JS thread is not blocked on asynchronous devices. */
  readAsync(handle: StorageHandle, byteOffset: number, bytes: number): Promise<ArrayBuffer>;
  /** Index of a registered kernel, or -1. */
  kernelId(name: string): number;
  kernelNames(): string[];
  /** Each registered kernel's input, output and attribute names in call order (its contract header's). */
  kernelSignatures(): Record<string, KernelSignature>;
  /** buffer: [nIn, nOut, nAttrs, ...attrs, per tensor: handle, dtype code, ndim, offset, ...shape, ...strides]. */
  run(kernelId: number, buffer: Float64Array): void;
  /** Waits for all queued work (a no-op on the CPU). */
  synchronize(): void;
  info(): Record<string, unknown>;
}

/** The raw functions both addons export (see native/cpu_addon.cc and native/cuda_addon.cc). */
export interface NativeAddon {
  alloc(bytes: number): StorageHandle;
  free(handle: StorageHandle): void;
  write(handle: StorageHandle, byteOffset: number, data: ArrayBufferView): void;
  read(handle: StorageHandle, byteOffset: number, bytes: number): ArrayBuffer;
  readAsync?(handle: StorageHandle, byteOffset: number, bytes: number): Promise<ArrayBuffer>;
  synchronize?(): void;
  run(kernelId: number, buffer: Float64Array): void;
  kernelNames(): string[];
  kernelSignatures(): Record<string, KernelSignature>;
  kernelId(name: string): number;
  info(): Record<string, unknown>;
}

/** The names a native kernel declares for its arguments; the op table must list the same. */
export interface KernelSignature {
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attrs: readonly string[];
}
