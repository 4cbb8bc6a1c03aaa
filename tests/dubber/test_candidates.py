"""The generate-score loop keeps the best-scoring candidate and records every one; the proxy scorer."""

from __future__ import annotations

import numpy as np
import pytest

from dubber.candidates import CandidateParams, ProxyScorer, candidate_plan, generate_and_score, slot_fit
from evaluator.manifest import Line, Manifest
from evaluator.media import write_wav

TEXT = "The weather is lovely today."


@pytest.fixture(scope="module")
def voice(tmp_path_factory, piper):
    speech = piper.synthesize("This is my voice, recorded for the reference clip.", "en")
    path = tmp_path_factory.mktemp("voice") / "ref.wav"
    write_wav(path, speech.audio, speech.sr)
    return path


def _espeak_gen(espeak, slot):
    # candidates differ for real: the guidance "text" scale sets how much of the slot espeak fills
    def generate(p: CandidateParams):
        return espeak.synthesize(TEXT, "en", duration=slot * p.guidance["text"] / 2.0, seed=p.seed)

    return generate


def test_loop_picks_the_best_and_records_all(espeak):
    slot = 2.0
    guid = [{"text": 1.0}, {"text": 2.0}, {"text": 3.0}]
    res = generate_and_score(
        _espeak_gen(espeak, slot),
        lambda s: (slot_fit(s.duration, slot), {"duration": s.duration}),
        n=3,
        base_seed=5,
        guidance=guid,
    )
    assert [c.seed for c in res.candidates] == [5, 6, 7]
    scores = [c.score for c in res.candidates]
    assert len(set(scores)) == 3
    chosen = [c for c in res.candidates if c.chosen]
    assert len(chosen) == 1 and chosen[0].score == max(scores)
    assert chosen[0].params["guidance"] == {"text": 2.0}
    assert res.best.score == max(scores) and res.rounds == 1 and res.passed
    # the candidates go into the manifest and come back
    m = Manifest(video="v.mp4", script="s.srt", lang="en", lines=[Line(1, 0.0, slot, TEXT, candidates=res.candidates)])
    back = Manifest.from_dict(m.to_dict()).lines[0].candidates
    assert [c.score for c in back] == scores and [c.chosen for c in back] == [False, True, False]


def test_redraw_under_min_score(espeak):
    slot = 2.0
    res = generate_and_score(
        _espeak_gen(espeak, slot),
        lambda s: (slot_fit(s.duration, slot), {}),
        n=2,
        guidance=[{"text": 1.0}],
        min_score=0.99,
        max_rounds=3,
    )
    assert res.rounds == 3 and len(res.candidates) == 6 and not res.passed
    assert [c.params["round"] for c in res.candidates] == [0, 0, 1, 1, 2, 2]
    assert len({c.seed for c in res.candidates}) == 6
    assert all(c.params["passed"] is False for c in res.candidates)


def test_plan_cycles_options():
    plan = candidate_plan(4, 0, guidance=[{"text": 2.0}, {"text": 3.0}], prompts=["calm.wav", "angry.wav"])
    assert [(p.guidance["text"], p.prompt) for p in plan] == [
        (2.0, "calm.wav"),
        (3.0, "calm.wav"),
        (2.0, "angry.wav"),
        (3.0, "angry.wav"),
    ]
    with pytest.raises(ValueError):
        candidate_plan(0, 0)


def test_proxy_scorer_prefers_the_right_text_and_length(piper, voice):
    scorer = ProxyScorer(TEXT, slot=2.0, reference=voice)
    good = piper.synthesize(TEXT, "en", duration=2.0)
    wrong = piper.synthesize("Completely different words are spoken here instead.", "en", duration=3.5)
    s_good, d_good = scorer(good)
    s_wrong, d_wrong = scorer(wrong)
    assert 0.0 <= s_wrong < s_good <= 1.0
    comps = d_good["proxy"]["components"]
    assert set(comps) == {"speaker", "intelligibility", "quality", "slot_fit"}
    assert comps["speaker"] > 0.5  # the same piper voice as the reference
    for name in ("spk_sim", "wer", "dnsmos_ovrl"):
        assert d_good[name]["backend"] and d_good[name]["model_id"]
    # without a reference the speaker component drops out and weights renormalise
    no_ref, details = ProxyScorer(TEXT, slot=2.0, metrics=scorer._metrics)(good)
    assert "speaker" not in details["proxy"]["components"]
    assert np.isclose(sum(details["proxy"]["weights"].values()), 0.65)
