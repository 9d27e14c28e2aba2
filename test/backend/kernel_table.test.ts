import { describe, expect, it } from "vitest";
import { KERNELS, kernelNamesFor } from "../../src/index.js";
import { cpu } from "../../src/backend/cpu.js";
import { cudaKernelNames, cudaKernelSignatures } from "../../src/backend/cuda.js";
import type { KernelSignature } from "../../src/backend/backend.js";

describe("op table and native registries agree", () => {
  it("the CPU addon registers exactly the kernels the table gives the CPU", () => {
    expect(cpu().kernelNames().sort()).toEqual(kernelNamesFor("cpu"));
  });

  it("the CUDA addon registers exactly the kernels the table gives CUDA", () => {
    const names = cudaKernelNames();
    if (!names) {
      console.warn("CUDA addon not built: the CUDA registry check did not run");
      return;
    }
    expect(names.slice().sort()).toEqual(kernelNamesFor("cuda"));
  });

  // The contract headers (kernels/include/slmkit/) name every argument; a kernel that reads an attribute
  // by a name or at a position the table does not give would decode the wrong double.
  const tableSignatures = (device: "cpu" | "cuda"): Record<string, KernelSignature> =>
    Object.fromEntries(
      Object.entries(KERNELS)
        .filter(([, s]) => s.backends.includes(device))
        .map(([name, s]) => [name, { inputs: [...s.inputs], outputs: [...s.outputs], attrs: [...s.attrs] }]),
    );

  it("the CPU addon's kernels declare the table's inputs, outputs and attributes in its order", () => {
    expect(cpu().kernelSignatures()).toEqual(tableSignatures("cpu"));
  });

  it("the CUDA addon's kernels declare the table's inputs, outputs and attributes in its order", () => {
    const signatures = cudaKernelSignatures();
    if (!signatures) {
      console.warn("CUDA addon not built: the CUDA signature check did not run");
      return;
    }
    expect(signatures).toEqual(tableSignatures("cuda"));
  });

  it("every kernel spec names its outputs and at least one backend", () => {
    for (const [name, spec] of Object.entries(KERNELS)) {
      expect(spec.outputs.length, name).toBeGreaterThan(0);
      expect(spec.backends.length, name).toBeGreaterThan(0);
    }
  });
});
