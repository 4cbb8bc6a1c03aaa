"""The fit stage: a take trimmed, planned onto its slot, stretched and pitch-moved, at the mix rate.

:func:`plan_take` decides how long the line will be placed (the duration ladder,
:func:`dubber.fitting.plan_fit`); a backend that controls length is then asked for that duration (the
render stage's second pass); :func:`fit_take` removes what is left with Rubber Band, within the caps,
and records the fit. :func:`fit_global` is the corpus build's alternative: one stretch of the whole
take onto the clip's length (the DubScore paper's recipe).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dubber.fitting import FitCaps, FitPlan, plan_fit
from dubber.pitch import take_f0
from dubber.stretch import semitones_between, stretch
from dubber.synth.base import TRIM_KEEP_S, Speech
from evaluator.errors import BackendError
from evaluator.media.audio import resample
from evaluator.project import Fit

#: a length-controlling backend is asked again when the plan is more than 1% from its natural pace
NATIVE_TOLERANCE = 0.01
#: formants move by this share of the pitch shift toward a speaker: adult women's F0 is about 10
#: semitones above men's while their formants are 15-20% (2.5-3 semitones) higher (Peterson and
#: Barney 1952), so shifting the pitch alone leaves a man's timbre and shifting both alike sounds
#: like a recording played fast
FORMANT_SHARE = 0.25


def trim_silence(speech: Speech, top_db: float) -> Speech:
    """Cut leading and trailing silence (more than ``top_db`` under the peak), keeping ``TRIM_KEEP_S``."""
    import librosa

    if len(speech.audio) == 0:
        return speech
    _, (a, b) = librosa.effects.trim(speech.audio, top_db=top_db, frame_length=512, hop_length=128)
    pad = int(TRIM_KEEP_S * speech.sr)
    audio = speech.audio[max(0, a - pad) : min(len(speech.audio), b + pad)]
    return Speech(audio=audio, sr=speech.sr, info=speech.info)


def plan_take(natural: float, slot: float, room: float, caps: FitCaps, native: bool) -> FitPlan:
    """The placed length of a line whose natural-pace (trimmed) take lasts ``natural`` seconds."""
    if natural <= 0:
        raise BackendError("the synthesizer produced no audio")
    return plan_fit(natural, slot, room, caps, native=native)


def needs_native_take(plan: FitPlan, native: bool) -> bool:
    """True when a length-controlling backend should be asked for ``plan.duration``."""
    return native and abs(plan.ratio - 1.0) > NATIVE_TOLERANCE


@dataclass(frozen=True)
class FittedTake:
    audio: np.ndarray  # mono float32 at the mix rate
    fit: Fit


def fit_take(
    natural: float,
    spoken: Speech,
    plan: FitPlan,
    *,
    start: float,
    room: float,
    out_sr: int,
    match_pitch_to: float | None = None,
) -> FittedTake:
    """Stretch ``spoken`` (the natural take, or the native take at the planned length) to exactly the
    planned duration, shift its median F0 to ``match_pitch_to`` (Hz) when given (and its formants by
    ``FORMANT_SHARE`` of that), resample to ``out_sr``.
    ``natural`` is the natural-pace take's trimmed duration (measured, or predicted by the synthesizer)."""
    if spoken.duration <= 0:
        raise BackendError("the synthesizer produced no audio")
    semitones = 0.0
    if match_pitch_to:
        semitones = semitones_between(take_f0(spoken) or 0.0, match_pitch_to)
    target_n = int(round(plan.duration * spoken.sr))
    ratio_left = target_n / max(1, len(spoken.audio))
    moved = stretch(spoken.audio, spoken.sr, ratio_left, semitones, formants=FORMANT_SHARE * semitones)
    audio = resample(moved, spoken.sr, out_sr)
    duration = len(audio) / out_sr
    slot = plan.slot
    fit = Fit(
        raw_duration=round(natural, 4),
        duration=round(duration, 4),
        ratio=round(duration / natural, 4),
        placed_start=round(start, 4),
        placed_end=round(start + duration, 4),
        error_ms=round((duration - slot) * 1000, 1),
        borrow_ms=round(min(max(0.0, duration - slot), room) * 1000, 1),
        overrun_ms=round(max(0.0, duration - slot - room) * 1000, 1),
        native_ratio=round(spoken.duration / natural, 4),
        stretch_ratio=round(ratio_left, 4),
        pitch_shift_semitones=round(semitones, 2),
        formant_shift_semitones=round(FORMANT_SHARE * semitones, 2),
    )
    return FittedTake(audio=audio, fit=fit)


def fit_global(natural: Speech, slot: float, *, out_sr: int, caps: FitCaps | None = None) -> FittedTake:
    """The paper's global fit of a corpus clip: one Rubber Band time-stretch of the whole natural take
    (trimmed, as every take is) onto ``slot`` seconds, the original clip's length.

    Uncapped (``caps`` None) the take lasts exactly ``slot`` whatever the ratio; with ``caps`` the ratio is
    clamped to ``caps.min_ratio``..``caps.max_ratio`` and the dub ends before or after the clip (the error is
    recorded). Nothing is borrowed: a clip has no room after it."""
    if natural.duration <= 0:
        raise BackendError("the synthesizer produced no audio")
    if slot <= 0:
        raise ValueError("slot must be positive")
    ratio = slot / natural.duration
    if caps is not None:
        ratio = min(max(ratio, caps.min_ratio), caps.max_ratio)
    target_n = int(round(natural.duration * ratio * natural.sr))
    ratio_left = target_n / max(1, len(natural.audio))
    audio = resample(stretch(natural.audio, natural.sr, ratio_left), natural.sr, out_sr)
    n_out = int(round(natural.duration * ratio * out_sr))  # resampling may round a sample either way
    audio = np.pad(audio[:n_out], (0, max(0, n_out - len(audio)))).astype(np.float32, copy=False)
    duration = n_out / out_sr
    fit = Fit(
        raw_duration=round(natural.duration, 4),
        duration=round(duration, 4),
        ratio=round(duration / natural.duration, 4),
        placed_start=0.0,
        placed_end=round(duration, 4),
        error_ms=round((duration - slot) * 1000, 1),
        borrow_ms=0.0,
        overrun_ms=round(max(0.0, duration - slot) * 1000, 1),
        native_ratio=1.0,
        stretch_ratio=round(ratio_left, 4),
    )
    return FittedTake(audio=audio, fit=fit)
