/**
 * What to do about an addon that did not load, for the place slmkit runs from. The loader's own advice
 * starts with `npm install @slmkit/linux-x64-cuda@<version>`, which fails in a clone whose version is not
 * published; in a source checkout the way that works is building it, and for CUDA only where nvcc exists.
 */
import { existsSync, readFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import { packageRoot } from "../backend/loader.js";

/** What the advice depends on; tests pass their own. */
export interface FixHost {
  root: string;
  env: Record<string, string | undefined>;
  exists(path: string): boolean;
  version(): string | undefined;
}

function processHost(): FixHost {
  const root = packageRoot();
  return {
    root,
    env: process.env,
    exists: existsSync,
    version: () => {
      try {
        return (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version?: string }).version;
      } catch {
        return undefined;
      }
    },
  };
}

/** nvcc's path: on PATH, in $CUDA_HOME/bin or $CUDA_PATH/bin, or in /usr/local/cuda/bin; undefined without one. */
export function findNvcc(host: FixHost = processHost()): string | undefined {
  const dirs = [...(host.env.PATH ?? "").split(delimiter).filter(Boolean)];
  for (const v of ["CUDA_HOME", "CUDA_PATH"]) if (host.env[v]) dirs.push(join(host.env[v]!, "bin"));
  dirs.push("/usr/local/cuda/bin");
  return dirs.map((d) => join(d, "nvcc")).find((p) => host.exists(p));
}

const ADDONS = {
  cpu: {
    pkg: "@slmkit/linux-x64",
    buildInput: "binding.gyp",
    script: "npm run build:cpu",
    env: "SLMKIT_CPU_ADDON",
    file: "slmkit_cpu.node",
  },
  cuda: {
    pkg: "@slmkit/linux-x64-cuda",
    buildInput: "CMakeLists.txt",
    script: "npm run build:cuda",
    env: "SLMKIT_CUDA_ADDON",
    file: "slmkit_cuda.node",
  },
} as const;

/**
 * One sentence saying how to get the `kind` addon here.
 *
 * @example
 * console.log(`to fix: ${addonFix("cuda")}`); // in a clone with nvcc: "build it: npm run build:cuda (...)"
 */
export function addonFix(kind: "cpu" | "cuda", host: FixHost = processHost()): string {
  const a = ADDONS[kind];
  const orEnv = `or set ${a.env} to a built ${a.file}`;
  if (!host.exists(join(host.root, a.buildInput))) {
    return `install the prebuilt package: npm install ${a.pkg}@${host.version() ?? "latest"} (npm leaves this optional dependency out under --omit=optional); ${orEnv}`;
  }
  // A source checkout: its version may not be published, so building is what works.
  if (kind === "cpu") return `build it in ${host.root}: ${a.script} (needs g++, make and python3); ${orEnv}`;
  const nvcc = findNvcc(host);
  if (nvcc)
    return `build it in ${host.root}: ${a.script} (uses ${nvcc}; CMake 3.24+; no GPU needed to build); ${orEnv}`;
  return `building it needs nvcc from a CUDA 13 toolkit, and none is on PATH, in $CUDA_HOME/bin or in /usr/local/cuda/bin: install the toolkit, then ${a.script} in ${host.root}; ${orEnv}`;
}
