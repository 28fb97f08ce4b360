#!/usr/bin/python3
"""Reference implementation of the libgdfo graph encoder in PyTorch.

Builds the model of docs/encoder.md with torch operations (float64 for the
fixtures), computes relation buckets independently of the C code, and
writes the fixtures the C tests compare against (tests/fixtures/nn/*.bin):
inputs, relation buckets (with -1 for pairs the sparse path drops),
weights, outputs, gradients of a scalar loss with respect to every
parameter and the input features, and the parameters after a few AdamW
steps with gradient-norm clipping.

Run from the project root:  /usr/bin/python3 tests/ref/encoder_ref.py
The bench (bench/encoder_torch.py) imports the model from here.

Fixture file format (little-endian): b"GDFOFIX1", u32 array count, then per
array: u32 name length, name bytes, u32 ndim, u32 dims[ndim], float64 data.
"""
import math
import os
import struct
import sys

import numpy as np
import torch
import torch.nn.functional as Fn

RELATIONS = 13
REL_SELF, REL_PARENT, REL_CHILD = 0, 1, 2
REL_ANC = {2: 3, 3: 4}
REL_ANC4 = 5
REL_DESC = {2: 6, 3: 7}
REL_DESC4 = 8
REL_UNRELATED, REL_TOK_STAGE, REL_STAGE_TOK, REL_TOK_SELF = 9, 10, 11, 12
LAYER_TENSORS = ["ln1_g", "ln1_b", "qkv_w", "qkv_b", "rel_bias", "proj_w", "proj_b",
                 "ln2_g", "ln2_b", "fc_w", "fc_b", "fc2_w", "fc2_b"]


def shortest_paths(n, edges):
    """dist[i][j] = length of the shortest directed path j -> ... -> i (j ancestor of i), else inf."""
    INF = float("inf")
    d = np.full((n, n), INF)
    for (u, v) in edges:
        d[v, u] = 1.0
    # Floyd-Warshall on the "ancestor" relation
    for k in range(n):
        d = np.minimum(d, d[:, k:k + 1] + d[k:k + 1, :])
    return d


def relations(n, edges, sparse, hops):
    """(T, T) relation of key j to query i; -1 where the sparse path drops the pair."""
    T = n + 1
    up = shortest_paths(n, edges)  # up[i, j]: j is an ancestor of i at this distance
    down = up.T                    # down[i, j]: j is a descendant of i
    st = np.full((n, n), REL_UNRELATED, dtype=np.int64)
    for dist, anc, desc in ((1, REL_PARENT, REL_CHILD), (2, REL_ANC[2], REL_DESC[2]),
                            (3, REL_ANC[3], REL_DESC[3])):
        st[up == dist] = anc
        st[down == dist] = desc
    st[(up >= 4) & (up < np.inf)] = REL_ANC4
    st[(down >= 4) & (down < np.inf)] = REL_DESC4
    np.fill_diagonal(st, REL_SELF)
    if sparse:
        keep = (up <= hops) | (down <= hops) | np.eye(n, dtype=bool)
        st[~keep] = -1
    rel = np.empty((T, T), dtype=np.int64)
    rel[0, 0] = REL_TOK_SELF
    rel[0, 1:] = REL_TOK_STAGE
    rel[1:, 0] = REL_STAGE_TOK
    rel[1:, 1:] = st
    return rel


def tensor_names(cfg):
    names = [("in_w", (cfg["F"], cfg["d"])), ("in_b", (1, cfg["d"])), ("token", (1, cfg["d"]))]
    d, H = cfg["d"], cfg["H"]
    shapes = [(1, d), (1, d), (d, 3 * d), (1, 3 * d), (H, RELATIONS), (d, d), (1, d),
              (1, d), (1, d), (d, 4 * d), (1, 4 * d), (4 * d, d), (1, d)]
    for l in range(cfg["L"]):
        for t, s in zip(LAYER_TENSORS, shapes):
            names.append(("layers.%d.%s" % (l, t), s))
    names += [("lnf_g", (1, d)), ("lnf_b", (1, d))]
    Ws, Wp = sum(cfg["stage_heads"]), sum(cfg["pipeline_heads"])
    if Ws:
        names += [("stage_head_w", (d, Ws)), ("stage_head_b", (1, Ws))]
    if Wp:
        names += [("pipeline_head_w", (2 * d, Wp)), ("pipeline_head_b", (1, Wp))]
    return names


