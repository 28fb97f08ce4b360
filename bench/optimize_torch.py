#!/usr/bin/python3
"""PyTorch side of the learned-planning speed benchmark (run by bench/optimize.sh).

usage: optimize_torch.py DIR SECONDS

PyTorch's bare forward of the policy model's encoder: the files
`bench/optimize prep` wrote (DIR/weights.bin, the library's weights file;
DIR/inputs.bin, the pipeline's edges and features; DIR/output.bin, the
library's stage embeddings), read and built exactly as bench/encoder_torch.py
does (its weights reader, the model of tests/ref/encoder_ref.py, float32,
all outputs: embeddings, stage head and pipeline head), checked against
the C output, then timed at batch 1 on one thread under
torch.inference_mode, eager and as a frozen torch.jit trace. Prints
  torch_us=<faster wall median> torch_cpu_us=<its thread-CPU median>
  eager_us=.. jit_us=.. eager_cpu_us=.. jit_cpu_us=.. reps=<n> maxdiff=<..>
"""
import os
import sys
import time

import numpy as np
import torch

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
from encoder_torch import load  # noqa: E402


def medians(fn, seconds):
    """Wall and thread-CPU medians in microseconds of repeated calls (~seconds, 7..2000)."""
    fn()
    t0 = time.perf_counter()
    fn()
    one = time.perf_counter() - t0
    reps = int(min(2000, max(7, seconds / max(one, 1e-6))))
    wall, cpu = [], []
    for _ in range(reps):
        t0 = time.perf_counter()
        c0 = time.thread_time()
        fn()
        cpu.append(time.thread_time() - c0)
        wall.append(time.perf_counter() - t0)
    return float(np.median(wall)) * 1e6, float(np.median(cpu)) * 1e6, reps


def main():
    d, seconds = sys.argv[1], float(sys.argv[2])
    torch.set_num_threads(1)
    model, (x, relt, allowed, ns), c_out = load(d)
    with torch.inference_mode():
        out = model(x, relt, allowed, ns)
        maxdiff = float(np.abs(out["y"][0, 1:].numpy() - c_out).max())
        eager = medians(lambda: model(x, relt, allowed, ns), seconds)

    class All(torch.nn.Module):
        """Every output the policy reads: embeddings and both heads."""

        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, a, b, c, e):
            o = self.m(a, b, c, e)
            return o["y"], o["stage_heads_padded"], o["pipeline_heads"]

    with torch.no_grad():
        traced = torch.jit.freeze(torch.jit.trace(All(model).eval(), (x, relt, allowed, ns)))
    with torch.inference_mode():
        jit = medians(lambda: traced(x, relt, allowed, ns), seconds)
    best = eager if eager[0] <= jit[0] else jit
    print("torch_us=%.1f torch_cpu_us=%.1f eager_us=%.1f jit_us=%.1f eager_cpu_us=%.1f jit_cpu_us=%.1f reps=%d maxdiff=%.2g"
          % (best[0], best[1], eager[0], jit[0], eager[1], jit[1], eager[2], maxdiff))


if __name__ == "__main__":
    main()
