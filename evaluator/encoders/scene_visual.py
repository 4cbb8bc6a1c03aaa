"""Low-level visual emotion statistics of a clip: colour, lightness, saturation, contrast, motion.

Film grammar ties these to mood (dark, desaturated, still frames for sadness; warm, bright, saturated
ones for joy; fast motion and hard edges for tension), which is why Authentic-Dubber's scene vector
includes them. :func:`scene_statistics` is a pure function of the frames; no model is involved.

===================  ==========================================================================
entries              meaning
===================  ==========================================================================
hue_00 .. hue_11     chroma-weighted hue histogram, 12 bins of 30 degrees from red, sums to 1
lightness_mean/std   HLS lightness of all pixels, 0..1
saturation_mean/std  HSV saturation, 0..1
colorfulness         Hasegawa-Suesstrunk colourfulness / 100
contrast             RMS contrast of the gray image (std of gray / 255) * 2
warm_ratio           share of the chroma weight in warm hues (red through yellow, 330-90 degrees)
dark_fraction        share of pixels with lightness under 0.2
bright_fraction      share of pixels with lightness over 0.8
motion_mean          mean absolute gray difference of consecutive frames / 255 * 10 (0 for one frame)
motion_std           std over frame pairs of that difference / 255 * 10
edge_density         share of Canny edge pixels * 4
===================  ==========================================================================

>>> import numpy as np
>>> scene_statistics(np.zeros((2, 36, 64, 3), np.uint8)).shape
(24,)
"""

from __future__ import annotations

import os

import numpy as np

from evaluator.errors import MediaError

SCENE_VISUAL_ID = "dubkit-scene-visual-v1"
SCENE_FEATURE_NAMES: tuple[str, ...] = (
    *(f"hue_{i:02d}" for i in range(12)),
    "lightness_mean",
    "lightness_std",
    "saturation_mean",
    "saturation_std",
    "colorfulness",
    "contrast",
    "warm_ratio",
    "dark_fraction",
    "bright_fraction",
    "motion_mean",
    "motion_std",
    "edge_density",
)
SCENE_DIM = len(SCENE_FEATURE_NAMES)
#: Frames are decoded at this rate and size (width, height) before the statistics are taken.
SCENE_FPS = 4.0
SCENE_SIZE = (160, 90)


def scene_statistics(frames: np.ndarray) -> np.ndarray:
    """The scene vector of uint8 RGB frames ``(n, h, w, 3)`` (see the module docstring), float32 ``(24,)``."""
    import cv2

    x = np.asarray(frames)
    if x.ndim != 4 or x.shape[-1] != 3 or len(x) == 0:
        raise ValueError(f"scene_statistics expects uint8 RGB frames (n, h, w, 3), got shape {x.shape}")
    x = np.ascontiguousarray(x, dtype=np.uint8)
    flat = x.reshape(-1, x.shape[2], 3)  # stack frames vertically: one image for the colour statistics
    hsv = cv2.cvtColor(flat, cv2.COLOR_RGB2HSV_FULL).astype(np.float32)  # hue 0..255 over 360 degrees
    hls = cv2.cvtColor(flat, cv2.COLOR_RGB2HLS).astype(np.float32)
    hue = hsv[..., 0] / 256.0 * 360.0
    sat = hsv[..., 1] / 255.0
    light = hls[..., 1] / 255.0
    rgb = flat.astype(np.float32)
    chroma = (rgb.max(axis=-1) - rgb.min(axis=-1)) / 255.0

    hist, _ = np.histogram(hue, bins=12, range=(0.0, 360.0), weights=chroma)
    total = float(hist.sum())
    hist = hist / total if total > 0 else np.zeros(12)
    warm_mask = (hue >= 330.0) | (hue < 90.0)
    warm = float(chroma[warm_mask].sum() / total) if total > 0 else 0.0

    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    rg, yb = r - g, 0.5 * (r + g) - b
    colorfulness = np.hypot(rg.std(), yb.std()) + 0.3 * np.hypot(rg.mean(), yb.mean())

    gray = np.stack([cv2.cvtColor(f, cv2.COLOR_RGB2GRAY) for f in x]).astype(np.float32)
    if len(gray) > 1:
        diffs = np.abs(np.diff(gray, axis=0)).mean(axis=(1, 2)) / 255.0 * 10.0
        motion_mean, motion_std = float(diffs.mean()), float(diffs.std())
    else:
        motion_mean = motion_std = 0.0
    edges = np.mean([cv2.Canny(g.astype(np.uint8), 100, 200).mean() / 255.0 for g in gray]) * 4.0

    feats = [
        *hist.tolist(),
        float(light.mean()),
        float(light.std()),
        float(sat.mean()),
        float(sat.std()),
        float(colorfulness) / 100.0,
        float(gray.std()) / 255.0 * 2.0,
        warm,
        float((light < 0.2).mean()),
        float((light > 0.8).mean()),
        motion_mean,
        motion_std,
        float(edges),
    ]
    return np.nan_to_num(np.asarray(feats, dtype=np.float32))


class SceneVisualEncoder:
    """Scene vectors of video spans: decodes frames at :data:`SCENE_FPS` and :data:`SCENE_SIZE`."""

    modality = "scene"
    encoder_id = SCENE_VISUAL_ID
    dim = SCENE_DIM

    def __init__(self, fps: float = SCENE_FPS, size: tuple[int, int] = SCENE_SIZE) -> None:
        self.fps = float(fps)
        self.size = (int(size[0]), int(size[1]))

    def read(self, video: str | os.PathLike[str], start: float | None = None, end: float | None = None) -> np.ndarray:
        """Frames of the span as this encoder samples them (uint8 RGB)."""
        from evaluator.media import read_frames

        frames = read_frames(video, fps=self.fps, start=start, end=end, size=self.size)
        if len(frames) == 0:
            # spans shorter than one frame period: take the frame at the start
            frames = read_frames(video, start=start, end=(start or 0.0) + 0.5, size=self.size)[:1]
        if len(frames) == 0:
            raise MediaError(f"{video}: no video frames between {start} and {end} s", hint="check the span")
        return frames

    def encode_frames(self, frames: np.ndarray) -> np.ndarray:
        return scene_statistics(frames)

    def encode(self, video: str | os.PathLike[str], start: float | None = None, end: float | None = None) -> np.ndarray:
        """The scene vector of ``video`` between ``start`` and ``end`` seconds."""
        return scene_statistics(self.read(video, start, end))

    def unload(self) -> None:
        """Nothing is loaded (no model)."""