def decays(name, shape):
    base = name.split(".")[-1]
    return shape[0] > 1 and base != "rel_bias"


class Encoder(torch.nn.Module):
    """The encoder on a padded batch. rel (B, T, T) int64 relation ids (0 where masked),
    allowed (B, T, T) bool; padded query rows must allow at least key 0."""

    def __init__(self, cfg, params):
        super().__init__()
        self.cfg = cfg
        self.names = [n for n, _ in tensor_names(cfg)]
        for n in self.names:
            self.register_parameter(n.replace(".", "_"), torch.nn.Parameter(params[n].clone()))

    def p(self, name):
        return getattr(self, name.replace(".", "_"))

    def forward(self, feats, rel, allowed, n_stages):
        cfg = self.cfg
        d, H, L = cfg["d"], cfg["H"], cfg["L"]
        D = d // H
        B, T, _ = rel.shape
        x_stage = feats @ self.p("in_w") + self.p("in_b")  # (B, T-1, d)
        tok = self.p("token").reshape(1, 1, d).expand(B, 1, d)
        x = torch.cat([tok, x_stage], dim=1)
        neg = torch.zeros(allowed.shape, dtype=x.dtype, device=x.device)
        neg = neg.masked_fill(~allowed, float("-inf")).unsqueeze(1)
        for l in range(L):
            pre = "layers.%d." % l
            h = Fn.layer_norm(x, (d,), self.p(pre + "ln1_g").reshape(d), self.p(pre + "ln1_b").reshape(d), 1e-5)
            qkv = h @ self.p(pre + "qkv_w") + self.p(pre + "qkv_b")
            q, k, v = qkv.split(d, dim=2)
            q = q.reshape(B, T, H, D).transpose(1, 2)
            k = k.reshape(B, T, H, D).transpose(1, 2)
            v = v.reshape(B, T, H, D).transpose(1, 2)
            bias = self.p(pre + "rel_bias")[:, rel].transpose(0, 1)  # (B, H, T, T)
            s = (q @ k.transpose(-1, -2)) * (1.0 / math.sqrt(D)) + bias + neg
            a = torch.softmax(s, dim=-1)
            o = (a @ v).transpose(1, 2).reshape(B, T, d)
            x = x + o @ self.p(pre + "proj_w") + self.p(pre + "proj_b")
            h2 = Fn.layer_norm(x, (d,), self.p(pre + "ln2_g").reshape(d), self.p(pre + "ln2_b").reshape(d), 1e-5)
            f = Fn.gelu(h2 @ self.p(pre + "fc_w") + self.p(pre + "fc_b"), approximate="tanh")
            x = x + f @ self.p(pre + "fc2_w") + self.p(pre + "fc2_b")
        y = Fn.layer_norm(x, (d,), self.p("lnf_g").reshape(d), self.p("lnf_b").reshape(d), 1e-5)
        stage_mask = (torch.arange(T - 1, device=x.device).unsqueeze(0) < n_stages.unsqueeze(1)).to(y.dtype)
        mean = (y[:, 1:] * stage_mask.unsqueeze(2)).sum(1) / n_stages.to(y.dtype).unsqueeze(1)
        pool = torch.cat([y[:, 0], mean], dim=1)
        outs = {"y": y, "pipeline_embeddings": y[:, 0]}
        if sum(cfg["stage_heads"]):
            outs["stage_heads_padded"] = y[:, 1:] @ self.p("stage_head_w") + self.p("stage_head_b")
        if sum(cfg["pipeline_heads"]):
            outs["pipeline_heads"] = pool @ self.p("pipeline_head_w") + self.p("pipeline_head_b")
        return outs


