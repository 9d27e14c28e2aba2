#!/usr/bin/env bash
# CUDA benchmark: PyTorch's numbers first (bench/torch/cuda_ops.py), then ours (bench/cuda.ts), printed
# as one table: op | ours | PyTorch | ratio. Needs an NVIDIA GPU, python3 with torch, and the built addons.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
date -u
python3 bench/torch/cuda_ops.py > "$tmp/torch.json"
node node_modules/tsx/dist/cli.mjs bench/cuda.ts "$tmp/torch.json"
