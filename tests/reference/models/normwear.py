"""NormWear backbone (spec §3.4) with timm-0.4.12-style Blocks and the authors'
module names (cls_token, pos_embed, patch_embed.proj, encoder_blocks.{i}.
variate_encoder / .cls_fusion (even i), norm, and the MAE decoder keys that a
checkpoint carries but the embedding path never uses). Eval only."""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class Attention(nn.Module):
    def __init__(self, dim, num_heads, qkv_bias=True):
        super().__init__()
        self.num_heads = num_heads
        self.scale = (dim // num_heads) ** -0.5
        self.qkv = nn.Linear(dim, dim * 3, bias=qkv_bias)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        B, N, C = x.shape
        qkv = self.qkv(x).reshape(B, N, 3, self.num_heads, C // self.num_heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        attn = ((q @ k.transpose(-2, -1)) * self.scale).softmax(dim=-1)
        return self.proj((attn @ v).transpose(1, 2).reshape(B, N, C))


class Mlp(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x)))


class Block(nn.Module):
    def __init__(self, dim, num_heads, mlp_ratio=4.0, qkv_bias=True):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = Attention(dim, num_heads, qkv_bias)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = Mlp(dim, int(dim * mlp_ratio))

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class EncoderLayer(nn.Module):
    def __init__(self, dim, num_heads, fuse):
        super().__init__()
        self.variate_encoder = Block(dim, num_heads)
        self.fuse = fuse
        if fuse:
            self.cls_fusion = Block(dim, num_heads)

    def forward(self, x, nvar):
        # x (B*nvar, P, D)
        x = self.variate_encoder(x)
        if self.fuse:
            BN, P, D = x.shape
            x = x.reshape(BN // nvar, nvar, P, D)
            cls = self.cls_fusion(x[:, :, 0, :])
            x = torch.cat((cls[:, :, None, :], x[:, :, 1:, :]), dim=2).reshape(BN, P, D)
        return x


class PatchEmbed(nn.Module):
    def __init__(self, dim, patch=(9, 5), in_chans=3):
        super().__init__()
        self.proj = nn.Conv2d(in_chans, dim, kernel_size=patch, stride=patch)

    def forward(self, x):
        return self.proj(x).flatten(2).transpose(1, 2)


def sincos_pos_embed(dim, grid_h, grid_w):
    # CLS row zeros; patch rows [sincos(w) | sincos(h)] as the spec describes.
    def one(d, pos):
        omega = 1.0 / 10000 ** (np.arange(d // 2, dtype=np.float64) / (d / 2.0))
        out = np.einsum("m,d->md", pos.reshape(-1), omega)
        return np.concatenate([np.sin(out), np.cos(out)], axis=1)
    gh, gw = np.meshgrid(np.arange(grid_h, dtype=np.float64), np.arange(grid_w, dtype=np.float64), indexing="ij")
    emb = np.concatenate([one(dim // 2, gw), one(dim // 2, gh)], axis=1)
    return np.concatenate([np.zeros((1, dim)), emb], axis=0)[None].astype(np.float32)


class NormWear(nn.Module):
    def __init__(self, dim=768, depth=12, num_heads=12, fuse_freq=2, dec_dim=512, dec_depth=2, dec_heads=16,
                 n_patches_h=43, n_patches_w=13, L=388, nvar_pre=4):
        super().__init__()
        P = n_patches_h * n_patches_w + 1
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(torch.from_numpy(sincos_pos_embed(dim, n_patches_h, n_patches_w)),
                                      requires_grad=False)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, dec_dim))
        self.decoder_pos_embed = nn.Parameter(torch.from_numpy(sincos_pos_embed(dec_dim, n_patches_h, n_patches_w)),
                                              requires_grad=False)
        self.patch_embed = PatchEmbed(dim)
        self.encoder_blocks = nn.ModuleList([EncoderLayer(dim, num_heads, i % fuse_freq == 0) for i in range(depth)])
        self.norm = nn.LayerNorm(dim)
        self.decoder_embed = nn.Linear(dim, dec_dim)
        self.decoder_blocks = nn.ModuleList([Block(dec_dim, dec_heads, qkv_bias=False) for _ in range(dec_depth)])
        self.temporal_recon = nn.Linear(P, L)
        self.spatial_recon = nn.Module()
        self.spatial_recon.norm = nn.BatchNorm1d(dec_dim * nvar_pre)
        self.spatial_recon.conv1 = nn.Conv1d(dec_dim * nvar_pre, 384, 1)
        self.spatial_recon.conv2 = nn.Conv1d(384, nvar_pre, 1)
        self.decoder_norm = nn.LayerNorm(dec_dim)

    def embed(self, x):
        # x (B, nvar, 3, L, 65) -> encoder_blocks[0] input (B*nvar, 560, D)
        B, nvar = x.shape[:2]
        x = x.reshape(B * nvar, *x.shape[2:])
        x = self.patch_embed(x) + self.pos_embed[:, 1:, :]
        cls = (self.cls_token + self.pos_embed[:, :1, :]).expand(x.shape[0], -1, -1)
        return torch.cat((cls, x), dim=1)
