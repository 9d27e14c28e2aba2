"""PyTorch counterpart of bench/cuda_attention.ts: F.scaled_dot_product_attention (flash backend, bf16),
forward and forward + backward on the same shapes, timed with CUDA events around a batch of calls (median
of 10 batches after a warm-up); also the cuDNN backend where it runs. Prints one JSON object
{case: {"fwd": s, "fwdbwd": s, "backend": ..., "cudnn_fwd": s, "cudnn_fwdbwd": s}}
that bench/attention.sh hands to bench/cuda_attention.ts."""
import json
import sys

import torch
import torch.nn.functional as F
from torch.nn.attention import SDPBackend, sdpa_kernel

# name, B, H, Hkv, T, S, D, causal (kv_offset = S - T when causal: the queries are the last T positions)
CASES = [
    ("B4 H16 T2048 D128", 4, 16, 16, 2048, 2048, 128, True),
    ("B8 H32 T1024 D64", 8, 32, 32, 1024, 1024, 64, True),
    ("B4 H24 Hkv8 T2048 D64", 4, 24, 8, 2048, 2048, 64, True),
    ("B1 H36 T4096 D64", 1, 36, 36, 4096, 4096, 64, True),
    ("decode B1 H32 Hkv8 T1 S32768 D128", 1, 32, 8, 1, 32768, 128, True),
    ("decode B8 H16 Hkv4 T4 S8192 D64", 8, 16, 4, 4, 8192, 64, True),
]


def time(fn, samples=10, warmup=2):
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    fn()
    end.record()
    end.synchronize()
    batch = max(1, int(0.02 / max(start.elapsed_time(end) / 1e3, 1e-6)))
    runs = []
    for _ in range(samples):
        start.record()
        for _ in range(batch):
            fn()
        end.record()
        end.synchronize()
        runs.append(start.elapsed_time(end) / 1e3 / batch)
    return sorted(runs)[len(runs) // 2]


def main():
    out = {}
    for name, B, H, Hkv, T, S, D, causal in CASES:
        q = torch.randn(B, H, T, D, device="cuda", dtype=torch.bfloat16, requires_grad=True)
        k = torch.randn(B, Hkv, S, D, device="cuda", dtype=torch.bfloat16, requires_grad=True)
        v = torch.randn(B, Hkv, S, D, device="cuda", dtype=torch.bfloat16, requires_grad=True)
        go = torch.randn(B, H, T, D, device="cuda", dtype=torch.bfloat16)
        gqa = H != Hkv
        # Decoding (T < S): the queries are the last T positions, so causal masks nothing; flash's
        # is_causal would align the mask to the top left, so decode rows run without it.
        is_causal = causal and T == S

        def fwd():
            return F.scaled_dot_product_attention(q, k, v, is_causal=is_causal, enable_gqa=gqa)

        def fwdbwd():
            fwd().backward(go)
            q.grad = k.grad = v.grad = None

        row = {}
        try:
            with sdpa_kernel(SDPBackend.FLASH_ATTENTION):
                row["fwd"] = time(lambda: fwd())
                if T == S:
                    row["fwdbwd"] = time(fwdbwd)
            row["backend"] = "flash"
        except RuntimeError as e:  # no flash kernel for this shape: let SDPA choose
            print(f"{name}: flash unavailable ({str(e).splitlines()[0]}), default SDPA", file=sys.stderr)
            row["fwd"] = time(lambda: fwd())
            if T == S:
                row["fwdbwd"] = time(fwdbwd)
            row["backend"] = "default"
        # For reference: the cuDNN backend, which SDPA's default dispatch prefers on Hopper (when it applies).
        try:
            with sdpa_kernel(SDPBackend.CUDNN_ATTENTION):
                row["cudnn_fwd"] = time(lambda: fwd())
                if T == S:
                    row["cudnn_fwdbwd"] = time(fwdbwd)
        except RuntimeError as e:
            print(f"{name}: cuDNN attention unavailable ({str(e).splitlines()[0]})", file=sys.stderr)
        out[name] = row
        del q, k, v, go
        torch.cuda.empty_cache()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
