// Sets one version on slmkit and every platform package, and pins the main package's optionalDependencies
// to it, so a release never mixes a JavaScript layer with addons built from other sources.
//   node scripts/pack/set-version.mjs 0.2.0      (npm run set-version -- 0.2.0)
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { platformPackages, root } from "./packages.mjs";

const version = process.argv[2];
if (!version || !/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(version)) {
  console.error("usage: node scripts/pack/set-version.mjs X.Y.Z[-pre]");
  process.exit(2);
}

function edit(file, change) {
  const path = join(root, file);
  const json = JSON.parse(readFileSync(path, "utf8"));
  change(json);
  writeFileSync(path, JSON.stringify(json, null, 2) + "\n");
}

for (const p of platformPackages) edit(join(p.dir, "package.json"), (pkg) => (pkg.version = version));
edit("package.json", (pkg) => {
  pkg.version = version;
  pkg.optionalDependencies = Object.fromEntries(platformPackages.map((p) => [p.name, version]));
});
// The lock file records the root's version too; keep it in step so `npm install` does not rewrite it.
edit("package-lock.json", (lock) => {
  lock.version = version;
  if (lock.packages?.[""]) {
    lock.packages[""].version = version;
    lock.packages[""].optionalDependencies = Object.fromEntries(platformPackages.map((p) => [p.name, version]));
  }
  // The platform folders are workspaces (a clone links them in place of the unpublished packages), and
  // `npm ci` refuses a lock whose workspace versions differ from their package.json.
  for (const p of platformPackages) if (lock.packages?.[p.dir]) lock.packages[p.dir].version = version;
});
console.log(`slmkit and ${platformPackages.map((p) => p.name).join(", ")} set to ${version}`);
