// The npm packages slmkit ships: the main package (the repository root) and one folder per prebuilt addon.
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const root = join(dirname(fileURLToPath(import.meta.url)), "../..");

/** Platform packages: where each lives, its npm name, and the build output it carries. */
export const platformPackages = [
  {
    dir: "npm/linux-x64",
    name: "@slmkit/linux-x64",
    file: "slmkit_cpu.node",
    build: "build/Release/slmkit_cpu.node",
    buildScript: "npm run build:cpu",
  },
  {
    dir: "npm/linux-x64-cuda",
    name: "@slmkit/linux-x64-cuda",
    file: "slmkit_cuda.node",
    build: "build-cuda/Release/slmkit_cuda.node",
    buildScript: "npm run build:cuda",
  },
];
