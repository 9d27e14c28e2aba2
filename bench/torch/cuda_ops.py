"""PyTorch side of bench/cuda.ts: the same ops and shapes, timed with CUDA events around a batch of
back-to-back calls (median over 20 batches after a warm-up). Prints one JSON object {op: seconds per
call}; bench/cuda.sh feeds it to bench/cuda.ts, which prints the table."""
import json
import sys

import torch
import torch.nn.functional as F


def time(fn, batch, samples=20, warmup=3):
    """Median seconds per call."""
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    runs = []
    for _ in range(samples):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        for _ in range(batch):
            fn()
        end.record()
        end.synchronize()
        runs.append(start.elapsed_time(end) / 1e3 / batch)
    return sorted(runs)[len(runs) // 2]


def main():
    dev = "cuda"
    out = {}

    n_rows, c = 16384, 2304
    x = torch.randn(n_rows, c, device=dev, dtype=torch.bfloat16)
    gy = torch.randn(n_rows, c, device=dev, dtype=torch.bfloat16)
    w = torch.full((c,), 1.1, device=dev, dtype=torch.bfloat16)
    y = torch.empty_like(x)
    out["copy bf16 16384×2304 (reference)"] = time(lambda: y.copy_(x), 50)
    out["add bf16 16384×2304"] = time(lambda: x + gy, 50)
    out["RMSNorm fwd bf16 16384×2304"] = time(lambda: F.rms_norm(x, (c,), w, 1e-5), 50)
    xg, wg = x.clone().requires_grad_(), w.clone().requires_grad_()

    def rms_fwd_bwd():
        F.rms_norm(xg, (c,), wg, 1e-5).backward(gy)
        xg.grad = None
        wg.grad = None

    out["RMSNorm fwd+bwd bf16 16384×2304"] = time(rms_fwd_bwd, 20)
    del x, gy, xg, wg, y

    n, v = 8192, 122753
    logits = torch.randn(n, v, device=dev, dtype=torch.bfloat16).requires_grad_()
    targets = (torch.arange(n, device=dev) * 7919) % v

    def ce_fwd_bwd():
        F.cross_entropy(logits, targets).backward()
        logits.grad = None

    out["cross-entropy fwd+bwd bf16 8192×122753"] = time(ce_fwd_bwd, 5)
    del logits

    params = [torch.full((2_500_000,), 0.5, device=dev, requires_grad=True) for _ in range(200)]
    for p in params:
        p.grad = torch.full_like(p, 0.01)
    opt = torch.optim.AdamW(params, lr=1e-3, betas=(0.9, 0.95), eps=1e-8, weight_decay=0.1, fused=True)
    out["AdamW 500M f32 params / 200 tensors"] = time(opt.step, 10)
    del params, opt

    a = torch.randn(8192, 8192, device=dev, dtype=torch.bfloat16)
    b = torch.randn(8192, 8192, device=dev, dtype=torch.bfloat16)
    out["GEMM bf16 8192³"] = time(lambda: a @ b, 5)

    print(f"PyTorch {torch.__version__} on {torch.cuda.get_device_name()}", file=sys.stderr)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
