// Proves that the prebuilt addons run where the platform packages say they do:
// - glibc: no symbol newer than GLIBC_2.28 (objdump -T), and no libstdc++ symbol at all (it is linked in
//   statically, because the build machine's libstdc++ is newer than a glibc 2.28 system's);
// - only the system libraries every glibc Linux has are needed (no libcudart, libcublas or libcuda: the
//   CUDA runtime is static, cuBLASLt and the driver are opened at run time);
// - the CUDA addon carries SASS for sm_80, sm_86, sm_89, sm_90a and PTX for compute_90 (cuobjdump when the
//   toolkit has it, else the fat binary's own entry headers).
//   node scripts/pack/check-binaries.mjs [file.node ...]     (default: the builds the packages carry)
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { platformPackages, root } from "./packages.mjs";

export const GLIBC_FLOOR = "2.28";
const ALLOWED_NEEDED = new Set([
  "libc.so.6",
  "libm.so.6",
  "libpthread.so.0",
  "libdl.so.2",
  "librt.so.1",
  "ld-linux-x86-64.so.2",
]);
const CUDA_TARGETS = ["sm_80", "sm_86", "sm_89", "sm_90a", "compute_90"];

const versionKey = (v) => v.split(".").map(Number);
function newer(a, b) {
  const [x, y] = [versionKey(a), versionKey(b)];
  for (let i = 0; i < Math.max(x.length, y.length); i++)
    if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) > (y[i] ?? 0);
  return false;
}

/** The versioned symbols a file imports: [{ name, library: "GLIBC" | "GLIBCXX" | ..., version }]. */
function importedSymbols(file) {
  const text = execFileSync("objdump", ["-T", file], { encoding: "utf8", maxBuffer: 64 << 20 });
  const out = [];
  for (const line of text.split("\n")) {
    const m = /\*UND\*\s+[0-9a-f]+\s+\(?([A-Z_]+)_([0-9.]+)\)?\s+(\S+)$/.exec(line);
    if (m) out.push({ library: m[1], version: m[2], name: m[3] });
  }
  return out;
}

function neededLibraries(file) {
  const text = execFileSync("readelf", ["-d", file], { encoding: "utf8" });
  return [...text.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]);
}

/** GPU code in a CUDA binary: "sm_90a" for SASS, "compute_90" for PTX. */
function cudaTargets(file) {
  const cuobjdump = ["cuobjdump", "/usr/local/cuda/bin/cuobjdump"].find((c) => {
    try {
      execFileSync(c, ["--version"], { stdio: "ignore" });
      return true;
    } catch {
      return false;
    }
  });
  if (cuobjdump) {
    const list = (flag) => execFileSync(cuobjdump, [flag, file], { encoding: "utf8", maxBuffer: 64 << 20 });
    const sass = [...list("--list-elf").matchAll(/\.(sm_\d+a?)\.cubin/g)].map((m) => m[1]);
    const ptx = [...list("--list-ptx").matchAll(/\.sm_(\d+a?)\.ptx/g)].map((m) => `compute_${m[1]}`);
    return { tool: cuobjdump, targets: new Set([...sass, ...ptx]) };
  }
  return { tool: "fat binary headers", targets: fatbinTargets(readFileSync(file)) };
}

// A fat binary (.nv_fatbin) is a 16-byte header (magic 0xBA55ED50, header size, payload size) followed by
// entries, each with its own header: kind (1 PTX, 2 SASS) at 0, header size at 4, payload size at 8,
// architecture at 28 and flags at 40, where 0x100000 marks an arch-specific target such as sm_90a.
function fatbinTargets(buf) {
  const targets = new Set();
  const magic = Buffer.from([0x50, 0xed, 0x55, 0xba]);
  for (let at = buf.indexOf(magic); at >= 0; at = buf.indexOf(magic, at + 4)) {
    if (buf.readUInt16LE(at + 4) !== 1) continue; // fat binary version 1 only; anything else is a stray match
    const end = at + buf.readUInt16LE(at + 6) + Number(buf.readBigUInt64LE(at + 8));
    for (let e = at + buf.readUInt16LE(at + 6); e + 48 <= end && e + 48 <= buf.length; ) {
      const kind = buf.readUInt16LE(e);
      const arch = buf.readUInt32LE(e + 28);
      const specific = (buf.readBigUInt64LE(e + 40) & 0x100000n) !== 0n ? "a" : "";
      if (kind === 1) targets.add(`compute_${arch}${specific}`);
      else if (kind === 2) targets.add(`sm_${arch}${specific}`);
      e += buf.readUInt32LE(e + 4) + Number(buf.readBigUInt64LE(e + 8));
    }
  }
  return targets;
}

/** Checks one addon; returns the problems found (empty when it is portable) and prints what it saw. */
export function checkBinary(file) {
  const problems = [];
  const symbols = importedSymbols(file);
  const glibc = symbols.filter((s) => s.library === "GLIBC");
  const highest = glibc.reduce((max, s) => (newer(s.version, max) ? s.version : max), "0");
  const tooNew = glibc.filter((s) => newer(s.version, GLIBC_FLOOR));
  if (tooNew.length)
    problems.push(
      `needs glibc ${highest} > ${GLIBC_FLOOR} for ${tooNew.map((s) => `${s.name}@GLIBC_${s.version}`).join(", ")}`,
    );
  const cxx = symbols.filter((s) => s.library !== "GLIBC");
  if (cxx.length)
    problems.push(
      `imports ${cxx.length} libstdc++/libgcc symbols (e.g. ${cxx
        .slice(0, 3)
        .map((s) => `${s.name}@${s.library}_${s.version}`)
        .join(", ")}); link them statically`,
    );
  const needed = neededLibraries(file);
  const foreign = needed.filter((n) => !ALLOWED_NEEDED.has(n));
  if (foreign.length)
    problems.push(
      `needs ${foreign.join(", ")}, outside the set every glibc 2.28+ system has at a fixed ABI (libstdc++ and libgcc_s differ in version between systems: link them statically)`,
    );
  let gpu = "";
  if (basename(file).includes("cuda")) {
    const { tool, targets } = cudaTargets(file);
    const missing = CUDA_TARGETS.filter((t) => !targets.has(t));
    if (missing.length)
      problems.push(
        `lacks GPU code for ${missing.join(", ")} (has ${[...targets].join(", ") || "none"}; read with ${tool})`,
      );
    gpu = `; GPU code ${[...targets].sort().join(" ")} (${tool})`;
  }
  console.log(`${file}: highest GLIBC_${highest} (floor ${GLIBC_FLOOR}); needs ${needed.join(" ")}${gpu}`);
  return problems;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const files = process.argv.slice(2);
  if (files.length === 0) {
    for (const p of platformPackages) {
      const built = join(root, p.build);
      if (!existsSync(built)) {
        console.error(`${built} is missing: build it first (${p.buildScript})`);
        process.exit(1);
      }
      files.push(built);
    }
  }
  let failed = false;
  for (const file of files) {
    for (const problem of checkBinary(file)) {
      console.error(`FAIL ${file}: ${problem}`);
      failed = true;
    }
  }
  process.exit(failed ? 1 : 0);
}
