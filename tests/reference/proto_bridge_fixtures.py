#!/usr/bin/python3
"""protoLRFC forward/backward reference (spec §1.4), written here in plain torch
as the authors' module computes it:
    w = x @ A.T @ B.T ; w = w.view(Bs, P, T) ; y = prototypes @ w   -> (Bs, d_old, T)
then laid out for the old FM: 'raw' = y.reshape(Bs, T, d_old) memory as is
(LaBraM's reshape), 'transpose' = y.permute(0, 2, 1) (HuBERT-ECG, NormWear).
Gradients come from autograd with a fixed random upstream gradient.

    /usr/bin/python3 tests/reference/proto_bridge_fixtures.py tests/fixtures/bridge
"""
import os
import sys

import torch

out = sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/bridge"
os.makedirs(out, exist_ok=True)
torch.manual_seed(2510)


def save(name, t):
    with open(os.path.join(out, name), "w") as f:
        f.write("\n".join("%.9g" % v for v in t.detach().double().reshape(-1).tolist()) + "\n")


Bs, d_new, d_old, r, P, T = 3, 12, 10, 4, 6, 7
for layout in ("raw", "transpose"):
    x = torch.randn(Bs, d_new)
    A = torch.randn(r, d_new, requires_grad=True)
    B = (0.3 * torch.randn(P * T, r)).requires_grad_(True)
    proto = torch.randn(d_old, P, requires_grad=True)
    w = (x @ A.T @ B.T).view(Bs, P, T)
    y = proto @ w
    y = y.reshape(Bs, T, d_old) if layout == "raw" else y.permute(0, 2, 1)
    g = torch.randn_like(y)
    (y * g).sum().backward()
    prefix = f"proto_{layout}_"
    save(prefix + "shape.txt", torch.tensor([Bs, d_new, d_old, r, P, T]))
    for name, t in (("x", x), ("A", A), ("B", B), ("prototypes", proto), ("out", y), ("dout", g),
                    ("dA", A.grad), ("dB", B.grad), ("dprototypes", proto.grad)):
        save(prefix + name + ".txt", t)
print("fixtures written to", out)
