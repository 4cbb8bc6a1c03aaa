"""The control branch's conditions from a line's typed conditions (and from training data).

A request's ``conditions`` (:class:`evaluator.project.Conditions`) give:

- ``video_span``: the line's span of the episode. The video condition is the per-frame CLIP vision
  features of that span (:mod:`dubber.synth.f5.visual`), resampled to the generated mel frames. The
  CLIP model is the one recorded in the control checkpoint (``ControlConfig.clip``) unless the
  synthesizer's ``clip`` option points elsewhere.
- ``hits``: footage-library hits. With the line's own vectors (scene and face of ``video_span``, text
  emotion of the line, from the library profile's encoders, as ``FootageLibrary.encode_target``
  computes them) they make the progressive emotion graph (:func:`dubber.synth.f5.graph.build_emotion_graphs`):
  one reference per retrieved clip id, with a node for each modality it was retrieved by and an audio
  node from its stored audio vector. A hit's modality vector is ``hit.vector`` when present, else
  re-encoded from the clip's own media with the same encoders (deterministic, so it equals the stored one).
- ``reading``: the scene reading's categorical fields.

A request's ``precomputed`` features (training data, tests) win over encoding. Nothing here runs unless
a control branch is loaded: base F5 never computes these conditions. Training
(:mod:`dubber.synth.f5.train`) uses the same :class:`ConditionFeaturizer`, so a trained branch sees at
inference what it saw in training.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Hashable, Mapping, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import torch

from dubber.synth.f5.control import ControlConditions, ControlConfig, ControlledDiT, reading_ids
from dubber.synth.f5.graph import EmotionGraphs, build_emotion_graphs
from dubber.synth.f5.prep import Prepared
from evaluator.errors import ConfigError
from evaluator.fileio import stable_hash
from evaluator.project import Hit, VideoSpan

log = logging.getLogger(__name__)
GRAPH_MODALITIES = ("scene", "face", "text", "audio")


def graph_spec(profile: str = "offline", options: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The node encoders of the emotion graph: those of a footage-library profile (ids and widths).

    >>> graph_spec("offline")["dims"]
    {'scene': 24, 'face': 136, 'text': 7, 'audio': 16}
    """
    from retrieval.profiles import make_encoders

    opts = {k: str(v) for k, v in sorted((options or {}).items())}
    encs = make_encoders(profile, opts)
    return {
        "profile": profile,
        "options": opts,
        "encoders": {m: encs[m].encoder_id for m in GRAPH_MODALITIES},
        "dims": {m: int(encs[m].dim) for m in GRAPH_MODALITIES},
    }


class _LRU(OrderedDict):
    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def get_or(self, key: Hashable, make: Any) -> Any:
        if key in self:
            self.move_to_end(key)
            return self[key]
        value = self[key] = make()
        while len(self) > self.size:
            self.popitem(last=False)
        return value


