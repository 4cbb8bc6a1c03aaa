"""Train the F5 control branch: conditional flow matching plus a duration loss.

The duration loss trains the branch's duration predictor (:class:`dubber.synth.f5.control.DurationPredictor`,
L1 on log mel frames), which reads the generator's reading embeddings, so its gradient reaches the
generator too; at inference it sets a line's length when no duration is asked for.

The base F5 is frozen by default (``mode="control"``); ``mode="lora"`` adds LoRA adapters (peft) to
the base attention, ``mode="full"`` trains the base too. On CUDA, bf16 autocast; gradient
accumulation everywhere. ``out/last.pt`` is written atomically every ``save_every`` updates and at
the end, and a new run with the same ``out`` resumes from it. That file is what
``F5Synthesizer(control=...)`` loads.

Conditions come from the data as at inference (:class:`dubber.synth.f5.conditions.ConditionFeaturizer`):
CLIP features of each utterance's video span (``clip``, recorded in the checkpoint), its scene reading,
and with ``graph_profile`` the emotion graph of its own vectors and its ``retrieved`` hits, whose
graph encoder trains with the branch and is saved in it.
"""

from __future__ import annotations

import logging
import math
import random
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from dubber.synth.f5.conditions import ConditionFeaturizer, graph_spec
from dubber.synth.f5.control import ControlConditions, ControlConfig, ControlledDiT, reading_ids
from dubber.synth.f5.train_data import Utterance, read_dataset
from evaluator.errors import ConfigError, ModelLoadError
from evaluator.fileio import atomic_path

log = logging.getLogger(__name__)
LORA_TARGETS = ["to_q", "to_k", "to_v", "to_out.0"]


@dataclass(frozen=True)
class SynthTrainConfig:
    data: Path
    out: Path
    ckpt: str | None = None
    model_config: str = "F5TTS_v1_Base"
    mode: str = "control"  # control | lora | full
    steps: int = 1000
    batch_size: int = 4
    grad_accum: int = 1
    lr: float = 1e-4
    lora_rank: int = 16
    duration_weight: float = 0.1
    save_every: int = 500
    seed: int = 0
    device: str = "auto"
    amp: bool = True
    control: dict[str, Any] = field(default_factory=dict)
    #: CLIP vision model (directory or hub id) for utterances with a video span (default: DEFAULT_CLIP
    #: when some have a span and none has precomputed video_features)
    clip: str | None = None
    #: footage-library profile whose encoders give the emotion graph's nodes (None: no graph)
    graph_profile: str | None = None
    graph_options: dict[str, Any] = field(default_factory=dict)


def clip_width(clip: str | Path) -> int:
    """Feature width of a CLIP vision model (reads its config only)."""
    from transformers import CLIPVisionConfig

    from evaluator.models import resolve

    path = resolve(str(clip), what="CLIP vision model", param="clip")
    try:
        return int(CLIPVisionConfig.from_pretrained(str(path)).hidden_size)
    except OSError as exc:
        raise ModelLoadError(
            f"CLIP vision model {clip}: cannot read its config ({str(exc).splitlines()[0][:160]})",
            hint="pass a local CLIP model directory as clip",
            param="clip",
        ) from None


