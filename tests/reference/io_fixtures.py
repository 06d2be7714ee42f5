#!/usr/bin/python3
"""Writes the fixtures of tests/io (tests/fixtures/io/) with PyTorch 1.13 and numpy.

Run with Debian's interpreter (it has python3-torch):
    /usr/bin/python3 tests/reference/io_fixtures.py

Every file is small (a few KB). expected.json records, for every tensor of
every file, what the C loader must produce: name, dtype, shape and the
SHA-256 of its contiguous little-endian bytes (so views, strides and dtype
handling are checked bit-exactly), plus a float64 sum and the first values
for readable failures, and the SHA-256 of each whole file.

safetensors files are written by hand from the format description (there is
no safetensors package here); the .npy/.npz files by numpy itself.
"""
import argparse
import collections
import hashlib
import io
import json
import math
import os
import struct
import sys
import types
import zipfile

import numpy as np
import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'fixtures', 'io')
# The hostile fixtures would run `touch SENTINEL` if anything executed them.
SENTINEL = '/tmp/bx-io-fixture-was-executed'

gen = torch.Generator().manual_seed(1234)


def rnd(*shape, dtype=torch.float32):
    return torch.randn(*shape, generator=gen).to(dtype)


def tensor_record(name, t):
    if isinstance(t, np.ndarray):
        arr = t.copy(order="C")  # (ascontiguousarray would turn 0-d into 1-d)
        raw = arr.astype(arr.dtype.newbyteorder('<')).tobytes()
        dtype = {'float32': 'float32', 'float64': 'float64', 'float16': 'float16', 'int64': 'int64',
                 'int32': 'int32', 'int16': 'int16', 'int8': 'int8', 'uint8': 'uint8',
                 'bool': 'bool'}[arr.dtype.name]
        flat = arr.astype(np.float64).ravel()
        shape = list(arr.shape)
    else:
        c = t.detach().contiguous()
        if c.dtype == torch.bfloat16:
            raw = c.view(torch.int16).numpy().tobytes()
        else:
            raw = c.numpy().tobytes()
        dtype = str(c.dtype).replace('torch.', '')
        flat = c.to(torch.float64).numpy().ravel()
        shape = list(c.shape)
    def finite(x):
        # JSON has no inf/NaN: those compare through sha256 only.
        return float(x) if math.isfinite(x) else None
    return {'name': name, 'dtype': dtype, 'shape': shape, 'sha256': hashlib.sha256(raw).hexdigest(),
            'sum': finite(flat.sum()) if flat.size else 0.0,
            'first': [finite(x) for x in flat[:4]]}


expected = {}


def record(fname, entries, **extra):
    path = os.path.join(OUT, fname)
    with open(path, 'rb') as f:
        file_sha = hashlib.sha256(f.read()).hexdigest()
    expected[fname] = {'sha256': file_sha, 'tensors': [tensor_record(k, v) for k, v in entries], **extra}


def flat_items(prefix, obj):
    """Mirror of the C loader's flattening: nested dicts → dotted names."""
    if isinstance(obj, torch.Tensor):
        yield prefix, obj
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield from flat_items(f'{prefix}.{k}' if prefix else str(k), v)


# ---------------------------------------------------------------- classes

class HuBERTECGConfig:
    """Stands in for the pickled config object in hubert_ecg_small.pt."""

    def __init__(self):
        self.hidden_size = 16
        self.num_hidden_layers = 1
        self.conv_dim = (16, 16)
        self.model_type = 'hubert'


# Pickle records the class as hubert_ecg.HuBERTECGConfig, like the real file.
hubert_mod = types.ModuleType('hubert_ecg')
hubert_mod.HuBERTECGConfig = HuBERTECGConfig
HuBERTECGConfig.__module__ = 'hubert_ecg'
sys.modules['hubert_ecg'] = hubert_mod


class RunsShell:
    def __reduce__(self):
        return (os.system, (f'touch {SENTINEL}',))


