#!/usr/bin/python3
"""Bridge training steps done the reference way (spec §1.4), in plain torch with
the small random-weight foundation models of tests/fixtures/models/:

  * both FMs are run in full with no_grad: the old FM's last-layer output is the
    target, the new FM's layer-m output is mean-pooled over its token axis;
  * the bridge output replaces the input of old layer l through a
    forward_pre_hook and the WHOLE old FM is run again with grad enabled;
  * CosineEmbeddingLoss(target +1) on the flattened last-layer outputs,
    backward, Adam(lr) on A, B, prototypes.

Directions:
  ecg2eeg_raw:  new = HuBERT-ECG (2 layers, hidden 128), m = 1
                old = LaBraM (depth 2, 6 ch × 3 s, 19 tokens), l = 1 — raw reshape
  eeg2ecg_tr:   new = LaBraM, m = 0; old = HuBERT-ECG, l = 0 — permute(0, 2, 1)
Five Adam steps on fixed batches (step k uses windows (3k + [0..3]) mod 8).
Computed in float64 from the float32 checkpoints.

    /usr/bin/python3 tests/reference/bridge_step_fixtures.py tests/fixtures/bridge
"""
import json
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "models"))
import hubert_ecg  # noqa: E402,F401  (the pickled config class must be importable)
import labram  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(HERE))
OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "tests/fixtures/bridge")
MODELS = os.path.join(ROOT, "tests/fixtures/models")
torch.set_default_dtype(torch.float64)


def load_labram():
    m = labram.LaBraMStudent(depth=2, time_rows=16, vocab=64)
    sd = torch.load(os.path.join(MODELS, "labram_pre/labram-base.pth"))["model"]
    m.load_state_dict({k[len("student."):]: v for k, v in sd.items() if k.startswith("student.")})
    return m.double().eval(), list(m.blocks)


def load_hubert():
    ck = torch.load(os.path.join(MODELS, "hubert/hubert_ecg_small.pt"))
    m = hubert_ecg.HuBERTECG(ck["model_config"])
    m.load_state_dict(ck["model_state_dict"])
    return m.double().eval(), list(m.encoder.layers)


def run(model, layers, x, pre_hook_layer=None, injected=None):
    """Full forward: embed + every hook layer; returns per-layer outputs.
    With pre_hook_layer the input of that layer is replaced (as the reference's
    forward_pre_hook does) and earlier layers still run."""
    h = model.embed(x)
    outs = []
    for i, layer in enumerate(layers):
        if i == pre_hook_layer:
            h = injected
        h = layer(h)
        outs.append(h)
    return outs


def save(name, arr):
    np.save(os.path.join(OUT, name), np.ascontiguousarray(np.asarray(arr, dtype=np.float32)))


def direction(name, old, new, m, l, r, P, lr, layout, x_old, x_new):
    old_model, old_layers = old
    new_model, new_layers = new
    torch.manual_seed(11)
    with torch.no_grad():
        targets = run(old_model, old_layers, x_old)[-1]            # (N, T_L, d_L)
        feats = run(new_model, new_layers, x_new)[m].mean(dim=1)   # (N, d_new)
        layer_in = old_model.embed(x_old) if l == 0 else run(old_model, old_layers, x_old)[l - 1]
    N, T_l, d_l = layer_in.shape
    d_new = feats.shape[1]
    if layout == "raw":
        d_old, T = d_l, T_l      # y (Bs, 200, T) raw-reshaped to (Bs, T, 200)
    else:
        d_old, T = d_l, T_l      # y (Bs, d, T) permuted to (Bs, T, d)
    A = torch.empty(r, d_new)
    torch.nn.init.kaiming_uniform_(A, a=5 ** 0.5)
    B = torch.zeros(P * T, r)
    proto = torch.randn(d_old, P)
    save(f"step_{name}_A0.npy", A)
    save(f"step_{name}_prototypes0.npy", proto)
    A.requires_grad_(True), B.requires_grad_(True), proto.requires_grad_(True)
    opt = torch.optim.Adam([A, B, proto], lr=lr)
    losses, grad_B0 = [], None
    for k in range(5):
        idx = [(3 * k + j) % N for j in range(4)]
        w = (feats[idx] @ A.T @ B.T).view(len(idx), P, T)
        y = proto @ w
        y = y.reshape(len(idx), T, d_old) if layout == "raw" else y.permute(0, 2, 1)
        pred = run(old_model, old_layers, x_old[idx], pre_hook_layer=l, injected=y)[-1]
        loss = torch.nn.CosineEmbeddingLoss()(pred.reshape(len(idx), -1), targets[idx].reshape(len(idx), -1),
                                              torch.ones(len(idx)))
        opt.zero_grad()
        loss.backward()
        if k == 0:
            grad_B0 = B.grad.clone()
            assert A.grad.abs().max() == 0 and proto.grad.abs().max() == 0
        opt.step()
        losses.append(loss.item())
    save(f"step_{name}_features.npy", feats)
    save(f"step_{name}_targets.npy", targets)
    save(f"step_{name}_losses.npy", losses)
    save(f"step_{name}_gradB0.npy", grad_B0)
    save(f"step_{name}_A5.npy", A.detach())
    save(f"step_{name}_B5.npy", B.detach())
    return dict(m=m, l=l, r=r, P=P, T=T, d_new=d_new, d_old=d_old, lr=lr, layout=layout, losses=losses)


def main():
    os.makedirs(OUT, exist_ok=True)
    g = torch.Generator().manual_seed(2025)
    N = 8
    raw_eeg = 40.0 * torch.randn(N, 6, 600, generator=g, dtype=torch.float32)   # µV, 3 s at 200 Hz
    raw_ecg = torch.randn(N, 1, 3000, generator=g, dtype=torch.float32)         # z-scored, 30 s at 100 Hz
    save("step_raw_eeg.npy", raw_eeg)
    save("step_raw_ecg.npy", raw_ecg)
    x_eeg = (raw_eeg.double() / 100).reshape(N, 6, 3, 200)
    x_ecg = raw_ecg.double().reshape(N, 3000)
    lab, hub = load_labram(), load_hubert()
    meta = {
        "ecg2eeg_raw": direction("ecg2eeg_raw", lab, hub, m=1, l=1, r=4, P=8, lr=1e-3, layout="raw",
                                 x_old=x_eeg, x_new=x_ecg),
        "eeg2ecg_tr": direction("eeg2ecg_tr", hub, lab, m=0, l=0, r=4, P=6, lr=1e-3, layout="transpose",
                                x_old=x_ecg, x_new=x_eeg),
    }
    with open(os.path.join(OUT, "step_meta.json"), "w") as f:
        json.dump(meta, f, indent=1)
        f.write("\n")
    print(json.dumps(meta, indent=1))


if __name__ == "__main__":
    main()
