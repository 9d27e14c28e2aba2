// clang-format over the C++/CUDA sources (native/, kernels/, bench/) with the style in .clang-format, through
// the WebAssembly build of clang-format (@wasm-fmt/clang-format): CI needs nothing beyond npm.
// Usage: node scripts/format-cpp.mjs           rewrite the files that are not formatted
//        node scripts/format-cpp.mjs --check   list them and fail instead
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { format } from "@wasm-fmt/clang-format";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const DIRS = ["native", "kernels", "bench"];
const SOURCE = /\.(cc|cpp|h|hpp|cu|cuh)$/;
// Build outputs and installed packages are never formatted.
const SKIP = /(^|\/)(node_modules|build[^/]*|dist)\//;

const check = process.argv.includes("--check");
const style = readFileSync(join(root, ".clang-format"), "utf8");
const files = DIRS.flatMap((dir) =>
  readdirSync(join(root, dir), { recursive: true, encoding: "utf8" })
    .map((f) => `${dir}/${f.replaceAll("\\", "/")}`)
    .filter((f) => SOURCE.test(f) && !SKIP.test(f)),
).sort();

const changed = [];
for (const file of files) {
  const path = join(root, file);
  const source = readFileSync(path, "utf8");
  const formatted = format(source, file, style);
  if (formatted === source) continue;
  changed.push(file);
  if (!check) writeFileSync(path, formatted);
}

if (check && changed.length > 0) {
  console.error(
    `clang-format: ${changed.length} of ${files.length} files are not formatted (npm run format fixes them):`,
  );
  for (const file of changed) console.error(`  ${file}`);
  process.exit(1);
}
console.log(`clang-format: ${files.length} files${check ? " checked" : `, ${changed.length} rewritten`}`);
