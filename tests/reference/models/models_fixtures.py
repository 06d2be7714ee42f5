#!/usr/bin/python3
"""Golden fixtures for core/models (spec §3.1–§3.4 at the reduced sizes of §3.8).

    /usr/bin/python3 tests/reference/models/models_fixtures.py tests/fixtures/models

For every case a random-weight model (fixed seed) is saved in the real model's
on-disk format (torch.save zip archive), and the reference activations are
dumped as float32 .npy, computed in float64 from the saved float32 weights:
  raw_input.npy        batch of raw inputs as the spec's data files hold them
  prepared_input.npy   after the model's prepare step (LaBraM ÷100 + reshape,
                       HuBERT flatten, PaPaGei / NormWear identity)
  embed.npy            input of hook layer 0 (output of the stem)
  layer_NN.npy         output of hook module NN (LaBraM blocks[NN], HuBERT
                       encoder.layers[NN], PaPaGei basicblock_list[NN],
                       NormWear encoder_blocks[NN] as (B, nvar, 560, D))
  pooled_last.npy      mean over every dim but batch and feature of the last
                       layer's output (CLS tokens included, no final norm)
  grad_in_NN.npy       dL/d(input of layer NN) for L = Σ last_output ⊙ R, at
                       NN = 0 and NN = n_layers − 1 (NormWear: 0 only); R is not stored: with
                       i the flat C-order index of the last output,
                       R[i] = sin(0.7071·i + 0.3) (bx_model_test_grad_seed)
  meta.json            family, sizes, which files exist
Plus tiny PaPaGei checkpoints with a missing key and a wrong shape for the
loader's error tests.
"""
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hubert_ecg  # noqa: E402
import labram  # noqa: E402
import normwear  # noqa: E402
import papagei  # noqa: E402

OUT = sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/models"


