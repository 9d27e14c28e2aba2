#!/usr/bin/env bash
# The install a user gets: packs every package (scripts/pack/pack-all.mjs, from the builds already made),
# installs the tarballs into a fresh project with `npm install --offline` and no compiler on PATH, then
# - checks that the addons came from the platform packages (slmkit doctor --json),
# - in ESM and in CommonJS: a matmul against float64 and one AdamW step of a tiny MiniCPM (smoke.*),
# - type-checks a TypeScript consumer in both module kinds with the repository's tsc.
#   bash scripts/pack/install-test.sh            (npm run test:install)
# The npm cache must hold slmkit's dependencies; a first install from the lock file puts them there, and
# a warm-up install below fills in their registry metadata (online, with --prefer-offline) if missing.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/slmkit-install.XXXXXX")
trap 'rm -rf "$work"' EXIT

node "$root/scripts/pack/pack-all.mjs" --out "$work/packs"
tarballs=("$work"/packs/*.tgz)

echo "== warm the npm cache (registry metadata of slmkit's dependencies)"
mkdir -p "$work/warm" && cd "$work/warm" && echo '{"name":"warm","private":true}' > package.json
npm install --prefer-offline --ignore-scripts --no-audit --no-fund --loglevel=error "${tarballs[@]}" > /dev/null

echo "== install offline with no compiler on PATH"
# A PATH of only the tools npm and the tests need: any attempt to compile (node-gyp, cmake, nvcc) fails.
mkdir -p "$work/bin"
for tool in node npm npx sh bash env cat ls mkdir rm cp mv ln tar gzip uname sed grep dirname basename readlink; do
  ln -s "$(command -v "$tool")" "$work/bin/$tool"
done
export PATH="$work/bin"
for compiler in cc gcc g++ c++ clang make cmake nvcc python3; do
  if command -v "$compiler" > /dev/null; then echo "install-test: $compiler is still on PATH" >&2; exit 1; fi
done
mkdir -p "$work/app" && cd "$work/app" && echo '{"name":"app","private":true}' > package.json
npm install --offline --no-audit --no-fund "${tarballs[@]}"
test ! -e node_modules/slmkit/build && test ! -e node_modules/slmkit/build-cuda
cp "$root"/scripts/pack/consumer/* .

echo "== slmkit doctor from the installed package"
node_modules/.bin/slmkit doctor
node_modules/.bin/slmkit doctor --json > doctor.json
node -e '
const r = JSON.parse(require("fs").readFileSync("doctor.json", "utf8"));
const want = { cpu: "node_modules/@slmkit/linux-x64/slmkit_cpu.node", cuda: "node_modules/@slmkit/linux-x64-cuda/slmkit_cuda.node" };
for (const kind of ["cpu", "cuda"]) {
  const o = r[kind].addon;
  if (o.source !== "platform-package" || !o.path.endsWith(want[kind])) throw new Error(`${kind} addon came from ${JSON.stringify(o)}, expected the platform package`);
}
if (r.cuda.available !== true && !(typeof r.cuda.reason === "string" && r.cuda.reason.length > 0)) throw new Error("CUDA unavailable without a reason");
console.log("doctor: both addons from their platform packages; CUDA " + (r.cuda.available ? "available" : "unavailable: " + r.cuda.reason.slice(0, 80) + "..."));
'

echo "== ESM and CommonJS"
node smoke.mjs cpu
node smoke.cjs cpu

echo "== TypeScript consumer (ESM and CommonJS declarations)"
# slmkit's types use Node's (AbortSignal, Buffer), so a consumer has @types/node, as for any Node library;
# this one borrows the repository's.
node "$root/node_modules/typescript/bin/tsc" -p tsconfig.json --typeRoots "$root/node_modules/@types" --types node
echo "install-test: ok"
