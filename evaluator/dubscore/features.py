"""Cue profiles, the on-disk feature cache, and the feature table the fusion network trains on.

Features are cached per (input content, encoder id): the key hashes the bytes of every file a cue
reads (and its span, and the text), plus the encoder id, so training epochs and re-scoring never
re-extract, and a changed model or clip never reuses a stale vector.

>>> sorted(PROFILES)
['offline', 'paper']
>>> [c for c in PROFILES["offline"] if CUE_MODALITY[c] == "T"]
['script', 'transcript']
>>> [c.name for c in build_cues("offline", ("T",), metric_cues=True)]
['script', 'transcript', 'text_metrics']
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from evaluator.dubscore.cues import MODALITIES, CueEncoder
from evaluator.errors import ConfigError, OutputError
from evaluator.fileio import atomic_path, file_sha256
from evaluator.metrics.item import ScoreItem
from evaluator.registry import Registry

logger = logging.getLogger(__name__)

CUES = Registry("dubscore cue")
for _name, _target in {
    "voice": "evaluator.dubscore.cues:VoiceCue",
    "prosody": "evaluator.dubscore.cues:ProsodyCue",
    "quality": "evaluator.dubscore.cues:QualityCue",
    "expression": "evaluator.dubscore.cues:ExpressionCue",
    "face_motion": "evaluator.dubscore.cues:FaceMotionCue",
    "scene": "evaluator.dubscore.cues:SceneCue",
    "vmaf": "evaluator.dubscore.cues:VMAFCue",
    "script": "evaluator.dubscore.cues:ScriptCue",
    "transcript": "evaluator.dubscore.cues:TranscriptCue",
    "audio_metrics": "evaluator.dubscore.cues:AudioMetricsCue",
    "text_metrics": "evaluator.dubscore.cues:TextMetricsCue",
    "wav2vec2": "evaluator.dubscore.paper_cues:Wav2Vec2Cue",
    "ecapa": "evaluator.dubscore.paper_cues:EcapaCue",
    "emotion2vec": "evaluator.dubscore.paper_cues:Emotion2VecCue",
    "timesformer": "evaluator.dubscore.paper_cues:TimeSformerCue",
    "face_expression": "evaluator.dubscore.paper_cues:FaceExpressionCue",
    "sbert_script": "evaluator.dubscore.paper_cues:SBERTScriptCue",
    "sbert_transcript": "evaluator.dubscore.paper_cues:SBERTTranscriptCue",
}.items():
    CUES.register(_name, _target)

#: the cues of each profile: encoder embeddings and statistics only, as the DubScore paper's network sees
PROFILES: dict[str, tuple[str, ...]] = {
    "offline": ("voice", "prosody", "quality", "expression", "face_motion", "scene", "script", "transcript"),
    "paper": ("wav2vec2", "ecapa", "emotion2vec", "timesformer", "face_expression", "sbert_script", "sbert_transcript"),
}
CUE_MODALITY = {
    "voice": "A", "prosody": "A", "quality": "A", "wav2vec2": "A", "ecapa": "A", "emotion2vec": "A",
    "expression": "V", "face_motion": "V", "scene": "V", "vmaf": "V", "timesformer": "V", "face_expression": "V",
    "script": "T", "transcript": "T", "sbert_script": "T", "sbert_transcript": "T", "audio_metrics": "A",
    "text_metrics": "T",
}  # fmt: skip
#: the objective metrics of the suite as cues: opt-in (``metric_cues``). In stage 1 the label is the proxy MOS, a
#: weighted sum of these same metrics, so a network that sees them is shown what its label is computed from;
#: the paper's network sees encoder embeddings only.
METRIC_CUES: tuple[str, ...] = ("audio_metrics", "text_metrics")


def parse_modalities(text: str | Sequence[str]) -> tuple[str, ...]:
    """``"A,V"`` or ``"AV"`` -> ``("A", "V")``, validated."""
    parts = [p.strip().upper() for p in (text.replace(",", " ").split() if isinstance(text, str) else text)]
    if len(parts) == 1 and len(parts[0]) > 1:
        parts = list(parts[0])
    bad = [p for p in parts if p not in MODALITIES]
    if bad or not parts:
        raise ConfigError(f"unknown modalities {','.join(bad) or text!r}", hint="use a subset of A,V,T, e.g. A,V")
    return tuple(m for m in MODALITIES if m in parts)


def model_cues() -> list[str]:
    """The cues whose encoder model can be chosen (``models`` of :func:`build_cues`, ``--encoder-model``)."""
    import inspect

    return [n for n in CUES.names() if "model" in inspect.signature(CUES.get(n).__init__).parameters]


def build_cues(
    profile: str = "offline",
    modalities: Sequence[str] = MODALITIES,
    models: dict[str, str] | None = None,
    names: Sequence[str] | None = None,
    *,
    metric_cues: bool = False,
) -> list[CueEncoder]:
    """The cue encoders of ``profile`` restricted to ``modalities``; ``models`` maps cue -> local dir or hub id.

    ``metric_cues`` adds :data:`METRIC_CUES` (the metric suite's values as cues) to the profile's cues; ``names``
    (an explicit list, e.g. a checkpoint's) is taken as it is."""
    if profile not in PROFILES:
        raise ConfigError(f"unknown DubScore profile {profile!r}", hint=f"choose one of {', '.join(PROFILES)}")
    models = dict(models or {})
    if models:
        from evaluator.options import Option, check_options

        check_options(models, [Option(n) for n in model_cues()], what="the cue models")
    if names is not None:
        chosen = list(names)
    else:
        pool = (*PROFILES[profile], *(METRIC_CUES if metric_cues else ()))
        chosen = [c for c in pool if CUE_MODALITY[c] in modalities]
    cues = []
    for name in chosen:
        cls = CUES.get(name)
        cues.append(cls(models[name]) if name in models else cls())
    return cues


class FeatureCache:
    """Cue vectors on disk under ``root/<encoder hash>/<input hash>.npy``, written atomically."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self._file_hash: dict[str, str] = {}
        self.hits = 0
        self.misses = 0

    def _hash_file(self, path: str) -> str:
        if path not in self._file_hash:
            self._file_hash[path] = file_sha256(path)
        return self._file_hash[path]

    def key(self, item: ScoreItem, cue: CueEncoder) -> Path:
        h = hashlib.sha256()
        for kind in (*cue.inputs, *cue.optional_inputs):
            if kind in ("text",):
                h.update(f"text={item.text or ''}\n".encode())
            elif kind in ("audio", "reference", "voice", "video", "reference_video"):
                videos = {"video": item.video, "reference_video": item.reference_video}
                src = videos[kind] if kind in videos else item.sources[kind]
                if src is None:
                    h.update(f"{kind}=none\n".encode())
                elif src.array is not None:
                    h.update(f"{kind}=array:{src.sr}:".encode() + np.ascontiguousarray(src.array).tobytes())
                else:
                    h.update(f"{kind}={self._hash_file(src.path)}:{src.start}:{src.end}\n".encode())
        if "transcript" in cue.name:
            h.update(f"lang={item.lang}\n".encode())
        enc = hashlib.sha256(cue.encoder_id.encode()).hexdigest()[:16]
        return self.root / f"{cue.name}-{enc}" / f"{h.hexdigest()[:32]}.npy"

    def get(self, item: ScoreItem, cue: CueEncoder) -> np.ndarray:
        """The cached vector of ``item`` for ``cue``, computing and storing it on a miss."""
        path = self.key(item, cue)
        if path.is_file():
            self.hits += 1
            return np.load(path)
        self.misses += 1
        vec = np.asarray(cue.encode(item), dtype=np.float32).reshape(-1)
        if vec.shape != (cue.dim,):
            raise OutputError(f"{cue.name}: encoder returned shape {vec.shape}, expected ({cue.dim},)")
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(path, suffix=".npy") as tmp, open(tmp, "wb") as fh:
            np.save(fh, vec)
        return vec


@dataclass
class FeatureTable:
    """Cue vectors of N clips: ``cues[name]`` is ``(N, dim)``; ``present[name]`` is ``(N,)`` bool."""

    ids: list[str]
    cues: dict[str, np.ndarray]
    present: dict[str, np.ndarray]
    encoder_ids: dict[str, str]
    profile: str = "offline"
    modality: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.modality:
            self.modality = {c: CUE_MODALITY[c] for c in self.cues}

    def __len__(self) -> int:
        return len(self.ids)

    def subset(self, idx: np.ndarray | Sequence[int]) -> FeatureTable:
        idx = np.asarray(idx)
        return FeatureTable(
            [self.ids[i] for i in idx],
            {k: v[idx] for k, v in self.cues.items()},
            {k: v[idx] for k, v in self.present.items()},
            dict(self.encoder_ids),
            self.profile,
            dict(self.modality),
        )

    def select(self, modalities: Sequence[str]) -> FeatureTable:
        keep = [c for c in self.cues if self.modality[c] in modalities]
        return FeatureTable(
            list(self.ids),
            {c: self.cues[c] for c in keep},
            {c: self.present[c] for c in keep},
            {c: self.encoder_ids[c] for c in keep},
            self.profile,
            {c: self.modality[c] for c in keep},
        )

    def save(self, path: str | os.PathLike[str]) -> None:
        import json

        arrays = {f"cue__{k}": v for k, v in self.cues.items()}
        arrays.update({f"present__{k}": v for k, v in self.present.items()})
        meta = {"ids": self.ids, "encoder_ids": self.encoder_ids, "profile": self.profile, "modality": self.modality}
        with atomic_path(path, suffix=".npz") as tmp, open(tmp, "wb") as fh:
            np.savez(fh, meta=np.array(json.dumps(meta)), **arrays)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> FeatureTable:
        import json

        with np.load(path) as z:
            meta = json.loads(str(z["meta"]))
            cues = {k[5:]: z[k] for k in z.files if k.startswith("cue__")}
            present = {k[9:]: z[k] for k in z.files if k.startswith("present__")}
        return cls(meta["ids"], cues, present, meta["encoder_ids"], meta["profile"], meta["modality"])


def extract_features(
    items: Sequence[ScoreItem],
    cues: Sequence[CueEncoder],
    cache: FeatureCache,
    *,
    profile: str = "offline",
    progress: Callable[[int], None] | None = None,
) -> FeatureTable:
    """Cue vectors of ``items`` through the cache; a cue whose inputs an item lacks gives zeros, not present."""
    out = {c.name: np.zeros((len(items), c.dim), np.float32) for c in cues}
    present = {c.name: np.zeros(len(items), bool) for c in cues}
    for i, item in enumerate(items):
        for c in cues:
            if c.applies(item):
                out[c.name][i] = cache.get(item, c)
                present[c.name][i] = True
        item.release()
        if progress is not None:
            progress(i + 1)
    return FeatureTable([it.id for it in items], out, present, {c.name: c.encoder_id for c in cues}, profile)


def features_for_checkpoint(info: dict[str, Any]) -> list[CueEncoder]:
    """Rebuild the cue encoders a checkpoint was trained with (its profile, cue names and model paths)."""
    return build_cues(info["profile"], names=list(info["encoder_ids"]), models=info.get("models") or {})
