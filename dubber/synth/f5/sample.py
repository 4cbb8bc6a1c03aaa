"""Batched F5 sampling with per-line seeds, per-line total durations and per-condition guidance.

This follows ``f5_tts.model.CFM.sample`` step for step (same timesteps, ODE solver, masking and noise
per item), so without a control branch it returns what F5 returns; what it adds is one seed per line
(so a line sounds the same in any batch) and the control branch with nested guidance.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from f5_tts.model.utils import get_epss_timesteps, lens_to_mask, list_str_to_idx, list_str_to_tensor
from torch.nn.utils.rnn import pad_sequence
from torchdiffeq import odeint

from dubber.synth.f5.control import ControlConditions, ControlledDiT, combine_guidance, guidance_levels


@dataclass(frozen=True)
class SampleOptions:
    steps: int = 32
    #: guidance scale per group (``text`` is F5's cfg_strength)
    guidance: Mapping[str, float] | None = None
    sway_sampling_coef: float | None = -1.0
    use_epss: bool = True


def sample(
    model: torch.nn.Module,
    ref_mels: Sequence[torch.Tensor],
    texts: Sequence[Sequence[str]],
    totals: Sequence[int],
    seeds: Sequence[int],
    options: SampleOptions,
    *,
    control: ControlledDiT | None = None,
    conditions: ControlConditions | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Sample mels [b, max_total, n_mels] for a batch; returns them and the total frames actually used.

    ``model`` is F5's ``CFM``; ``ref_mels`` are [frames_i, n_mels] reference prompts; ``texts`` the
    tokenised reference+target texts; ``totals`` the requested TOTAL frames (reference plus generated).
    A total below the text or reference length is raised to it, as F5 does.
    """
    device = model.device
    dtype = next(model.parameters()).dtype
    batch = len(ref_mels)
    lens = torch.tensor([m.shape[0] for m in ref_mels], device=device, dtype=torch.long)
    cond = pad_sequence([m.to(device, dtype) for m in ref_mels], batch_first=True)
    if model.vocab_char_map is not None:
        text = list_str_to_idx(list(texts), model.vocab_char_map).to(device)
    else:
        text = list_str_to_tensor(list(texts)).to(device)
    duration = torch.tensor(list(totals), device=device, dtype=torch.long)
    duration = torch.maximum(torch.maximum((text != -1).sum(dim=-1), lens) + 1, duration)
    max_duration = int(duration.amax())

    cond = F.pad(cond, (0, 0, 0, max_duration - cond.shape[1]), value=0.0)
    cond_mask = F.pad(lens_to_mask(lens), (0, max_duration - int(lens.amax())), value=False).unsqueeze(-1)
    step_cond = torch.where(cond_mask, cond, torch.zeros_like(cond))
    mask = lens_to_mask(duration) if batch > 1 else None

    scales = dict(options.guidance or {"text": 2.0})
    present = set()
    if conditions is not None:
        if conditions.video is not None:
            present.add("video")
        if conditions.reading is not None or conditions.knowledge:
            present.add("reading")
    transformer = model.transformer

    def fn(t: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        if control is None:
            w = scales.get("text", 0.0)
            if w < 1e-5:
                return transformer(x=x, cond=step_cond, text=text, time=t, mask=mask, cache=True)
            pred, null = torch.chunk(
                transformer(x=x, cond=step_cond, text=text, time=t, mask=mask, cfg_infer=True, cache=True), 2, dim=0
            )
            return pred + (pred - null) * w
        levels = guidance_levels(scales, present)
        preds = control.forward_levels(
            x, step_cond, text, t, conditions or ControlConditions(), levels, mask=mask, cache=True
        )
        return combine_guidance(preds, scales)

    noise = []
    for dur, seed in zip(duration.tolist(), seeds, strict=False):
        gen = torch.Generator(device=device).manual_seed(int(seed))
        noise.append(torch.randn(dur, model.num_channels, device=device, dtype=step_cond.dtype, generator=gen))
    y0 = pad_sequence(noise, padding_value=0, batch_first=True)
    if options.use_epss:
        t = get_epss_timesteps(options.steps, device=device, dtype=step_cond.dtype)
    else:
        t = torch.linspace(0, 1, options.steps + 1, device=device, dtype=step_cond.dtype)
    if options.sway_sampling_coef is not None:
        t = t + options.sway_sampling_coef * (torch.cos(torch.pi / 2 * t) - 1 + t)
    try:
        with torch.inference_mode():
            trajectory = odeint(fn, y0, t, **model.odeint_kwargs)
    finally:
        transformer.clear_cache()
    out = torch.where(cond_mask, cond, trajectory[-1])
    return out, duration
