#!/usr/bin/env bash
# Attention benchmark: PyTorch SDPA first (bench/torch/cuda_attention.py), then ours
# (bench/cuda_attention.ts), printed as one table: case | ours | torch | ratio (TFLOP/s). On a Hopper GPU a
# second table follows: the prefill rows on the mma.sync kernels of the GPUs before Hopper
# (SLMKIT_CUDA_PRE_HOPPER=1, read once per process, hence a second run). Needs an NVIDIA GPU, python3 with
# torch, and the built addons.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
date -u
python3 bench/torch/cuda_attention.py > "$tmp/torch.json"
node node_modules/tsx/dist/cli.mjs bench/cuda_attention.ts "$tmp/torch.json"
if [[ "$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader | head -n 1)" == 9.* ]]; then
  echo
  SLMKIT_CUDA_PRE_HOPPER=1 node node_modules/tsx/dist/cli.mjs bench/cuda_attention.ts "$tmp/torch.json"
fi
