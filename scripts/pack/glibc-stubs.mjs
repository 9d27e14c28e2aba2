// Makes link-time stand-ins for glibc that offer each symbol only at the version glibc 2.28 had, so that
// addons linked on a newer system (this one has 2.36) run on any glibc >= 2.28.
//
// Why: the linker binds every call to the newest ("default") version of a symbol in the libc it links
// against. glibc 2.29 gave exp/log/pow new versions, and 2.34 moved pthread_*, sem_*, dl* and shm_* from
// libpthread/libdl/librt into libc under a new GLIBC_2.34 version; a binary linked here therefore asks for
// GLIBC_2.34 and fails to load on older systems with "version `GLIBC_2.34' not found". The old versions
// still exist in today's glibc (as compatibility symbols), so binding to them is correct on both old and
// new systems. These stand-ins are empty shared objects whose symbol tables say exactly that; they are
// only linked against, never loaded. Moved symbols go back to the library that held them in 2.28
// (libpthread.so.0, libdl.so.2, librt.so.1), which newer glibc still ships as empty compatibility files.
//
//   node scripts/pack/glibc-stubs.mjs OUT_DIR      -> OUT_DIR/libc.so, libm.so, libpthread.so, ...; prints OUT_DIR
// binding.gyp and CMakeLists.txt run it and link with -L OUT_DIR, so every build is portable;
// scripts/pack/check-binaries.mjs proves it on the result.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

const FLOOR = [2, 28];
const outDir = resolve(process.argv[2] ?? "build-glibc");
const libDir = ["/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64"].find((d) => existsSync(join(d, "libc.so.6")));
if (process.arch !== "x64" || !libDir) {
  console.error("glibc-stubs: needs x86-64 Linux with glibc");
  process.exit(1);
}

/** "GLIBC_2.3.4" -> [2, 3, 4]; undefined for other version names (GLIBC_PRIVATE, Base). */
function parseVersion(name) {
  const m = /^GLIBC_(\d+(?:\.\d+)+)$/.exec(name);
  return m ? m[1].split(".").map(Number) : undefined;
}
function compare(a, b) {
  for (let i = 0; i < Math.max(a.length, b.length); i++)
    if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) - (b[i] ?? 0);
  return 0;
}

/** Defined dynamic symbols of a library: name -> { versions: [{version, isDefault}], type, size }. */
function dynamicSymbols(file) {
  const out = new Map();
  const text = execFileSync("objdump", ["-T", file], { encoding: "utf8", maxBuffer: 64 << 20 });
  for (const line of text.split("\n")) {
    // 00000000000a1b20 g    DF .text	0000000000000123 (GLIBC_2.2.5) pthread_create   (iD: an IFUNC, DO: data)
    const m = /^[0-9a-f]+\s.*?\s(D[FO]|iD)\s+(\S+)\s+([0-9a-f]+)\s+(\(?)([^\s)]+)\)?\s+(\S+)$/.exec(line);
    // *UND* are imports; *ABS* entries named after a version are the version definitions themselves.
    if (!m || m[2] === "*UND*" || (m[2] === "*ABS*" && m[6].startsWith("GLIBC_"))) continue;
    const version = parseVersion(m[5]);
    if (!version) continue;
    const entry = out.get(m[6]) ?? {
      versions: [],
      type: m[1] === "DO" ? "object" : "function",
      size: parseInt(m[3], 16),
    };
    entry.versions.push({ name: m[5], version, isDefault: m[4] !== "(" });
    out.set(m[6], entry);
  }
  return out;
}

/** The version a link against glibc 2.28 would have bound: the newest one not above the floor. */
function floorVersion(entry) {
  const allowed = entry.versions
    .filter((v) => compare(v.version, FLOOR) <= 0)
    .sort((a, b) => compare(a.version, b.version));
  return allowed.at(-1)?.name;
}

// Where a symbol that libc took over in 2.34 lived before.
function formerHome(name) {
  if (/^dl[a-z]/.test(name)) return "libdl.so.2";
  if (/^(shm_|mq_|aio_|lio_|timer_)/.test(name)) return "librt.so.1";
  return "libpthread.so.0";
}

