"""Per-request preparation for F5: the reference prompt's mel, the prompt text, the frame budget, guidance."""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from dubber.synth.base import SynthRequest
from dubber.synth.f5.loading import TARGET_RMS, frames_for
from evaluator.errors import ConfigError
from evaluator.media import load_audio
from evaluator.project import REFERENCE_MAX_S, REFERENCE_MIN_S, SceneReading

#: predicts a line's generated frames from its text and scene reading (a trained duration predictor)
FramePredictor = Callable[[str, SceneReading | None], int]

log = logging.getLogger(__name__)


@dataclass
class Prepared:
    """One request ready to sample: reference mel, tokens, the total frame budget and guidance."""

    index: int
    request: SynthRequest
    ref_mel: torch.Tensor  # [frames, n_mels]
    ref_frames: int
    tokens: list[str]
    total: int  # requested total frames (reference + generated)
    rms: float
    clipped: bool
    guidance: tuple[tuple[str, float], ...]  # (group, scale), sorted: lines batch together when equal
    duration_source: str = "requested"  # requested | duration predictor | reference rate

    @property
    def seed(self) -> int:
        return self.request.seed

    @property
    def text(self) -> str:
        return self.request.text.strip()


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


def check_vocabulary(model: Any, text: str, what: str) -> None:
    """Refuse ``text`` when F5's tokenizer makes tokens of letters or marks that the model's vocabulary lacks:
    F5 maps an unknown token to index 0 (the space) without a word, so they would be silently unspoken.

    F5's tokenizer (``convert_char_to_pinyin``) turns Chinese characters into pinyin and every other
    character into one token per code point (Devanagari too: a consonant, its vowel sign and a virama are
    three tokens), after mapping typographic quotes to plain ones; the vocabulary must hold each of them."""
    from f5_tts.model.utils import convert_char_to_pinyin

    vocab = getattr(model, "vocab_char_map", None)
    if not vocab:  # a byte-level model reads any text
        return
    tokens = convert_char_to_pinyin([text])[0]
    unknown = sorted({t for t in tokens if t not in vocab and any(unicodedata.category(c)[0] in "LM" for c in t)})
    if unknown:
        shown = " ".join(unknown[:20]) + (f" and {len(unknown) - 20} more" if len(unknown) > 20 else "")
        raise ConfigError(
            f"f5: the model's vocabulary has no token for {shown} in {what}",
            hint="a checkpoint trained on this script comes with its own vocab.txt: give it as vocab",
            param="vocab",
        )


def prepare(
    model: Any,
    mel_cfg: dict[str, Any],
    device: torch.device,
    index: int,
    req: SynthRequest,
    cfg_strength: float,
    predict_frames: FramePredictor | None = None,
    condition_guidance: dict[str, float] | None = None,
) -> Prepared:
    """Prepare request ``index`` for :func:`dubber.synth.f5.sample.sample` with F5's ``CFM`` ``model``.

    Guidance: ``text`` is ``cfg_strength``; ``condition_guidance`` (the video and reading scales, given when a
    control branch reads the conditions) comes next; the request's own ``Guidance`` overrides both.

    Without a requested duration the line's length comes from ``predict_frames`` (a trained duration
    predictor) when given, else from F5's own estimate (the reference's bytes of text per frame)."""
    from f5_tts.model.utils import convert_char_to_pinyin

    ref = req.voice
    if ref is None:
        raise ConfigError("f5 clones a voice: each line needs a speaker reference clip with its transcript")
    if not ref.transcript or not ref.transcript.strip():
        raise ConfigError(
            f"{ref.path}: the f5 reference clip has no transcript",
            hint="give the source-language script (its cues are the reference's transcript)",
        )
    if not req.text.strip():
        raise ConfigError(f"request {index}: empty text")
    sr, hop = mel_cfg["target_sample_rate"], mel_cfg["hop_length"]
    wav = load_audio(ref.path, sr)
    length = len(wav) / sr
    transcript = ref.transcript
    clipped = length > REFERENCE_MAX_S
    if clipped:
        transcript = clip_transcript(transcript, REFERENCE_MAX_S / length)
        wav = wav[: int(REFERENCE_MAX_S * sr)]
        log.warning(
            "%s: reference is %.1f s; using its first %.0f s (transcript cut to match)",
            ref.path,
            length,
            REFERENCE_MAX_S,
        )
    elif length < REFERENCE_MIN_S:
        log.warning("%s: reference is only %.1f s; F5 clones best from 3-10 s", ref.path, length)
    wav = wav[: len(wav) // hop * hop]
    if len(wav) < hop:
        raise ConfigError(f"{ref.path}: the reference clip is empty")
    rms = float(np.sqrt(np.mean(np.square(wav)))) or 1e-8
    if rms < TARGET_RMS:
        wav = wav * (TARGET_RMS / rms)
    with torch.inference_mode():
        mel = model.mel_spec(torch.from_numpy(wav.astype(np.float32))[None].to(device))
    ref_mel = mel[0].permute(1, 0).contiguous()
    ref_frames = ref_mel.shape[0]
    ref_text = prompt_text(transcript)
    check_vocabulary(model, ref_text, f"the reference transcript of {ref.path}")
    check_vocabulary(model, req.text, f"request {index} ({req.lang})")
    tokens = convert_char_to_pinyin([ref_text + req.text.strip()])[0]
    source = "requested"
    if req.duration is not None:
        if req.duration <= 0:
            raise ConfigError(f"request {index}: duration must be positive, got {req.duration}")
        gen = frames_for(req.duration, sr, hop)
    elif predict_frames is not None:
        gen, source = max(1, int(predict_frames(req.text.strip(), req.conditions.reading))), "duration predictor"
    else:  # F5's own estimate: the reference's speaking rate (bytes of text per frame)
        ref_bytes = max(1, len(ref_text.encode("utf-8")))
        gen = max(1, int(ref_frames / ref_bytes * len(req.text.strip().encode("utf-8"))))
        source = "reference rate"
    guidance = {"text": cfg_strength, **(condition_guidance or {}), **req.conditions.guidance.scales()}
    return Prepared(
        index=index,
        request=req,
        ref_mel=ref_mel,
        ref_frames=ref_frames,
        tokens=tokens,
        total=ref_frames + gen,
        rms=rms,
        clipped=clipped,
        guidance=tuple(sorted(guidance.items())),
        duration_source=source,
    )
