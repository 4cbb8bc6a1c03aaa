"""DubScore checkpoints: the network, its config, and the encoders it was trained on.

A checkpoint records the cue profile, every cue's encoder id (and model path), the head and its
sizes, the label range, the residual spread for intervals, and the CV report. Loading it against
features from other encoders is refused: a score from different encoders is not comparable.

Version 2 stores a list of members (``state_dicts``: one for a single model, ``--ensemble N`` for a
seed ensemble); version 1 files (one ``state_dict``) are read through :func:`migrate_v1_to_v2`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from evaluator.dubscore.network import FusionNetwork, build_network
from evaluator.dubscore.training import TrainConfig, network_kwargs
from evaluator.errors import ConfigError, ModelLoadError
from evaluator.fileio import atomic_path

FORMAT = "dubkit-dubscore"
VERSION = 2


def save_checkpoint(
    path: str | os.PathLike[str],
    model: FusionNetwork | Sequence[FusionNetwork],
    cfg: TrainConfig,
    *,
    encoder_ids: dict[str, str],
    profile: str,
    models: dict[str, str] | None = None,
    sigma_res: float = 0.0,
    report: dict[str, Any] | None = None,
    stage: str = "human",
    adapters: dict[str, dict[str, torch.Tensor]] | None = None,
    lora: dict[str, dict[str, Any]] | None = None,
) -> None:
    """Write a checkpoint of ``model`` (one network, or the members of an ensemble, all of one architecture);
    ``adapters``/``lora``: LoRA weights and settings per cue (``--finetune-encoders``)."""
    members = [model] if isinstance(model, FusionNetwork) else list(model)
    if not members:
        raise ValueError("save_checkpoint needs at least one model")
    model = members[0]
    blob = {
        "format": FORMAT,
        "version": VERSION,
        "head": model.head_name,
        "config": cfg.to_dict(),
        "cue_dims": model.cue_dims,
        "cue_modality": model.cue_modality,
        "encoder_ids": {c: encoder_ids[c] for c in model.cue_dims},
        "profile": profile,
        "models": dict(models or {}),
        "sigma_res": float(sigma_res),
        "stage": stage,
        "report": report or {},
        "state_dicts": [m.state_dict() for m in members],
        "adapters": dict(adapters or {}),
        "lora": dict(lora or {}),
    }
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path, suffix=".pt") as tmp:
        torch.save(blob, tmp)


def migrate_v1_to_v2(blob: dict[str, Any]) -> dict[str, Any]:
    """A version 1 checkpoint (one ``state_dict``) as version 2 (a one-member ``state_dicts`` list)."""
    out = {k: v for k, v in blob.items() if k != "state_dict"}
    out["state_dicts"] = [blob["state_dict"]]
    out["version"] = 2
    return out


class DubScoreCheckpoint:
    """A loaded checkpoint: ``members`` (the networks, eval mode; one unless it is an ensemble), ``config``,
    ``info`` (everything but the weights)."""

    def __init__(self, blob: dict[str, Any], path: str) -> None:
        self.path = path
        self.info = {k: v for k, v in blob.items() if k not in ("state_dicts", "adapters")}
        self.adapters: dict[str, dict[str, torch.Tensor]] = blob.get("adapters") or {}
        cfg = dict(blob["config"])
        cfg["modalities"] = tuple(cfg["modalities"])
        cfg["label_range"] = tuple(cfg["label_range"])
        self.config = TrainConfig(**cfg)
        self.members: list[FusionNetwork] = []
        for state in blob["state_dicts"]:
            net = build_network(blob["head"], blob["cue_dims"], blob["cue_modality"], **network_kwargs(self.config))
            try:
                net.load_state_dict(state)
            except RuntimeError:  # weights of another layout of the head (e.g. avfusion before it followed the paper)
                raise ModelLoadError(
                    f"{path}: its {blob['head']} weights do not fit this dubkit's {blob['head']} network",
                    hint="retrain it with `dubkit train dubscore` (the head changed; see docs/fidelity.md)",
                ) from None
            self.members.append(net.eval())

    @property
    def model(self) -> FusionNetwork:
        """The first member: the model of a single-model checkpoint (an ensemble predicts with ``members``)."""
        return self.members[0]

    @property
    def encoder_ids(self) -> dict[str, str]:
        return dict(self.info["encoder_ids"])

    @property
    def model_id(self) -> str:
        n = len(self.members)
        ens = f", {n}-member ensemble" if n > 1 else ""
        return f"dubscore-{self.info['head']}:{Path(self.path).name} ({self.info['profile']} encoders{ens})"

    def check_encoders(self, encoder_ids: dict[str, str]) -> None:
        """Refuse features from encoders other than those the checkpoint was trained with."""
        wrong = []
        for cue, want in self.encoder_ids.items():
            have = encoder_ids.get(cue)
            if have != want:
                wrong.append(f"{cue}: checkpoint {want!r}, features {have!r}")
        if wrong:
            raise ConfigError(
                f"{self.path}: trained with other encoders ({'; '.join(wrong)})",
                hint=f"extract features with the {self.info['profile']} profile and the same models, or retrain",
            )


def load_checkpoint(path: str | os.PathLike[str], encoder_ids: dict[str, str] | None = None) -> DubScoreCheckpoint:
    """Load a DubScore checkpoint; with ``encoder_ids``, refuse if they differ from the checkpoint's."""
    p = Path(path)
    if not p.is_file():
        raise ModelLoadError(f"{p}: no such DubScore checkpoint", hint="train one with `dubkit train dubscore`")
    try:
        blob = torch.load(p, map_location="cpu", weights_only=False)
    except Exception as exc:  # noqa: BLE001 - torch raises many kinds on a corrupt file
        raise ModelLoadError(f"{p}: cannot read checkpoint ({exc.__class__.__name__}: {exc})") from None
    if not isinstance(blob, dict) or blob.get("format") != FORMAT:
        raise ModelLoadError(f"{p}: not a DubScore checkpoint", hint="train one with `dubkit train dubscore`")
    if blob.get("version") == 1:
        blob = migrate_v1_to_v2(blob)
    if blob.get("version") != VERSION:
        raise ModelLoadError(f"{p}: checkpoint version {blob.get('version')}, this dubkit reads {VERSION}")
    ckpt = DubScoreCheckpoint(blob, str(p))
    if encoder_ids is not None:
        ckpt.check_encoders(encoder_ids)
    return ckpt