def randomise(model, seed):
    """Every parameter and buffer random (defaults like LN weight 1 / bias 0
    would hide indexing errors)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in list(model.named_parameters()) + list(model.named_buffers()):
            if p.dtype != torch.float32:
                continue
            leaf = name.split(".")[-1]
            if name in ("pos_embed", "decoder_pos_embed"):
                continue  # fixed sin-cos
            if leaf == "running_var":
                p.copy_(torch.rand(p.shape, generator=g) + 0.5)
            elif leaf == "running_mean":
                p.copy_(0.2 * torch.randn(p.shape, generator=g))
            elif leaf in ("gamma_1", "gamma_2"):
                p.copy_(0.1 + 0.05 * torch.randn(p.shape, generator=g))
            elif leaf == "weight_g":
                p.copy_(p * (1 + 0.1 * torch.randn(p.shape, generator=g)))
            elif p.dim() == 1 and leaf == "weight":  # norms
                p.copy_(1 + 0.2 * torch.randn(p.shape, generator=g))
            elif leaf == "bias":
                p.copy_(0.1 * torch.randn(p.shape, generator=g))
            elif leaf in ("cls_token", "time_embed", "mask_token", "masked_spec_embed"):
                p.copy_(0.5 * torch.randn(p.shape, generator=g))
            else:
                fan_in = p[0].numel() if p.dim() > 1 else p.numel()
                p.copy_(torch.randn(p.shape, generator=g) / np.sqrt(fan_in))


def save_npy(d, name, t):
    np.save(os.path.join(d, name), np.ascontiguousarray(t.detach().cpu().numpy().astype(np.float32)))


def dump(case, family, model, raw, prepared, layers_fn, n_layers, run_layer, pool, seed, extra_meta):
    """layers_fn not used; run_layer(i, h) runs hook layer i on h (float64)."""
    d = os.path.join(OUT, case)
    os.makedirs(d, exist_ok=True)
    m64 = model.double().eval()
    save_npy(d, "raw_input.npy", raw)
    if family == "labram":  # the other families' prepare step is the identity or a flatten
        save_npy(d, "prepared_input.npy", prepared)
    with torch.no_grad():
        h = m64.embed(prepared.double())
        save_npy(d, "embed.npy", h if family != "normwear" else h.reshape(raw.shape[0], raw.shape[1], *h.shape[1:]))
    h0 = h.clone().requires_grad_(True)
    inputs = []
    x = h0
    for i in range(n_layers):
        x.retain_grad()
        inputs.append(x)
        x = run_layer(i, x)
        out = x if family != "normwear" else x.reshape(raw.shape[0], raw.shape[1], *x.shape[1:])
        save_npy(d, "layer_%02d.npy" % i, out)
    last = x
    pooled = pool(last)
    save_npy(d, "pooled_last.npy", pooled)
    R = torch.sin(0.7071 * torch.arange(last.numel(), dtype=torch.float64) + 0.3).reshape(last.shape)
    (last * R).sum().backward()
    resh = (lambda t: t) if family != "normwear" else (lambda t: t.reshape(raw.shape[0], raw.shape[1], *t.shape[1:]))
    # NormWear activations are large: only the deepest backward (through the fusion block)
    grad_layers = sorted({0, n_layers - 1}) if family != "normwear" else [0]
    for i in grad_layers:
        save_npy(d, "grad_in_%02d.npy" % i, resh(inputs[i].grad))
    meta = dict(family=family, n_layers=n_layers, batch=int(raw.shape[0]), grad_layers=grad_layers,
                raw_shape=list(raw.shape), prepared_shape=list(prepared.shape),
                layer_shape=list(resh(last).shape), pooled_shape=list(pooled.shape))
    meta.update(extra_meta)
    with open(os.path.join(d, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1)
        f.write("\n")
    print(case, meta)


def case_labram(case, depth, n_ch, seconds, batch, pretrain, seed):
    torch.manual_seed(seed)
    if pretrain:
        m = labram.LaBraMStudent(depth=depth, time_rows=16, vocab=64)
    else:
        m = labram.LaBraM(depth=depth, time_rows=30, num_classes=2)
    randomise(m, seed)
    d = os.path.join(OUT, case)
    os.makedirs(d, exist_ok=True)
    if pretrain:
        # MEM pretraining layout: {'model': {'student.…', 'lm_head.…', 'projection_head.…'}}
        # (vocabulary cut from 8192 to 64 to keep the fixture small; the keys are ignored anyway)
        sd = {"student." + k: v for k, v in m.state_dict().items()}
        lm = torch.nn.Linear(200, 64)
        ph = torch.nn.Sequential(torch.nn.Linear(200, 200), torch.nn.ReLU())
        sd.update({"lm_head." + k: v for k, v in lm.state_dict().items()})
        sd.update({"projection_head." + k: v for k, v in ph.state_dict().items()})
        torch.save({"model": sd}, os.path.join(d, "labram-base.pth"))
        ckpt = "labram-base.pth"
    else:
        torch.save({"model": m.state_dict()}, os.path.join(d, "checkpoint-19.pth"))
        ckpt = "checkpoint-19.pth"
    g = torch.Generator().manual_seed(seed + 7)
    raw = 40.0 * torch.randn(batch, n_ch, seconds * 200, generator=g)  # µV
    prepared = (raw / 100).reshape(batch, n_ch, seconds, 200)
    m64 = m.double()
    dump(case, "labram", m, raw, prepared, None, depth, lambda i, x: m64.blocks[i](x),
         lambda t: t.mean(dim=1), seed,
         dict(checkpoint=ckpt, depth=depth, channels=n_ch, seconds=seconds,
              time_embed_rows=16 if pretrain else 30, layout="pretrain" if pretrain else "finetune"))


def case_hubert(seed):
    torch.manual_seed(seed)
    c = hubert_ecg.HuBERTECGConfig(hidden_size=128, num_hidden_layers=2, num_attention_heads=2,
                                   intermediate_size=256, conv_dim=(64,) * 5, classifier_proj_size=32)
    m = hubert_ecg.HuBERTECG(c)
    randomise(m, seed)
    d = os.path.join(OUT, "hubert")
    os.makedirs(d, exist_ok=True)
    sd = m.state_dict()
    # transformers names the final_proj / label_embedding ModuleLists the same way
    torch.save({"model_state_dict": sd, "model_config": c, "epoch": 7}, os.path.join(d, "hubert_ecg_small.pt"))
    g = torch.Generator().manual_seed(seed + 7)
    raw = torch.randn(2, 1, 3000, generator=g)
    prepared = raw.reshape(2, 3000)
    m64 = m.double()
    dump("hubert", "hubert-ecg", m, raw, prepared, None, 2, lambda i, x: m64.encoder.layers[i](x),
         lambda t: t.mean(dim=1), seed,
         dict(checkpoint="hubert_ecg_small.pt", hidden=128, heads=2, ffn=256, conv_dim=64, tokens=46))


def case_papagei(seed):
    torch.manual_seed(seed)
    m = papagei.PaPaGei(n_block=6, n_classes=32)
    randomise(m, seed)
    d = os.path.join(OUT, "papagei")
    os.makedirs(d, exist_ok=True)
    torch.save(m.state_dict(), os.path.join(d, "papagei_s.pt"))
    g = torch.Generator().manual_seed(seed + 7)
    raw = torch.randn(2, 1, 751, generator=g)
    m64 = m.double()
    dump("papagei", "papagei", m, raw, raw.clone(), None, 6, lambda i, x: m64.basicblock_list[i](x),
         lambda t: t.mean(dim=2), seed, dict(checkpoint="papagei_s.pt", n_block=6, length=751))
    # loader error cases: tiny 2-block models
    t = papagei.PaPaGei(n_block=2, n_classes=8)
    randomise(t, seed + 3)
    sd = t.state_dict()
    torch.save(sd, os.path.join(OUT, "papagei_tiny.pt"))
    miss = {k: v for k, v in sd.items() if k != "basicblock_list.1.conv2.conv.weight"}
    torch.save(miss, os.path.join(OUT, "papagei_missing_key.pt"))
    bad = dict(sd)
    bad["basicblock_list.0.conv1.conv.weight"] = torch.zeros(32, 32, 5)
    torch.save(bad, os.path.join(OUT, "papagei_wrong_shape.pt"))


def case_normwear(seed):
    torch.manual_seed(seed)
    m = normwear.NormWear(dim=96, depth=2, num_heads=4, dec_dim=16, dec_depth=1, dec_heads=2)
    randomise(m, seed)
    d = os.path.join(OUT, "normwear")
    os.makedirs(d, exist_ok=True)
    torch.save({"model": m.state_dict()}, os.path.join(d, "normwear_checkpoint.pth"))
    g = torch.Generator().manual_seed(seed + 7)
    raw = torch.randn(1, 3, 3, 388, 65, generator=g)
    m64 = m.double()
    nvar = raw.shape[1]
    dump("normwear", "normwear", m, raw, raw.clone(), None, 2, lambda i, x: m64.encoder_blocks[i](x, nvar),
         lambda t: t.reshape(raw.shape[0], nvar, *t.shape[1:]).mean(dim=(1, 2)), seed,
         dict(checkpoint="normwear_checkpoint.pth", dim=96, heads=4, depth=2, nvar=3, tokens=560))


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    case_labram("labram_pre", depth=2, n_ch=6, seconds=3, batch=3, pretrain=True, seed=301)
    case_labram("labram_ft", depth=1, n_ch=6, seconds=30, batch=1, pretrain=False, seed=302)
    case_hubert(303)
    case_papagei(304)
    case_normwear(305)
