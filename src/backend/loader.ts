import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { BackendError } from "../errors.js";
import type { NativeAddon } from "./backend.js";

export type AddonKind = "cpu" | "cuda";

/** How an addon was found: an explicit path, a build in the package's own folder, or a prebuilt package. */
export type AddonSource = "env" | "local-build" | "platform-package";

/** Where an addon was loaded from, for `slmkit doctor` and error messages. */
export interface LoadedAddon {
  addon: NativeAddon;
  path: string;
  source: AddonSource;
}

/** The outcome of the last load of one addon: where it came from, or the error that says why it did not load. */
export interface AddonOrigin {
  kind: AddonKind;
  source?: AddonSource;
  path?: string;
  error?: string;
}

interface AddonFiles {
  env: string;
  local: string;
  buildScript: string;
  /** Source file whose presence marks a source checkout, where `buildScript` can be run. */
  buildInput: string;
  /** The prebuilt package per `${platform}-${arch}` (all need glibc) and the addon file inside it. */
  packages: Record<string, string>;
  file: string;
}

const ADDON_FILES: Record<AddonKind, AddonFiles> = {
  cpu: {
    env: "SLMKIT_CPU_ADDON",
    local: "build/Release/slmkit_cpu.node",
    buildScript: "npm run build:cpu",
    buildInput: "binding.gyp",
    packages: { "linux-x64": "@slmkit/linux-x64" },
    file: "slmkit_cpu.node",
  },
  cuda: {
    env: "SLMKIT_CUDA_ADDON",
    local: "build-cuda/Release/slmkit_cuda.node",
    buildScript: "npm run build:cuda",
    buildInput: "CMakeLists.txt",
    packages: { "linux-x64": "@slmkit/linux-x64-cuda" },
    file: "slmkit_cuda.node",
  },
};

/** What the loader reads from the machine; tests pass their own to cover every path. */
export interface LoaderHost {
  env: Record<string, string | undefined>;
  platform: string;
  arch: string;
  /** The glibc version on Linux with glibc, undefined elsewhere (musl, macOS, Windows). */
  glibc: string | undefined;
  /** The slmkit package root (a source checkout or node_modules/slmkit). */
  root: string;
  exists(path: string): boolean;
  /** Resolves a package path from slmkit's location, or throws when it is not installed. */
  resolve(request: string): string;
  /** Loads a .node file, or throws the dynamic loader's error. */
  load(path: string): NativeAddon;
  /** The version field of a package.json, undefined when unreadable. */
  version(packageJson: string): string | undefined;
}

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
    if (parent === dir)
      throw new BackendError("slmkit: cannot find the package root (no package.json named slmkit above the loader)");
    dir = parent;
  }
}

function packageVersion(packageJson: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(packageJson, "utf8")) as { version?: string }).version;
  } catch {
    return undefined;
  }
}

/** glibc's version from Node's diagnostic report header; undefined without glibc. */
export function glibcVersion(): string | undefined {
  if (process.platform !== "linux") return undefined;
  const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
  return header?.glibcVersionRuntime;
}

function processHost(): LoaderHost {
  return {
    env: process.env,
    platform: process.platform,
    arch: process.arch,
    get glibc() {
      return glibcVersion();
    },
    root: packageRoot(),
    exists: existsSync,
    resolve: (request) => requireHere.resolve(request),
    load: (path) => requireHere(path) as NativeAddon,
    version: packageVersion,
  };
}

const origins = new Map<AddonKind, AddonOrigin>();

/** Where each addon loaded so far came from, or why it failed: what `slmkit doctor` prints. */
export function addonOrigins(): AddonOrigin[] {
  return [...origins.values()];
}

/**
 * Loads a native addon, trying in order: the path in SLMKIT_CPU_ADDON / SLMKIT_CUDA_ADDON, a local build
 * in the package (build/ or build-cuda/, only where it exists), the prebuilt platform package
 * (@slmkit/linux-x64, @slmkit/linux-x64-cuda) of the same version as slmkit. Throws a BackendError that
 * says what was tried and exactly what to install or run when none loads.
 */
