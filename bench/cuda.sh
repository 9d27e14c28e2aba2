#!/usr/bin/env bash
# CUDA benchmark, one table of ours vs PyTorch (bench/cuda.ts says what is timed and how). Needs an NVIDIA
# GPU, python3 with torch, and the built addons. Order: PyTorch's numbers, our fallback GEMM in its own
# process (SLMKIT_DISABLE_CUBLASLT is read once per process), then our side, which prints the table.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
tsx=(node node_modules/tsx/dist/cli.mjs bench/cuda.ts)
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
date -u
python3 bench/torch/cuda_ops.py > "$tmp/torch.json"
SLMKIT_DISABLE_CUBLASLT=1 "${tsx[@]}" --only gemm > "$tmp/fallback.json"
"${tsx[@]}" --torch "$tmp/torch.json" --fallback "$tmp/fallback.json"
