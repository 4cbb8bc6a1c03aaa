"""SyncNet LSE-D / LSE-C: the ``syncnet`` (paper) backend of ``av_sync_offset_ms``, ``av_sync_conf`` and ``lse_d``.

Follows the conventions of syncnet_python (Chung and Zisserman 2016; joonson/syncnet_python), which
the dubbing papers use for LSE-D and LSE-C:

- video at 25 fps; per frame a face crop resized to 224x224, BGR, pixel values 0..255 (no
  normalisation). The crop is syncnet_python's: around the smoothed face box of half-size ``s`` it
  spans ``s * 2.8`` wide, from ``s`` above the box centre to ``1.8 s`` below it (``crop_scale`` 0.4),
  padded with grey 110 outside the picture. Boxes come from dlib's HOG detector
  (:class:`evaluator.encoders.face.FaceAnalyzer`, every ``detect_every`` frames, linearly interpolated)
  and are median-filtered over 13 frames (edge values repeated, where syncnet_python pads with zeros);
- audio at 16 kHz, 16-bit scale, 13 MFCCs at 100 Hz from ``python_speech_features.mfcc`` with its
  defaults (25 ms windows, 26 filters, log energy as the first coefficient);
- windows of 5 video frames and 20 MFCC frames (0.2 s): window ``i`` is frames ``i..i+4`` and MFCC
  frames ``4i..4i+19``; ``min(frames, samples // 640) - 5`` windows are embedded to 1024-d by the
  two towers (:mod:`evaluator.metrics.syncnet_arch`);
- offset search over +/-``vshift`` (15) frames: the audio embeddings are zero-padded by ``vshift`` at both
  ends, each video window is compared (Euclidean distance) with the audio windows ``i - 15 .. i + 15``,
  and the distances are averaged over the windows per shift. LSE-D is the minimum mean distance,
  LSE-C the median over the shifts minus that minimum; the offset is the shift of the minimum.

Sign: syncnet_python prints ``offset = vshift - argmin`` (positive: the audio leads). dubkit reports
``offset_ms_signed`` with the opposite sign, like the offline backend (positive: the audio comes late);
both are in the details.

The weights are the published ``syncnet_v2.model`` (a state dict of syncnet_python's ``S`` module),
given as ``--metric-option syncnet_model=PATH``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from evaluator.errors import ConfigError, MissingDependencyError, ModelLoadError
from evaluator.metrics.base import MetricBackend
from evaluator.metrics.spec import SkipMetric
from evaluator.metrics.sync_search import offset_or_skip

logger = logging.getLogger(__name__)

FPS = 25.0
AUDIO_SR = 16000
VSHIFT = 15
CROP_SCALE = 0.4
CROP_PAD_VALUE = 110
SMOOTH_FRAMES = 13
MIN_FACE_COVERAGE = 0.5
SAMPLES_PER_FRAME = int(AUDIO_SR / FPS)  # 640
MFCC_PER_FRAME = 4  # 100 Hz MFCC / 25 fps
OPTION_HINT = "give the metric option syncnet_model=PATH (syncnet_v2.model from joonson/syncnet_python)"
_PREFIXES = ("__S__.", "module.")


@dataclass
class SyncNetResult:
    """The offset search on one clip."""

    lse_d: float
    lse_c: float
    offset_frames: int  # dubkit sign: positive means the audio comes late
    mean_dists: np.ndarray  # (2 * vshift + 1,), shifts -vshift..vshift (dubkit sign)
    windows: int

    @property
    def offset_ms(self) -> float:
        return 1000.0 * self.offset_frames / FPS


# -- weights -----------------------------------------------------------------------------------------
def load_syncnet(path: str | Path | None, device: str = "cpu") -> Any:
    """The ``S`` network with the weights of a syncnet_python state-dict file (``syncnet_v2.model``)."""
    import torch

    from evaluator.metrics.syncnet_arch import SyncNetS

    if path is None or str(path).strip() == "":
        raise ModelLoadError("no SyncNet weights given", hint=OPTION_HINT)
    p = Path(path)
    if not p.is_file():
        raise ModelLoadError(f"{p}: no such SyncNet weights file", hint=OPTION_HINT)
    try:
        state = torch.load(p, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises pickle/zip/runtime errors for files that are not state dicts
        raise ModelLoadError(f"{p}: not a SyncNet state dict ({type(exc).__name__}: {exc})", hint=OPTION_HINT) from None
    if isinstance(state, dict) and isinstance(state.get("state_dict"), dict):
        state = state["state_dict"]
    if not isinstance(state, dict):
        raise ModelLoadError(f"{p}: expected a state dict, found {type(state).__name__}", hint=OPTION_HINT)
    cleaned = {}
    for key, value in state.items():
        for prefix in _PREFIXES:
            key = key.removeprefix(prefix)
        cleaned[key] = value
    net = SyncNetS()
    try:
        result = net.load_state_dict(cleaned, strict=False)
    except RuntimeError as exc:  # shape mismatch
        raise ModelLoadError(f"{p}: weights do not fit SyncNet's S network: {exc}", hint=OPTION_HINT) from None
    missing = [k for k in result.missing_keys if not k.endswith("num_batches_tracked")]
    if missing or result.unexpected_keys:
        raise ModelLoadError(
            f"{p}: not syncnet_python S weights (missing {missing[:3]}, unexpected {result.unexpected_keys[:3]})",
            hint=OPTION_HINT,
        )
    return net.to(device).eval()


# -- inputs ------------------------------------------------------------------------------------------
def mfcc(audio16k: np.ndarray) -> np.ndarray:
    """``(13, n)`` MFCCs at 100 Hz of 16 kHz audio in [-1, 1], scaled to 16-bit as syncnet_python reads wavs."""
    try:
        from python_speech_features import mfcc as psf_mfcc
    except ImportError:
        raise MissingDependencyError(
            "python-speech-features", install="pip install python-speech-features==0.6"
        ) from None
    pcm = np.clip(np.asarray(audio16k, dtype=np.float64) * 32768.0, -32768.0, 32767.0)
    return np.asarray(psf_mfcc(pcm, AUDIO_SR), dtype=np.float32).T


def crop_face(frame: np.ndarray, cx: float, cy: float, half: float, size: int = 224) -> np.ndarray:
    """syncnet_python's face crop of an RGB frame, as a ``(size, size, 3)`` BGR image."""
    import cv2

    h, w = frame.shape[:2]
    y0, y1 = int(cy - half), int(cy + half * (1 + 2 * CROP_SCALE))
    x0, x1 = int(cx - half * (1 + CROP_SCALE)), int(cx + half * (1 + CROP_SCALE))
    if y1 <= y0 or x1 <= x0:
        raise SkipMetric("empty face box")
    canvas = np.full((y1 - y0, x1 - x0, 3), CROP_PAD_VALUE, dtype=np.uint8)
    sy0, sy1, sx0, sx1 = max(y0, 0), min(y1, h), max(x0, 0), min(x1, w)
    if sy1 > sy0 and sx1 > sx0:
        canvas[sy0 - y0 : sy1 - y0, sx0 - x0 : sx1 - x0] = frame[sy0:sy1, sx0:sx1]
    return cv2.resize(cv2.cvtColor(canvas, cv2.COLOR_RGB2BGR), (size, size))


