"""The median F0 of synthesized speech (the pitch a voice is moved from, or calibrated at).

Recorded speech (a speaker's reference, over the episode's music) is measured with WORLD Harvest
(:func:`dubber.speakers.median_f0`); clean synthetic speech with RAPT, a hundred times faster.
"""

from __future__ import annotations

import numpy as np

from dubber.synth.base import Speech
from evaluator.media.audio import resample


def take_f0(speech: Speech) -> float | None:
    """Median F0 (Hz) of a synthesized take (RAPT, pysptk; 60-500 Hz at 16 kHz, 10 ms hops), or None.
    RAPT takes 5 ms a line where Harvest (the references' estimator, robust to music) takes 0.4 s;
    on clean synthetic speech they agree within 2% on espeak's voices and read 94 and 105 Hz on
    piper's joe."""
    import pysptk

    if speech.duration < 0.1:
        return None
    x = resample(np.asarray(speech.audio, dtype=np.float32), speech.sr, 16000).astype(np.float64)
    f0 = pysptk.rapt(x * 32767.0, fs=16000, hopsize=160, min=60, max=500, otype="f0")
    voiced = f0[f0 > 0]
    return float(np.median(voiced)) if len(voiced) >= 5 else None
