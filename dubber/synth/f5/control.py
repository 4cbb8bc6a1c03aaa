"""Condition control for the F5 DiT: a ControlNet-transformer branch and per-condition guidance.

The branch is a trainable copy of the first ``n_blocks`` DiT blocks (PixArt-delta style). It reads
the base model's input embedding (noisy mel + reference mel + text) plus condition embeddings, and
each of its block outputs goes through a zero-initialised linear projection that is added to the
output of the matching frozen base block. Untrained, every projection is exactly zero, so the
controlled model returns exactly what the pretrained F5 returns.

Conditions, in three guidance groups:

- ``text``: F5's own condition (text tokens and reference audio); dropping it is F5's unconditional pass.
- ``video``: per-frame visual features of the line's clip (:mod:`dubber.synth.f5.visual`), aligned
  to the mel frames.
- ``reading``: the scene reading (scene type, gender, age, emotion, as categorical embeddings) and the
  emotion knowledge of the progressive graph (:mod:`dubber.synth.f5.graph`), read through hierarchical
  cross-attention.

In training each condition is dropped with probability ``drop_prob`` (5%); at inference
:func:`combine_guidance` mixes the velocities of the nested condition sets with one scale per group.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from dubber.scene.labels import LABEL_SETS
from dubber.synth.f5.graph import EmotionGraphs
from dubber.synth.f5.graph_encoder import HierarchicalCrossAttention, ProgressiveGraphEncoder, pad_stage_nodes
from evaluator.project import GUIDANCE_GROUPS, SceneReading

#: vocabularies of the scene reading fields: the label sets the scene readers emit (one home:
#: dubber.scene.labels); index 0 is "absent or dropped", the last is "other"
READING_VOCAB: dict[str, tuple[str, ...]] = dict(LABEL_SETS)

#: the guidance groups, outermost first: each level adds one group to the previous level's conditions
GUIDANCE_ORDER = GUIDANCE_GROUPS
#: default guidance scales of the video and reading groups when a trained branch is loaded (the text scale is F5's
#: cfg_strength, 2.0). DeepDubber-V1 (arXiv 2503.23660) guides with multimodal conditions but gives no scales in the
#: text we could read, so these are dubkit's choice: 1.0 each, half the text scale, so each condition's direction is
#: doubled relative to the fully conditioned velocity without over-driving a branch trained on little data.
#: A request's own Guidance (Conditions.guidance) overrides them; see docs/fidelity.md.
CONDITION_GUIDANCE: dict[str, float] = {"video": 1.0, "reading": 1.0}


def reading_ids(
    reading: SceneReading | Mapping[str, Any] | None, vocab: Mapping[str, Sequence[str]] = READING_VOCAB
) -> list[int]:
    """Map a scene reading (or a dict of some of its fields, as training data may give) to one index
    per field of ``vocab`` (0 absent, len+1 for a value outside the vocabulary).

    >>> reading_ids({"gender": "female", "emotion": "anger", "age": "robot"})
    [0, 2, 5, 4]
    """
    if isinstance(reading, SceneReading):
        reading = {key: getattr(reading, key, None) for key in vocab}
    reading = reading or {}
    ids = []
    for key, labels in vocab.items():
        value = reading.get(key)
        if value is None or value == "":
            ids.append(0)
            continue
        value = str(value).strip().lower()
        ids.append(list(labels).index(value) + 1 if value in labels else len(labels) + 1)
    return ids


@dataclass
class ControlConditions:
    """Batched conditions of the control branch (any may be None when unknown).

    video: [b, n, video_dim] aligned to the mel frames (zeros over the reference prompt);
    reading: [b, fields] long ids from :func:`reading_ids`;
    knowledge: per graph stage, node embeddings [b, k, graph_dim] and a key mask [b, k] (True = node present).
    """

    video: torch.Tensor | None = None
    reading: torch.Tensor | None = None
    knowledge: list[tuple[torch.Tensor, torch.Tensor]] = field(default_factory=list)

    def repeat(self, times: int) -> ControlConditions:
        """The same conditions tiled ``times`` along the batch (for packed guidance passes)."""

        def rep(t: torch.Tensor | None) -> torch.Tensor | None:
            return None if t is None else t.repeat(times, *([1] * (t.ndim - 1)))

        return ControlConditions(
            video=rep(self.video),
            reading=rep(self.reading),
            knowledge=[(rep(nodes), rep(mask)) for nodes, mask in self.knowledge],
        )


@dataclass(frozen=True)
class ControlConfig:
    """Shape of the control branch (saved beside its weights)."""

    n_blocks: int = 4
    video_dim: int = 512
    graph_dim: int = 256
    reading_dim: int = 64
    heads: int = 4
    drop_prob: float = 0.05
    #: CLIP vision model (local directory or hub id) whose per-frame features the video condition was
    #: trained on; None when the features came precomputed (then only explicit ``video_features`` apply)
    clip: str | None = None
    #: the emotion graph's node encoders, from :func:`dubber.synth.f5.conditions.graph_spec`: retrieval
    #: ``profile`` and ``options``, ``encoders`` (id per modality) and ``dims`` (width per modality).
    #: When set, the branch holds a trainable :class:`ProgressiveGraphEncoder` (saved with its weights).
    graph: dict[str, Any] | None = None
    #: the scene reading's label sets the reading embeddings were built for (default: READING_VOCAB)
    reading_vocab: dict[str, list[str]] | None = None

    def __post_init__(self) -> None:
        if self.reading_vocab is None:
            object.__setattr__(self, "reading_vocab", {k: list(v) for k, v in READING_VOCAB.items()})

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class ConditionEmbedder(nn.Module):
    """Turns the conditions into one per-frame embedding of the DiT width."""

    def __init__(self, dim: int, cfg: ControlConfig) -> None:
        super().__init__()
        self.video_proj = nn.Linear(cfg.video_dim, dim)
        self.null_video = nn.Parameter(torch.zeros(cfg.video_dim))
        self.reading_embed = nn.ModuleList(
            nn.Embedding(len(v) + 2, cfg.reading_dim) for v in cfg.reading_vocab.values()
        )
        self.reading_proj = nn.Linear(cfg.reading_dim, dim)
        self.knowledge = HierarchicalCrossAttention(dim, cfg.graph_dim, heads=cfg.heads)

    def forward(
        self, h: torch.Tensor, cond: ControlConditions, keep_video: torch.Tensor, keep_reading: torch.Tensor
    ) -> torch.Tensor:
        b, n, _ = h.shape
        out = torch.zeros_like(h)
        kv = keep_video.view(b, 1, 1).to(h.dtype)
        if cond.video is not None:
            video = cond.video[:, :n].to(h.dtype)
            if video.shape[1] < n:
                video = nn.functional.pad(video, (0, 0, 0, n - video.shape[1]))
            video = kv * video + (1 - kv) * self.null_video.to(h.dtype)
        else:
            video = self.null_video.to(h.dtype).expand(b, n, -1)
        out = out + self.video_proj(video)
        n_fields = len(self.reading_embed)
        ids = cond.reading if cond.reading is not None else torch.zeros(b, n_fields, dtype=torch.long)
        ids = ids.to(h.device) * keep_reading.view(b, 1).long()
        reading = sum(emb(ids[:, i]) for i, emb in enumerate(self.reading_embed))
        out = out + self.reading_proj(reading.to(h.dtype)).unsqueeze(1)
        if cond.knowledge:
            stages = [(nodes.to(h.dtype), mask & keep_reading.view(b, 1)) for nodes, mask in cond.knowledge]
            out = out + self.knowledge(h + out, stages)
        return out


class DurationPredictor(nn.Module):
    """Predicts a line's log mel frames from its text tokens and its scene reading.

    The reading goes through the branch's own reading embeddings (shared with the generator's
    condition embedder), so the duration loss trains the generator's parameters too; the synthesizer
    uses the prediction as the line's length when no duration is asked for (a voice-over without a
    script timing). ``text`` holds token ids with -1 as padding.
    """

    def __init__(self, n_tokens: int, reading_dim: int, dim: int = 64) -> None:
        super().__init__()
        self.tokens = nn.Embedding(n_tokens + 1, dim)
        self.mlp = nn.Sequential(nn.Linear(dim + reading_dim + 1, dim), nn.SiLU(), nn.Linear(dim, 1))

    def forward(self, text: torch.Tensor, reading: torch.Tensor) -> torch.Tensor:
        valid = text >= 0
        emb = self.tokens((text + 1).clamp(min=0)) * valid.unsqueeze(-1)
        pooled = emb.sum(1) / valid.sum(1, keepdim=True).clamp(min=1)
        n_chars = valid.sum(1, keepdim=True).float().log1p()
        return self.mlp(torch.cat([pooled, reading.to(pooled.dtype), n_chars], dim=-1)).squeeze(-1) + n_chars.squeeze(
            -1
        )


def zero_linear(dim: int) -> nn.Linear:
    layer = nn.Linear(dim, dim)
    nn.init.zeros_(layer.weight)
    nn.init.zeros_(layer.bias)
    return layer


class ControlBranch(nn.Module):
    """Trainable copy of the first ``cfg.n_blocks`` DiT blocks with zero-initialised output projections."""

    def __init__(self, base: nn.Module, cfg: ControlConfig) -> None:
        super().__init__()
        if not 1 <= cfg.n_blocks <= len(base.transformer_blocks):
            raise ValueError(f"n_blocks must be in 1..{len(base.transformer_blocks)}, got {cfg.n_blocks}")
        self.cfg = cfg
        self.embed = ConditionEmbedder(base.dim, cfg)
        self.blocks = nn.ModuleList(copy.deepcopy(base.transformer_blocks[i]) for i in range(cfg.n_blocks))
        for p in self.blocks.parameters():
            p.requires_grad_(True)
        self.zero_proj = nn.ModuleList(zero_linear(base.dim) for _ in range(cfg.n_blocks))
        self.graph = None
        if cfg.graph is not None:
            dims = {m: int(d) for m, d in cfg.graph["dims"].items()}
            self.graph = ProgressiveGraphEncoder(dims, dim=cfg.graph_dim, heads=cfg.heads)
        self.duration = DurationPredictor(base.text_embed.text_embed.num_embeddings, cfg.reading_dim)

    def log_frames(self, text: torch.Tensor, reading: torch.Tensor | None) -> torch.Tensor:
        """Predicted log mel frames of each line (see :class:`DurationPredictor`); ``reading`` [b, fields]."""
        if reading is None:
            reading = torch.zeros(text.shape[0], len(self.embed.reading_embed), dtype=torch.long, device=text.device)
        vec = sum(emb(reading[:, i].to(text.device)) for i, emb in enumerate(self.embed.reading_embed))
        return self.duration(text, vec)

    def knowledge(self, graphs: Sequence[EmotionGraphs]) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """Each line's emotion graphs through the graph encoder, batched per stage (nodes, mask)."""
        if self.graph is None:
            raise ValueError("this control branch has no emotion graph encoder (trained without graph_profile)")
        return pad_stage_nodes([self.graph(g) for g in graphs])

    def forward(
        self,
        x_embed: torch.Tensor,
        t: torch.Tensor,
        mask: torch.Tensor | None,
        rope: Any,
        cond: ControlConditions,
        keep_video: torch.Tensor,
        keep_reading: torch.Tensor,
    ) -> list[torch.Tensor]:
        h = x_embed + self.embed(x_embed, cond, keep_video, keep_reading)
        residuals = []
        for block, proj in zip(self.blocks, self.zero_proj, strict=False):
            h = block(h, t, mask=mask, rope=rope)
            residuals.append(proj(h))
        return residuals


