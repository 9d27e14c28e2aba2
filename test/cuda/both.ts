// Running one computation on the CPU and on CUDA, for tests that hold the CUDA kernels to the CPU
// kernels (which test/ops checks against the float64 references).
import { cuda, type Tensor, tidy } from "../../src/index.js";
import { type Ref } from "../reference/index.js";
import { toRef } from "../helpers/tensors.js";

export const gpu = cuda.status();

/** Prints a visible note (once per file) when the GPU tests of `file` are skipped. */
export function noteIfNoGpu(file: string): void {
  if (!gpu.available) console.warn(`[test/cuda/${file}] CUDA is not available here, GPU tests skipped: ${gpu.reason}`);
}

/**
 * fn applied to `inputs` on the CPU and to their CUDA copies (views and broadcasts are made inside fn, so
 * each device gets the same strided layouts). Returns both results as float64 Refs; frees everything.
 */
// fn's parameters are `Tensor<any>`: each test knows its inputs' dtypes, and the ops check them at run time.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function onBoth(inputs: readonly Tensor[], fn: (...xs: Tensor<any>[]) => Tensor): { cpu: Ref; cuda: Ref } {
  return tidy(() => {
    const cpu = toRef(fn(...inputs));
    const onGpu = fn(...inputs.map((t) => t.to("cuda")));
    expectOnCuda(onGpu);
    return { cpu, cuda: toRef(onGpu.to("cpu")) };
  });
}

function expectOnCuda(t: Tensor): void {
  if (t.device !== "cuda") throw new Error(`expected a CUDA result, got one on ${t.device}`);
}
