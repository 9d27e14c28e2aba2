// Shared by the CUDA kernel tests: whether a GPU is here (with a visible note when not) and moving test
// tensors onto it.
import { cuda, type Tensor } from "../../src/index.js";

export const gpuStatus = cuda.status();
if (!gpuStatus.available) console.warn(`[test/cuda] CUDA is not available here, GPU tests skipped: ${gpuStatus.reason}`);

/** A copy of t on the GPU (the CPU original stays usable as the reference side). */
export function onGpu<T extends Tensor>(t: T): T {
  return t.to("cuda") as T;
}
