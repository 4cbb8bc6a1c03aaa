"""CLIP per-frame features (tiny random CLIPVisionModel from a config) resampled to the mel length."""

from __future__ import annotations

import subprocess
from pathlib import Path

import matplotlib
import numpy as np
import pytest
import torch
from transformers import CLIPVisionConfig, CLIPVisionModel

from dubber.synth.f5.visual import ClipFrameEncoder, resample_to_frames
from evaluator.errors import ModelLoadError


@pytest.fixture(scope="module")
def clip_dir(tmp_path_factory):
    torch.manual_seed(0)
    cfg = CLIPVisionConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2,
                           image_size=32, patch_size=8)  # fmt: skip
    d = tmp_path_factory.mktemp("clip")
    CLIPVisionModel(cfg).save_pretrained(d)
    return d


@pytest.fixture(scope="module")
def video(tmp_path_factory):
    photo = Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg"
    out = tmp_path_factory.mktemp("vid") / "clip.mp4"
    vf = "scale=128:160,rotate=0.3*t"
    cmd = [
        "ffmpeg",
        "-v",
        "error",
        "-loop",
        "1",
        "-i",
        str(photo),
        "-t",
        "2",
        "-r",
        "10",
        "-vf",
        vf,
        "-pix_fmt",
        "yuv420p",
    ]
    subprocess.run([*cmd, str(out)], check=True)
    return out


def test_line_features_at_mel_rate(clip_dir, video):
    enc = ClipFrameEncoder(clip_dir, fps=5)
    feats = enc.line_features(video, 0.5, 1.5)
    assert feats.shape == (round(93.75), 32) and torch.isfinite(feats).all()
    assert not torch.allclose(feats[0], feats[-1])  # the picture moves, so do the features
    assert enc.model_id == str(clip_dir)


def test_resample_and_errors(tmp_path):
    x = np.stack([np.zeros(3), np.ones(3) * 2])
    y = resample_to_frames(x, 5)
    assert y.shape == (5, 3) and torch.allclose(y[:, 0], torch.tensor([0.0, 0.5, 1.0, 1.5, 2.0]))
    with pytest.raises(ModelLoadError, match="missing: no such CLIP vision model file or directory"):
        _ = ClipFrameEncoder(tmp_path / "missing").model
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelLoadError, match="cannot load"):
        _ = ClipFrameEncoder(tmp_path / "empty").model
