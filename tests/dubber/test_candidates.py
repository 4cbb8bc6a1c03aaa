"""The candidate plan and the proxy scorer (real metrics: resemblyzer, pocketsphinx, DNSMOS)."""

from __future__ import annotations

import numpy as np
import pytest

from dubber.candidates import candidate_plan
from dubber.scorers import ProxyScorer, slot_fit
from dubber.synth import SynthRequest
from evaluator.media import write_wav
from evaluator.project import Guidance

TEXT = "The weather is lovely today."


@pytest.fixture(scope="module")
def voice(tmp_path_factory, piper):
    speech = piper.synthesize(SynthRequest("This is my voice, recorded for the reference clip.", "en"))
    path = tmp_path_factory.mktemp("voice") / "ref.wav"
    write_wav(path, speech.audio, speech.sr)
    return path


def test_plan_cycles_guidance_and_separates_rounds():
    plan = candidate_plan(3, 10, guidance=[{"text": 2.0}, {"text": 3.0}])
    assert [(p.seed, p.guidance, p.round) for p in plan] == [
        (10, Guidance(text=2.0), 0),
        (11, Guidance(text=3.0), 0),
        (12, Guidance(text=2.0), 0),
    ]
    again = candidate_plan(3, 10, guidance=[{"text": 2.0}], round_index=1)
    assert [p.seed for p in again] == [1010, 1011, 1012] and {p.round for p in again} == {1}
    with pytest.raises(ValueError):
        candidate_plan(0, 0)


def test_slot_fit():
    assert slot_fit(2.0, 2.0) == 1.0 and slot_fit(3.0, 2.0) == 0.5 and slot_fit(5.0, 2.0) == 0.0
    with pytest.raises(ValueError):
        slot_fit(1.0, 0.0)


def test_proxy_scorer_prefers_the_right_text_and_length(piper, voice):
    scorer = ProxyScorer()
    good = piper.synthesize(SynthRequest(TEXT, "en", duration=2.0))
    wrong = piper.synthesize(SynthRequest("Completely different words are spoken here instead.", "en", duration=3.5))
    s_good, d_good = scorer.score(TEXT, 2.0, good, voice=voice)
    s_wrong, _ = scorer.score(TEXT, 2.0, wrong, voice=voice)
    assert 0.0 <= s_wrong < s_good <= 1.0
    comps = d_good["proxy"]["components"]
    assert set(comps) == {"speaker", "intelligibility", "quality", "slot_fit"}
    assert comps["speaker"] > 0.5  # the same piper voice as the reference
    for name in ("spk_sim", "wer", "dnsmos_ovrl"):
        assert d_good[name]["backend"] and d_good[name]["model_id"]
    # without a reference the speaker component drops out and weights renormalise
    _, details = scorer.score(TEXT, 2.0, good)
    assert "speaker" not in details["proxy"]["components"]
    assert np.isclose(sum(details["proxy"]["weights"].values()), 0.65)
