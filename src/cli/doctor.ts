/**
 * `slmkit doctor`: what this installation runs on. Node and N-API versions, the CPU's features and the
 * kernels chosen, which addon binaries were loaded from where (an environment override, a local build or
 * a prebuilt platform package), and CUDA: driver, GPU, the GPU code the binary carries, cuBLASLt.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { cpu } from "../backend/cpu.js";
import { cuda } from "../backend/cuda.js";
import { type AddonOrigin, addonOrigins, glibcVersion, loadAddon, packageRoot } from "../backend/loader.js";
import { addonFix } from "./addon_fix.js";
import { type CommandSpec, helpText, parseFlags } from "./flags.js";

export const DOCTOR_SPEC: CommandSpec = {
  name: "doctor",
  usage: "slmkit doctor [--json]",
  description:
    "Prints Node and N-API versions, CPU features and the kernels chosen, where each addon was loaded from, and CUDA: driver, GPU, compute capability and cuBLASLt.",
  flags: [{ name: "json", type: "boolean", help: "print JSON" }],
};

export interface DoctorReport {
  slmkit: string | null;
  node: string;
  napi: string | null;
  platform: string;
  glibc: string | null;
  cpu: {
    addon: AddonOrigin;
    /** What to do when the addon did not load, for this place (a clone builds it; an install installs it). */
    fix?: string;
    features?: string[];
    isa?: string;
    bestIsa?: string;
    threads?: number;
  };
  cuda: {
    addon: AddonOrigin;
    fix?: string;
    available: boolean;
    reason?: string;
    driverVersion?: string | null;
    runtimeVersion?: string | null;
    architectures?: string;
    gpu?: { name: string; computeCapability: string; totalMemory: number; multiprocessors: number };
    cublasLt?: { path: string | null; foundBy: string | null; version: number | null; reason: string | null };
  };
}

interface CudaInfo {
  driverVersion: string | null;
  runtimeVersion: string | null;
  architectures: string;
  cublasLt: string | null;
  cublasLtFoundBy: string | null;
  cublasLtVersion: number | null;
  cublasLtReason: string | null;
}

function origin(kind: "cpu" | "cuda"): AddonOrigin {
  return addonOrigins().find((o) => o.kind === kind) ?? { kind, error: "not loaded" };
}

function slmkitVersion(): string | null {
  try {
    return (
      (JSON.parse(readFileSync(join(packageRoot(), "package.json"), "utf8")) as { version?: string }).version ?? null
    );
  } catch {
    return null;
  }
}

/** Collects the report; never throws: what fails to load is reported with its reason. */
export function doctorReport(): DoctorReport {
  const report: DoctorReport = {
    slmkit: slmkitVersion(),
    node: process.version,
    napi: process.versions.napi ?? null,
    platform: `${process.platform}-${process.arch}`,
    glibc: glibcVersion() ?? null,
    cpu: { addon: { kind: "cpu" } },
    cuda: { addon: { kind: "cuda" }, available: false },
  };
  try {
    const info = cpu().info() as { features: string[]; isa: string; bestIsa: string; threads: number };
    report.cpu = {
      addon: origin("cpu"),
      features: info.features,
      isa: info.isa,
      bestIsa: info.bestIsa,
      threads: info.threads,
    };
  } catch {
    report.cpu = { addon: origin("cpu"), fix: addonFix("cpu") };
  }
  const status = cuda.status();
  report.cuda = { addon: origin("cuda"), ...status };
  if (report.cuda.addon.error) {
    report.cuda.fix = addonFix("cuda");
    return report;
  }
  // The addon loaded (cuda.status() did it), so this returns the same module; info() needs no GPU.
  const info = loadAddon("cuda").addon.info() as unknown as CudaInfo;
  report.cuda.driverVersion = info.driverVersion;
  report.cuda.runtimeVersion = info.runtimeVersion;
  report.cuda.architectures = info.architectures;
  report.cuda.cublasLt = {
    path: info.cublasLt,
    foundBy: info.cublasLtFoundBy,
    version: info.cublasLtVersion,
    reason: info.cublasLtReason,
  };
  if (status.available) {
    const p = cuda.deviceProperties() as {
      name: string;
      computeCapability: string;
      totalMemory: number;
      multiprocessors: number;
    };
    report.cuda.gpu = {
      name: p.name,
      computeCapability: p.computeCapability,
      totalMemory: p.totalMemory,
      multiprocessors: p.multiprocessors,
    };
  }
  return report;
}