class ConditionFeaturizer:
    """Video features and emotion graphs of lines, for one control config (models load on first use)."""

    def __init__(
        self,
        cfg: ControlConfig,
        *,
        clip: str | Path | None = None,
        device: str | torch.device = "cpu",
        cache_size: int = 64,
    ) -> None:
        self.cfg = cfg
        self.clip_spec = str(clip) if clip is not None else cfg.clip
        if clip is not None and cfg.clip is not None and str(clip) != cfg.clip:
            log.info("f5 control: CLIP from %s (the branch was trained with %s)", clip, cfg.clip)
        self.device = torch.device(device)
        self._frames = _LRU(cache_size)
        self._graphs = _LRU(cache_size)
        self._hit_vectors = _LRU(cache_size * 16)

    @property
    def has_video(self) -> bool:
        return self.clip_spec is not None

    @property
    def has_graph(self) -> bool:
        return self.cfg.graph is not None

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.has_video:
            out["clip"] = self.clip_spec
        if self.has_graph:
            out["graph_encoders"] = dict(self.cfg.graph["encoders"])
        return out

    # -- video ----------------------------------------------------------------------------------
    @cached_property
    def clip_encoder(self):
        from dubber.synth.f5.visual import ClipFrameEncoder

        if self.clip_spec is None:
            raise ConfigError("this control branch has no CLIP model", hint="pass the f5 option clip=DIR")
        return ClipFrameEncoder(self.clip_spec, device=str(self.device))

    def frame_features(self, span: VideoSpan) -> torch.Tensor:
        """CLIP features [frames, dim] of the span's frames (cached per span)."""

        def make() -> torch.Tensor:
            from evaluator.errors import MediaError
            from evaluator.media import read_frames

            enc = self.clip_encoder
            video, start, end = span.path, span.start, span.end
            frames = read_frames(video, fps=enc.fps, start=start, end=end)
            if len(frames) == 0:  # a span shorter than one frame period: its first frame
                frames = read_frames(video, start=start, end=(start or 0.0) + 0.5)[:1]
            if len(frames) == 0:
                raise MediaError(f"{video}: no frames between {start} and {end} s")
            feats = enc.encode_frames(frames)
            if feats.shape[1] != self.cfg.video_dim:
                raise ConfigError(
                    f"CLIP model {self.clip_spec} gives {feats.shape[1]}-d features, the control branch takes "
                    f"{self.cfg.video_dim}-d",
                    hint="use the CLIP model the branch was trained with (f5 option clip=...)",
                )
            return feats

        return self._frames.get_or(span, make)

    def video(self, span: VideoSpan, n_frames: int) -> torch.Tensor:
        """The span's features resampled to ``n_frames`` mel frames [n_frames, dim]."""
        from dubber.synth.f5.visual import resample_to_frames

        return resample_to_frames(self.frame_features(span), max(1, int(n_frames)))

    # -- emotion graph --------------------------------------------------------------------------
    @cached_property
    def encoders(self) -> dict[str, Any]:
        from retrieval.profiles import make_encoders

        spec = self.cfg.graph
        if spec is None:
            raise ConfigError("this control branch has no emotion graph")
        encs = make_encoders(spec["profile"], spec.get("options"))
        for m in GRAPH_MODALITIES:
            if encs[m].encoder_id != spec["encoders"][m]:
                raise ConfigError(
                    f"the control branch's {m} nodes were encoded by {spec['encoders'][m]!r}, this dubkit's "
                    f"{spec['profile']} profile uses {encs[m].encoder_id!r}",
                    hint="install the encoder versions it was trained with, or retrain the branch",
                )
        return encs

    def target_vectors(self, span: VideoSpan | None, text: str | None) -> dict[str, np.ndarray | None]:
        """The line's own node vectors: scene and face of its video span, emotion of its text."""
        encs = self.encoders
        out: dict[str, np.ndarray | None] = {}
        if span is not None:
            out["scene"] = encs["scene"].encode(span.path, span.start, span.end)
            out["face"] = encs["face"].encode(span.path, span.start, span.end)
        if text and text.strip():
            out["text"] = encs["text"].encode(text.strip())
        return out

    def _check_hit(self, j: int, hit: Hit) -> str:
        spec = self.cfg.graph or {}
        where = f"retrieved #{j} ({hit.id})"
        m = hit.modality
        if m not in ("scene", "face", "text"):
            raise ConfigError(f"{where}: modality {m!r} is not scene, face or text")
        for got, mod in ((hit.encoder, m), (hit.audio_encoder, "audio")):
            if got is not None and got != spec["encoders"][mod]:
                raise ConfigError(
                    f"{where}: its {mod} vectors come from {got!r}, the control branch was trained on "
                    f"{spec['encoders'][mod]!r}",
                    hint=f"use a footage library built with the {spec['profile']!r} profile",
                )
        if hit.audio_vector is not None and len(hit.audio_vector) != spec["dims"]["audio"]:
            raise ConfigError(
                f"{where}: audio vector has {len(hit.audio_vector)} values, expected {spec['dims']['audio']}"
            )
        return m

    def hit_vector(self, j: int, hit: Hit) -> np.ndarray | None:
        """The vector of the modality a hit was retrieved by (carried by the hit, or re-encoded)."""
        m = self._check_hit(j, hit)
        if hit.vector is not None:
            return np.asarray(hit.vector, dtype=np.float32)
        key = (m, hit.id, hit.video, hit.start, hit.end, hit.text)

        def make() -> np.ndarray | None:
            enc = self.encoders[m]
            if m == "text":
                if not hit.text.strip():
                    raise ConfigError(f"retrieved #{j} ({hit.id}): a text hit without its text")
                return enc.encode(hit.text.strip())
            if not hit.video:
                raise ConfigError(f"retrieved #{j} ({hit.id}): a {m} hit without its video or vector")
            return enc.encode(hit.video, hit.start, hit.end)

        return self._hit_vectors.get_or(key, make)

    def references(self, hits: Sequence[Hit]) -> list[dict[str, Any]]:
        """Retrieved references for the graph: hits grouped by clip id, one node per retrieving modality."""
        refs: dict[str, dict[str, Any]] = {}
        for j, hit in enumerate(hits):
            vec = self.hit_vector(j, hit)
            ref = refs.setdefault(hit.id, {})
            if vec is not None:
                ref.setdefault(hit.modality, vec)
            if hit.audio_vector is not None:
                ref.setdefault("audio", np.asarray(hit.audio_vector, dtype=np.float32))
        return [r for r in refs.values() if r]

    def graphs(self, span: VideoSpan | None, text: str | None, hits: Sequence[Hit]) -> EmotionGraphs:
        """The line's three stage graphs (cached per span, text and hits)."""
        hits = list(hits)
        key = stable_hash(
            {
                "span": None if span is None else [span.path, span.start, span.end],
                "text": text,
                "hits": [h.to_dict() for h in hits],
            }
        )

        def make() -> EmotionGraphs:
            target = self.target_vectors(span, text)
            if all(v is None for v in target.values()):
                raise ConfigError("the emotion graph needs the line's text or video span")
            return build_emotion_graphs(target, self.references(hits))

        return self._graphs.get_or(key, make)

    def unload(self) -> None:
        if "clip_encoder" in self.__dict__:
            self.__dict__.pop("clip_encoder").unload()
        for enc in self.__dict__.pop("encoders", {}).values():
            enc.unload()
        self._frames.clear()
        self._graphs.clear()
        self._hit_vectors.clear()


