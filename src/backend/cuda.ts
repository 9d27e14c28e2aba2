import { DeviceError } from "../errors.js";
import type { Backend, KernelSignature, NativeAddon } from "./backend.js";
import { loadAddon } from "./loader.js";
import { NativeBackend } from "./native_backend.js";

interface CudaAddon extends NativeAddon {
  isAvailable(): { available: boolean; reason?: string };
  deviceProperties(): Record<string, unknown>;
}

/** Whether CUDA can be used, and why not when it cannot. */
export interface CudaStatus {
  available: boolean;
  reason?: string;
}

let loaded: { addon: CudaAddon; backend: NativeBackend } | undefined;
let loadError: string | undefined;

function load(): { addon: CudaAddon; backend: NativeBackend } | undefined {
  if (loaded || loadError) return loaded;
  try {
    const { addon, path } = loadAddon("cuda");
    const cudaAddon = addon as CudaAddon;
    loaded = { addon: cudaAddon, backend: new NativeBackend("cuda", cudaAddon, path) };
  } catch (e) {
    loadError = (e as Error).message;
  }
  return loaded;
}

/**
 * CUDA device queries.
 *
 * @example
 * if (cuda.isAvailable()) console.log(cuda.deviceProperties().name);
 * else console.log(cuda.status().reason);
 */
export const cuda = {
  /** True when the CUDA addon loaded and found a usable GPU. */
  isAvailable(): boolean {
    return cuda.status().available;
  },
  /** Availability with the reason when CUDA cannot be used. */
  status(): CudaStatus {
    const l = load();
    if (!l) return { available: false, reason: loadError ?? "the CUDA addon is not built" };
    return l.addon.isAvailable();
  },
  /**
   * Name, compute capability, memory and SM count of the current GPU, and `matmulBackend`: "cublasLt" or
   * "fallback" (the hand-written GEMM, with `matmulFallbackReason`; SLMKIT_DISABLE_CUBLASLT=1 forces it),
   * and `attentionKernels`: "wgmma" (Hopper with the sm_90a build) or "mma.sync" (other GPUs, and Hopper
   * under SLMKIT_CUDA_PRE_HOPPER=1), the bf16 prefill attention kernels.
   */
  deviceProperties(): Record<string, unknown> {
    return cudaAddon().deviceProperties();
  },
  /** Waits until all queued GPU work has finished. */
  synchronize(): void {
    cudaBackend().synchronize();
  },
};

function cudaAddon(): CudaAddon {
  const status = cuda.status();
  if (!status.available) throw new DeviceError(`cuda: not available (${status.reason ?? "unknown reason"})`);
  return loaded!.addon;
}

/** The CUDA backend; throws a DeviceError that says why when CUDA is unavailable. */
export function cudaBackend(): Backend {
  cudaAddon();
  return loaded!.backend;
}

/** The CUDA addon's kernel names when it loads (even with no GPU), for the op-table agreement test. */
export function cudaKernelNames(): string[] | undefined {
  return load()?.addon.kernelNames();
}

/** The CUDA addon's kernel signatures when it loads (even with no GPU), for the same test. */
export function cudaKernelSignatures(): Record<string, KernelSignature> | undefined {
  return load()?.addon.kernelSignatures();
}