class ControlledDiT(nn.Module):
    """The base F5 ``DiT`` plus a :class:`ControlBranch`; the base module is used as is, never modified."""

    def __init__(self, base: nn.Module, cfg: ControlConfig | None = None) -> None:
        super().__init__()
        self.base = base
        self.control = ControlBranch(base, cfg or ControlConfig())

    @property
    def cfg(self) -> ControlConfig:
        return self.control.cfg

    def forward(
        self,
        x: torch.Tensor,
        cond: torch.Tensor,
        text: torch.Tensor,
        time: torch.Tensor,
        conditions: ControlConditions,
        *,
        mask: torch.Tensor | None = None,
        drop_audio_cond: bool = False,
        drop_text: bool = False,
        keep_video: torch.Tensor | None = None,
        keep_reading: torch.Tensor | None = None,
        cache: bool = False,
    ) -> torch.Tensor:
        """Velocity for one batch; in training, conditions not forced by ``keep_*`` drop at ``drop_prob``."""
        base = self.base
        b, n = x.shape[:2]
        if time.ndim == 0:
            time = time.repeat(b)
        if keep_video is None:
            keep_video = self._draw_keep(b, x.device)
        if keep_reading is None:
            keep_reading = self._draw_keep(b, x.device)
        t = base.time_embed(time)
        x_embed = base.get_input_embed(
            x, cond, text, drop_audio_cond=drop_audio_cond, drop_text=drop_text, cache=cache, audio_mask=mask
        )
        return self._run(x_embed, t, mask, conditions, keep_video, keep_reading)

    def forward_levels(
        self,
        x: torch.Tensor,
        cond: torch.Tensor,
        text: torch.Tensor,
        time: torch.Tensor,
        conditions: ControlConditions,
        levels: list[str],
        *,
        mask: torch.Tensor | None = None,
        cache: bool = True,
    ) -> dict[str, torch.Tensor]:
        """Velocities at the requested guidance levels (``none`` and names of GUIDANCE_ORDER) in one packed pass.

        Level ``text`` has F5's text and audio conditions only; ``video`` adds the video features;
        ``reading`` adds the reading and graph knowledge to those.
        """
        base = self.base
        b = x.shape[0]
        if time.ndim == 0:
            time = time.repeat(b)
        t = base.time_embed(time)
        x_c = base.get_input_embed(x, cond, text, drop_audio_cond=False, drop_text=False, cache=cache, audio_mask=mask)
        x_u = None
        if "none" in levels:
            x_u = base.get_input_embed(
                x, cond, text, drop_audio_cond=True, drop_text=True, cache=cache, audio_mask=mask
            )
        # F5's own packing first (conditional, then unconditional), the control levels in a second pass:
        # the base rows then see exactly the batch F5 would compute, so an untrained branch changes nothing.
        out: dict[str, torch.Tensor] = {}
        for group in (
            [lv for lv in ("text", "none") if lv in levels],
            [lv for lv in levels if lv not in ("text", "none")],
        ):
            if not group:
                continue
            rows, kv, kr = [], [], []
            for level in group:
                depth = 0 if level == "none" else GUIDANCE_ORDER.index(level) + 1
                rows.append(x_u if depth == 0 else x_c)
                kv.append(torch.full((b,), depth >= 2, dtype=torch.bool, device=x.device))
                kr.append(torch.full((b,), depth >= 3, dtype=torch.bool, device=x.device))
            times = len(group)
            pred = self._run(
                torch.cat(rows, dim=0),
                t.repeat(times, 1),
                mask.repeat(times, 1) if mask is not None else None,
                conditions.repeat(times),
                torch.cat(kv),
                torch.cat(kr),
            )
            out.update(zip(group, pred.chunk(times, dim=0), strict=False))
        return out

    def _draw_keep(self, b: int, device: torch.device) -> torch.Tensor:
        if not self.training:
            return torch.ones(b, dtype=torch.bool, device=device)
        return torch.rand(b, device=device) >= self.cfg.drop_prob

    def _run(self, x_embed, t, mask, conditions, keep_video, keep_reading) -> torch.Tensor:
        base = self.base
        seq_len = x_embed.shape[1]
        rope = base.rotary_embed.forward_from_seq_len(seq_len)
        residuals = self.control(x_embed, t, mask, rope, conditions, keep_video, keep_reading)
        h = x_embed
        skip = x_embed
        for i, block in enumerate(base.transformer_blocks):
            h = block(h, t, mask=mask, rope=rope)
            if i < len(residuals):
                h = h + residuals[i]
        if base.long_skip_connection is not None:
            h = base.long_skip_connection(torch.cat((h, skip), dim=-1))
        h = base.norm_out(h, t)
        return base.proj_out(h)

    def clear_cache(self) -> None:
        self.base.clear_cache()


