#!/usr/bin/python3
"""PyTorch side of bench-models: full-size random-weight LaBraM-base (ISRUC
6 ch × 30 s), HuBERT-ECG small (60 s at 100 Hz), PaPaGei-S (60 s at 125 Hz)
and NormWear (3 channels), built from the plain-torch references in
tests/reference/models/, saved in their real checkpoint formats together with
the batch of raw inputs, then then timed on request from bench-models (one line per run on stdin, so
the C and the torch runs alternate and share the machine's load), with the
same thread count:
  forward: eval, no_grad, the whole backbone (stem + every hook layer);
  backward: LaBraM blocks 2–11 and HuBERT-ECG layers 0–7 from the input of the
  first of them (weights frozen), L = Σ last_output ⊙ R — forward with the
  graph, then backward, timed separately.
Writes DIR/<model>.pt|pth, DIR/<model>_input.npy and DIR/torch.json, prints
"ready", then answers "<model> forward" with seconds and "<model> train" with
"forward_s backward_s".

    /usr/bin/python3 tests/bench/models/torch_models.py --out DIR --threads 2 --batch 16
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "reference", "models"))
import hubert_ecg  # noqa: E402
import labram  # noqa: E402
import normwear  # noqa: E402
import papagei  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--only", default="labram,hubert-ecg,papagei,normwear")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    os.makedirs(a.out, exist_ok=True)
    B = a.batch
    g = torch.Generator().manual_seed(1)
    only = a.only.split(",")
    runners = {}
    index = {}

    def add(name, ckpt, raw, prepared, embed, layers, back_from=None):
        """Saves the input; registers forward / train runners for the server loop."""
        np.save(os.path.join(a.out, name + "_input.npy"), raw.numpy().astype(np.float32))
        index[name] = {"checkpoint": ckpt, "input": name + "_input.npy", "backward_from": back_from}

        def forward():
            t0 = time.perf_counter()
            with torch.no_grad():
                h = embed(prepared)
                for layer in layers:
                    h = layer(h)
            return "%.6f" % (time.perf_counter() - t0)
        runners[(name, "forward")] = forward
        if back_from is None:
            return
        with torch.no_grad():
            h = embed(prepared)
            for layer in layers[:back_from]:
                h = layer(h)
        x0 = h.detach()
        R = torch.randn((x0.shape[0],) + tuple(x0.shape[1:]), generator=g)

        def train():
            t0 = time.perf_counter()
            x = x0.clone().requires_grad_(True)
            y = x
            for layer in layers[back_from:]:
                y = layer(y)
            t1 = time.perf_counter()
            (y * R).sum().backward()  # the block stacks keep the shape of their input
            t2 = time.perf_counter()
            return "%.6f %.6f" % (t1 - t0, t2 - t1)
        runners[(name, "train")] = train

    if "labram" in only:
        m = labram.LaBraM(depth=12, time_rows=30, num_classes=2).eval()
        for p in m.parameters():
            p.requires_grad_(False)
        torch.save({"model": m.state_dict()}, os.path.join(a.out, "labram.pth"))
        raw = 40.0 * torch.randn(B, 6, 6000, generator=g)
        add("labram", "labram.pth", raw, (raw / 100).reshape(B, 6, 30, 200), m.embed, list(m.blocks), back_from=2)
    if "hubert-ecg" in only:
        c = hubert_ecg.HuBERTECGConfig()
        m = hubert_ecg.HuBERTECG(c).eval()
        for p in m.parameters():
            p.requires_grad_(False)
        torch.save({"model_state_dict": m.state_dict(), "model_config": c},
                   os.path.join(a.out, "hubert_ecg_small.pt"))
        raw = torch.randn(B, 1, 6000, generator=g)
        add("hubert-ecg", "hubert_ecg_small.pt", raw, raw.reshape(B, 6000), m.embed, list(m.encoder.layers),
            back_from=0)
    if "papagei" in only:
        m = papagei.PaPaGei().eval()
        for p in m.parameters():
            p.requires_grad_(False)
        torch.save(m.state_dict(), os.path.join(a.out, "papagei_s.pt"))
        raw = torch.randn(B, 1, 7500, generator=g)
        add("papagei", "papagei_s.pt", raw, raw, m.embed, list(m.basicblock_list))
    if "normwear" in only:
        m = normwear.NormWear().eval()
        for p in m.parameters():
            p.requires_grad_(False)
        torch.save({"model": m.state_dict()}, os.path.join(a.out, "normwear.pth"))
        raw = torch.randn(B, 3, 3, 388, 65, generator=g)
        blocks = [(lambda blk: (lambda x: blk(x, 3)))(b) for b in m.encoder_blocks]
        add("normwear", "normwear.pth", raw, raw, m.embed, blocks)
    with open(os.path.join(a.out, "torch.json"), "w") as f:
        json.dump({"threads": a.threads, "batch": B, "torch": torch.__version__, "models": index}, f, indent=1)
    # Server loop: "<model> forward|train" -> seconds ("forward_s" or "forward_s backward_s")
    print("ready", flush=True)
    for line in sys.stdin:
        parts = line.split()
        if len(parts) != 2 or (parts[0], parts[1]) not in runners:
            print("error", flush=True)
            continue
        print(runners[(parts[0], parts[1])](), flush=True)


if __name__ == "__main__":
    main()
