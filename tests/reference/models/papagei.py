"""PaPaGei-S backbone (spec §3.3): ResNet1DMoE with the authors' module names
(first_block_conv.conv, basicblock_list.{i}.{bn1,conv1.conv,bn2,conv2.conv},
final_bn, dense, expert_layers_{1,2}, gating_network_{1,2}). Eval only."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class Conv1dPadSame(nn.Module):
    def __init__(self, cin, cout, k, stride):
        super().__init__()
        self.k, self.stride = k, stride
        self.conv = nn.Conv1d(cin, cout, k, stride)

    def forward(self, x):
        L = x.shape[-1]
        out = (L + self.stride - 1) // self.stride
        p = max(0, (out - 1) * self.stride + self.k - L)
        return self.conv(F.pad(x, (p // 2, p - p // 2), "constant", 0))


class MaxPool1dPadSame(nn.Module):
    def __init__(self, k):
        super().__init__()
        self.k = k
        self.max_pool = nn.MaxPool1d(kernel_size=k)

    def forward(self, x):
        p = max(0, self.k - 1)
        return self.max_pool(F.pad(x, (p // 2, p - p // 2), "constant", 0))


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, k, stride, downsample, first):
        super().__init__()
        self.cin, self.cout, self.downsample, self.first = cin, cout, downsample, first
        self.bn1 = nn.BatchNorm1d(cin)
        self.conv1 = Conv1dPadSame(cin, cout, k, stride if downsample else 1)
        self.bn2 = nn.BatchNorm1d(cout)
        self.conv2 = Conv1dPadSame(cout, cout, k, 1)
        self.max_pool = MaxPool1dPadSame(stride)

    def forward(self, x):
        identity = x
        out = x
        if not self.first:
            out = F.relu(self.bn1(out))
        out = self.conv1(out)
        out = F.relu(self.bn2(out))
        out = self.conv2(out)
        if self.downsample:
            identity = self.max_pool(identity)
        if self.cout != self.cin:
            identity = identity.transpose(-1, -2)
            ch1 = (self.cout - self.cin) // 2
            ch2 = self.cout - self.cin - ch1
            identity = F.pad(identity, (ch1, ch2), "constant", 0).transpose(-1, -2)
        return out + identity


class PaPaGei(nn.Module):
    def __init__(self, n_block=18, base_filters=32, kernel_size=3, stride=2, n_classes=512, n_experts=3,
                 downsample_gap=2, increasefilter_gap=4):
        super().__init__()
        self.first_block_conv = Conv1dPadSame(1, base_filters, kernel_size, 1)
        self.first_block_bn = nn.BatchNorm1d(base_filters)
        blocks = []
        out_channels = base_filters
        for i in range(n_block):
            first = i == 0
            downsample = i % downsample_gap == 1
            if first:
                in_channels = base_filters
                out_channels = in_channels
            else:
                in_channels = int(base_filters * 2 ** ((i - 1) // increasefilter_gap))
                out_channels = in_channels * 2 if (i % increasefilter_gap == 0 and i != 0) else in_channels
            blocks.append(BasicBlock(in_channels, out_channels, kernel_size, stride, downsample, first))
        self.basicblock_list = nn.ModuleList(blocks)
        self.final_bn = nn.BatchNorm1d(out_channels)
        self.dense = nn.Linear(out_channels, n_classes)
        h = n_classes // 2
        self.expert_layers_1 = nn.ModuleList([nn.Sequential(nn.Linear(n_classes, h), nn.ReLU(), nn.Linear(h, 1))
                                              for _ in range(n_experts)])
        self.gating_network_1 = nn.Sequential(nn.Linear(n_classes, n_experts), nn.Softmax(dim=1))
        self.expert_layers_2 = nn.ModuleList([nn.Sequential(nn.Linear(n_classes, h), nn.ReLU(), nn.Dropout(0.5),
                                                            nn.Linear(h, 1)) for _ in range(n_experts)])
        self.gating_network_2 = nn.Sequential(nn.Linear(n_classes, n_experts), nn.Softmax(dim=1))

    def embed(self, x):
        # x (B, 1, L) -> basicblock_list[0] input (B, 32, L)
        return F.relu(self.first_block_bn(self.first_block_conv(x)))
