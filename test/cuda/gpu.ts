// The CUDA tests' one helper: whether a GPU is here (with a visible note when not), moving test tensors onto
// it, and running one computation on both devices to hold the CUDA kernels to the CPU kernels (which test/ops
// checks against the float64 references).
import { cuda, type Tensor, tidy } from "../../src/index.js";
import { toRef } from "../helpers/tensors.js";
import type { Ref } from "../reference/index.js";

export const gpuStatus = cuda.status();
// Every test file gets its own module graph, so the note prints once per file, under the file's name.
if (!gpuStatus.available) {
  console.warn(`[test/cuda] CUDA is not available here, GPU tests skipped: ${gpuStatus.reason}`);
}

/** A copy of t on the GPU (the CPU original stays usable as the reference side). */
export function onGpu<T extends Tensor>(t: T): T {
  return t.to("cuda") as T;
}

/**
 * fn applied to `inputs` on the CPU and to their CUDA copies (views and broadcasts are made inside fn, so
 * each device gets the same strided layouts). Returns both results as float64 Refs; frees everything.
 */
export function onBoth(
  inputs: readonly Tensor[],
  // biome-ignore lint/suspicious/noExplicitAny: each test knows its inputs' dtypes; the ops check them at run time
  fn: (...xs: Tensor<any>[]) => Tensor,
): { cpu: Ref; cuda: Ref } {
  return tidy(() => {
    const cpu = toRef(fn(...inputs));
    const result = fn(...inputs.map(onGpu));
    if (result.device !== "cuda") throw new Error(`expected a CUDA result, got one on ${result.device}`);
    return { cpu, cuda: toRef(result.to("cpu")) };
  });
}
