// What doctor (and --device cuda) tells a user to do about a missing addon: build it in a clone (CUDA only
// where nvcc is found), install the platform package elsewhere.
import { describe, expect, it } from "vitest";
import { addonFix, findNvcc } from "../../src/cli/addon_fix.js";

const host = (root: string, files: string[], env: Record<string, string> = {}) => ({
  root,
  env: { PATH: "/usr/bin:/bin", ...env },
  exists: (p: string) => files.includes(p),
  version: () => "0.1.0",
});

describe("addonFix", () => {
  it("in a clone: build the addon; CUDA only with nvcc, else says nvcc is missing", () => {
    const clone = ["/c/binding.gyp", "/c/CMakeLists.txt"];
    expect(addonFix("cpu", host("/c", clone))).toMatch(/^build it in \/c: npm run build:cpu /);
    const withNvcc = host("/c", [...clone, "/usr/local/cuda/bin/nvcc"]);
    expect(addonFix("cuda", withNvcc)).toMatch(
      /^build it in \/c: npm run build:cuda \(uses \/usr\/local\/cuda\/bin\/nvcc;/,
    );
    const noNvcc = addonFix("cuda", host("/c", clone));
    expect(noNvcc).toMatch(/^building it needs nvcc from a CUDA 13 toolkit, and none is on PATH/);
    expect(noNvcc).toContain("set SLMKIT_CUDA_ADDON");
    for (const text of [addonFix("cpu", host("/c", clone)), noNvcc]) expect(text).not.toContain("npm install");
  });

  it("in an installed package: install the platform package of the same version", () => {
    expect(addonFix("cuda", host("/p/node_modules/slmkit", []))).toMatch(
      /^install the prebuilt package: npm install @slmkit\/linux-x64-cuda@0\.1\.0 /,
    );
    expect(addonFix("cpu", host("/p/node_modules/slmkit", []))).toContain("npm install @slmkit/linux-x64@0.1.0");
  });

  it("finds nvcc on PATH first, then CUDA_HOME, then /usr/local/cuda", () => {
    expect(findNvcc(host("/c", ["/opt/x/nvcc", "/usr/local/cuda/bin/nvcc"], { PATH: "/usr/bin:/opt/x" }))).toBe(
      "/opt/x/nvcc",
    );
    expect(findNvcc(host("/c", ["/cuda13/bin/nvcc", "/usr/local/cuda/bin/nvcc"], { CUDA_HOME: "/cuda13" }))).toBe(
      "/cuda13/bin/nvcc",
    );
    expect(findNvcc(host("/c", []))).toBeUndefined();
  });
});