def face_track(analyzer: Any, frames: np.ndarray, detect_every: int = 5) -> tuple[np.ndarray, float]:
    """Smoothed (centre x, centre y, half-size) per frame ``(n, 3)`` of the largest face, and the detection rate."""
    from scipy.ndimage import median_filter

    n = len(frames)
    probe_idx = sorted({*range(0, n, max(1, detect_every)), n - 1})
    found_idx, boxes = [], []
    for i in probe_idx:
        faces = analyzer.detect(frames[i])
        if faces:
            b = faces[0]
            found_idx.append(i)
            boxes.append((b.x + b.w / 2.0, b.y + b.h / 2.0, max(b.w, b.h) / 2.0))
    coverage = len(found_idx) / len(probe_idx)
    if not found_idx:
        return np.zeros((n, 3)), 0.0
    pts = np.asarray(boxes, dtype=np.float64)
    idx = np.arange(n)
    track = np.stack([np.interp(idx, found_idx, pts[:, k]) for k in range(3)], axis=1)
    size = min(SMOOTH_FRAMES, n if n % 2 else n - 1)
    if size > 1:
        track = median_filter(track, size=(size, 1), mode="nearest")
    return track, coverage


# -- the offset search ---------------------------------------------------------------------------------
def offset_search(video_emb: Any, audio_emb: Any, vshift: int = VSHIFT) -> SyncNetResult:
    """LSE-D, LSE-C and the offset from per-window embeddings ``(n, d)`` of the two streams (torch or numpy)."""
    import torch
    import torch.nn.functional as F  # noqa: N812

    v = torch.as_tensor(np.asarray(video_emb) if not torch.is_tensor(video_emb) else video_emb).float()
    a = torch.as_tensor(np.asarray(audio_emb) if not torch.is_tensor(audio_emb) else audio_emb).float()
    if v.ndim != 2 or v.shape != a.shape:
        raise ConfigError(
            f"embeddings must be two (n, d) arrays of one shape, got {tuple(v.shape)} and {tuple(a.shape)}"
        )
    n = v.shape[0]
    padded = F.pad(a, (0, 0, vshift, vshift))
    # dists[k, i]: video window i against audio window i + k - vshift (zeros outside the clip)
    dists = torch.stack([F.pairwise_distance(v, padded[k : k + n]) for k in range(2 * vshift + 1)])
    mean = dists.mean(dim=1)
    best = int(torch.argmin(mean))
    lse_d = float(mean[best])
    lse_c = float(torch.median(mean)) - lse_d
    return SyncNetResult(lse_d, lse_c, best - vshift, mean.numpy().astype(np.float64), n)


