import type { Device } from "../backend/backend.js";

/** Live tensors and the bytes of their storage. */
export interface MemoryStats {
  numTensors: number;
  numBytes: number;
}

const stats: Record<Device, MemoryStats> = {
  cpu: { numTensors: 0, numBytes: 0 },
  cuda: { numTensors: 0, numBytes: 0 },
};

export function addBytes(device: Device, bytes: number): void {
  stats[device].numBytes += bytes;
}

export function addTensors(device: Device, count: number): void {
  stats[device].numTensors += count;
}

/**
 * Live tensors and storage bytes, overall and per device. Views share storage, so bytes count each
 * allocation once; tensors saved for a pending backward pass count until it runs.
 *
 * @example
 * const before = memory().numBytes;
 * tidy(() => matmul(randn([64, 64]), randn([64, 64])));
 * console.log(memory().numBytes === before); // true
 */
export function memory(): MemoryStats & { devices: Record<Device, MemoryStats> } {
  return {
    numTensors: stats.cpu.numTensors + stats.cuda.numTensors,
    numBytes: stats.cpu.numBytes + stats.cuda.numBytes,
    devices: { cpu: { ...stats.cpu }, cuda: { ...stats.cuda } },
  };
}
