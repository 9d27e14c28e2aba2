// The flags of the commands that train (`slmkit train`, `tunnel`, `scaling study`): what seeds the run, where it
// runs and how many CPU threads it uses; read and checked (the device can run) before any work.
import type { Device } from "../backend/backend.js";
import { requireDevice } from "./device_check.js";
import { type Flag, deviceFlag, numberFlag } from "./flags.js";

export const RUN_FLAGS: readonly Flag[] = [
  { name: "seed", type: "string", value: "N", default: "0", help: "seeds the weights and the data order" },
  {
    name: "device",
    type: "string",
    value: "cpu|cuda",
    default: "cpu",
    help: "where to train (cuda: bf16 compute with fp32 master weights)",
  },
  { name: "threads", type: "string", value: "N", help: "CPU threads of the kernels (default: the pool size)" },
];

export interface RunSpec {
  seed: number;
  device: Device;
  /** For setNumThreads, once the command starts its work; undefined: the pool size. */
  threads: number | undefined;
}

export function readRunFlags(command: string, values: Record<string, unknown>): RunSpec {
  const seed = numberFlag(command, "seed", values.seed, { integer: true, min: 0 });
  const device = deviceFlag(command, values.device);
  const threads =
    values.threads === undefined
      ? undefined
      : numberFlag(command, "threads", values.threads, { integer: true, min: 1, max: 1024 });
  requireDevice(command, device);
  return { seed, device, threads };
}

/** A progress log on stderr, silent with --quiet. */
export function progressLog(quiet: boolean): (line: string) => void {
  return (line) => {
    if (!quiet) console.error(line);
  };
}
