"""``--finetune-encoders``: LoRA adapters on the paper transformer encoders, trained jointly with the fusion head.

The fusion network is first fitted on the cached (frozen-encoder) features; then LoRA adapters (peft,
:mod:`evaluator.dubscore.lora`) are added to every transformer cue encoder (Wav2Vec2, TimeSformer, the
ViT face-expression encoder, Sentence-BERT of the script and of the transcript) and trained together with
the fusion network on the raw inputs: each step
runs the adapted encoders on the batch's audio / frames, the other cues come from the feature table.
The pretrained encoder weights stay frozen. LoRA's B matrices start at zero, so at the start the adapted
encoders reproduce the cached features and the fusion head's normalisation still holds.

The adapters are saved in the checkpoint (``adapters``: cue -> LoRA state dict, ``lora``: rank, alpha,
targets); an adapted cue names its adapter in its ``encoder_id`` (``...+lora:<hash>``), so cached
features of the frozen encoder are never mixed with those of the adapted one. A stage-2 run from such a
checkpoint restores the adapters (:func:`apply_adapters`) and, with ``resume``, trains them further
from those weights. With a seed ensemble the adapters are shared: each step's loss is the members' mean.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

from evaluator.dubscore.features import FeatureTable
from evaluator.dubscore.losses import head_loss
from evaluator.dubscore.network import FusionNetwork
from evaluator.dubscore.training import TrainConfig, make_optimizer, tensors, to_unit
from evaluator.errors import ConfigError
from evaluator.metrics.item import ScoreItem

logger = logging.getLogger(__name__)

#: paper-profile cues with a transformers module that LoRA can wrap (see evaluator.dubscore.lora); ecapa and
#: emotion2vec have none their libraries can train through (evaluator.dubscore.paper_cues)
LORA_CUES = ("wav2vec2", "timesformer", "face_expression", "sbert_script", "sbert_transcript")


def check_finetune(profile: str, rank: int) -> None:
    """Refuse encoder fine-tuning where it cannot run, with the reason."""
    if profile != "paper":
        raise ConfigError(
            "finetune_encoders needs profile paper (the offline encoders are not transformers)",
            hint="use profile paper with local model directories, or drop finetune_encoders",
            param=("finetune_encoders", "profile"),
        )
    if rank < 1:
        raise ConfigError(f"lora_rank must be >= 1, got {rank}", param="lora_rank")


def lora_cues(cues: Sequence[Any]) -> list[Any]:
    """The cues among ``cues`` that carry a transformers module LoRA can adapt."""
    return [c for c in cues if c.name in LORA_CUES]


def adapter_state(cue: Any) -> dict[str, torch.Tensor]:
    """The LoRA weights of an adapted cue (CPU copies)."""
    from peft import get_peft_model_state_dict

    return {k: v.detach().cpu().clone() for k, v in get_peft_model_state_dict(cue.module).items()}


def adapter_tag(state: dict[str, torch.Tensor]) -> str:
    """A short content hash of LoRA weights (part of the adapted cue's encoder id)."""
    h = hashlib.sha256()
    for k in sorted(state):
        h.update(k.encode())
        h.update(state[k].float().numpy().tobytes())
    return h.hexdigest()[:12]


def add_adapters(cue: Any, rank: int, alpha: int | None = None, targets: list[str] | None = None) -> dict[str, Any]:
    """Wrap ``cue.module`` with LoRA adapters in place; return the LoRA settings (for the checkpoint)."""
    from evaluator.dubscore.lora import add_lora, target_modules

    alpha = alpha or 2 * rank
    targets = targets or target_modules(cue.module)
    wrapped = add_lora(cue.module, rank=rank, alpha=alpha, targets=targets)
    if hasattr(cue, "set_module"):  # the module lives inside another pipeline (Sentence-BERT)
        cue.set_module(wrapped)
    else:
        cue.__dict__["module"] = wrapped
    return {"rank": rank, "alpha": alpha, "targets": list(targets)}


def apply_adapters(cues: Sequence[Any], adapters: dict[str, dict[str, torch.Tensor]], lora: dict[str, Any]) -> None:
    """Restore saved adapters onto freshly built cues (scoring with a ``--finetune-encoders`` checkpoint)."""
    from peft import set_peft_model_state_dict

    by_name = {c.name: c for c in cues}
    for name, state in adapters.items():
        if name not in by_name:
            raise ConfigError(f"the checkpoint has LoRA adapters for {name!r} but no such cue was built")
        cue = by_name[name]
        add_adapters(cue, lora[name]["rank"], lora[name]["alpha"], lora[name]["targets"])
        set_peft_model_state_dict(cue.module, state)
        cue.module.eval()
        cue.adapter_tag = adapter_tag(state)


def finetune_end_to_end(
    model: FusionNetwork | Sequence[FusionNetwork],
    items: Sequence[ScoreItem],
    table: FeatureTable,
    y: np.ndarray,
    cues: Sequence[Any],
    cfg: TrainConfig,
    *,
    rank: int = 8,
    epochs: int | None = None,
    progress: Callable[[int, float], None] | None = None,
    resume: dict[str, dict[str, Any]] | None = None,
) -> tuple[dict[str, dict[str, torch.Tensor]], dict[str, Any]]:
    """Train LoRA adapters of the transformer ``cues`` jointly with ``model`` (in place) on the raw inputs.

    ``model`` may be the members of an ensemble (one set of adapters serves them all). ``table`` holds the
    cached features of ``items`` (used for the cues without adapters). ``resume``: LoRA settings of cues
    whose adapters are already on (restored with :func:`apply_adapters`); those continue from their
    weights, the other transformer cues get new rank-``rank`` adapters. Returns the adapter weights and
    LoRA settings per cue; the adapted cues keep their adapters (eval mode).
    """
    members = [model] if isinstance(model, FusionNetwork) else list(model)
    resume = resume or {}
    adapt = [c for c in lora_cues(cues) if c.name in members[0].cue_dims]
    if not adapt:
        raise ConfigError(
            "finetune_encoders: none of the cues in use has a transformer encoder",
            hint=f"include one of {', '.join(LORA_CUES)} (profile paper, modalities A or V)",
            param=("finetune_encoders", "profile", "modalities"),
        )
    torch.manual_seed(cfg.seed)
    lora = {c.name: dict(resume[c.name]) if c.name in resume else add_adapters(c, rank) for c in adapt}
    raw = {c.name: [c.forward_inputs(it) if c.applies(it) else None for it in items] for c in adapt}
    feats, present = tensors(table.select(list(members[0].modalities)))
    target = torch.as_tensor(to_unit(y, cfg), dtype=torch.float32)
    params = [p for c in adapt for p in c.module.parameters() if p.requires_grad]
    params += [p for m in members for p in m.parameters()]
    opt = make_optimizer(params, cfg)
    gen = torch.Generator().manual_seed(cfg.seed)
    n = len(items)
    for epoch in range(epochs if epochs is not None else cfg.epochs):
        for m in members:
            m.train()
        for c in adapt:
            c.module.train()
        total = 0.0
        perm = torch.randperm(n, generator=gen).tolist()
        for s in range(0, n, cfg.batch_size):
            idx = perm[s : s + cfg.batch_size]
            if len(idx) < 2:
                continue
            batch = {k: v[idx] for k, v in feats.items()}
            for c in adapt:  # the adapted encoders replace the cached vectors of this batch
                rows = [c.forward(raw[c.name][i]) if raw[c.name][i] is not None else feats[c.name][i] for i in idx]
                batch[c.name] = torch.stack([r.float().reshape(-1) for r in rows])
            pres = {k: v[idx] for k, v in present.items()}
            loss = torch.zeros(())
            for m in members:  # the members share the adapted features; their mean loss trains the adapters
                out = m(batch, pres)
                loss = loss + head_loss(cfg.head, out.score, target[idx], cfg.loss_lambda, cfg.rank_weight)
            loss = loss / len(members)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        if progress is not None:
            progress(epoch + 1, total / max(n, 1))
    for m in members:
        m.eval()
    adapters = {}
    for c in adapt:
        c.module.eval()
        adapters[c.name] = adapter_state(c)
        c.adapter_tag = adapter_tag(adapters[c.name])
    logger.info("LoRA adapters trained on %s (resumed: %s)", ", ".join(adapters), ", ".join(resume) or "none")
    return adapters, lora
