// Packs slmkit and every platform package into one folder (default packs/), from the builds already made
// (npm run build:native, npm run build:ts; `npm run pack:all` does both first). The addons are checked for
// portability before they are copied in, and all packages must carry one version.
//   node scripts/pack/pack-all.mjs [--out DIR]
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { checkBinary } from "./check-binaries.mjs";
import { platformPackages, root } from "./packages.mjs";

const outFlag = process.argv.indexOf("--out");
const outDir = resolve(outFlag >= 0 ? process.argv[outFlag + 1] : join(root, "packs"));

function fail(message) {
  console.error(`pack: ${message}`);
  process.exit(1);
}

const main = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
for (const entry of ["dist/index.js", "dist/index.cjs", "dist/index.d.ts", "dist/index.d.cts", "dist/cli/main.js"]) {
  if (!existsSync(join(root, entry))) fail(`${entry} is missing: run npm run build:ts first`);
}
for (const p of platformPackages) {
  const pkg = JSON.parse(readFileSync(join(root, p.dir, "package.json"), "utf8"));
  if (pkg.name !== p.name) fail(`${p.dir}/package.json is named ${pkg.name}, expected ${p.name}`);
  if (pkg.version !== main.version || main.optionalDependencies?.[p.name] !== main.version) {
    fail(
      `${p.name} is at ${pkg.version} and slmkit pins ${main.optionalDependencies?.[p.name]}, but slmkit is ${main.version}: run npm run set-version -- ${main.version}`,
    );
  }
  const built = join(root, p.build);
  if (!existsSync(built)) fail(`${p.build} is missing: run ${p.buildScript} (or npm run build:native)`);
  const problems = checkBinary(built);
  if (problems.length) fail(`${p.build} is not portable: ${problems.join("; ")}`);
  copyFileSync(built, join(root, p.dir, p.file));
}

rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });
const tarballs = [];
for (const dir of [...platformPackages.map((p) => join(root, p.dir)), root]) {
  // --ignore-scripts: packing must not run lifecycle scripts that could rebuild or download anything.
  const out = execFileSync("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", outDir], {
    cwd: dir,
    encoding: "utf8",
  });
  const [info] = JSON.parse(out);
  tarballs.push(info.filename);
  console.log(
    `${info.name}@${info.version}: ${info.filename} (${(info.size / 2 ** 20).toFixed(1)} MiB packed, ${info.entryCount} files)`,
  );
}
console.log(`packed into ${outDir}`);
