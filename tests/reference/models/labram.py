"""LaBraM-base (spec §3.1) in plain torch.nn, with the module names of the
authors' modeling_finetune.py so state-dict keys match the real checkpoints.
Only what the eval forward uses: no dropout, no drop-path, no rel-pos bias,
no abs pos embed (use_abs_pos_emb=False)."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class TemporalConv(nn.Module):
    def __init__(self, out_chans=8):
        super().__init__()
        self.conv1 = nn.Conv2d(1, out_chans, kernel_size=(1, 15), stride=(1, 8), padding=(0, 7))
        self.norm1 = nn.GroupNorm(4, out_chans)
        self.conv2 = nn.Conv2d(out_chans, out_chans, kernel_size=(1, 3), padding=(0, 1))
        self.norm2 = nn.GroupNorm(4, out_chans)
        self.conv3 = nn.Conv2d(out_chans, out_chans, kernel_size=(1, 3), padding=(0, 1))
        self.norm3 = nn.GroupNorm(4, out_chans)

    def forward(self, x):
        # (B, N, A, T) -> (B, 1, N*A, T)
        B, N, A, T = x.shape
        x = x.reshape(B, 1, N * A, T)
        x = F.gelu(self.norm1(self.conv1(x)))
        x = F.gelu(self.norm2(self.conv2(x)))
        x = F.gelu(self.norm3(self.conv3(x)))
        # 'B C NA T -> B NA (T C)'
        return x.permute(0, 2, 3, 1).reshape(B, N * A, -1)


class Attention(nn.Module):
    def __init__(self, dim, num_heads):
        super().__init__()
        self.num_heads = num_heads
        head_dim = dim // num_heads
        self.scale = head_dim ** -0.5
        self.qkv = nn.Linear(dim, dim * 3, bias=False)
        self.q_norm = nn.LayerNorm(head_dim, eps=1e-6)
        self.k_norm = nn.LayerNorm(head_dim, eps=1e-6)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        B, N, C = x.shape
        qkv = F.linear(x, self.qkv.weight).reshape(B, N, 3, self.num_heads, -1).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        q = self.q_norm(q)
        k = self.k_norm(k)
        q = q * self.scale
        attn = (q @ k.transpose(-2, -1)).softmax(dim=-1)
        x = (attn @ v).transpose(1, 2).reshape(B, N, -1)
        return self.proj(x)


class Mlp(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x)))


class Block(nn.Module):
    def __init__(self, dim, num_heads, mlp_ratio=4.0, init_values=0.1):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = Attention(dim, num_heads)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = Mlp(dim, int(dim * mlp_ratio))
        self.gamma_1 = nn.Parameter(init_values * torch.ones(dim))
        self.gamma_2 = nn.Parameter(init_values * torch.ones(dim))

    def forward(self, x):
        x = x + self.gamma_1 * self.attn(self.norm1(x))
        x = x + self.gamma_2 * self.mlp(self.norm2(x))
        return x


class LaBraM(nn.Module):
    """Fine-tune layout (stage-1 checkpoints): cls_token, time_embed, patch_embed.*, blocks.*, fc_norm.*, head.*"""

    def __init__(self, depth=12, time_rows=30, embed_dim=200, num_heads=10, num_classes=2, finetune=True):
        super().__init__()
        self.cls_token = nn.Parameter(torch.zeros(1, 1, embed_dim))
        self.time_embed = nn.Parameter(torch.zeros(1, time_rows, embed_dim))
        self.patch_embed = TemporalConv()
        self.blocks = nn.ModuleList([Block(embed_dim, num_heads) for _ in range(depth)])
        if finetune:
            self.fc_norm = nn.LayerNorm(embed_dim, eps=1e-6)
            self.head = nn.Linear(embed_dim, num_classes)

    def embed(self, x):
        # x (B, N, A, 200) -> tokens (B, 1 + N*A, 200)
        B, N, A, T = x.shape
        x = self.patch_embed(x)
        cls = self.cls_token.expand(B, -1, -1)
        x = torch.cat((cls, x), dim=1)
        te = self.time_embed[:, 0:A, :].unsqueeze(1).expand(B, N, -1, -1).flatten(1, 2)
        x = torch.cat((x[:, :1], x[:, 1:] + te), dim=1)
        return x


class LaBraMStudent(LaBraM):
    """Pretraining (MEM) student: adds mask_token, pos_embed, norm, lm_head."""

    def __init__(self, depth=12, time_rows=16, embed_dim=200, num_heads=10, vocab=8192):
        super().__init__(depth=depth, time_rows=time_rows, embed_dim=embed_dim, num_heads=num_heads,
                         finetune=False)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, embed_dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, 129, embed_dim))
        self.norm = nn.LayerNorm(embed_dim, eps=1e-6)
        self.lm_head = nn.Linear(embed_dim, vocab)
