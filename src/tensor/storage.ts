import type { Backend, Device, StorageHandle } from "../backend/backend.js";
import { addBytes } from "./memory.js";

/**
 * One native allocation shared by a tensor and its views. Reference-counted: each tensor (and each
 * tensor saved for backward) holds one reference; the memory goes back to the backend at zero.
 */
export class Storage {
  private refs = 1;

  private constructor(
    readonly backend: Backend,
    readonly handle: StorageHandle,
    readonly bytes: number,
  ) {
    addBytes(backend.device, bytes);
  }

  static allocate(backend: Backend, bytes: number): Storage {
    return new Storage(backend, backend.alloc(bytes), bytes);
  }

  get device(): Device {
    return this.backend.device;
  }

  retain(): this {
    this.refs++;
    return this;
  }

  release(): void {
    if (this.refs <= 0) return;
    if (--this.refs === 0) {
      this.backend.free(this.handle);
      addBytes(this.backend.device, -this.bytes);
    }
  }
}
