# PyTorch counterpart of bench/cuda.ts: the same shapes, timed the same way (queued calls, one sync).
import time

import torch
import torch.nn.functional as F


def per_call(fn, repeats, warmup=2):
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(repeats):
        fn()
    torch.cuda.synchronize()
    return (time.perf_counter() - t0) / repeats


dev = "cuda"
n = 8192
a = torch.randn(n, n, dtype=torch.bfloat16, device=dev)
b = torch.randn(n, n, dtype=torch.bfloat16, device=dev)
s = per_call(lambda: torch.matmul(a, b), 20)
print(f"torch.matmul bf16 {n}^3: {2 * n**3 / s / 1e12:.1f} TFLOP/s")

B, H, T, D = 4, 16, 2048, 128
q, k, v = (torch.randn(B, H, T, D, dtype=torch.bfloat16, device=dev, requires_grad=True) for _ in range(3))
go = torch.randn(B, H, T, D, dtype=torch.bfloat16, device=dev)
fwd_flops = 4 * B * H * T * T * D / 2
sf = per_call(lambda: F.scaled_dot_product_attention(q, k, v, is_causal=True), 10)
o = F.scaled_dot_product_attention(q, k, v, is_causal=True)
sb = per_call(lambda: torch.autograd.grad(o, (q, k, v), go, retain_graph=True), 10)
print(f"torch sdpa fwd bf16 B{B} H{H} T{T} D{D} causal: {fwd_flops / sf / 1e12:.2f} TFLOP/s")
print(f"torch sdpa bwd bf16 B{B} H{H} T{T} D{D} causal: {2.5 * fwd_flops / sb / 1e12:.2f} TFLOP/s")
