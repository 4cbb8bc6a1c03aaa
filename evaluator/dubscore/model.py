"""A DubScore checkpoint loaded once, to score many items: the network members and the cue encoders it was
trained with (LoRA adapters restored) are built once and kept until :meth:`DubScoreModel.close`.

    with DubScoreModel.load("run/dubscore.pt") as model:
        for batch in batches:
            scores = model.score(batch)          # {item id: {"value", "interval", "relevance", ...}}

:func:`evaluator.dubscore.api.score_with_model` is this for one call.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from evaluator.dubscore.checkpoint import DubScoreCheckpoint, load_checkpoint
from evaluator.dubscore.cues import CueEncoder
from evaluator.dubscore.data import default_cache_dir
from evaluator.dubscore.features import FeatureCache, FeatureTable, extract_features, features_for_checkpoint
from evaluator.dubscore.training import interval, predict_ensemble
from evaluator.metrics.item import ScoreItem


def checkpoint_cues(ckpt: DubScoreCheckpoint) -> list[CueEncoder]:
    """The cue encoders ``ckpt`` was trained with, its LoRA adapters restored on them; the caller unloads them."""
    cues = features_for_checkpoint(ckpt.info)
    if not ckpt.adapters:
        return cues
    from evaluator.dubscore.finetune import apply_adapters

    try:
        apply_adapters(cues, ckpt.adapters, ckpt.info.get("lora") or {})
    except BaseException:
        for c in cues:
            c.unload()
        raise
    return cues


class DubScoreModel:
    """A loaded checkpoint and its cue encoders; features go through the on-disk cache under ``cache_dir``."""

    def __init__(self, ckpt: DubScoreCheckpoint, cues: Sequence[CueEncoder], cache: FeatureCache) -> None:
        self.checkpoint = ckpt
        self.cues = list(cues)
        self.cache = cache

    @classmethod
    def load(
        cls, checkpoint: str | os.PathLike[str] | DubScoreCheckpoint, *, cache_dir: str | os.PathLike[str] | None = None
    ) -> DubScoreModel:
        """Read ``checkpoint`` (a path, or one already read) and build its cue encoders (their models load on
        first use and stay loaded); ``cache_dir`` defaults to ``$DUBKIT_CACHE/features``."""
        ckpt = checkpoint if isinstance(checkpoint, DubScoreCheckpoint) else load_checkpoint(checkpoint)
        return cls(ckpt, checkpoint_cues(ckpt), FeatureCache(cache_dir or default_cache_dir()))

    @property
    def model_id(self) -> str:
        return self.checkpoint.model_id

    def features(self, items: Sequence[ScoreItem], progress: Callable[[int], None] | None = None) -> FeatureTable:
        """The checkpoint's cue vectors of ``items`` (cached on disk by input and encoder)."""
        return extract_features(
            items, self.cues, self.cache, profile=self.checkpoint.info["profile"], progress=progress
        )

    def score(self, items: Sequence[ScoreItem], *, table: FeatureTable | None = None) -> dict[str, dict[str, Any]]:
        """Per item id: ``value`` (MOS scale), its ``interval``, per-modality ``relevance`` and the model.

        An ensemble predicts the mean of its members; the interval holds the members' spread, MC dropout
        (``mc_samples``) and the residual spread; relevance is the members' average. ``table``: features
        computed elsewhere (then ``items`` is not read)."""
        from evaluator.dubscore.relevance import modality_relevance
        from evaluator.dubscore.training import tensors

        ckpt = self.checkpoint
        table = self.features(items) if table is None else table
        ckpt.check_encoders(table.encoder_ids)
        cfg = ckpt.config
        mean, std = predict_ensemble(ckpt.members, table, cfg, cfg.mc_samples)
        lo, hi = interval(mean, std, ckpt.info["sigma_res"], cfg.coverage)
        lo_r, hi_r = cfg.label_range
        feats, present = tensors(table.select(list(ckpt.model.modalities)))
        rels = [modality_relevance(m, feats, present) for m in ckpt.members]
        rel = np.mean([r["relevance"] for r in rels], axis=0)
        active = rels[0]["active"]
        out = {}
        for i, item_id in enumerate(table.ids):
            out[item_id] = {
                "value": float(mean[i]),
                "interval": [float(max(lo[i], lo_r)), float(min(hi[i], hi_r))],
                "coverage": cfg.coverage,
                "relevance": {
                    m: round(float(rel[i, j]), 4) for j, m in enumerate(ckpt.model.modalities) if active[i, j]
                },
                "model_id": ckpt.model_id,
                "members": len(ckpt.members),
                "encoders": ckpt.encoder_ids,
                "calibrated": ckpt.info.get("stage") == "human",
            }
        return out

    def close(self) -> None:
        """Unload the cue encoders' models (the object can score again: they load on next use)."""
        for c in self.cues:
            c.unload()

    def __enter__(self) -> DubScoreModel:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
