import { describe, expect, it } from "vitest";
import { KERNELS, kernelNamesFor } from "../../src/index.js";
import { cpu } from "../../src/backend/cpu.js";
import { cudaKernelNames } from "../../src/backend/cuda.js";

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

  it("every kernel spec names its outputs and at least one backend", () => {
    for (const [name, spec] of Object.entries(KERNELS)) {
      expect(spec.outputs.length, name).toBeGreaterThan(0);
      expect(spec.backends.length, name).toBeGreaterThan(0);
    }
  });
});
