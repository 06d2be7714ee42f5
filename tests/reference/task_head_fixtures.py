#!/usr/bin/python3
"""Stage-1 task head reference (spec §1.1): nn.Linear(D, C), CrossEntropyLoss with
weight = 1/counts, Adam(lr), trained full-batch so the batch order cannot matter.

    /usr/bin/python3 tests/reference/task_head_fixtures.py tests/fixtures/bridge
"""
import os
import sys

import torch

out = sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/bridge"
torch.manual_seed(7)


def save(name, t):
    with open(os.path.join(out, name), "w") as f:
        f.write("\n".join("%.9g" % v for v in torch.as_tensor(t).double().reshape(-1).tolist()) + "\n")


N, D, C, epochs, lr = 90, 16, 3, 30, 0.05
y = torch.cat([torch.zeros(50), torch.ones(25), torch.full((15,), 2.0)]).long()
centres = torch.randn(C, D)
X = centres[y] + 1.2 * torch.randn(N, D)
head = torch.nn.Linear(D, C)
save("head_shape.txt", [N, D, C, epochs])
save("head_lr.txt", [lr])
save("head_X.txt", X)
save("head_y.txt", y)
save("head_W0.txt", head.weight)
save("head_b0.txt", head.bias)
counts = torch.bincount(y, minlength=C).float()
criterion = torch.nn.CrossEntropyLoss(weight=1.0 / counts)
opt = torch.optim.Adam(head.parameters(), lr=lr)
losses = []
for _ in range(epochs):
    opt.zero_grad()
    loss = criterion(head(X), y)
    loss.backward()
    opt.step()
    losses.append(loss.item())
save("head_losses.txt", losses)
save("head_W.txt", head.weight)
save("head_b.txt", head.bias)
print("fixtures written to", out)