const stubs = new Map(); // soname -> Map(name -> { version, type, size })
const add = (soname, name, version, entry) => {
  if (!stubs.has(soname)) stubs.set(soname, new Map());
  stubs.get(soname).set(name, { version, type: entry.type, size: entry.size });
};
for (const soname of ["libpthread.so.0", "libdl.so.2", "librt.so.1"]) stubs.set(soname, new Map());

for (const [name, entry] of dynamicSymbols(join(libDir, "libc.so.6"))) {
  const version = floorVersion(entry);
  if (!version) continue; // newer than 2.28: left out, so using it is a link error rather than a silent floor raise
  const current = entry.versions.find((v) => v.isDefault);
  const moved = current && compare(current.version, [2, 34]) >= 0 && current.name !== version;
  add(moved ? formerHome(name) : "libc.so.6", name, version, entry);
}
for (const soname of ["libm.so.6", "ld-linux-x86-64.so.2"]) {
  const file = existsSync(join(libDir, soname)) ? join(libDir, soname) : join("/lib64", soname);
  for (const [name, entry] of dynamicSymbols(file)) {
    const version = floorVersion(entry);
    if (version) add(soname, name, version, entry);
  }
}

mkdirSync(outDir, { recursive: true });
for (const [soname, symbols] of stubs) {
  const base = join(outDir, soname.replace(/\W/g, "_"));
  const asm = [];
  const byVersion = new Map();
  for (const [name, s] of symbols) {
    asm.push(`.globl ${name}`);
    if (s.type === "function") asm.push(`.type ${name},@function`, `${name}: ret`);
    else
      asm.push(
        ".data",
        `.type ${name},@object`,
        `.size ${name},${Math.max(s.size, 1)}`,
        `${name}: .zero ${Math.max(s.size, 1)}`,
        ".text",
      );
    if (!byVersion.has(s.version)) byVersion.set(s.version, []);
    byVersion.get(s.version).push(name);
  }
  writeFileSync(`${base}.s`, ".text\n" + asm.join("\n") + "\n");
  // Every version node glibc 2.28 defined for this library, oldest first, each inheriting the previous.
  const versions = [...byVersion.keys()].sort((a, b) => compare(parseVersion(a), parseVersion(b)));
  if (versions.length === 0) versions.push("GLIBC_2.2.5");
  let map = "";
  versions.forEach((v, i) => {
    const names = byVersion.get(v) ?? [];
    map += `${v} {${names.length ? " global: " + names.join("; ") + ";" : ""} }${i ? " " + versions[i - 1] : ""};\n`;
  });
  writeFileSync(`${base}.map`, map);
  execFileSync("cc", [
    "-shared",
    "-nostdlib",
    "-o",
    join(outDir, soname),
    `${base}.s`,
    `-Wl,--version-script=${base}.map`,
    `-Wl,-soname,${soname}`,
  ]);
}

// The names the compiler driver asks for (-lc, -lm, -lpthread, -ldl, -lrt). libc.so keeps the real
// libc_nonshared.a (atexit and friends, linked in statically) and brings the former homes of the moved
// symbols in only where a symbol is taken from them.
const nonshared = ["/usr/lib/x86_64-linux-gnu/libc_nonshared.a", "/usr/lib64/libc_nonshared.a"].find(existsSync);
writeFileSync(
  join(outDir, "libc.so"),
  `GROUP ( ${join(outDir, "libc.so.6")} ${nonshared ?? ""} AS_NEEDED ( ${["libpthread.so.0", "libdl.so.2", "librt.so.1", "ld-linux-x86-64.so.2"].map((s) => join(outDir, s)).join(" ")} ) )\n`,
);
for (const [link, soname] of [
  ["libm.so", "libm.so.6"],
  ["libpthread.so", "libpthread.so.0"],
  ["libdl.so", "libdl.so.2"],
  ["librt.so", "librt.so.1"],
]) {
  writeFileSync(join(outDir, link), `GROUP ( ${join(outDir, soname)} )\n`);
}
// stdout carries only the folder, for the build files' `-L$(node scripts/pack/glibc-stubs.mjs DIR)`.
console.error(
  `glibc ${FLOOR.join(".")} link stubs: ${[...stubs].map(([s, m]) => `${s} (${m.size} symbols)`).join(", ")}`,
);
console.log(outDir);