export function loadAddon(kind: AddonKind, host: LoaderHost = processHost()): LoadedAddon {
  try {
    const loaded = findAddon(kind, host);
    origins.set(kind, { kind, source: loaded.source, path: loaded.path });
    return loaded;
  } catch (e) {
    origins.set(kind, { kind, error: (e as Error).message });
    throw e;
  }
}

function findAddon(kind: AddonKind, host: LoaderHost): LoadedAddon {
  const files = ADDON_FILES[kind];
  const tried: string[] = [];
  const attempt = (path: string, source: AddonSource): LoadedAddon | undefined => {
    try {
      return { addon: host.load(path), path, source };
    } catch (e) {
      tried.push(`${path}: ${(e as Error).message.split("\n")[0]}`);
      return undefined;
    }
  };
  const fromEnv = host.env[files.env];
  if (fromEnv) {
    // An explicit choice that fails is reported, not silently replaced by another build.
    const loaded = attempt(fromEnv, "env");
    if (loaded) return loaded;
    throw new BackendError(
      `slmkit: ${files.env}=${fromEnv} could not be loaded (${tried.join("; ")}); fix the path or unset ${files.env}`,
    );
  }
  const local = join(host.root, files.local);
  if (host.exists(local)) {
    const loaded = attempt(local, "local-build");
    if (loaded) return loaded;
  }
  const platform = `${host.platform}-${host.arch}`;
  const pkg = files.packages[platform];
  const version = host.version(join(host.root, "package.json"));
  let pkgProblem: string | undefined;
  if (!pkg)
    pkgProblem = `no prebuilt ${kind} addon exists for ${platform} (prebuilt: ${Object.keys(files.packages).join(", ")} with glibc)`;
  else if (host.platform === "linux" && host.glibc === undefined)
    pkgProblem = `the prebuilt ${pkg} needs glibc, and this Linux has another C library (musl?)`;
  else {
    let pkgPath: string | undefined;
    try {
      pkgPath = host.resolve(`${pkg}/${files.file}`);
    } catch {
      tried.push(`${pkg}: not installed`);
    }
    if (pkgPath) {
      const pkgVersion = host.version(join(dirname(pkgPath), "package.json"));
      if (version && pkgVersion !== version) {
        // An addon from another release may register other kernels or take other arguments.
        tried.push(`${pkgPath}: ${pkg}@${pkgVersion ?? "unknown"} does not match slmkit@${version}`);
      } else {
        const loaded = attempt(pkgPath, "platform-package");
        if (loaded) return loaded;
      }
    }
  }
  throw new BackendError(notFoundMessage(kind, host, tried, pkgProblem, pkg, version));
}

function notFoundMessage(
  kind: AddonKind,
  host: LoaderHost,
  tried: string[],
  pkgProblem: string | undefined,
  pkg: string | undefined,
  version: string | undefined,
): string {
  const files = ADDON_FILES[kind];
  const fixes: string[] = [];
  if (!pkgProblem && pkg) {
    fixes.push(
      `install the prebuilt package: npm install ${pkg}@${version ?? "latest"} (it is an optional dependency of slmkit; ` +
        `npm leaves it out under --omit=optional or --no-optional, or when the lock file was made on another platform)`,
    );
  }
  if (host.exists(join(host.root, files.buildInput)))
    fixes.push(`build it from source: ${files.buildScript} in ${host.root}`);
  else
    fixes.push(
      `build it from source in a clone of slmkit (npm run build:native) and set ${files.env} to the built ${files.local}`,
    );
  fixes.push(`or set ${files.env} to a built ${files.file}`);
  const reasons = [...(pkgProblem ? [pkgProblem] : []), ...tried];
  return `slmkit: no ${kind} addon could be loaded (${reasons.join("; ") || "nothing to try"}). To fix: ${fixes.join("; ")}.`;
}
