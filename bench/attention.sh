#!/usr/bin/env bash
# Attention benchmark: PyTorch SDPA first (bench/torch/cuda_attention.py), then ours
# (bench/cuda_attention.ts), printed as one table: case | ours | torch | ratio (TFLOP/s). Needs an NVIDIA
# GPU, python3 with torch, and the built addons.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
date -u
python3 bench/torch/cuda_attention.py > "$tmp/torch.json"
node node_modules/tsx/dist/cli.mjs bench/cuda_attention.ts "$tmp/torch.json"
