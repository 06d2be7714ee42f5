#!/usr/bin/python3
"""PyTorch side of tests/bench/nn/bench-nn: the same LaBraM block and HuBERT-ECG
layer math as the C benchmark, same shapes and thread count, timed the same way
(fastest of N after one warm-up). Prints `name seconds` lines.

With --serve it prints `ready` and then answers each line `NAME` on stdin with
the seconds of one timed run of NAME, so that bench-nn can alternate engine and
PyTorch runs and both see the same machine load.

Forward runs under torch.no_grad(); fwdbwd is a forward with autograd on the
input only (parameters frozen, so only dX is computed, as in the C run) and
backward with a fixed upstream gradient.
"""
import argparse
import time

import torch
import torch.nn.functional as F

p = argparse.ArgumentParser()
p.add_argument('--threads', type=int, default=2)
p.add_argument('--serve', action='store_true')
args = p.parse_args()
torch.set_num_threads(args.threads)
torch.manual_seed(0)


def best_time(fn, reps):
    fn()
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return min(ts)


def P(*shape, std=0.05, mean=0.0):
    return (torch.randn(*shape) * std + mean).requires_grad_(False)


def labram_block(B=16, T=181, D=200, H=10, Fd=800):
    dh = D // H
    w = dict(qkv=P(3 * D, D), proj=P(D, D), proj_b=P(D, std=0.02), fc1=P(Fd, D), fc1_b=P(Fd, std=0.02),
             fc2=P(D, Fd), fc2_b=P(D, std=0.02), ln1_g=P(D, std=0.1, mean=1), ln1_b=P(D, std=0.1),
             ln2_g=P(D, std=0.1, mean=1), ln2_b=P(D, std=0.1), qn_g=P(dh, std=0.1, mean=1), qn_b=P(dh, std=0.1),
             kn_g=P(dh, std=0.1, mean=1), kn_b=P(dh, std=0.1), g1=P(D, std=0.1), g2=P(D, std=0.1))

    def fwd(x):
        h = F.layer_norm(x, (D,), w['ln1_g'], w['ln1_b'], 1e-6)
        qkv = F.linear(h, w['qkv']).reshape(B, T, 3, H, dh).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        q = F.layer_norm(q, (dh,), w['qn_g'], w['qn_b'], 1e-6) * dh ** -0.5
        k = F.layer_norm(k, (dh,), w['kn_g'], w['kn_b'], 1e-6)
        a = (q @ k.transpose(-2, -1)).softmax(-1)
        o = (a @ v).transpose(1, 2).reshape(B, T, D)
        x = x + w['g1'] * F.linear(o, w['proj'], w['proj_b'])
        h = F.layer_norm(x, (D,), w['ln2_g'], w['ln2_b'], 1e-6)
        return x + w['g2'] * F.linear(F.gelu(F.linear(h, w['fc1'], w['fc1_b'])), w['fc2'], w['fc2_b'])
    return fwd, torch.randn(B, T, D)


def hubert_layer(B=16, T=93, D=512, H=8, Fd=2048):
    dh = D // H
    w = dict(q=P(D, D, std=0.03), k=P(D, D, std=0.03), v=P(D, D, std=0.03), o=P(D, D, std=0.03),
             qb=P(D, std=0.02), kb=P(D, std=0.02), vb=P(D, std=0.02), ob=P(D, std=0.02),
             w1=P(Fd, D, std=0.03), b1=P(Fd, std=0.02), w2=P(D, Fd, std=0.03), b2=P(D, std=0.02),
             ln_g=P(D, std=0.1, mean=1), ln_b=P(D, std=0.1), fln_g=P(D, std=0.1, mean=1), fln_b=P(D, std=0.1))

    def heads(t):
        return t.view(B, T, H, dh).transpose(1, 2)

    def fwd(x):
        # transformers HubertAttention: q scaled by dh^-0.5, then bmm / softmax / bmm
        q = heads(F.linear(x, w['q'], w['qb']) * dh ** -0.5)
        k = heads(F.linear(x, w['k'], w['kb']))
        v = heads(F.linear(x, w['v'], w['vb']))
        a = (q @ k.transpose(-2, -1)).softmax(-1)
        o = (a @ v).transpose(1, 2).reshape(B, T, D)
        h = F.layer_norm(x + F.linear(o, w['o'], w['ob']), (D,), w['ln_g'], w['ln_b'], 1e-5)
        f = F.linear(F.gelu(F.linear(h, w['w1'], w['b1'])), w['w2'], w['b2'])
        return F.layer_norm(h + f, (D,), w['fln_g'], w['fln_b'], 1e-5)
    return fwd, torch.randn(B, T, D)


def runners(name, fwd, x):
    def run_fwd():
        with torch.no_grad():
            fwd(x)
    g = torch.randn_like(x)

    def run_fwdbwd():
        xi = x.clone().requires_grad_(True)
        fwd(xi).backward(g)
    return {f'{name}_fwd': run_fwd, f'{name}_fwdbwd': run_fwdbwd}


ops = {}
ops.update(runners('labram_block', *labram_block()))
for T in (93, 46):
    ops.update(runners(f'hubert_layer_T{T}', *hubert_layer(T=T)))

if args.serve:
    import sys
    for fn in ops.values():
        fn()  # warm-up
    print('ready', flush=True)
    for line in sys.stdin:
        name = line.strip()
        if not name:
            continue
        if name not in ops:
            print(f'{name} nan', flush=True)
            continue
        t0 = time.perf_counter()
        ops[name]()
        print(f'{name} {time.perf_counter() - t0:.6f}', flush=True)
else:
    for name, fn in ops.items():
        print(f'{name} {best_time(fn, 9 if name.endswith("_fwd") else 7):.6f}', flush=True)
