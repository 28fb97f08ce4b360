#!/usr/bin/python3
"""PyTorch side of the encoder benchmark (run by bench/encoder.sh).

usage: encoder_torch.py DIR THREADS SECONDS

Reads the weights file the C side wrote (DIR/weights.bin, the library's own
format, parsed here independently), the pipeline (DIR/inputs.bin) and the
C output (DIR/output.bin); builds the same model in float32 (the model of
tests/ref/encoder_ref.py), checks that it reproduces the C stage
embeddings, then times batch-1 forwards under torch.inference_mode in
eager mode and as a frozen torch.jit trace, and prints
  torch_us=<faster median> eager_us=<..> jit_us=<..> reps=<n> maxdiff=<..>
Pipelines above the sparse threshold run as dense attention with the
sparse path's mask (same result, dense cost).
"""
import os
import struct
import sys
import time
import zlib

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "ref"))
import encoder_ref as ref  # noqa: E402


def read_weights(path):
    b = open(path, "rb").read()
    assert b[:8] == b"GDFO-NN\0", "bad magic"
    assert struct.unpack_from("<I", b, 8)[0] == 1, "bad version"
    assert zlib.crc32(b[:-4]) == struct.unpack_from("<I", b, len(b) - 4)[0], "bad checksum"
    w = struct.unpack_from("<25I", b, 16)
    cfg = dict(F=w[0], d=w[1], L=w[2], H=w[3], threshold=w[5], hops=w[6],
               stage_heads=list(w[8:8 + w[7]]), pipeline_heads=list(w[17:17 + w[16]]))
    at = 16 + 4 * 25 + 8
    n = struct.unpack_from("<I", b, at)[0]
    at += 4
    params = {}
    for _ in range(n):
        nl = struct.unpack_from("<I", b, at)[0]
        name = b[at + 4:at + 4 + nl].decode()
        at += 4 + nl
        rows, cols, off = struct.unpack_from("<IIQ", b, at)
        at += 16
        params[name] = torch.from_numpy(np.frombuffer(b, "<f4", rows * cols, off).reshape(rows, cols).copy())
    return cfg, params


def median_us(fn, seconds):
    fn()
    t0 = time.perf_counter()
    fn()
    one = time.perf_counter() - t0
    reps = int(min(2000, max(7, seconds / max(one, 1e-6))))
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return float(np.median(ts)) * 1e6, reps


def load(d):
    """The model and inputs the C side wrote to d (weights.bin, inputs.bin,
    output.bin): (model, (x, relations, allowed, ns), the C stage embeddings)."""
    cfg, params = read_weights(os.path.join(d, "weights.bin"))
    raw = open(os.path.join(d, "inputs.bin"), "rb").read()
    n, ne, F, _ = struct.unpack_from("<4I", raw, 0)
    assert F == cfg["F"], "features: inputs %d, weights %d" % (F, cfg["F"])
    edges = np.frombuffer(raw, "<u4", 2 * ne, 16).reshape(ne, 2).tolist()
    feats = np.frombuffer(raw, "<f4", n * F, 16 + 8 * ne).reshape(n, F)
    c_out = np.fromfile(os.path.join(d, "output.bin"), "<f4").reshape(n, cfg["d"])
    rel = ref.relations(n, edges, n > cfg["threshold"], cfg["hops"])
    model = ref.Encoder(cfg, params).float().eval()
    x = torch.from_numpy(feats.copy()).unsqueeze(0)
    relt = torch.from_numpy(rel).clamp(min=0).unsqueeze(0)
    allowed = torch.from_numpy(rel >= 0).unsqueeze(0)
    return model, (x, relt, allowed, torch.tensor([n])), c_out


def main():
    d, threads, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    torch.set_num_threads(threads)
    model, (x, relt, allowed, ns), c_out = load(d)
    with torch.inference_mode():
        out = model(x, relt, allowed, ns)["y"][0, 1:].numpy()
        maxdiff = float(np.abs(out - c_out).max())
        eager_us, reps = median_us(lambda: model(x, relt, allowed, ns), seconds)

    class Y(torch.nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, a, b, c, e):
            return self.m(a, b, c, e)["y"]

    with torch.no_grad():
        traced = torch.jit.freeze(torch.jit.trace(Y(model).eval(), (x, relt, allowed, ns)))
    with torch.inference_mode():
        jit_us, _ = median_us(lambda: traced(x, relt, allowed, ns), seconds)
    print("torch_us=%.1f eager_us=%.1f jit_us=%.1f reps=%d maxdiff=%.2g"
          % (min(eager_us, jit_us), eager_us, jit_us, reps, maxdiff))


if __name__ == "__main__":
    main()
