"""HuBERT-ECG (spec §3.2) in plain torch.nn with the module names of
transformers' HubertModel (feat_extract_norm='group', post-LN encoder), so the
state-dict keys match hubert_ecg_*.pt. Eval forward only (no masking, no
layerdrop, no dropout).

HuBERTECGConfig stands for the pickled config object the real checkpoints carry
under 'model_config' (a transformers PretrainedConfig subclass instance); a
checkpoint reader must treat it as inert data."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class HuBERTECGConfig:
    def __init__(self, **kw):
        self.model_type = "hubert_ecg"
        self.hidden_size = 512
        self.num_hidden_layers = 8
        self.num_attention_heads = 8
        self.intermediate_size = 2048
        self.conv_dim = (512, 512, 512, 512, 512)
        self.conv_kernel = (10, 3, 3, 2, 2)
        self.conv_stride = (4, 2, 2, 2, 2)
        self.conv_bias = False
        self.feat_extract_norm = "group"
        self.num_conv_pos_embeddings = 128
        self.num_conv_pos_embedding_groups = 16
        self.do_stable_layer_norm = False
        self.layer_norm_eps = 1e-5
        self.feat_proj_layer_norm = True
        self.classifier_proj_size = 256
        self.vocab_sizes = [100]
        self.__dict__.update(kw)


class ConvLayer(nn.Module):
    def __init__(self, cin, cout, k, s, group_norm):
        super().__init__()
        self.conv = nn.Conv1d(cin, cout, k, s, bias=False)
        if group_norm:
            self.layer_norm = nn.GroupNorm(cout, cout, affine=True)
        self.group_norm = group_norm

    def forward(self, x):
        x = self.conv(x)
        if self.group_norm:
            x = self.layer_norm(x)
        return F.gelu(x)


class FeatureExtractor(nn.Module):
    def __init__(self, c):
        super().__init__()
        dims = (1,) + tuple(c.conv_dim)
        self.conv_layers = nn.ModuleList([ConvLayer(dims[i], dims[i + 1], c.conv_kernel[i], c.conv_stride[i], i == 0)
                                          for i in range(len(c.conv_dim))])

    def forward(self, x):
        x = x[:, None]
        for layer in self.conv_layers:
            x = layer(x)
        return x


class FeatureProjection(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.layer_norm = nn.LayerNorm(c.conv_dim[-1], eps=c.layer_norm_eps)
        self.projection = nn.Linear(c.conv_dim[-1], c.hidden_size)

    def forward(self, x):
        return self.projection(self.layer_norm(x))


class PosConv(nn.Module):
    def __init__(self, c):
        super().__init__()
        conv = nn.Conv1d(c.hidden_size, c.hidden_size, c.num_conv_pos_embeddings,
                         padding=c.num_conv_pos_embeddings // 2, groups=c.num_conv_pos_embedding_groups)
        self.conv = nn.utils.weight_norm(conv, name="weight", dim=2)
        self.remove = 1 if c.num_conv_pos_embeddings % 2 == 0 else 0

    def forward(self, h):
        h = self.conv(h.transpose(1, 2))
        if self.remove:
            h = h[:, :, :-self.remove]
        return F.gelu(h).transpose(1, 2)


class Attention(nn.Module):
    def __init__(self, c):
        super().__init__()
        d = c.hidden_size
        self.h = c.num_attention_heads
        self.scaling = (d // self.h) ** -0.5
        self.k_proj = nn.Linear(d, d)
        self.v_proj = nn.Linear(d, d)
        self.q_proj = nn.Linear(d, d)
        self.out_proj = nn.Linear(d, d)

    def forward(self, x):
        B, T, D = x.shape
        q = (self.q_proj(x) * self.scaling).view(B, T, self.h, -1).transpose(1, 2)
        k = self.k_proj(x).view(B, T, self.h, -1).transpose(1, 2)
        v = self.v_proj(x).view(B, T, self.h, -1).transpose(1, 2)
        a = (q @ k.transpose(-2, -1)).softmax(-1)
        o = (a @ v).transpose(1, 2).reshape(B, T, D)
        return self.out_proj(o)


class FeedForward(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.intermediate_dense = nn.Linear(c.hidden_size, c.intermediate_size)
        self.output_dense = nn.Linear(c.intermediate_size, c.hidden_size)

    def forward(self, x):
        return self.output_dense(F.gelu(self.intermediate_dense(x)))


class EncoderLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.attention = Attention(c)
        self.layer_norm = nn.LayerNorm(c.hidden_size, eps=c.layer_norm_eps)
        self.feed_forward = FeedForward(c)
        self.final_layer_norm = nn.LayerNorm(c.hidden_size, eps=c.layer_norm_eps)

    def forward(self, h):
        h = self.layer_norm(h + self.attention(h))
        h = self.final_layer_norm(h + self.feed_forward(h))
        return h


class Encoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.pos_conv_embed = PosConv(c)
        self.layer_norm = nn.LayerNorm(c.hidden_size, eps=c.layer_norm_eps)
        self.layers = nn.ModuleList([EncoderLayer(c) for _ in range(c.num_hidden_layers)])


class HuBERTECG(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.config = c
        self.masked_spec_embed = nn.Parameter(torch.zeros(c.hidden_size).uniform_())
        self.feature_extractor = FeatureExtractor(c)
        self.feature_projection = FeatureProjection(c)
        self.encoder = Encoder(c)
        self.final_proj = nn.ModuleList([nn.Linear(c.hidden_size, c.classifier_proj_size)])
        self.label_embedding = nn.ModuleList([nn.Embedding(v, c.classifier_proj_size) for v in c.vocab_sizes])

    def embed(self, x):
        # x (B, L) -> encoder.layers[0] input (B, T, hidden)
        f = self.feature_extractor(x).transpose(1, 2)
        h = self.feature_projection(f)
        h = h + self.encoder.pos_conv_embed(h)
        return self.encoder.layer_norm(h)
