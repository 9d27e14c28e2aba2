import type { Backend } from "./backend.js";
import { loadAddon } from "./loader.js";
import { NativeBackend } from "./native_backend.js";

let cpuBackend: NativeBackend | undefined;

/** The CPU backend, loaded on first use. */
export function cpu(): Backend {
  if (!cpuBackend) {
    const { addon, path } = loadAddon("cpu");
    cpuBackend = new NativeBackend("cpu", addon, path);
  }
  return cpuBackend;
}

/** Information about the CPU addon: chosen SIMD kernels (`isa`), threads, where it was loaded from. */
export function cpuInfo(): { isa: string; threads: number; path: string } {
  return cpu().info() as { isa: string; threads: number; path: string };
}