class RunsEval:
    def __reduce__(self):
        return (eval, (f"__import__('os').system('touch {SENTINEL}')",))


# ---------------------------------------------------------------- torch files

def labram_like():
    # {'model': sd} with student.-prefixed keys of the pretraining model, as labram-base.pth.
    sd = collections.OrderedDict()
    d = 8
    sd['student.cls_token'] = rnd(1, 1, d)
    sd['student.time_embed'] = rnd(1, 4, d)
    sd['student.patch_embed.conv1.weight'] = rnd(2, 1, 1, 3)
    sd['student.patch_embed.conv1.bias'] = rnd(2)
    sd['student.blocks.0.gamma_1'] = rnd(d)
    sd['student.blocks.0.norm1.weight'] = rnd(d)
    sd['student.blocks.0.attn.qkv.weight'] = rnd(3 * d, d)
    sd['student.blocks.0.attn.q_norm.weight'] = rnd(4)
    sd['student.norm.weight'] = rnd(d)
    sd['student.lm_head.weight'] = rnd(5, d)
    sd['lm_head.weight'] = rnd(5, d)
    sd['projection_head.0.weight'] = rnd(3, d)
    obj = {'model': sd}
    torch.save(obj, os.path.join(OUT, 'labram_like.pt'))
    record('labram_like.pt', list(flat_items('', obj)))


def hubert_like():
    sd = collections.OrderedDict()
    sd['masked_spec_embed'] = rnd(16)
    sd['feature_extractor.conv_layers.0.conv.weight'] = rnd(16, 1, 4)
    sd['feature_extractor.conv_layers.0.layer_norm.weight'] = rnd(16)
    # Weight norm in the torch.nn.utils.weight_norm spelling ...
    sd['encoder.pos_conv_embed.conv.bias'] = rnd(16)
    sd['encoder.pos_conv_embed.conv.weight_g'] = rnd(1, 1, 8)
    sd['encoder.pos_conv_embed.conv.weight_v'] = rnd(16, 4, 8)
    # ... and a second conv in the torch >= 2.1 parametrizations spelling.
    sd['encoder.other_conv.parametrizations.weight.original0'] = rnd(1, 1, 3)
    sd['encoder.other_conv.parametrizations.weight.original1'] = rnd(4, 2, 3)
    sd['encoder.layers.0.attention.q_proj.weight'] = rnd(16, 16)
    sd['encoder.layers.0.attention.q_proj.bias'] = rnd(16)
    obj = {'model_state_dict': sd, 'model_config': HuBERTECGConfig(), 'epoch': 19, 'best_val_loss': 0.25,
           'args': argparse.Namespace(lr=1e-4, batch=32), 'name': 'hubert_ecg_small'}
    torch.save(obj, os.path.join(OUT, 'hubert_like.pt'))
    record('hubert_like.pt', list(flat_items('', obj)))


def papagei_like():
    sd = collections.OrderedDict()
    sd['module.first_block_conv.conv.weight'] = rnd(4, 1, 3)
    sd['module.first_block_conv.conv.bias'] = rnd(4)
    bn = torch.nn.BatchNorm1d(4)
    bn.train()
    bn(rnd(3, 4, 5))
    bn(rnd(3, 4, 5))
    for k, v in bn.state_dict().items():
        sd['module.first_block_bn.' + k] = v
    sd['module.basicblock_list.0.conv1.conv.weight'] = rnd(4, 4, 3)
    torch.save(sd, os.path.join(OUT, 'papagei_like.pt'))
    record('papagei_like.pt', list(flat_items('', sd)))


