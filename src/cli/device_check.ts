// Checks that the device a command was asked for can run, before the command does any work (a CUDA run
// that fails only after training its tokenizer leaves a half-made run behind).
import type { Device } from "../backend/backend.js";
import { cuda } from "../backend/cuda.js";
import { addonOrigins } from "../backend/loader.js";
import { ArgumentError } from "../errors.js";
import { addonFix } from "./addon_fix.js";

/** Throws an ArgumentError naming --device, why CUDA cannot run and what to do, when device is cuda and CUDA is unavailable. */
export function requireDevice(command: string, device: Device): void {
  if (device !== "cuda") return;
  const status = cuda.status();
  if (status.available) return;
  const addonMissing = addonOrigins().some((o) => o.kind === "cuda" && o.error !== undefined);
  const what = addonMissing
    ? `the CUDA addon is not available; to get it, ${addonFix("cuda")}`
    : `CUDA is unavailable: ${status.reason ?? "unknown reason"}`;
  throw new ArgumentError(
    `slmkit ${command}: --device cuda cannot run here (${what}). slmkit doctor tells more; --device cpu runs on the CPU`,
  );
}
