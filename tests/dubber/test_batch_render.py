"""Batched F5 takes served to render_line: every call of a prefetched line is a kept, batched take."""

from __future__ import annotations

import pytest

pytest.importorskip("f5_tts.model", reason="needs the f5 extra (scripts/setup_f5.sh)")

from dubber.batch_render import LineJob, PrefetchingSynthesizer  # noqa: E402
from dubber.fitting import FitCaps  # noqa: E402
from dubber.render import render_line  # noqa: E402
from dubber.synth import VoiceReference  # noqa: E402
from dubber.synth.f5 import F5Synthesizer  # noqa: E402
from dubber.synth.f5_tiny import write_tiny_f5  # noqa: E402
from evaluator.media import write_wav  # noqa: E402

REF_TEXT = "The quick brown fox jumps over the lazy dog."


def test_prefetched_lines_render_from_batches(tmp_path, espeak):
    tiny = write_tiny_f5(tmp_path / "tiny")
    s = espeak.synthesize(REF_TEXT, "en")
    write_wav(tmp_path / "ref.wav", s.audio, s.sr)
    ref = VoiceReference(path=tmp_path / "ref.wav", transcript=REF_TEXT)
    f5 = F5Synthesizer(ckpt=tiny.ckpt, vocoder=tiny.vocoder, model_config=tiny.config, steps=2, batch=4)
    synth = PrefetchingSynthesizer(f5)
    assert synth.model_id == f5.model_id and synth.controls_length and synth.clones_voice
    caps = FitCaps()
    style = {"video_span": ("ep.mp4", 1.0, 2.0)}
    jobs = [
        LineJob("Hello there.", "en", 0.9, 0.2, ref, 1, style),
        LineJob("A somewhat longer line to say.", "en", 1.6, 0.0, ref, 2, style),
        LineJob("Bye.", "en", 0.5, 0.1, ref, 3, {}),
    ]
    kept = synth.prefetch(jobs, caps, trim_top_db=40.0)
    assert 3 <= kept <= 6
    for i, job in enumerate(jobs):
        line = render_line(
            synth, job.text, "en", start=float(i), slot=job.slot, room=job.room, caps=caps, out_sr=24000,
            reference=job.reference, seed=job.seed, style=job.style,
        )  # fmt: skip
        assert line.fit.duration > 0 and line.info["seed"] == job.seed
    assert synth.hits == kept and not synth._kept  # every call was served from a batch, each take once
    # a request that was not prefetched is synthesized as usual
    extra = synth.synthesize("Not prefetched.", "en", reference=ref, duration=0.4, seed=9)
    assert synth.hits == kept and len(extra.audio) == round(0.4 * 93.75) * 256
    with pytest.raises(TypeError, match="cannot synthesize lines in batches"):
        PrefetchingSynthesizer(espeak)
