#!/usr/bin/python3
"""Reference values for the core/nn ops, computed with PyTorch (Debian torch 1.13).

Writes small float32 .npy files to tests/fixtures/nn/<case>_<name>.npy: the
inputs, the forward output, an upstream gradient `g` and the autograd
gradients of sum(out * g) w.r.t. every input (`d_<name>`). The C test
(tests/nn/test-nn-torch.c) runs the same inputs through the engine and
compares. Run:  /usr/bin/python3 tests/reference/nn_fixtures.py
"""
import os
import numpy as np
import torch
import torch.nn.functional as F

torch.manual_seed(1234)
torch.set_default_dtype(torch.float32)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'fixtures', 'nn')
os.makedirs(OUT, exist_ok=True)


def save(case, name, t):
    a = t.detach().cpu().numpy().astype(np.float32) if torch.is_tensor(t) else np.asarray(t, dtype=np.float32)
    np.save(os.path.join(OUT, f'{case}_{name}.npy'), np.ascontiguousarray(a))


def run(case, fn, inputs, grad_names=None):
    """inputs: dict name -> tensor. fn(**leaves) -> output. Saves inputs, out, g, d_<grad_names>."""
    leaves = {k: v.clone().requires_grad_(grad_names is None or k in grad_names) for k, v in inputs.items()}
    out = fn(**leaves)
    g = torch.randn_like(out)
    (out * g).sum().backward()
    for k, v in leaves.items():
        save(case, k, v)
        if v.grad is not None:
            save(case, 'd_' + k, v.grad)
    save(case, 'out', out)
    save(case, 'g', g)


r = torch.randn

run('linear', lambda x, w, b: F.linear(x, w, b), dict(x=r(5, 7), w=r(4, 7), b=r(4)))


def same_pad(L, k, s):
    out = (L + s - 1) // s
    p = max(0, (out - 1) * s + k - L)
    return p // 2, p - p // 2


# conv1d, SAME padding (PaPaGei): k3 s2 on even and odd lengths, with bias
for L in (12, 11):
    pl, pr = same_pad(L, 3, 2)
    run(f'conv_same{L}', lambda x, w, b, pl=pl, pr=pr: F.conv1d(F.pad(x, (pl, pr)), w, b, stride=2),
        dict(x=r(2, 3, L), w=r(4, 3, 3), b=r(4)))
# strided, no bias (HuBERT conv0-like), grouped with asymmetric pad, pointwise
run('conv_strided', lambda x, w: F.conv1d(x, w, None, stride=4), dict(x=r(2, 1, 30), w=r(6, 1, 10)))
run('conv_grouped', lambda x, w, b: F.conv1d(F.pad(x, (2, 1)), w, b, groups=2),
    dict(x=r(2, 4, 9), w=r(6, 2, 4), b=r(6)))
run('conv_pointwise', lambda x, w, b: F.conv1d(x, w, b), dict(x=r(2, 5, 7), w=r(3, 5, 1), b=r(3)))
# 1xk conv2d on rows (LaBraM TemporalConv conv1 and conv2 at reduced width)
run('conv_1x15', lambda x, w, b: F.conv2d(x, w, b, stride=(1, 8), padding=(0, 7)),
    dict(x=r(2, 1, 3, 40), w=r(8, 1, 1, 15), b=r(8)))
run('conv_1x3', lambda x, w, b: F.conv2d(x, w, b, padding=(0, 1)), dict(x=r(2, 8, 3, 5), w=r(8, 8, 1, 3), b=r(8)))

# weight norm over all dims except 2 (HuBERT pos-conv layout, reduced)
v = r(6, 4, 5)
gn = r(1, 1, 5)
save('weight_norm', 'v', v)
save('weight_norm', 'g', gn)
save('weight_norm', 'out', torch._weight_norm(v, gn, 2))
v0 = r(3, 2, 4)
g0 = r(3, 1, 1)
save('weight_norm0', 'v', v0)
save('weight_norm0', 'g', g0)
save('weight_norm0', 'out', torch._weight_norm(v0, g0, 0))

# patch conv (NormWear-like 9x5 patches, trailing rows/cols dropped)
run('patch_conv', lambda x, w, b: F.conv2d(x, w, b, stride=(9, 5)).flatten(2).transpose(1, 2),
    dict(x=r(2, 3, 19, 11), w=r(6, 3, 9, 5), b=r(6)))

run('group_norm4', lambda x, gamma, beta: F.group_norm(x, 4, gamma, beta, 1e-5),
    dict(x=r(2, 8, 3, 5) * 2 + 1, gamma=r(8), beta=r(8)))