def guidance_levels(scales: Mapping[str, float], present: set[str]) -> list[str]:
    """Levels whose velocities :func:`combine_guidance` needs: the chain of present groups, ``none`` first."""
    chain = ["none"] + [g for g in GUIDANCE_ORDER if g == "text" or g in present]
    need = {chain[-1]}
    for lo, hi in zip(chain, chain[1:], strict=False):
        if abs(scales.get(hi, 0.0)) > 0:
            need.update((lo, hi))
    return [lvl for lvl in chain if lvl in need]


def combine_guidance(preds: Mapping[str, torch.Tensor], scales: Mapping[str, float]) -> torch.Tensor:
    """Nested classifier-free guidance over the condition chain none ⊂ text ⊂ text+video ⊂ text+video+reading.

    ``v = v_full + Σ_g w_g · (v_g − v_prev(g))`` over the groups g in ``preds`` (in GUIDANCE_ORDER),
    where ``v_prev(g)`` is the velocity with every group before ``g``. With only ``text`` this is
    exactly F5's ``v_c + w · (v_c − v_uncond)``. Groups missing from ``preds`` are absent conditions.

    >>> import torch
    >>> p = {"none": torch.tensor(0.0), "text": torch.tensor(1.0), "video": torch.tensor(1.5)}
    >>> float(combine_guidance(p, {"text": 2.0, "video": 1.0}))
    4.0
    """
    chain = ["none"] + [g for g in GUIDANCE_ORDER if g in preds]
    full = preds[chain[-1]]
    out = full
    for lo, hi in zip(chain, chain[1:], strict=False):
        w = scales.get(hi, 0.0)
        if w:
            if lo not in preds:
                raise ValueError(f"guidance for {hi!r} needs the {lo!r} velocity")
            out = out + w * (preds[hi] - preds[lo])
    return out