def batch_conditions(
    group: Sequence[Prepared],
    control: ControlledDiT,
    featurizer: ConditionFeaturizer | None,
    device: torch.device,
) -> ControlConditions:
    """Batch the control conditions of a group of prepared requests; a condition no request has stays None.

    A request's ``precomputed`` features win; otherwise the featurizer computes them from the video
    span and the hits (when the branch was trained so).
    """
    total = max(p.total for p in group)
    videos: list[Any] = []
    for p in group:
        pre, span = p.request.precomputed, p.request.conditions.video_span
        v = pre.video_features if pre is not None else None
        if v is None and featurizer is not None and featurizer.has_video and span is not None:
            v = featurizer.video(span, p.total - p.ref_frames)
        videos.append(v)
    video = None
    if any(v is not None for v in videos):
        dim = next(np.asarray(v).shape[-1] for v in videos if v is not None)
        video = torch.zeros(len(group), total, dim)
        for i, (p, v) in enumerate(zip(group, videos, strict=True)):
            if v is not None:
                v = torch.as_tensor(np.asarray(v, dtype=np.float32))[: p.total - p.ref_frames]
                video[i, p.ref_frames : p.ref_frames + v.shape[0]] = v
    readings = [p.request.conditions.reading for p in group]
    reading = None
    if any(r is not None for r in readings):
        reading = torch.tensor([reading_ids(r, control.cfg.reading_vocab) for r in readings], dtype=torch.long)
    knowledge: list[tuple[torch.Tensor, torch.Tensor]] = []
    stages = [p.request.precomputed.emotion_knowledge if p.request.precomputed else None for p in group]
    if all(s is not None for s in stages):
        from dubber.synth.f5.graph_encoder import pad_stage_nodes

        knowledge = pad_stage_nodes([[torch.as_tensor(np.asarray(x, np.float32)) for x in s] for s in stages])
    elif featurizer is not None and featurizer.has_graph:
        graphs = [featurizer.graphs(p.request.conditions.video_span, p.text, p.request.conditions.hits) for p in group]
        with torch.inference_mode():
            knowledge = control.control.knowledge(graphs)
    return ControlConditions(
        video=None if video is None else video.to(device),
        reading=None if reading is None else reading.to(device),
        knowledge=[(n.to(device), m.to(device)) for n, m in knowledge],
    )
