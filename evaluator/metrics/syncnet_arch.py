"""The SyncNet two-stream network of syncnet_python (``SyncNetModel.S``), rebuilt so ``syncnet_v2.model`` loads.

The published weights file is a plain ``state_dict`` of syncnet_python's ``S`` module, so the parameter
names here must be the same: four ``nn.Sequential`` attributes ``netcnnaud``, ``netfcaud``, ``netcnnlip``
and ``netfclip`` whose child indices follow the original layer order. The towers are described below
as tables of blocks; a conv block expands to convolution, batch norm and ReLU (three children), a pool
block to one max-pool child.

- audio tower: MFCC windows ``(N, 1, 13, 20)`` (13 coefficients x 20 frames at 100 Hz = 0.2 s) ->
  ``(N, 512, 1, 1)`` -> fully connected -> ``(N, 1024)``;
- lip tower: video windows ``(N, 3, 5, 224, 224)`` (5 frames at 25 fps = 0.2 s of BGR face crops,
  pixel values 0..255) -> ``(N, 512, 1, 1, 1)`` -> fully connected -> ``(N, 1024)``.

>>> import torch
>>> net = SyncNetS().eval()
>>> net.forward_aud(torch.zeros(2, 1, 13, 20)).shape
torch.Size([2, 1024])
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

EMBED_DIM = 1024
MFCC_COEFFS = 13
MFCC_WINDOW = 20  # MFCC frames (10 ms each) per 5-frame video window
VIDEO_WINDOW = 5
CROP_SIZE = 224

# (kind, out_channels, kernel, stride, padding) for conv; (kind, kernel, stride, padding) for pool.
_AUDIO_BLOCKS: tuple[tuple[Any, ...], ...] = (
    ("conv", 64, (3, 3), (1, 1), (1, 1)),
    ("pool", (1, 1), (1, 1), 0),
    ("conv", 192, (3, 3), (1, 1), (1, 1)),
    ("pool", (3, 3), (1, 2), 0),
    ("conv", 384, (3, 3), (1, 1), (1, 1)),
    ("conv", 256, (3, 3), (1, 1), (1, 1)),
    ("conv", 256, (3, 3), (1, 1), (1, 1)),
    ("pool", (3, 3), (2, 2), 0),
    ("conv", 512, (5, 4), (1, 1), (0, 0)),
)
_LIP_BLOCKS: tuple[tuple[Any, ...], ...] = (
    ("conv", 96, (5, 7, 7), (1, 2, 2), 0),
    ("pool", (1, 3, 3), (1, 2, 2), 0),
    ("conv", 256, (1, 5, 5), (1, 2, 2), (0, 1, 1)),
    ("pool", (1, 3, 3), (1, 2, 2), (0, 1, 1)),
    ("conv", 256, (1, 3, 3), (1, 1, 1), (0, 1, 1)),
    ("conv", 256, (1, 3, 3), (1, 1, 1), (0, 1, 1)),
    ("conv", 256, (1, 3, 3), (1, 1, 1), (0, 1, 1)),
    ("pool", (1, 3, 3), (1, 2, 2), 0),
    ("conv", 512, (1, 6, 6), (1, 1, 1), 0),
)


def _tower(blocks: tuple[tuple[Any, ...], ...], in_channels: int, dims: int) -> nn.Sequential:
    conv, norm, pool = (
        (nn.Conv2d, nn.BatchNorm2d, nn.MaxPool2d) if dims == 2 else (nn.Conv3d, nn.BatchNorm3d, nn.MaxPool3d)
    )
    layers: list[nn.Module] = []
    channels = in_channels
    for kind, *args in blocks:
        if kind == "conv":
            out, kernel, stride, padding = args
            layers += [conv(channels, out, kernel, stride=stride, padding=padding), norm(out), nn.ReLU()]
            channels = out
        else:
            kernel, stride, padding = args
            layers.append(pool(kernel, stride=stride, padding=padding))
    return nn.Sequential(*layers)


def _head(embed_dim: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(512, 512), nn.BatchNorm1d(512), nn.ReLU(), nn.Linear(512, embed_dim))


class SyncNetS(nn.Module):
    """Audio and lip towers mapping 0.2 s of speech and of mouth motion into one 1024-d space."""

    def __init__(self, embed_dim: int = EMBED_DIM) -> None:
        super().__init__()
        self.netcnnaud = _tower(_AUDIO_BLOCKS, 1, dims=2)
        self.netfcaud = _head(embed_dim)
        self.netcnnlip = _tower(_LIP_BLOCKS, 3, dims=3)
        self.netfclip = _head(embed_dim)

    def forward_aud(self, mfcc: torch.Tensor) -> torch.Tensor:
        """``(N, 1, 13, 20)`` MFCC windows -> ``(N, embed_dim)``."""
        return self.netfcaud(self.netcnnaud(mfcc).flatten(1))

    def forward_lip(self, frames: torch.Tensor) -> torch.Tensor:
        """``(N, 3, 5, 224, 224)`` BGR face-crop windows (0..255) -> ``(N, embed_dim)``."""
        return self.netfclip(self.netcnnlip(frames).flatten(1))
