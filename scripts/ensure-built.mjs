// Builds the CPU addon (node-gyp) only when it is missing or its sources changed since it was built, so that
// `npm install` (its `prepare` script), `npm start`, `npm run bench` and `npm run build` compile it once
// instead of every time. Sources are compared by content hash, not mtime: a `git checkout` that touches
// files without changing them does not trigger a rebuild, and an edit that keeps an old mtime still does.
//   node scripts/ensure-built.mjs            build if needed (prints why), else say nothing
//   node scripts/ensure-built.mjs --force    rebuild from scratch (npm run build:cpu, which CI runs)
//   node scripts/ensure-built.mjs --check    exit 1 if a build is needed, without building
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const addon = join(root, "build/Release/slmkit_cpu.node");
// Beside the addon, so deleting build/ forgets it too.
const stampFile = join(root, "build/slmkit_cpu.sources.json");

/** Everything binding.gyp compiles or reads; CUDA-only files are left out so they never rebuild the CPU addon. */
function inputFiles() {
  const files = ["binding.gyp", "scripts/pack/glibc-stubs.mjs"];
  const walk = (dir) => {
    for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
      const rel = join(dir, entry.name);
      if (entry.isDirectory()) walk(rel);
      else if (/\.(cc|h|hpp|inc)$/.test(entry.name) && !entry.name.includes("cuda")) files.push(rel);
    }
  };
  for (const dir of ["native", "kernels/cpu", "kernels/include"]) if (existsSync(join(root, dir))) walk(dir);
  return files.sort();
}

/** Content hash of every input, plus the node-addon-api headers' version (they are compiled in too). */
function currentSources() {
  const sources = {};
  for (const file of inputFiles())
    sources[file] = createHash("sha256")
      .update(readFileSync(join(root, file)))
      .digest("hex");
  const napiPkg = join(root, "node_modules/node-addon-api/package.json");
  sources["node-addon-api"] = existsSync(napiPkg) ? JSON.parse(readFileSync(napiPkg, "utf8")).version : "missing";
  return sources;
}

function readStamp() {
  try {
    return JSON.parse(readFileSync(stampFile, "utf8")).sources;
  } catch {
    return null;
  }
}

/** Why the addon needs building, or null when it is up to date. */
function staleReason(sources) {
  if (!existsSync(addon)) return `${relative(root, addon)} does not exist`;
  const built = readStamp();
  if (!built) return "there is no record of the sources it was built from";
  const changed = Object.keys({ ...built, ...sources }).filter((f) => built[f] !== sources[f]);
  if (changed.length === 0) return null;
  const shown = changed.slice(0, 3).join(", ") + (changed.length > 3 ? ` and ${changed.length - 3} more` : "");
  return `${shown} changed since the last build`;
}

const mode = process.argv[2] ?? "";
if (!["", "--force", "--check"].includes(mode)) {
  console.error("usage: node scripts/ensure-built.mjs [--force | --check]");
  process.exit(2);
}
const sources = currentSources();
const reason = mode === "--force" ? "a full rebuild was asked for" : staleReason(sources);
if (mode === "--check") {
  if (reason) console.log(`the CPU addon needs building: ${reason}`);
  process.exit(reason ? 1 : 0);
}
if (reason) {
  console.log(`slmkit: building the CPU addon with node-gyp (${reason}); this takes a minute or two...`);
  const jobs = String(Math.max(1, Math.min(4, (await import("node:os")).availableParallelism())));
  const nodeGyp = join(root, "node_modules/node-gyp/bin/node-gyp.js");
  execFileSync(process.execPath, [nodeGyp, "rebuild", "-j", jobs], { cwd: root, stdio: "inherit" });
  mkdirSync(dirname(stampFile), { recursive: true });
  // Hashed again after the build: a source edited during the build must make the next run rebuild.
  const after = currentSources();
  const consistent = Object.keys(sources).every((f) => sources[f] === after[f]);
  if (consistent)
    writeFileSync(
      stampFile,
      JSON.stringify({ builtAt: new Date(statSync(addon).mtimeMs).toISOString(), sources }, null, 1) + "\n",
    );
}
