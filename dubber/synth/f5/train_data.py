"""V2C-style training data for the synthesizer: one JSON object per line (JSONL).

Each line: ``{"audio": "clip.wav", "text": "what is said", "speaker": "ANNA"}`` plus, optionally:

- ``"video": "ep1.mp4", "start": 12.0, "end": 14.5``: the utterance's span of a video (start/end
  default to the whole file). The control branch's video condition is the CLIP features of that
  span (``--clip``) and, with ``--graph-profile``, the span gives the emotion graph's scene and face nodes;
- ``"video_features": "clip.npy"``: precomputed [frames, dim] visual features (at any rate) instead;
- ``"scene_reading": {...}``: a scene reading (``dubber.scene``);
- ``"retrieved": [...]``: footage-library hits of the utterance (``Hit.to_dict``, as a dub project's
  line records them in ``conditions.hits``), for the emotion graph.

Relative paths are relative to the JSONL file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from evaluator.errors import ConfigError, ManifestError
from evaluator.media import load_audio
from evaluator.project import Hit, VideoSpan


@dataclass
class Utterance:
    audio: np.ndarray
    text: str
    speaker: str = "default"
    video_features: np.ndarray | None = None
    scene_reading: dict[str, Any] = field(default_factory=dict)
    video_span: VideoSpan | None = None
    retrieved: tuple[Hit, ...] = ()


def read_dataset(path: str | Path, sr: int) -> list[Utterance]:
    """Load every utterance of a JSONL dataset (audio decoded at ``sr``)."""
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"{p}: no such training manifest", hint="give a JSONL file (audio, text per line)")
    items = []
    for n, raw in enumerate(p.read_text(encoding="utf-8").splitlines(), 1):
        if not raw.strip():
            continue
        try:
            row = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{p}:{n}: not valid JSON ({exc.msg})") from None
        if not isinstance(row, dict) or not row.get("audio") or not str(row.get("text", "")).strip():
            raise ConfigError(f"{p}:{n}: each line needs 'audio' and 'text'")
        feats = None
        if row.get("video_features"):
            feats = np.load(p.parent / row["video_features"]).astype(np.float32)
            if feats.ndim != 2:
                raise ConfigError(f"{p}:{n}: video_features must be [frames, dim], got {feats.shape}")
        retrieved = row.get("retrieved") or []
        if not isinstance(retrieved, list) or not all(isinstance(h, dict) for h in retrieved):
            raise ConfigError(f"{p}:{n}: 'retrieved' must be a list of hits (objects)")
        try:
            hits = tuple(Hit.from_dict(h, f"{p}:{n}: retrieved #{j}") for j, h in enumerate(retrieved))
        except ManifestError as exc:
            raise ConfigError(str(exc)) from None
        items.append(
            Utterance(
                audio=load_audio(p.parent / row["audio"], sr),
                text=str(row["text"]).strip(),
                speaker=str(row.get("speaker", "default")),
                video_features=feats,
                scene_reading=dict(row.get("scene_reading") or {}),
                video_span=_span(row, p, n),
                retrieved=hits,
            )
        )
    if not items:
        raise ConfigError(f"{p}: no utterances")
    return items


def _span(row: dict[str, Any], p: Path, n: int) -> VideoSpan | None:
    if not row.get("video"):
        return None
    video = Path(row["video"])
    video = video if video.is_absolute() else p.parent / video
    if not video.is_file():
        raise ConfigError(f"{p}:{n}: no such video {video}")
    try:
        start = None if row.get("start") is None else float(row["start"])
        end = None if row.get("end") is None else float(row["end"])
    except (TypeError, ValueError):
        raise ConfigError(f"{p}:{n}: 'start' and 'end' must be seconds") from None
    if start is not None and end is not None and end <= start:
        raise ConfigError(f"{p}:{n}: the video span ends ({end} s) before it starts ({start} s)")
    return VideoSpan(str(video), start, end)
