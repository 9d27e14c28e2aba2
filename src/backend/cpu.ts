import { ArgumentError } from "../errors.js";
import type { Backend, NativeAddon } from "./backend.js";
import { loadAddon } from "./loader.js";
import { NativeBackend } from "./native_backend.js";

/** SIMD instruction sets the CPU kernels are built for. */
export type CpuIsa = "baseline" | "avx2" | "avx512";

interface CpuAddon extends NativeAddon {
  setIsa(isa: CpuIsa): CpuIsa;
  setThreads(n: number): void;
}

let loaded: { addon: CpuAddon; backend: NativeBackend } | undefined;

function load(): { addon: CpuAddon; backend: NativeBackend } {
  if (!loaded) {
    const { addon, path } = loadAddon("cpu");
    loaded = { addon: addon as CpuAddon, backend: new NativeBackend("cpu", addon, path) };
  }
  return loaded;
}

/** The CPU backend, loaded on first use. */
export function cpu(): Backend {
  return load().backend;
}

/** The CPU addon: kernels in use (`isa`), the best the CPU supports, threads, and where it was loaded from. */
export function cpuInfo(): { isa: CpuIsa; bestIsa: CpuIsa; threads: number; path: string } {
  return cpu().info() as { isa: CpuIsa; bestIsa: CpuIsa; threads: number; path: string };
}

/**
 * Switches the CPU kernels to another instruction set (never above what the CPU supports); returns the
 * one now in use. The SLMKIT_CPU_ISA environment variable does the same at start-up.
 *
 * @example
 * setCpuIsa("baseline"); // portable x86-64 kernels, e.g. to compare speed or results
 */
export function setCpuIsa(isa: CpuIsa): CpuIsa {
  if (isa !== "baseline" && isa !== "avx2" && isa !== "avx512")
    throw new ArgumentError(`setCpuIsa: isa must be "baseline", "avx2" or "avx512", got ${String(isa)}`);
  return load().addon.setIsa(isa);
}

/** Sets the CPU thread pool's size (the SLMKIT_NUM_THREADS variable sets it at start-up). */
export function setNumThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1 || n > 1024)
    throw new ArgumentError(`setNumThreads: n must be a whole number in [1, 1024], got ${n}`);
  load().addon.setThreads(n);
}