def views():
    base = torch.arange(24, dtype=torch.float32).reshape(4, 6) * 0.5
    other = rnd(3, 5)
    obj = collections.OrderedDict()
    obj['base'] = base
    obj['row'] = base[1]                      # offset 6, contiguous
    obj['col'] = base[:, 2]                   # stride (6,)
    obj['transposed'] = base.t()              # strides (1, 6)
    obj['narrow'] = base[1:3, 2:5]            # offset 8, strides (6, 1)
    obj['scalar'] = base[2, 3]                # 0-d view at offset 15
    obj['expanded'] = torch.arange(3.).expand(4, 3)   # stride 0
    obj['other_t'] = other.t()
    obj['empty'] = torch.zeros(0, 3)
    obj['every_other'] = base[::2, ::3]       # strides (12, 3)
    obj['permuted'] = rnd(2, 3, 4).permute(2, 0, 1)
    torch.save(obj, os.path.join(OUT, 'views.pt'))
    record('views.pt', list(flat_items('', obj)))


def dtypes():
    obj = collections.OrderedDict()
    obj['f16'] = rnd(3, 4, dtype=torch.float16)
    obj['f16_special'] = torch.tensor([0.0, -0.0, 6.1e-5, 5.96e-8, 65504.0, float('inf'), -float('inf'), 1.0 / 3],
                                      dtype=torch.float16)
    obj['bf16'] = rnd(5, dtype=torch.bfloat16)
    obj['f64'] = rnd(2, 3, dtype=torch.float64)
    obj['i64'] = torch.tensor([-3, 0, 2**40, 7], dtype=torch.int64)
    obj['i32'] = torch.tensor([[-5, 6], [7, 2**30]], dtype=torch.int32)
    obj['i16'] = torch.tensor([-300, 300], dtype=torch.int16)
    obj['i8'] = torch.tensor([-7, 8], dtype=torch.int8)
    obj['u8'] = torch.tensor([0, 200, 255], dtype=torch.uint8)
    obj['b'] = torch.tensor([True, False, True])
    obj['param'] = torch.nn.Parameter(rnd(2, 2))
    obj['num_batches_tracked'] = torch.tensor(12345678901, dtype=torch.int64)
    torch.save(obj, os.path.join(OUT, 'dtypes.pt'))
    record('dtypes.pt', list(flat_items('', obj)))


def legacy():
    sd = collections.OrderedDict()
    sd['weight'] = rnd(3, 2)
    sd['bias'] = rnd(3, dtype=torch.float64)
    sd['steps'] = torch.tensor(5)
    obj = {'state_dict': sd, 'epoch': 3}
    torch.save(obj, os.path.join(OUT, 'legacy.pt'), _use_new_zipfile_serialization=False)
    record('legacy.pt', list(flat_items('', obj)))


def hostile():
    if os.path.exists(SENTINEL):
        os.unlink(SENTINEL)
    sd = collections.OrderedDict(weight=rnd(2, 2))
    obj = {'model': sd, 'shell': RunsShell(), 'evil': RunsEval()}
    torch.save(obj, os.path.join(OUT, 'hostile.pt'))
    # Only the tensors; the rest must come back as inert notes.
    record('hostile.pt', [('model.weight', sd['weight'])])
    assert not os.path.exists(SENTINEL)


# ---------------------------------------------------------------- safetensors

ST_CODES = {torch.float32: 'F32', torch.float16: 'F16', torch.bfloat16: 'BF16', torch.float64: 'F64',
            torch.int64: 'I64', torch.int32: 'I32', torch.int16: 'I16', torch.int8: 'I8', torch.uint8: 'U8',
            torch.bool: 'BOOL'}


def raw_bytes(t):
    c = t.contiguous()
    return c.view(torch.int16).numpy().tobytes() if c.dtype == torch.bfloat16 else c.numpy().tobytes()


def write_safetensors(path, tensors, metadata=None):
    header = {}
    if metadata is not None:
        header['__metadata__'] = metadata
    blob = b''
    for name, t in tensors:
        b = raw_bytes(t)
        header[name] = {'dtype': ST_CODES[t.dtype], 'shape': list(t.shape),
                        'data_offsets': [len(blob), len(blob) + len(b)]}
        blob += b
    h = json.dumps(header, separators=(',', ':')).encode()
    h += b' ' * (-len(h) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h)) + h + blob)