run('group_norm_pc', lambda x, gamma, beta: F.group_norm(x, 6, gamma, beta, 1e-5),
    dict(x=r(2, 6, 7), gamma=r(6), beta=r(6)))
run('layer_norm', lambda x, gamma, beta: F.layer_norm(x, (20,), gamma, beta, 1e-6),
    dict(x=r(6, 20) * 3 - 1, gamma=r(20), beta=r(20)))
run('batch_norm', lambda x, mean, var, gamma, beta: F.batch_norm(x, mean, var, gamma, beta, False, 0.1, 1e-5),
    dict(x=r(2, 4, 9), mean=r(4), var=torch.rand(4) + 0.5, gamma=r(4), beta=r(4)), grad_names=('x', 'gamma', 'beta'))

xs = torch.cat([torch.linspace(-12, 12, 97), r(31) * 3])
run('gelu', lambda x: F.gelu(x), dict(x=xs))
run('relu', lambda x: F.relu(x), dict(x=r(40)))
run('softmax', lambda x: F.softmax(x, -1), dict(x=r(4, 9) * 4))


def attention(q, k, v, B=2, T=5, H=3, dh=4, scale=0.5):
    def heads(t):
        return t.view(B, T, H, dh).transpose(1, 2)
    p = F.softmax(scale * heads(q) @ heads(k).transpose(-1, -2), -1)
    return (p @ heads(v)).transpose(1, 2).reshape(B, T, H * dh)


run('attention', attention, dict(q=r(2, 5, 12), k=r(2, 5, 12), v=r(2, 5, 12)))

for L in (8, 7):
    run(f'maxpool{L}', lambda x: F.max_pool1d(F.pad(x, (0, L % 2)), 2, 2), dict(x=r(3, L)))
run('channel_pad', lambda x: F.pad(x, (0, 0, 2, 3)), dict(x=r(2, 3, 4)))
run('mean_pool', lambda x: x[:, 1:].mean(1), dict(x=r(2, 6, 5)))
run('permute', lambda x: x.permute(0, 2, 3, 1).contiguous(), dict(x=r(2, 3, 4, 5)))

# weighted cross-entropy (PyTorch: sum w_y nll / sum w_y)
logits = r(6, 3)
targets = torch.tensor([0, 2, 1, 2, 2, 0])
cw = torch.tensor([0.5, 2.0, 1.25])
lg = logits.clone().requires_grad_(True)
loss = F.cross_entropy(lg, targets, weight=cw)
loss.backward()
for k, t in dict(logits=logits, targets=targets, weights=cw, out=loss.reshape(1), d_logits=lg.grad).items():
    save('cross_entropy', k, t)

a = r(4, 7)
b = r(4, 7)
a[3] = 0.0  # the 1e-12 epsilon case
ar, br = a.clone().requires_grad_(True), b.clone().requires_grad_(True)
loss = F.cosine_embedding_loss(ar, br, torch.ones(4))
loss.backward()
for k, t in dict(a=a, b=b, out=loss.reshape(1), d_a=ar.grad, d_b=br.grad).items():
    save('cosine', k, t)

# Adam / AdamW: 3 steps with the given gradients
for name, cls, wd in (('adam', torch.optim.Adam, 0.1), ('adamw', torch.optim.AdamW, 0.1)):
    p0 = r(10)
    grads = r(3, 10)
    p = p0.clone().requires_grad_(True)
    opt = cls([p], lr=0.01, betas=(0.9, 0.999), eps=1e-8, weight_decay=wd)
    trace = []
    for s in range(3):
        p.grad = grads[s].clone()
        opt.step()
        trace.append(p.detach().clone())
    save(name, 'p0', p0)
    save(name, 'grads', grads)
    save(name, 'out', torch.stack(trace))


# BatchNorm1d in training mode: batch statistics, running-stat update, grads
x = r(3, 4, 6) * 2 + 0.5
rm, rv = r(4) * 0.1, torch.rand(4) + 0.5
save('batch_norm_train', 'running_mean_in', rm)
save('batch_norm_train', 'running_var_in', rv)
rm2, rv2 = rm.clone(), rv.clone()
run('batch_norm_train', lambda x, gamma, beta: F.batch_norm(x, rm2, rv2, gamma, beta, True, 0.1, 1e-5),
    dict(x=x, gamma=r(4), beta=r(4)))
save('batch_norm_train', 'running_mean_out', rm2)
save('batch_norm_train', 'running_var_out', rv2)
print('wrote', len(os.listdir(OUT)), 'files to', os.path.normpath(OUT))
