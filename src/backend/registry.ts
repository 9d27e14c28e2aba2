import { ArgumentError, show } from "../errors.js";
import type { Backend, Device } from "./backend.js";
import { cpu } from "./cpu.js";
import { cudaBackend } from "./cuda.js";

export function isDevice(value: unknown): value is Device {
  return value === "cpu" || value === "cuda";
}

export function checkDevice(op: string, value: unknown): Device {
  if (!isDevice(value)) throw new ArgumentError(`${op}: device must be "cpu" or "cuda", got ${show(value)}`);
  return value;
}

export function backendFor(device: Device): Backend {
  return device === "cpu" ? cpu() : cudaBackend();
}
