"""Per-line preparation for the F5 backend: reference clip, prompt text, frame budget, guidance."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from evaluator.errors import ConfigError
from evaluator.media import load_audio

if TYPE_CHECKING:
    from dubber.synth.f5 import F5Request, F5Synthesizer

log = logging.getLogger(__name__)


@dataclass
class Prepared:
    index: int
    ref_mel: torch.Tensor  # [frames, n_mels]
    ref_frames: int
    tokens: list[str]
    total: int  # requested total frames (reference + generated)
    seed: int
    rms: float
    clipped: bool
    duration: float | None
    style: dict[str, Any]
    guidance: tuple[tuple[str, float], ...]
    text: str = ""  # the line's text (the emotion graph's text node)

    @property
    def guidance_key(self) -> tuple[tuple[str, float], ...]:
        return self.guidance


def clip_transcript(text: str, keep: float) -> str:
    """The first ``keep`` fraction of ``text`` by characters, cut back to a word boundary."""
    if keep >= 1.0:
        return text
    cut = max(1, int(len(text) * keep))
    head = text[:cut]
    if cut < len(text) and not text[cut].isspace() and " " in head:
        head = head[: head.rfind(" ")]
    return head.strip()


def prompt_text(ref_text: str) -> str:
    """F5's convention: the reference transcript ends with a sentence end and a space."""
    ref_text = ref_text.strip()
    if ref_text.endswith("。"):
        return ref_text
    return ref_text + (" " if ref_text.endswith(".") else ". ")


def prepare(synth: F5Synthesizer, index: int, req: F5Request) -> Prepared:
    from f5_tts.model.utils import convert_char_to_pinyin

    from dubber.synth.f5 import MAX_REF_S, MIN_REF_S, TARGET_RMS, frames_for

    ref = req.reference
    if not ref.transcript or not ref.transcript.strip():
        raise ConfigError(
            f"{ref.path}: the f5 reference clip has no transcript",
            hint="set the speaker's reference_transcript (script, an ASR backend, or by hand)",
        )
    if not req.text.strip():
        raise ConfigError(f"line {index}: empty text")
    mel_cfg = synth.mel
    sr, hop = mel_cfg["target_sample_rate"], mel_cfg["hop_length"]
    wav = load_audio(ref.path, sr)
    length = len(wav) / sr
    transcript = ref.transcript
    clipped = length > MAX_REF_S
    if clipped:
        transcript = clip_transcript(transcript, MAX_REF_S / length)
        wav = wav[: int(MAX_REF_S * sr)]
        log.warning(
            "%s: reference is %.1f s; using its first %.0f s (transcript cut to match)", ref.path, length, MAX_REF_S
        )
    elif length < MIN_REF_S:
        log.warning("%s: reference is only %.1f s; F5 clones best from 3-10 s", ref.path, length)
    wav = wav[: len(wav) // hop * hop]
    if len(wav) < hop:
        raise ConfigError(f"{ref.path}: the reference clip is empty")
    rms = float(np.sqrt(np.mean(np.square(wav)))) or 1e-8
    if rms < TARGET_RMS:
        wav = wav * (TARGET_RMS / rms)
    model = synth.model
    with torch.inference_mode():
        mel = model.mel_spec(torch.from_numpy(wav.astype(np.float32))[None].to(synth.device))
    ref_mel = mel[0].permute(1, 0).contiguous()
    ref_frames = ref_mel.shape[0]
    ref_text = prompt_text(transcript)
    tokens = convert_char_to_pinyin([ref_text + req.text.strip()])[0]
    if req.duration is not None:
        if req.duration <= 0:
            raise ConfigError(f"line {index}: duration must be positive, got {req.duration}")
        gen = frames_for(req.duration, sr, hop)
    else:  # F5's own estimate: the reference's speaking rate (bytes of text per frame)
        ref_bytes = max(1, len(ref_text.encode("utf-8")))
        gen = max(1, int(ref_frames / ref_bytes * len(req.text.strip().encode("utf-8"))))
    guidance = {"text": synth.cfg_strength}
    guidance.update({k: float(v) for k, v in (req.style.get("guidance") or {}).items()})
    return Prepared(
        index=index,
        ref_mel=ref_mel,
        ref_frames=ref_frames,
        tokens=tokens,
        total=ref_frames + gen,
        seed=int(req.seed),
        rms=rms,
        clipped=clipped,
        duration=req.duration,
        style=req.style,
        guidance=tuple(sorted(guidance.items())),
        text=req.text.strip(),
    )
