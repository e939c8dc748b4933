"""Small models with the structures the attach/fuse code must handle."""
import torch
import torch.nn.functional as F
from torch import nn


class Block(nn.Module):
    """ResNet-style: convN -> bnN siblings, a Sequential downsample."""

    def __init__(self, cin=8, cout=8):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, groups=cout, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.downsample(x))


class Mlp(nn.Module):

    def __init__(self, dim=16, hidden=24, drop=0.2):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.fc2 = nn.Linear(hidden, dim)
        self.drop = nn.Dropout(drop)

    def forward(self, x):
        return self.fc2(self.drop(F.gelu(self.fc1(x))))


class ToyNet(nn.Module):
    """Conv stem + block, then tokens through an MLP, then a linear head."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, 2, 1, bias=False), nn.BatchNorm2d(8),
                                  nn.ReLU())
        self.block = Block(8, 16)
        self.proj = nn.Conv2d(16, 16, 1)
        self.norm = nn.LayerNorm(16)
        self.mlp = Mlp(16, 24)
        self.head = nn.Linear(16, 5)

    def forward(self, x):
        x = self.proj(self.block(self.stem(x)))
        tokens = x.flatten(2).transpose(1, 2)
        tokens = tokens + self.mlp(self.norm(tokens))
        return self.head(tokens.mean(1))


class ReversedRegistration(nn.Module):
    """Registration order differs from execution order."""

    def __init__(self):
        super().__init__()
        self.last = nn.Linear(6, 3)
        self.first = nn.Linear(4, 6)

    def forward(self, x):
        return self.last(torch.relu(self.first(x)))


class WithUnusedLayer(nn.Module):

    def __init__(self):
        super().__init__()
        self.used = nn.Linear(4, 4)
        self.unused = nn.Linear(4, 4)

    def forward(self, x):
        return self.used(x)


class WithMHA(nn.Module):

    def __init__(self):
        super().__init__()
        self.attn = nn.MultiheadAttention(8, 2)
        self.fc = nn.Linear(8, 8)

    def forward(self, x):
        return self.fc(self.attn(x, x, x)[0])


class ReluBetween(nn.Module):
    """conv1 / bn1 siblings, but the forward puts a ReLU between them: no folding."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 4, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(4)

    def forward(self, x):
        return self.bn1(torch.relu(self.conv1(x)))


class WeirdConv(nn.Conv2d):
    """Overrides forward (weight standardisation): not a plain affine layer."""

    def forward(self, x):
        w = (self.weight - self.weight.mean()) / (self.weight.std() + 1e-5)
        return F.conv2d(x, w, self.bias, self.stride, self.padding)