/**
 * Where an addon came from, or why it did not load. The loader's error ends with its own advice ("To fix:
 * npm install ..."), which is wrong in a clone; the report's `fix` replaces it, on a line of its own.
 */
function describeOrigin(o: AddonOrigin, fix: string | undefined): string {
  if (!o.error) return `${o.path ?? "?"} (${o.source ?? "?"})`;
  const cut = fix ? o.error.indexOf(" To fix: ") : -1;
  return `not loaded: ${cut >= 0 ? o.error.slice(0, cut) : o.error}`;
}

/** cuBLASLt's version number 130100 as "13.1.0". */
function cublasVersionText(v: number): string {
  return `${Math.floor(v / 10000)}.${Math.floor(v / 100) % 100}.${v % 100}`;
}

/** The report as aligned `label  value` lines. */
export function formatDoctorReport(r: DoctorReport): string {
  const rows: [string, string][] = [
    ["slmkit", r.slmkit ?? "unknown version"],
    ["node", `${r.node}, N-API ${r.napi ?? "unknown"}, ${r.platform}${r.glibc ? `, glibc ${r.glibc}` : ""}`],
    ["cpu addon", describeOrigin(r.cpu.addon, r.cpu.fix)],
  ];
  if (r.cpu.fix) rows.push(["to fix", r.cpu.fix]);
  if (r.cpu.isa) {
    rows.push(["cpu features", r.cpu.features?.join(" ") || "none beyond x86-64"]);
    rows.push([
      "cpu kernels",
      `${r.cpu.isa} (best this CPU supports: ${r.cpu.bestIsa}; SLMKIT_CPU_ISA lowers it), ${r.cpu.threads} threads`,
    ]);
  }
  const c = r.cuda;
  rows.push(["cuda addon", describeOrigin(c.addon, c.fix)]);
  if (c.fix) rows.push(["to fix", c.fix]);
  if (!c.addon.error) {
    rows.push(["cuda", c.available ? "available" : `unavailable: ${c.reason ?? "unknown reason"}`]);
    rows.push(["cuda driver", c.driverVersion ? `supports CUDA ${c.driverVersion}` : "none found"]);
    rows.push([
      "cuda runtime",
      `${c.runtimeVersion ?? "unknown"} (linked statically); GPU code in the binary: ${c.architectures ?? "unknown"}`,
    ]);
    if (c.gpu) {
      rows.push([
        "gpu",
        `${c.gpu.name}, compute capability ${c.gpu.computeCapability}, ${(c.gpu.totalMemory / 2 ** 30).toFixed(1)} GiB, ${c.gpu.multiprocessors} SMs`,
      ]);
    }
    const lt = c.cublasLt;
    if (lt) {
      rows.push([
        "cublasLt",
        lt.path
          ? `${lt.path} (${lt.version ? cublasVersionText(lt.version) : "unknown version"}; found through ${lt.foundBy ?? "?"})`
          : `not used: ${lt.reason ?? "?"}; matmul uses the built-in GEMM`,
      ]);
    }
  }
  const width = Math.max(...rows.map(([label]) => label.length)) + 2;
  return rows.map(([label, value]) => label.padEnd(width) + value).join("\n");
}

/** `slmkit doctor [--json]`. */
export function doctorCommand(argv: string[]): void {
  const { values, help } = parseFlags(DOCTOR_SPEC, argv);
  if (help) return console.log(helpText(DOCTOR_SPEC));
  const report = doctorReport();
  console.log(values.json ? JSON.stringify(report, null, 2) : formatDoctorReport(report));
}
