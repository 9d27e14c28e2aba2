// `slmkit doctor`: the report's facts against the process and the CPU's own feature list, the text
// rendering of every CUDA situation, and the command with SLMKIT_CPU_ISA honoured.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { type DoctorReport, doctorReport, formatDoctorReport } from "../../src/cli/doctor.js";

const root = path.resolve(__dirname, "../..");
function cli(env: Record<string, string>, ...args: string[]): string {
  return execFileSync(process.execPath, ["--import", "tsx", path.join(root, "src/cli/main.ts"), ...args], {
    cwd: root,
    encoding: "utf8",
    env: { ...process.env, ...env },
  });
}

/** The best kernels a CPU with these features can run, decided independently of the addon's detect(). */
function bestIsaFor(features: string[]): string {
  if (["avx512f", "avx512bw", "avx512vl", "avx512dq"].every((f) => features.includes(f))) return "avx512";
  if (features.includes("avx2") && features.includes("fma")) return "avx2";
  return "baseline";
}

describe("slmkit doctor", () => {
  it("reports this process, the CPU's features and kernels, and where each addon came from", () => {
    const r = doctorReport();
    expect(r.node).toBe(process.version);
    expect(r.napi).toBe(process.versions.napi);
    expect(r.platform).toBe(`${process.platform}-${process.arch}`);
    expect(r.cpu.addon.error).toBeUndefined();
    expect(["env", "local-build", "platform-package"]).toContain(r.cpu.addon.source);
    expect(existsSync(r.cpu.addon.path!)).toBe(true);
    expect(r.cpu.bestIsa).toBe(bestIsaFor(r.cpu.features!));
    expect(r.cpu.threads).toBeGreaterThanOrEqual(1);
    const c = r.cuda;
    if (c.addon.error) {
      expect(c.available).toBe(false);
      expect(c.reason).toBe(c.addon.error);
      // This is a clone: the fix is a build, never an npm install of a package that may not be published.
      expect(c.fix).toMatch(/npm run build:cuda/);
      return;
    }
    expect(c.architectures).toMatch(/sm_\d+/);
    expect(c.runtimeVersion).toMatch(/^\d+\.\d+$/);
    expect(c.driverVersion === null || /^\d+\.\d+$/.test(c.driverVersion!)).toBe(true);
    if (c.available) expect(c.gpu!.computeCapability).toMatch(/^\d+\.\d+$/);
    else {
      expect(c.reason!.length).toBeGreaterThan(0);
      expect(c.gpu).toBeUndefined();
    }
    // cuBLASLt: found with a path and how, or a reason
    if (c.cublasLt!.path) expect(c.cublasLt!.foundBy!.length).toBeGreaterThan(0);
    else expect(c.cublasLt!.reason!.length).toBeGreaterThan(0);
  });

  it("renders an unavailable GPU and a missing cuBLASLt with their reasons", () => {
    const base: DoctorReport = {
      slmkit: "9.9.9",
      node: "v20.0.0",
      napi: "9",
      platform: "linux-x64",
      glibc: "2.28",
      cpu: {
        addon: { kind: "cpu", source: "platform-package", path: "/a/cpu.node" },
        features: ["avx2", "fma"],
        isa: "avx2",
        bestIsa: "avx2",
        threads: 4,
      },
      cuda: {
        addon: { kind: "cuda", source: "platform-package", path: "/a/cuda.node" },
        available: false,
        reason: "no NVIDIA driver found",
        driverVersion: null,
        runtimeVersion: "13.0",
        architectures: "sm_80 sm_90a compute_90",
        cublasLt: { path: null, foundBy: null, version: null, reason: "libcublasLt not found" },
      },
    };
    const text = formatDoctorReport(base);
    expect(text).toMatch(/^node +v20\.0\.0, N-API 9, linux-x64, glibc 2\.28$/m);
    expect(text).toMatch(/^cpu addon +\/a\/cpu\.node \(platform-package\)$/m);
    expect(text).toMatch(/^cpu kernels +avx2 .*4 threads$/m);
    expect(text).toMatch(/^cuda +unavailable: no NVIDIA driver found$/m);
    expect(text).toMatch(/^cuda driver +none found$/m);
    expect(text).toContain("GPU code in the binary: sm_80 sm_90a compute_90");
    expect(text).toMatch(/^cublasLt +not used: libcublasLt not found; matmul uses the built-in GEMM$/m);
    expect(text).not.toMatch(/^gpu /m);

    const withGpu = formatDoctorReport({
      ...base,
      cuda: {
        ...base.cuda,
        available: true,
        reason: undefined,
        driverVersion: "13.0",
        gpu: { name: "NVIDIA H200", computeCapability: "9.0", totalMemory: 150 * 2 ** 30, multiprocessors: 132 },
        cublasLt: { path: "/usr/lib/libcublasLt.so.13", foundBy: "the CUDA toolkit", version: 130100, reason: null },
      },
    });
    expect(withGpu).toMatch(/^gpu +NVIDIA H200, compute capability 9\.0, 150\.0 GiB, 132 SMs$/m);
    expect(withGpu).toMatch(
      /^cublasLt +\/usr\/lib\/libcublasLt\.so\.13 \(13\.1\.0; found through the CUDA toolkit\)$/m,
    );

    const noAddon = formatDoctorReport({
      ...base,
      cuda: { addon: { kind: "cuda", error: "no cuda addon could be loaded" }, available: false },
    });
    expect(noAddon).toMatch(/^cuda addon +not loaded: no cuda addon could be loaded$/m);

    // The loader's advice (npm install of a package a clone's version may not have) gives way to the fix.
    const loaderError =
      "slmkit: no cuda addon could be loaded (@slmkit/linux-x64-cuda: not installed). To fix: install the prebuilt package: npm install @slmkit/linux-x64-cuda@0.1.0";
    const fixed = formatDoctorReport({
      ...base,
      cuda: {
        addon: { kind: "cuda", error: loaderError },
        fix: "build it in /c: npm run build:cuda",
        available: false,
      },
    });
    expect(fixed).toMatch(
      /^cuda addon +not loaded: slmkit: no cuda addon could be loaded \(@slmkit\/linux-x64-cuda: not installed\)\.$/m,
    );
    expect(fixed).toMatch(/^to fix +build it in \/c: npm run build:cuda$/m);
    expect(fixed).not.toContain("npm install");
  });

  it("`slmkit doctor --json` honours SLMKIT_CPU_ISA and the text form says the same", () => {
    const json = JSON.parse(cli({ SLMKIT_CPU_ISA: "baseline" }, "doctor", "--json")) as DoctorReport;
    expect(json.cpu.isa).toBe("baseline");
    expect(json.cpu.bestIsa).toBe(bestIsaFor(json.cpu.features!));
    expect(cli({ SLMKIT_CPU_ISA: "baseline" }, "doctor")).toMatch(/^cpu kernels +baseline \(best this CPU supports: /m);
  });
});