def pad_batch(cfg, feats_list, rels):
    """Pads per-pipeline features (N_b, F) and relations (T_b, T_b) to one batch."""
    B = len(feats_list)
    Nmax = max(f.shape[0] for f in feats_list)
    T = Nmax + 1
    feats = torch.zeros(B, Nmax, cfg["F"], dtype=torch.float64)
    rel = torch.zeros(B, T, T, dtype=torch.int64)
    allowed = torch.zeros(B, T, T, dtype=torch.bool)
    for b, (f, r) in enumerate(zip(feats_list, rels)):
        n = f.shape[0]
        feats[b, :n] = f
        rt = torch.from_numpy(r)
        rel[b, :n + 1, :n + 1] = rt.clamp(min=0)
        allowed[b, :n + 1, :n + 1] = rt >= 0
        allowed[b, n + 1:, 0] = True  # padded queries: attend to the token only (discarded)
    return feats, rel, allowed


def unpad(t, sizes):
    return torch.cat([t[b, :n] for b, n in enumerate(sizes)], dim=0)


def random_dag(rng, n, extra):
    """A DAG with a long spine (so distant ancestors occur) plus random extra edges."""
    edges = set()
    for i in range(1, n):
        j = i - 1 if rng.random() < 0.6 else int(rng.integers(0, i))
        edges.add((j, i))
    for _ in range(extra):
        i = int(rng.integers(1, n)) if n > 1 else 0
        if i == 0:
            continue
        j = int(rng.integers(0, i))
        edges.add((j, i))
    # shuffle stage indices so that index order is not topological
    perm = rng.permutation(n)
    return sorted((int(perm[u]), int(perm[v])) for u, v in edges)


def write_fixture(path, arrays):
    with open(path, "wb") as f:
        f.write(b"GDFOFIX1")
        f.write(struct.pack("<I", len(arrays)))
        for name, a in arrays:
            a = np.ascontiguousarray(np.asarray(a, dtype=np.float64))
            nb = name.encode()
            f.write(struct.pack("<I", len(nb)) + nb)
            f.write(struct.pack("<I", a.ndim))
            f.write(struct.pack("<%dI" % a.ndim, *a.shape))
            f.write(a.astype("<f8").tobytes())


