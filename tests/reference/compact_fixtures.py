#!/usr/bin/python3
"""Plain-torch reference of the compact encoder (core/models/bx-compact.h).

Writes tests/fixtures/compact/: a tiny random model as safetensors (the
project's layout and __metadata__), a raw input, every block's output, the
input gradient of block 0 and, for a masked forward, the last output and the
gradient of every parameter (and mask_token) for loss = sum(R * last),
R[i] = sin(0.7071 i + 0.3). Computed in float64.
Run: /usr/bin/python3 tests/reference/compact_fixtures.py
"""
import json
import math
import os
import struct

import numpy as np
import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "compact")
D, DEPTH, H, P, CMAX, NMAX = 16, 2, 2, 10, 3, 4
B, C, N = 2, 2, 3
S = N * P
T = 1 + C * N
torch.manual_seed(7)


def layout():
    F = 4 * D
    L = [("patch_embed.weight", (D, P)), ("patch_embed.bias", (D,)), ("cls_token", (D,)),
         ("channel_embed", (CMAX, D)), ("time_embed", (NMAX, D))]
    for i in range(DEPTH):
        b = "blocks.%d." % i
        L += [(b + "norm1.weight", (D,)), (b + "norm1.bias", (D,)), (b + "attn.qkv.weight", (3 * D, D)),
              (b + "attn.qkv.bias", (3 * D,)), (b + "attn.proj.weight", (D, D)), (b + "attn.proj.bias", (D,)),
              (b + "norm2.weight", (D,)), (b + "norm2.bias", (D,)), (b + "mlp.fc1.weight", (F, D)),
              (b + "mlp.fc1.bias", (F,)), (b + "mlp.fc2.weight", (D, F)), (b + "mlp.fc2.bias", (D,))]
    return L


params = {}
for name, shape in layout():
    if name.endswith("norm1.weight") or name.endswith("norm2.weight"):
        t = 1.0 + 0.1 * torch.randn(shape)
    else:
        t = 0.3 * torch.randn(shape)
    params[name] = t.float()
mask_token = (0.3 * torch.randn(D)).float()


def write_safetensors(path, tensors, meta):
    header = {"__metadata__": meta}
    off = 0
    blobs = []
    for name, t in tensors:
        b = t.numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        off += len(b)
        blobs.append(b)
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def prepare(raw):
    m = raw.mean(-1, keepdim=True)
    sd = ((raw - m) ** 2).mean(-1, keepdim=True).sqrt()
    return (raw - m) / (sd + 1e-6)


def encoder(p, x, mask=None, mtok=None, capture=None):
    """x (B, C, S) prepared → list of block outputs (B, T, D)."""
    e = x.reshape(B, C * N, P) @ p["patch_embed.weight"].T + p["patch_embed.bias"]
    if mask is not None:
        e = torch.where(mask[..., None], mtok.expand_as(e), e)
    ce = p["channel_embed"][:C].repeat_interleave(N, 0)
    te = p["time_embed"][:N].repeat(C, 1)
    tok = torch.cat([p["cls_token"].expand(B, 1, D), e + ce + te], 1)
    if capture is not None:
        capture.append(tok)
    outs = []
    hd = D // H
    for i in range(DEPTH):
        g = lambda k: p["blocks.%d.%s" % (i, k)]
        h = torch.nn.functional.layer_norm(tok, (D,), g("norm1.weight"), g("norm1.bias"), 1e-5)
        qkv = h @ g("attn.qkv.weight").T + g("attn.qkv.bias")
        q, k, v = qkv.split(D, -1)
        q = q.reshape(B, T, H, hd).transpose(1, 2)
        k = k.reshape(B, T, H, hd).transpose(1, 2)
        v = v.reshape(B, T, H, hd).transpose(1, 2)
        a = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(hd), -1) @ v
        a = a.transpose(1, 2).reshape(B, T, D)
        x1 = tok + a @ g("attn.proj.weight").T + g("attn.proj.bias")
        h2 = torch.nn.functional.layer_norm(x1, (D,), g("norm2.weight"), g("norm2.bias"), 1e-5)
        m = torch.nn.functional.gelu(h2 @ g("mlp.fc1.weight").T + g("mlp.fc1.bias"))
        tok = x1 + m @ g("mlp.fc2.weight").T + g("mlp.fc2.bias")
        outs.append(tok)
    return outs


def save_txt(name, t):
    np.savetxt(os.path.join(OUT, name), t.detach().double().numpy().reshape(-1), fmt="%.9g")


os.makedirs(OUT, exist_ok=True)
meta = {"format": "bioxbridge-compact", "modality": "eeg", "rate": "100", "patch": str(P), "dim": str(D),
        "depth": str(DEPTH), "heads": str(H)}
write_safetensors(os.path.join(OUT, "model.safetensors"), [(n, params[n]) for n, _ in layout()], meta)

raw = (40.0 * torch.randn(B, C, S) + 5.0).float()
save_txt("input.txt", raw)
p64 = {k: v.double().requires_grad_(True) for k, v in params.items()}
x = prepare(raw.double())
R = torch.sin(0.7071 * torch.arange(B * T * D, dtype=torch.float64) + 0.3).reshape(B, T, D)

# 1) unmasked: every block output, and dL/d(input of block 0) for L = sum(R * last)
cap = []
outs = encoder(p64, x, capture=cap)
cap[0].retain_grad()
(outs[-1] * R).sum().backward()
save_txt("layers.txt", torch.stack(outs, 0))
save_txt("d_in.txt", cap[0].grad)

# 2) masked: last output, gradients of every parameter and of mask_token
p64 = {k: v.double().requires_grad_(True) for k, v in params.items()}
mt = mask_token.double().requires_grad_(True)
mask = torch.zeros(B, C * N, dtype=torch.bool)
mask[0, [1, 4]] = True
mask[1, [0, 2, 5]] = True
outs = encoder(p64, x, mask=mask, mtok=mt)
(outs[-1] * R).sum().backward()
save_txt("mask.txt", mask.int())
save_txt("mask_token.txt", mask_token)
save_txt("masked_last.txt", outs[-1])
save_txt("grads.txt", torch.cat([p64[n].grad.reshape(-1) for n, _ in layout()] + [mt.grad.reshape(-1)]))
print("wrote", OUT)