class SynthTrainer:
    """Holds the model, optimiser and data; :meth:`step` runs one update, :meth:`loss` evaluates."""

    def __init__(self, cfg: SynthTrainConfig, data: list[Utterance] | None = None) -> None:
        from dubber.synth.f5.synthesizer import F5Synthesizer

        if cfg.mode not in ("control", "lora", "full"):
            raise ConfigError(f"unknown training mode {cfg.mode!r}", hint="use control, lora or full")
        self.cfg = cfg
        self.synth = F5Synthesizer(ckpt=cfg.ckpt, model_config=cfg.model_config, device=cfg.device)
        sr = self.synth.mel["target_sample_rate"]
        self.data = data if data is not None else read_dataset(cfg.data, sr)
        self.model = self.synth.model
        self.device = self.synth.device
        base = self.model.transformer
        self.control_cfg = ControlConfig(**{**self._condition_options(), **cfg.control})
        self.featurizer = ConditionFeaturizer(self.control_cfg, device=self.device)
        self._video, self._graphs = self._precompute()
        for p in base.parameters():
            p.requires_grad_(cfg.mode == "full")
        self.lora_cfg = None
        if cfg.mode == "lora":
            from peft import LoraConfig, inject_adapter_in_model

            self.lora_cfg = {"r": cfg.lora_rank, "lora_alpha": cfg.lora_rank, "target_modules": LORA_TARGETS}
            inject_adapter_in_model(LoraConfig(**self.lora_cfg), base)
        self.net = ControlledDiT(base, self.control_cfg).to(self.device)
        params = [p for p in self.net.parameters() if p.requires_grad]
        self.optimizer = torch.optim.AdamW(params, lr=cfg.lr)
        self.step_count = 0
        self._rng = random.Random(cfg.seed)
        self._resume()

    # -- conditions -----------------------------------------------------------------------------
    def _condition_options(self) -> dict[str, Any]:
        """video_dim, clip and graph of the control branch, from the data and the config."""
        cfg = self.cfg
        npy = next((u.video_features.shape[1] for u in self.data if u.video_features is not None), None)
        clip = cfg.clip
        if clip is None and npy is None and any(u.video_span is not None for u in self.data):
            from dubber.synth.f5.visual import DEFAULT_CLIP

            clip = DEFAULT_CLIP
        video_dim = npy or 512
        if clip is not None:
            video_dim = clip_width(clip)
            if npy is not None and npy != video_dim:
                raise ConfigError(
                    f"{cfg.data}: video_features are {npy}-d but CLIP {clip} gives {video_dim}-d features",
                    hint="precompute the features with the same CLIP model, or give video spans only",
                )
        graph = None
        if cfg.graph_profile is not None:
            graph = graph_spec(cfg.graph_profile, cfg.graph_options)
        elif any(u.retrieved for u in self.data):
            raise ConfigError(
                f"{cfg.data}: utterances carry retrieved hits, but no emotion graph was asked for",
                hint="set graph_profile to the profile the footage library was built with (offline or paper)",
                param="graph_profile",
            )
        return {"video_dim": video_dim, "clip": None if clip is None else str(clip), "graph": graph}

    def _precompute(self) -> tuple[list[np.ndarray | None], list[Any]]:
        """Per utterance: its visual features [frames, dim] and its emotion graphs (computed once)."""
        feat = self.featurizer
        videos, graphs = [], []
        for u in self.data:
            v = u.video_features
            if v is None and feat.has_video and u.video_span is not None:
                v = feat.frame_features(u.video_span).numpy()
            videos.append(v)
            graphs.append(feat.graphs(u.video_span, u.text, u.retrieved) if feat.has_graph else None)
        feat.unload()  # the encoders are not needed during the steps
        return videos, graphs

    # -- batches --------------------------------------------------------------------------------
    def _batch(self, idx: list[int]) -> dict[str, Any]:
        from f5_tts.model.utils import convert_char_to_pinyin, list_str_to_idx

        items = [self.data[i] for i in idx]
        mels = []
        with torch.no_grad():
            for u in items:
                wav = torch.from_numpy(u.audio.astype(np.float32))[None].to(self.device)
                mels.append(self.model.mel_spec(wav)[0].permute(1, 0))
        lens = torch.tensor([m.shape[0] for m in mels], device=self.device)
        mel = nn.utils.rnn.pad_sequence(mels, batch_first=True)
        text = list_str_to_idx(convert_char_to_pinyin([u.text for u in items]), self.model.vocab_char_map)
        feats = [self._video[i] for i in idx]
        video = None
        if any(f is not None for f in feats):
            video = torch.zeros(len(items), mel.shape[1], self.control_cfg.video_dim)
            for i, f in enumerate(feats):
                if f is not None:
                    v = torch.from_numpy(np.asarray(f, dtype=np.float32))[None].permute(0, 2, 1)
                    v = F.interpolate(v, size=int(lens[i]), mode="linear", align_corners=False)
                    video[i, : int(lens[i])] = v[0].permute(1, 0)
        knowledge = []
        if self.net.control.graph is not None:
            knowledge = self.net.control.knowledge([self._graphs[i] for i in idx])
        vocab = self.control_cfg.reading_vocab
        reading = torch.tensor([reading_ids(u.scene_reading, vocab) for u in items], dtype=torch.long)
        return {
            "mel": mel,
            "lens": lens,
            "text": text.to(self.device),
            "conditions": ControlConditions(
                video=None if video is None else video.to(self.device),
                reading=reading.to(self.device),
                knowledge=[(n.to(self.device), m.to(self.device)) for n, m in knowledge],
            ),
            "reading": reading.to(self.device),
        }

    def _losses(self, batch: dict[str, Any]) -> tuple[torch.Tensor, torch.Tensor]:
        from f5_tts.model.utils import lens_to_mask, mask_from_frac_lengths

        x1, lens, text = batch["mel"], batch["lens"], batch["text"]
        b, n, _ = x1.shape
        mask = lens_to_mask(lens, length=n)
        frac = torch.zeros(b, device=self.device).uniform_(*self.model.frac_lengths_mask)
        span = mask_from_frac_lengths(lens, frac) & mask
        x0 = torch.randn_like(x1)
        t = torch.rand(b, device=self.device)
        xt = (1 - t.view(b, 1, 1)) * x0 + t.view(b, 1, 1) * x1
        cond = torch.where(span[..., None], torch.zeros_like(x1), x1)
        drop_audio = random.random() < self.model.audio_drop_prob
        drop_text = random.random() < self.model.cond_drop_prob
        autocast = torch.autocast("cuda", dtype=torch.bfloat16, enabled=self.device.type == "cuda" and self.cfg.amp)
        with autocast:
            pred = self.net(
                xt,
                cond,
                text,
                t,
                batch["conditions"],
                mask=mask,
                drop_audio_cond=drop_audio or drop_text,
                drop_text=drop_text,
            )
            fm = F.mse_loss(pred.float(), (x1 - x0).float(), reduction="none")[span].mean()
            dur = F.l1_loss(self.net.control.log_frames(text, batch["reading"]), lens.float().log())
        return fm, dur

    # -- public ---------------------------------------------------------------------------------
    def step(self) -> dict[str, float]:
        """One optimiser update (``grad_accum`` micro-batches)."""
        self.net.train()
        self.optimizer.zero_grad(set_to_none=True)
        fm_sum = dur_sum = 0.0
        for _ in range(self.cfg.grad_accum):
            idx = [self._rng.randrange(len(self.data)) for _ in range(min(self.cfg.batch_size, len(self.data)))]
            fm, dur = self._losses(self._batch(idx))
            ((fm + self.cfg.duration_weight * dur) / self.cfg.grad_accum).backward()
            fm_sum += float(fm.detach()) / self.cfg.grad_accum
            dur_sum += float(dur.detach()) / self.cfg.grad_accum
        params = [p for g in self.optimizer.param_groups for p in g["params"]]
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        self.optimizer.step()
        self.step_count += 1
        if not math.isfinite(fm_sum):
            raise FloatingPointError(f"training loss is not finite at step {self.step_count}")
        return {"step": self.step_count, "flow_loss": fm_sum, "duration_loss": dur_sum}

    def loss(self, seed: int = 1234) -> dict[str, float]:
        """Loss on the whole dataset with fixed noise, times, masks and no dropout (comparable across steps)."""
        self.net.eval()
        state = random.getstate()
        with torch.random.fork_rng(devices=[]), torch.no_grad():
            torch.manual_seed(seed)
            random.seed(seed)
            fm, dur = self._losses(self._batch(list(range(len(self.data)))))
        random.setstate(state)
        return {"flow_loss": float(fm), "duration_loss": float(dur)}

    def save(self, path: Path | None = None) -> Path:
        path = path or self.cfg.out / "last.pt"
        base = self.model.transformer
        state: dict[str, Any] = {
            "control_config": self.control_cfg.to_dict(),
            "control": self.net.control.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "step": self.step_count,
            "train_config": {k: str(v) if isinstance(v, Path) else v for k, v in asdict(self.cfg).items()},
        }
        if self.cfg.mode == "lora":
            state["lora"] = {
                "config": self.lora_cfg,
                "state": {k: v for k, v in base.state_dict().items() if "lora_" in k},
            }
        elif self.cfg.mode == "full":
            state["base_delta"] = base.state_dict()
        with atomic_path(path) as tmp:
            torch.save(state, tmp)
        return path

    def _resume(self) -> None:
        last = self.cfg.out / "last.pt"
        if not last.is_file():
            return
        state = torch.load(last, map_location=self.device, weights_only=True)
        if state.get("control_config") != self.control_cfg.to_dict():
            raise ConfigError(
                f"{last}: was trained with another control config", hint="use a new out directory", param="out"
            )
        self.net.control.load_state_dict(state["control"])
        if "lora" in state:
            self.model.transformer.load_state_dict(state["lora"]["state"], strict=False)
        if "base_delta" in state:
            self.model.transformer.load_state_dict(state["base_delta"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.step_count = int(state["step"])
        log.info("resumed from %s at step %d", last, self.step_count)


def train_synth(cfg: SynthTrainConfig, progress: Any = None) -> dict[str, Any]:
    """Run training to ``cfg.steps`` updates (resuming from ``cfg.out/last.pt``); returns a summary."""
    torch.manual_seed(cfg.seed)
    trainer = SynthTrainer(cfg)
    first = trainer.loss()
    history = []
    while trainer.step_count < cfg.steps:
        history.append(trainer.step())
        if progress is not None:
            progress(history[-1])
        if trainer.step_count % cfg.save_every == 0:
            trainer.save()
    path = trainer.save()
    return {
        "checkpoint": str(path),
        "steps": trainer.step_count,
        "mode": cfg.mode,
        "model": trainer.synth.model_id,
        "loss_before": first,
        "loss_after": trainer.loss(),
        "utterances": len(trainer.data),
    }
