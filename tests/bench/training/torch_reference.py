#!/usr/bin/python3
"""PyTorch side of bench-training: bridge training done the reference way
(spec §1.4): every step forwards BOTH full foundation models under no_grad,
pools the new model's layer-m output, runs the bridge, injects its output as
the input of old layer l (forward_pre_hook semantics: the WHOLE old model is run
again with grad enabled, layers < l recomputed and discarded), cosine loss on
the last-layer output, backward, Adam on A, B, prototypes.

    torch_reference.py --out DIR --direction eeg2ecg|ecg2eeg --steps K --threads T --batch B

Writes the full-size random-weight checkpoints the C bench loads
(DIR/labram_isruc.pth: LaBraM-base fine-tune layout, 30 time rows;
DIR/hubert_ecg_small.pt: HuBERT-ECG small) unless they exist, then prints one
JSON line with the measured steps/s (after one warm-up step).
"""
import argparse
import json
import os
import sys
import time

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
sys.path.insert(0, os.path.join(ROOT, "tests", "reference", "models"))
import hubert_ecg  # noqa: E402
import labram  # noqa: E402

DIRECTIONS = {
    # old FM, l, new FM, m, r, P  (spec §1.7)
    "eeg2ecg": dict(old="labram", l=2, new="hubert", m=7, r=32, P=300, lr=1e-5),
    "ecg2eeg": dict(old="hubert", l=0, new="labram", m=11, r=4, P=200, lr=1e-4),
}


def make_models(out):
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    lab_path = os.path.join(out, "labram_isruc.pth")
    hub_path = os.path.join(out, "hubert_ecg_small.pt")
    if not os.path.exists(lab_path):
        m = labram.LaBraM(depth=12, time_rows=30, num_classes=2)
        with torch.no_grad():
            for p in m.parameters():
                if p.dim() > 1:
                    p.normal_(0, 0.02)
            m.cls_token.normal_(0, 0.02)
            m.time_embed.normal_(0, 0.02)
        torch.save({"model": m.state_dict()}, lab_path)
    if not os.path.exists(hub_path):
        c = hubert_ecg.HuBERTECGConfig()
        m = hubert_ecg.HuBERTECG(c)
        torch.save({"model_state_dict": m.state_dict(), "model_config": c}, hub_path)
    return lab_path, hub_path


def load(kind, lab_path, hub_path):
    if kind == "labram":
        m = labram.LaBraM(depth=12, time_rows=30, num_classes=2)
        m.load_state_dict(torch.load(lab_path)["model"])
        return m.eval(), list(m.blocks)
    ck = torch.load(hub_path)
    m = hubert_ecg.HuBERTECG(ck["model_config"])
    m.load_state_dict(ck["model_state_dict"])
    return m.eval(), list(m.encoder.layers)


def inputs(kind, batch, g):
    if kind == "labram":
        return (40.0 * torch.randn(batch, 6, 6000, generator=g) / 100).reshape(batch, 6, 30, 200)
    return torch.randn(batch, 3000, generator=g)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--direction", default="eeg2ecg", choices=DIRECTIONS)
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=16)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    d = DIRECTIONS[a.direction]
    lab_path, hub_path = make_models(a.out)
    old, old_layers = load(d["old"], lab_path, hub_path)
    new, new_layers = load(d["new"], lab_path, hub_path)
    for p in list(old.parameters()) + list(new.parameters()):
        p.requires_grad_(False)  # LaBraM is frozen in the reference; cheaper for the others
    g = torch.Generator().manual_seed(1)
    x_old, x_new = inputs(d["old"], a.batch, g), inputs(d["new"], a.batch, g)

    captured = {}
    new_layers[d["m"]].register_forward_hook(lambda mod, i, o: captured.__setitem__("new", o))
    # shapes for the bridge
    with torch.no_grad():
        h = old.embed(x_old)
        for i in range(d["l"]):
            h = old_layers[i](h)
    T, d_old = h.shape[1], h.shape[2]
    d_new = 200 if d["new"] == "labram" else 512
    A = torch.empty(d["r"], d_new)
    torch.nn.init.kaiming_uniform_(A, a=5 ** 0.5)
    B = torch.zeros(d["P"] * T, d["r"])
    proto = torch.randn(d_old, d["P"])
    for t in (A, B, proto):
        t.requires_grad_(True)
    opt = torch.optim.Adam([A, B, proto], lr=d["lr"])
    layout_raw = d["old"] == "labram"

    def full(model, layers, x):
        h = model.embed(x)
        for layer in layers:
            h = layer(h)
        return h

    def step():
        with torch.no_grad():
            target = full(old, old_layers, x_old)
            full(new, new_layers, x_new)
            feat = captured["new"].mean(dim=1)
        w = (feat @ A.T @ B.T).view(a.batch, d["P"], T)
        y = proto @ w
        y = y.reshape(a.batch, T, d_old) if layout_raw else y.permute(0, 2, 1)
        hook = old_layers[d["l"]].register_forward_pre_hook(lambda mod, inp: (y,))
        pred = full(old, old_layers, x_old)
        hook.remove()
        loss = torch.nn.CosineEmbeddingLoss()(pred.reshape(a.batch, -1), target.reshape(a.batch, -1),
                                              torch.ones(a.batch))
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.item()

    step()  # warm-up
    t0 = time.perf_counter()
    for _ in range(a.steps):
        step()
    dt = time.perf_counter() - t0
    print(json.dumps(dict(direction=a.direction, steps=a.steps, seconds=dt, steps_per_s=a.steps / dt,
                          threads=a.threads, batch=a.batch, T=T, d_old=d_old, d_new=d_new)))


if __name__ == "__main__":
    main()
