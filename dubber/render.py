"""Rendering one line: synthesize at the natural pace, fit to the slot, and record the fit."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np

from dubber.fitting import FitCaps, plan_fit
from dubber.speakers import median_f0
from dubber.stretch import semitones_between, stretch
from dubber.synth.base import Speech, Synthesizer, VoiceReference
from evaluator.manifest import Fit
from evaluator.media.audio import resample

log = logging.getLogger(__name__)


def trim_silence(speech: Speech, top_db: float) -> Speech:
    """Cut leading and trailing silence (more than ``top_db`` under the peak), keeping 20 ms."""
    import librosa

    if len(speech.audio) == 0:
        return speech
    _, (a, b) = librosa.effects.trim(speech.audio, top_db=top_db, frame_length=512, hop_length=128)
    pad = int(0.02 * speech.sr)
    audio = speech.audio[max(0, a - pad) : min(len(speech.audio), b + pad)]
    return Speech(audio=audio, sr=speech.sr, info=speech.info)


@dataclass(frozen=True)
class RenderedLine:
    audio: np.ndarray  # mono float32 at the mix rate
    fit: Fit
    info: dict[str, Any]


def render_line(
    synth: Synthesizer,
    text: str,
    lang: str,
    *,
    start: float,
    slot: float,
    room: float,
    caps: FitCaps,
    out_sr: int,
    reference: VoiceReference | None = None,
    match_pitch_to: float | None = None,
    seed: int = 0,
    style: dict[str, Any] | None = None,
    trim_top_db: float = 40.0,
    natural: Speech | None = None,
) -> RenderedLine:
    """Run the duration ladder for one line and return the fitted audio at ``out_sr``.

    ``natural`` is the line's natural-pace speech when already known (a cache), else it is
    synthesized here. ``match_pitch_to`` (Hz) moves the speech's median F0 there.
    """
    raw = (
        natural
        if natural is not None
        else trim_silence(synth.synthesize(text, lang, reference=reference, seed=seed, style=style), trim_top_db)
    )
    if raw.duration <= 0:
        from evaluator.errors import BackendError

        raise BackendError(f"{synth.name} produced no audio for {text!r}")
    plan = plan_fit(raw.duration, slot, room, caps, native=synth.controls_length)
    spoken = raw
    if synth.controls_length and abs(plan.ratio - 1.0) > 0.01:
        spoken = trim_silence(
            synth.synthesize(text, lang, reference=reference, duration=plan.duration, seed=seed, style=style),
            trim_top_db,
        )
    semitones = 0.0
    if match_pitch_to:
        semitones = semitones_between(median_f0(spoken.audio, spoken.sr) or 0.0, match_pitch_to)
    target_n = int(round(plan.duration * spoken.sr))
    ratio_left = target_n / max(1, len(spoken.audio))
    fitted = stretch(spoken.audio, spoken.sr, ratio_left, semitones)
    audio = resample(fitted, spoken.sr, out_sr)
    duration = len(audio) / out_sr
    fit = Fit(
        raw_duration=round(raw.duration, 4),
        duration=round(duration, 4),
        ratio=round(duration / raw.duration, 4),
        placed_start=round(start, 4),
        placed_end=round(start + duration, 4),
        error_ms=round((duration - slot) * 1000, 1),
        borrow_ms=round(min(max(0.0, duration - slot), room) * 1000, 1),
        overrun_ms=round(max(0.0, duration - slot - room) * 1000, 1),
        native_ratio=round(spoken.duration / raw.duration, 4),
        stretch_ratio=round(ratio_left, 4),
        pitch_shift_semitones=round(semitones, 2),
    )
    return RenderedLine(audio=audio, fit=fit, info={**raw.info, **spoken.info})