def make_fixture(name, cfg, sizes, seed, adamw):
    rng = np.random.default_rng(seed)
    torch.manual_seed(seed)
    params = {}
    for n, shape in tensor_names(cfg):
        base = n.split(".")[-1]
        if base.endswith("_g"):
            t = 1.0 + 0.2 * rng.standard_normal(shape)
        elif base == "rel_bias":
            t = 0.7 * rng.standard_normal(shape)
        elif shape[0] == 1:
            t = 0.1 * rng.standard_normal(shape)
        else:
            t = rng.standard_normal(shape) / math.sqrt(shape[0]) * 1.2
        params[n] = torch.from_numpy(t)
    graphs, rels, feats_list = [], [], []
    for n in sizes:
        edges = random_dag(rng, n, max(0, n // 3))
        graphs.append(edges)
        sparse = n > cfg["threshold"]
        rels.append(relations(n, edges, sparse, cfg["hops"]))
        feats_list.append(torch.from_numpy(rng.standard_normal((n, cfg["F"]))))
    feats, rel, allowed = pad_batch(cfg, feats_list, rels)
    n_stages = torch.tensor(sizes)
    S, B, d = sum(sizes), len(sizes), cfg["d"]
    Ws, Wp = sum(cfg["stage_heads"]), sum(cfg["pipeline_heads"])
    R = {"stage_embeddings": torch.from_numpy(rng.standard_normal((S, d))),
         "pipeline_embeddings": torch.from_numpy(rng.standard_normal((B, d)))}
    if Ws:
        R["stage_heads"] = torch.from_numpy(rng.standard_normal((S, Ws)))
    if Wp:
        R["pipeline_heads"] = torch.from_numpy(rng.standard_normal((B, Wp)))

    model = Encoder(cfg, params).double()
    feats.requires_grad_(True)

    def run():
        o = model(feats, rel, allowed, n_stages)
        outs = {"stage_embeddings": unpad(o["y"][:, 1:], sizes),
                "pipeline_embeddings": o["pipeline_embeddings"]}
        if Ws:
            outs["stage_heads"] = unpad(o["stage_heads_padded"], sizes)
        if Wp:
            outs["pipeline_heads"] = o["pipeline_heads"]
        loss = sum((outs[k] * R[k]).sum() for k in R)
        return outs, loss

    outs, loss = run()
    loss.backward()
    arrays = [("config", [cfg["F"], d, cfg["L"], cfg["H"], cfg["threshold"], cfg["hops"],
                          len(cfg["stage_heads"])] + cfg["stage_heads"] + [0] * (8 - len(cfg["stage_heads"])) +
               [len(cfg["pipeline_heads"])] + cfg["pipeline_heads"] + [0] * (8 - len(cfg["pipeline_heads"]))),
              ("sizes", sizes)]
    for b, edges in enumerate(graphs):
        arrays.append(("edges.%d" % b, np.array(edges, dtype=np.float64).reshape(-1, 2)))
        arrays.append(("rel.%d" % b, rels[b]))
    arrays.append(("features", unpad(feats.detach(), sizes)))
    for n, _ in tensor_names(cfg):
        arrays.append(("param." + n, params[n]))
    for k in R:
        arrays.append(("dout." + k, R[k]))
        arrays.append(("out." + k, outs[k].detach()))
    arrays.append(("loss", [loss.item()]))
    for n, _ in tensor_names(cfg):
        arrays.append(("grad." + n, model.p(n).grad.detach().clone()))
    arrays.append(("grad.features", unpad(feats.grad.detach(), sizes).clone()))

    # AdamW steps with clipping; the same loss at the current parameters each step
    first_norm = math.sqrt(sum(float((model.p(n).grad ** 2).sum()) for n in model.names))
    max_norm = adamw["clip"] * first_norm
    decay = [model.p(n) for n, s in tensor_names(cfg) if decays(n, s)]
    nodecay = [model.p(n) for n, s in tensor_names(cfg) if not decays(n, s)]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": adamw["wd"]},
                             {"params": nodecay, "weight_decay": 0.0}],
                            lr=adamw["lr"], betas=(adamw["b1"], adamw["b2"]), eps=adamw["eps"])
    norms = []
    for step in range(adamw["steps"]):
        if step > 0:
            opt.zero_grad()
            _, loss = run()
            loss.backward()
        norms.append(float(torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)))
        opt.step()
    arrays.append(("adamw.settings", [adamw["lr"], adamw["b1"], adamw["b2"], adamw["eps"],
                                      adamw["wd"], max_norm, adamw["steps"]]))
    arrays.append(("adamw.norms", norms))
    for n, _ in tensor_names(cfg):
        arrays.append(("adamw." + n, model.p(n).detach()))
    os.makedirs(os.path.dirname(name), exist_ok=True)
    write_fixture(name, arrays)
    return name


CONFIGS = [
    # name, cfg, pipeline sizes, seed
    ("batch", dict(F=12, d=16, L=2, H=2, threshold=256, hops=3, stage_heads=[3, 1], pipeline_heads=[2]),
     [5, 9, 3], 11),
    ("single", dict(F=10, d=24, L=1, H=3, threshold=256, hops=3, stage_heads=[2], pipeline_heads=[1, 3]),
     [7], 12),
    ("sparse", dict(F=8, d=16, L=2, H=4, threshold=6, hops=2, stage_heads=[2], pipeline_heads=[1]),
     [14, 5, 9], 13),
    ("tiny", dict(F=6, d=8, L=1, H=1, threshold=256, hops=3, stage_heads=[], pipeline_heads=[1]),
     [1, 2], 14),
    ("deep", dict(F=9, d=32, L=3, H=4, threshold=256, hops=3, stage_heads=[4], pipeline_heads=[]),
     [12], 15),
]

ADAMW = dict(lr=1e-2, b1=0.9, b2=0.99, eps=1e-8, wd=0.1, clip=0.5, steps=3)


def main():
    torch.set_default_dtype(torch.float64)
    out_dir = sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/nn"
    for name, cfg, sizes, seed in CONFIGS:
        path = make_fixture(os.path.join(out_dir, name + ".bin"), cfg, sizes, seed, ADAMW)
        print("wrote %s (%d bytes)" % (path, os.path.getsize(path)))


if __name__ == "__main__":
    main()
