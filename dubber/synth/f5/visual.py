"""Per-frame CLIP vision features of a line's clip, resampled to the mel frame rate (control condition).

The paper model is a CLIP vision tower (``openai/clip-vit-base-patch32`` by default) from a local
directory or a hub id; weights load on first use. Frames are resized to the model's image size and
normalised with CLIP's mean and std; the pooled output of each frame is one feature vector.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from evaluator.errors import MediaError, ModelLoadError
from evaluator.media import read_frames

log = logging.getLogger(__name__)
DEFAULT_CLIP = "openai/clip-vit-base-patch32"
MEL_FPS = 24000 / 256


def resample_to_frames(features: np.ndarray | torch.Tensor, n_frames: int) -> torch.Tensor:
    """Linearly resample [t, d] features to [n_frames, d] (e.g. video fps to the 93.75 Hz mel rate)."""
    x = torch.as_tensor(np.asarray(features, dtype=np.float32))
    if x.ndim != 2 or x.shape[0] == 0:
        raise ValueError(f"features must be [t, d] with t > 0, got {tuple(x.shape)}")
    if x.shape[0] == 1:
        return x.expand(n_frames, -1).clone()
    return F.interpolate(x.t()[None], size=n_frames, mode="linear", align_corners=True)[0].t().contiguous()


class ClipFrameEncoder:
    """CLIP vision features per video frame; ``model`` is a local directory, a hub id, or a built module."""

    def __init__(self, model: str | Path | torch.nn.Module = DEFAULT_CLIP, device: str = "cpu", fps: float = 5.0):
        self.spec = model
        self.device = torch.device(device)
        self.fps = fps
        self._model = model if isinstance(model, torch.nn.Module) else None

    @property
    def model_id(self) -> str:
        return type(self.spec).__name__ if isinstance(self.spec, torch.nn.Module) else str(self.spec)

    @property
    def model(self) -> torch.nn.Module:
        if self._model is None:
            from transformers import CLIPVisionModel

            from evaluator.models import resolve

            path = resolve(str(self.spec), what="CLIP vision model", param="clip")
            try:
                self._model = CLIPVisionModel.from_pretrained(str(path))
            except OSError as exc:
                raise ModelLoadError(
                    f"CLIP vision model {self.spec}: cannot load ({str(exc).splitlines()[0][:160]})",
                    hint="pass a local directory of a CLIP model (config.json + weights)",
                ) from None
        return self._model.to(self.device).eval()

    def unload(self) -> None:
        self._model = self.spec if isinstance(self.spec, torch.nn.Module) else None

    def encode_frames(self, frames: np.ndarray) -> torch.Tensor:
        """[t, h, w, 3] uint8 RGB -> [t, d] pooled features."""
        from transformers.image_utils import OPENAI_CLIP_MEAN, OPENAI_CLIP_STD

        model = self.model
        size = model.config.image_size
        x = torch.from_numpy(np.ascontiguousarray(frames)).permute(0, 3, 1, 2).float() / 255.0
        x = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False, antialias=True)
        x = (x - torch.tensor(OPENAI_CLIP_MEAN).view(1, 3, 1, 1)) / torch.tensor(OPENAI_CLIP_STD).view(1, 3, 1, 1)
        with torch.inference_mode():
            return model(pixel_values=x.to(self.device)).pooler_output.float().cpu()

    def line_features(self, video: str | Path, start: float, end: float, n_frames: int | None = None) -> torch.Tensor:
        """Features of ``video`` from ``start`` to ``end``, resampled to ``n_frames`` (default: mel frames)."""
        frames = read_frames(video, fps=self.fps, start=start, end=end)
        if len(frames) == 0:
            raise MediaError(f"{video}: no frames between {start:.2f} and {end:.2f} s")
        feats = self.encode_frames(frames)
        n = n_frames if n_frames is not None else max(1, round((end - start) * MEL_FPS))
        return resample_to_frames(feats, n)
