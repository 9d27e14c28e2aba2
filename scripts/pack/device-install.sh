#!/usr/bin/env bash
# Installs the packed tarballs without npm, for machines with Node.js but no npm or network (like the GPU
# test machine): each tarball's package/ folder becomes node_modules/<name>, where npm would put it. Then
# checks the binaries and runs slmkit doctor and the CUDA and CPU smoke tests from that install, and
# doctor again without a visible GPU and with the cuBLASLt overrides.
#   bash scripts/pack/device-install.sh PACKS_DIR        (PACKS_DIR from scripts/pack/pack-all.mjs --out)
# Prints the app folder it made on its last line: "installed in DIR".
set -uo pipefail
packs=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
app=$(mktemp -d "${TMPDIR:-/tmp}/slmkit-app.XXXXXX")
cd "$app"
echo '{"name":"app","private":true}' > package.json
for tarball in "$packs"/*.tgz; do
  name=$(tar xzf "$tarball" -O package/package.json | node -p 'JSON.parse(require("fs").readFileSync(0, "utf8")).name')
  mkdir -p "node_modules/$name"
  tar xzf "$tarball" -C "node_modules/$name" --strip-components=1
done
mkdir -p node_modules/.bin && ln -s ../slmkit/dist/cli/main.js node_modules/.bin/slmkit
cp "$here"/consumer/smoke* .

failed=0
run() {
  echo "\$ $*"
  "$@" || { echo "FAILED ($?): $*"; failed=1; }
}
run node "$here/check-binaries.mjs" node_modules/@slmkit/linux-x64/slmkit_cpu.node node_modules/@slmkit/linux-x64-cuda/slmkit_cuda.node
run node_modules/.bin/slmkit doctor
node_modules/.bin/slmkit doctor --json > doctor.json && cat doctor.json
run node smoke.mjs cuda
run node smoke.cjs cuda
run node smoke.mjs cpu
echo "--- no visible GPU: loads, and says why CUDA is unavailable"
CUDA_VISIBLE_DEVICES="" run node_modules/.bin/slmkit doctor
echo "--- the built-in GEMM (SLMKIT_DISABLE_CUBLASLT=1)"
SLMKIT_DISABLE_CUBLASLT=1 run node smoke.mjs cuda
echo "--- an explicit SLMKIT_CUBLASLT_PATH that does not exist is reported, not replaced"
SLMKIT_CUBLASLT_PATH=/nonexistent/libcublasLt.so.13 run node_modules/.bin/slmkit doctor
echo "installed in $app"
exit $failed