def safetensors_files():
    ts = [('encoder.weight', rnd(4, 3)), ('encoder.bias', rnd(4)), ('half', rnd(2, 2, dtype=torch.float16)),
          ('bhalf', rnd(3, dtype=torch.bfloat16)), ('double', rnd(2, dtype=torch.float64)),
          ('steps', torch.tensor(42, dtype=torch.int64)), ('mask', torch.tensor([True, False])),
          ('bytes', torch.tensor([1, 2, 255], dtype=torch.uint8)), ('ints', torch.tensor([-1, 5], dtype=torch.int32)),
          ('empty', torch.zeros(0, 2))]
    meta = {'format': 'pt', 'bridge.positions': '[3, 7]', 'note': 'ünïcode ✓'}
    write_safetensors(os.path.join(OUT, 'small.safetensors'), ts, meta)
    record('small.safetensors', ts, metadata=meta)


# ---------------------------------------------------------------- numpy

def numpy_files():
    rng = np.random.default_rng(7)
    arrays = collections.OrderedDict()
    arrays['f4'] = rng.standard_normal((3, 4)).astype('<f4')
    arrays['f8'] = rng.standard_normal((2, 3, 2))
    arrays['f2'] = rng.standard_normal(5).astype('<f2')
    arrays['i8'] = np.array([-1, 2**50, 3], dtype='<i8')
    arrays['i4'] = np.array([[1, -2], [3, 4]], dtype='<i4')
    arrays['u1'] = np.array([0, 128, 255], dtype='u1')
    arrays['b1'] = np.array([True, False, False, True])
    arrays['scalar'] = np.array(3.5, dtype='<f4')
    arrays['fortran'] = np.asfortranarray(rng.standard_normal((3, 4, 2)).astype('<f4'))
    arrays['bigendian'] = rng.standard_normal((2, 3)).astype('>f4')
    for name, a in arrays.items():
        np.save(os.path.join(OUT, f'{name}.npy'), a)
        record(f'{name}.npy', [(name, a)])
    for ver in ((2, 0), (3, 0)):
        fname = f'v{ver[0]}.npy'
        a = rng.standard_normal((2, 2)).astype('<f4')
        with open(os.path.join(OUT, fname), 'wb') as f:
            np.lib.format.write_array(f, a, version=ver)
        record(fname, [(f'v{ver[0]}', a)])
    # Dataset-style archives: float64 arrays and a 0-d int64 label.
    npz = collections.OrderedDict(x=rng.standard_normal((2, 5)), y=np.array(1, dtype='<i8'),
                                  mask=np.array([1, 0, 1], dtype='u1'))
    np.savez(os.path.join(OUT, 'stored.npz'), **npz)
    record('stored.npz', list(npz.items()))
    np.savez_compressed(os.path.join(OUT, 'deflated.npz'), **npz)
    record('deflated.npz', list(npz.items()))


def zip_bomb():
    # 16 MiB of zeros deflates to ~16 KB: a ratio of ~1000, above the reader's limit of 256.
    buf = io.BytesIO()
    np.lib.format.write_array(buf, np.zeros((4, 1 << 20), dtype='<f4'))
    with zipfile.ZipFile(os.path.join(OUT, 'bomb.npz'), 'w', zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr('x.npy', buf.getvalue())


def main():
    os.makedirs(OUT, exist_ok=True)
    labram_like()
    hubert_like()
    papagei_like()
    views()
    dtypes()
    legacy()
    hostile()
    safetensors_files()
    numpy_files()
    zip_bomb()
    with open(os.path.join(OUT, 'expected.json'), 'w') as f:
        json.dump(expected, f, indent=1, sort_keys=True)
    print('wrote', len(expected), 'fixtures to', os.path.normpath(OUT))


if __name__ == '__main__':
    main()
