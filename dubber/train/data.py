"""V2C-style training data for the synthesizer: one JSON object per line (JSONL).

Each line: ``{"audio": "clip.wav", "text": "what is said", "speaker": "ANNA", "video_features":
"clip.npy" (optional, [frames, dim] at any rate), "scene_reading": {...} (optional)}``; paths are
relative to the JSONL file. ``video`` may name the clip (for :mod:`dubber.visual_features`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from evaluator.errors import ConfigError
from evaluator.media import load_audio


@dataclass
class Utterance:
    audio: np.ndarray
    text: str
    speaker: str = "default"
    video_features: np.ndarray | None = None
    scene_reading: dict[str, Any] = field(default_factory=dict)


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
        items.append(
            Utterance(
                audio=load_audio(p.parent / row["audio"], sr),
                text=str(row["text"]).strip(),
                speaker=str(row.get("speaker", "default")),
                video_features=feats,
                scene_reading=dict(row.get("scene_reading") or {}),
            )
        )
    if not items:
        raise ConfigError(f"{p}: no utterances")
    return items
