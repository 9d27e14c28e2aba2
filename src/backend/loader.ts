import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { BackendError } from "../errors.js";
import type { NativeAddon } from "./backend.js";

export type AddonKind = "cpu" | "cuda";

/** Where an addon was loaded from, for `slmkit doctor` and error messages. */
export interface LoadedAddon {
  addon: NativeAddon;
  path: string;
  source: "env" | "local-build" | "platform-package";
}

const ADDON_FILES: Record<AddonKind, { env: string; local: string; pkg: string }> = {
  cpu: { env: "SLMKIT_CPU_ADDON", local: "build/Release/slmkit_cpu.node", pkg: "@slmkit/linux-x64/slmkit_cpu.node" },
  cuda: { env: "SLMKIT_CUDA_ADDON", local: "build-cuda/Release/slmkit_cuda.node", pkg: "@slmkit/linux-x64-cuda/slmkit_cuda.node" },
};

const requireHere = createRequire(import.meta.url);

/** The slmkit package root: the nearest folder above this file whose package.json is named slmkit. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, "package.json");
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, "utf8")) as { name?: string }).name === "slmkit") return dir;
      } catch {
        // an unreadable package.json is not ours; keep climbing
      }
    }
    const parent = dirname(dir);
    if (parent === dir) throw new BackendError("slmkit: cannot find the package root (no package.json named slmkit above the loader)");
    dir = parent;
  }
}

/**
 * Loads a native addon, trying in order: the path in SLMKIT_CPU_ADDON / SLMKIT_CUDA_ADDON, a local build
 * in the package (build/ or build-cuda/), the prebuilt platform package. Throws an actionable error when
 * none loads.
 */
export function loadAddon(kind: AddonKind): LoadedAddon {
  const files = ADDON_FILES[kind];
  const tried: string[] = [];
  const attempt = (path: string, source: LoadedAddon["source"]): LoadedAddon | undefined => {
    try {
      return { addon: requireHere(path) as NativeAddon, path, source };
    } catch (e) {
      tried.push(`${path}: ${(e as Error).message.split("\n")[0]}`);
      return undefined;
    }
  };
  const fromEnv = process.env[files.env];
  if (fromEnv) {
    const loaded = attempt(fromEnv, "env");
    if (loaded) return loaded;
    throw new BackendError(`slmkit: ${files.env}=${fromEnv} could not be loaded: ${tried.join("; ")}`);
  }
  const local = join(packageRoot(), files.local);
  if (existsSync(local)) {
    const loaded = attempt(local, "local-build");
    if (loaded) return loaded;
  }
  let pkgPath: string | undefined;
  try {
    pkgPath = requireHere.resolve(files.pkg);
  } catch {
    tried.push(`${files.pkg}: not installed`);
  }
  if (pkgPath) {
    const loaded = attempt(pkgPath, "platform-package");
    if (loaded) return loaded;
  }
  const build = kind === "cpu" ? "npm run build:cpu" : "npm run build:cuda";
  throw new BackendError(
    `slmkit: no ${kind} addon could be loaded (tried: ${tried.join("; ") || local + " (missing)"}). ` +
      `Install the prebuilt package (npm install ${files.pkg.split("/slmkit")[0]}), or build from source with \`${build}\`, ` +
      `or point ${files.env} at a built .node file.`,
  );
}
