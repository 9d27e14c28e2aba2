// The addon loader's search order and its error messages, over a fake machine (LoaderHost) so that every
// path is covered: env override, local build, platform package, version mismatch, unsupported platforms.
import { describe, expect, it } from "vitest";
import type { NativeAddon } from "../../src/backend/backend.js";
import { addonOrigins, type LoaderHost, loadAddon } from "../../src/backend/loader.js";
import { BackendError } from "../../src/errors.js";

const ROOT = "/app/node_modules/slmkit";
const CPU_PKG = "/app/node_modules/@slmkit/linux-x64/slmkit_cpu.node";
const CUDA_PKG = "/app/node_modules/@slmkit/linux-x64-cuda/slmkit_cuda.node";

/** A machine with the given files; `.node` files in `broken` fail to load with a dlopen-like message. */
function host(opts: {
  files?: string[];
  broken?: Record<string, string>;
  env?: Record<string, string>;
  platform?: string;
  arch?: string;
  glibc?: string | null;
  versions?: Record<string, string>;
}): LoaderHost & { loaded: string[] } {
  const files = new Set(opts.files ?? []);
  const versions = opts.versions ?? {
    [`${ROOT}/package.json`]: "1.2.3",
    "/app/node_modules/@slmkit/linux-x64/package.json": "1.2.3",
    "/app/node_modules/@slmkit/linux-x64-cuda/package.json": "1.2.3",
  };
  const loaded: string[] = [];
  return {
    loaded,
    env: opts.env ?? {},
    platform: opts.platform ?? "linux",
    arch: opts.arch ?? "x64",
    glibc: opts.glibc === null ? undefined : (opts.glibc ?? "2.28"),
    root: ROOT,
    exists: (p) => files.has(p),
    resolve: (request) => {
      const p = `/app/node_modules/${request}`;
      if (!files.has(p)) throw new Error(`Cannot find module '${request}'`);
      return p;
    },
    load: (p) => {
      if (opts.broken?.[p]) throw new Error(`${opts.broken[p]}\n(stack)`);
      if (!files.has(p)) throw new Error(`Cannot find module '${p}'`);
      loaded.push(p);
      return { marker: p } as unknown as NativeAddon;
    },
    version: (p) => versions[p],
  };
}

function message(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(BackendError);
    return (e as Error).message;
  }
  throw new Error("expected a BackendError");
}

describe("addon loader", () => {
  it("prefers the env override, then a local build, then the platform package", () => {
    const all = [`${ROOT}/build/Release/slmkit_cpu.node`, CPU_PKG, "/custom/cpu.node"];
    expect(loadAddon("cpu", host({ files: all, env: { SLMKIT_CPU_ADDON: "/custom/cpu.node" } }))).toMatchObject({
      source: "env",
      path: "/custom/cpu.node",
    });
    expect(loadAddon("cpu", host({ files: all }))).toMatchObject({
      source: "local-build",
      path: `${ROOT}/build/Release/slmkit_cpu.node`,
    });
    const installed = host({ files: [CPU_PKG] });
    expect(loadAddon("cpu", installed)).toMatchObject({ source: "platform-package", path: CPU_PKG });
    // an installed package has no build/ folder: nothing is tried there
    expect(installed.loaded).toEqual([CPU_PKG]);
    expect(loadAddon("cuda", host({ files: [CUDA_PKG] }))).toMatchObject({
      source: "platform-package",
      path: CUDA_PKG,
    });
    expect(addonOrigins()).toContainEqual({ kind: "cuda", source: "platform-package", path: CUDA_PKG });
  });

  it("a local build that fails to load falls through to the package; a failing override is an error", () => {
    const local = `${ROOT}/build/Release/slmkit_cpu.node`;
    const h = host({ files: [local, CPU_PKG], broken: { [local]: "libfoo.so: cannot open shared object file" } });
    expect(loadAddon("cpu", h)).toMatchObject({ source: "platform-package" });
    const msg = message(() => loadAddon("cpu", host({ files: [CPU_PKG], env: { SLMKIT_CPU_ADDON: "/nope.node" } })));
    expect(msg).toContain("SLMKIT_CPU_ADDON=/nope.node could not be loaded");
    expect(msg).toContain("unset SLMKIT_CPU_ADDON");
    expect(addonOrigins().find((o) => o.kind === "cpu")?.error).toBe(msg);
  });

  it("says exactly what to install when the platform package is missing", () => {
    const msg = message(() => loadAddon("cpu", host({})));
    expect(msg).toContain("@slmkit/linux-x64: not installed");
    expect(msg).toContain("npm install @slmkit/linux-x64@1.2.3");
    expect(msg).toContain("--omit=optional");
    // no source checkout here: building means a clone and the env variable
    expect(msg).toContain("set SLMKIT_CPU_ADDON to the built build/Release/slmkit_cpu.node");
    const cudaMsg = message(() => loadAddon("cuda", host({ files: [`${ROOT}/CMakeLists.txt`] })));
    expect(cudaMsg).toContain("npm install @slmkit/linux-x64-cuda@1.2.3");
    expect(cudaMsg).toContain(`npm run build:cuda in ${ROOT}`);
  });

  it("rejects a platform package of another version, naming both", () => {
    const versions = { [`${ROOT}/package.json`]: "1.2.3", "/app/node_modules/@slmkit/linux-x64/package.json": "1.2.0" };
    const h = host({ files: [CPU_PKG], versions });
    const msg = message(() => loadAddon("cpu", h));
    expect(msg).toContain("@slmkit/linux-x64@1.2.0 does not match slmkit@1.2.3");
    expect(msg).toContain("npm install @slmkit/linux-x64@1.2.3");
    expect(h.loaded).toEqual([]);
  });

  it("reports the dynamic loader's error when the prebuilt binary cannot load", () => {
    const err = "/lib/x86_64-linux-gnu/libc.so.6: version `GLIBC_2.99' not found";
    const msg = message(() => loadAddon("cpu", host({ files: [CPU_PKG], broken: { [CPU_PKG]: err } })));
    expect(msg).toContain(`${CPU_PKG}: ${err}`);
    expect(msg).not.toContain("(stack)");
  });

  it("explains platforms without a prebuilt package instead of suggesting an install that cannot work", () => {
    const mac = message(() => loadAddon("cpu", host({ platform: "darwin", arch: "arm64", glibc: null })));
    expect(mac).toContain("no prebuilt cpu addon exists for darwin-arm64 (prebuilt: linux-x64 with glibc)");
    expect(mac).not.toContain("npm install @slmkit");
    expect(mac).toContain("npm run build:native");
    const musl = message(() => loadAddon("cuda", host({ glibc: null })));
    expect(musl).toContain("needs glibc");
    expect(musl).not.toContain("npm install @slmkit");
  });
});
