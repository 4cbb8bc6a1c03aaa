"""The paper's global fit: one Rubber Band stretch of the whole take onto the clip's length."""

from __future__ import annotations

import numpy as np
import pytest

from dubber.fitting import FitCaps
from dubber.stages.fit import fit_global
from dubber.synth.base import Speech


def tone(seconds: float, sr: int = 22050) -> Speech:
    t = np.arange(int(seconds * sr)) / sr
    return Speech(audio=(0.3 * np.sin(2 * np.pi * 180 * t)).astype(np.float32), sr=sr)


@pytest.mark.parametrize("slot", [0.9, 1.6, 2.9])  # faster, slower, far beyond the ladder's caps
def test_uncapped_lasts_the_slot_to_the_sample(slot) -> None:
    take = tone(1.3)
    fitted = fit_global(take, slot, out_sr=24000)
    assert len(fitted.audio) == round(slot * 24000) and fitted.audio.dtype == np.float32
    f = fitted.fit
    assert f.duration == pytest.approx(slot) and abs(f.error_ms) < 0.05 and f.borrow_ms == 0 and f.overrun_ms == 0
    assert f.ratio == pytest.approx(slot / 1.3, abs=1e-3) and f.stretch_ratio == pytest.approx(slot / 1.3, abs=1e-3)
    assert f.raw_duration == pytest.approx(1.3) and (f.placed_start, f.placed_end) == (0.0, f.duration)
    # the stretch keeps the pitch: the tone is still at 180 Hz
    spectrum = np.abs(np.fft.rfft(fitted.audio))
    assert abs(np.argmax(spectrum) * 24000 / len(fitted.audio) - 180) < 3


def test_capped_clamps_and_records_the_error() -> None:
    fitted = fit_global(tone(1.0), 2.0, out_sr=24000, caps=FitCaps(min_ratio=0.8, max_ratio=1.25))
    f = fitted.fit
    assert f.ratio == pytest.approx(1.25, abs=1e-3) and f.duration == pytest.approx(1.25, abs=1e-3)
    assert f.error_ms == pytest.approx(-750, abs=1) and f.overrun_ms == 0
    longer = fit_global(tone(2.0), 1.0, out_sr=24000, caps=FitCaps())
    assert longer.fit.ratio == pytest.approx(0.8, abs=1e-3) and longer.fit.overrun_ms == pytest.approx(600, abs=1)
