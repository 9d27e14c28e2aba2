import { BackendError } from "../errors.js";
import type { Backend, Device, KernelSignature, NativeAddon, StorageHandle } from "./backend.js";

/** A Backend over a loaded native addon: forwards calls and turns native errors into BackendErrors. */
export class NativeBackend implements Backend {
  private readonly ids = new Map<string, number>();

  constructor(
    readonly device: Device,
    private readonly addon: NativeAddon,
    readonly path: string,
  ) {}

  alloc(bytes: number): StorageHandle {
    return wrap(() => this.addon.alloc(bytes));
  }
  free(handle: StorageHandle): void {
    this.addon.free(handle);
  }
  write(handle: StorageHandle, byteOffset: number, data: ArrayBufferView): void {
    wrap(() => this.addon.write(handle, byteOffset, data));
  }
  read(handle: StorageHandle, byteOffset: number, bytes: number): ArrayBuffer {
    return wrap(() => this.addon.read(handle, byteOffset, bytes));
  }
  readAsync(handle: StorageHandle, byteOffset: number, bytes: number): Promise<ArrayBuffer> {
    if (!this.addon.readAsync) return Promise.resolve(this.read(handle, byteOffset, bytes));
    return this.addon.readAsync(handle, byteOffset, bytes).catch((e: Error) => {
      throw new BackendError(e.message);
    });
  }
  kernelId(name: string): number {
    let id = this.ids.get(name);
    if (id === undefined) {
      id = this.addon.kernelId(name);
      this.ids.set(name, id);
    }
    return id;
  }
  kernelNames(): string[] {
    return this.addon.kernelNames();
  }
  kernelSignatures(): Record<string, KernelSignature> {
    return this.addon.kernelSignatures();
  }
  run(kernelId: number, buffer: Float64Array): void {
    // No closure here: this is the hot path of every op.
    try {
      this.addon.run(kernelId, buffer);
    } catch (e) {
      throw new BackendError((e as Error).message);
    }
  }
  synchronize(): void {
    this.addon.synchronize?.();
  }
  info(): Record<string, unknown> {
    return { ...this.addon.info(), path: this.path };
  }
}

function wrap<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw new BackendError((e as Error).message);
  }
}