# -- the backend -----------------------------------------------------------------------------------------
class SyncNetBackend(MetricBackend):
    """SyncNet (syncnet_python ``S``, ``syncnet_v2.model``) on face crops and MFCCs; see the module docstring."""

    name = "syncnet"
    offline = False
    sample_rate = AUDIO_SR
    #: frames are decoded at most this wide (the face is cropped from them and resized to 224x224)
    analysis_width = 640
    min_frames = 10
    provides = ("av_sync_offset_ms", "av_sync_conf", "lse_d")

    def __init__(
        self,
        model: str | None = None,
        device: str = "auto",
        batch_size: int = 20,
        vshift: int = VSHIFT,
        detector: str = "dlib",
        detect_every: int = 5,
    ) -> None:
        self.model = None if model is None or str(model).strip() == "" else str(model)
        self.device = str(device)
        self.batch_size = max(1, int(batch_size))
        self.vshift = int(vshift)
        self.detector = detector
        self.detect_every = max(1, int(detect_every))

    @cached_property
    def model_id(self) -> str:  # type: ignore[override]
        if self.model is None:
            return "syncnet:(no weights given)"
        p = Path(self.model)
        tag = p.name
        if p.is_file():
            from evaluator.fileio import file_sha256

            tag += f" sha256:{file_sha256(p)[:12]}"
        return f"syncnet:{tag} (syncnet_python S, +/-{self.vshift} frames at {FPS:g} fps)"

    def describe_model(self) -> str:
        return self.model_id

    def available(self) -> bool:
        return self.model is not None and Path(self.model).is_file()

    def _device(self) -> str:
        if self.device != "auto":
            return self.device
        import torch

        return "cuda" if torch.cuda.is_available() else "cpu"

    @cached_property
    def net(self) -> Any:
        return load_syncnet(self.model, self._device())

    @cached_property
    def analyzer(self) -> Any:
        from evaluator.encoders.face import FaceAnalyzer

        return FaceAnalyzer(self.detector)

    def embed(self, crops: np.ndarray, coeffs: np.ndarray) -> tuple[Any, Any]:
        """Lip and audio embeddings ``(windows, 1024)`` of BGR crops ``(n, 224, 224, 3)`` and MFCCs ``(13, m)``."""
        import torch

        net = self.net
        dev = next(net.parameters()).device
        n_frames = min(len(crops), coeffs.shape[1] // MFCC_PER_FRAME)
        windows = n_frames - 5
        if windows < 1:
            raise SkipMetric(f"clip too short for SyncNet ({len(crops)} frames)")
        video = torch.from_numpy(np.ascontiguousarray(crops[:n_frames])).permute(3, 0, 1, 2).float()  # (3, n, H, W)
        audio = torch.from_numpy(np.ascontiguousarray(coeffs)).float()
        lips, auds = [], []
        with torch.inference_mode():
            for s in range(0, windows, self.batch_size):
                idx = range(s, min(windows, s + self.batch_size))
                v = torch.stack([video[:, i : i + 5] for i in idx]).to(dev)
                a = torch.stack([audio[None, :, 4 * i : 4 * i + 20] for i in idx]).to(dev)
                lips.append(net.forward_lip(v).cpu())
                auds.append(net.forward_aud(a).cpu())
        return torch.cat(lips), torch.cat(auds)

    def load(self) -> None:
        """Load the network now, or fail with the option to pass (the family calls this before decoding video)."""
        self.net  # noqa: B018

    def measure(self, frames: np.ndarray, audio16k: np.ndarray, names: list[str]) -> dict[str, Any]:
        """The av_sync metrics of RGB frames at 25 fps and their 16 kHz audio."""
        track, coverage = face_track(self.analyzer, frames, self.detect_every)
        if coverage < MIN_FACE_COVERAGE:
            raise SkipMetric(f"a face was found in {coverage:.0%} of the frames only")
        crops = np.stack([crop_face(f, *track[i]) for i, f in enumerate(frames)])
        lip, aud = self.embed(crops, mfcc(audio16k))
        res = offset_search(lip, aud, self.vshift)
        details = {
            "offset_ms_signed": res.offset_ms,
            "offset_frames_syncnet": -res.offset_frames,
            "lse_d": round(res.lse_d, 4),
            "lse_c": round(res.lse_c, 4),
            "face_coverage": round(coverage, 3),
            "frames": len(frames),
            "windows": res.windows,
        }
        return {  # no confidence floor for SyncNet: none was measured here (its weights are not available offline)
            "av_sync_offset_ms": offset_or_skip(res.offset_frames, FPS, self.vshift, res.lse_c, None, details),
            "av_sync_conf": (res.lse_c, details),
            "lse_d": (res.lse_d, details),
        }

    def unload(self) -> None:
        if "analyzer" in self.__dict__:
            self.analyzer.unload()
        for key in ("net", "analyzer"):
            self.__dict__.pop(key, None)
