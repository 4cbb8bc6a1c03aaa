"""Batched inference in the scorer: resemblyzer partials of several clips in one LSTM batch and MiniLM sentences in
one encode (equal to one by one within float32 rounding); a batch that fails falls back to one item at a time."""

from __future__ import annotations

import numpy as np
import pytest
from metric_helpers import OTHER_SENTENCE, SENTENCE, SR, item

from evaluator.media import resample
from evaluator.scoring import ScoreConfig, Scorer


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """torch on one thread in this module (on the shared 2-core machine its default two threads make the LSTM
    ten times slower; benchmarks/score_throughput.py), restored after."""
    import torch

    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


@pytest.fixture(scope="module")
def clips(speech, other_speech):
    """Three dubs and their voices, as score items."""
    dubs = [speech, other_speech * 0.6, speech[: len(speech) // 2]]
    return [item(x, voice=np.roll(other_speech, 300 * k), text=SENTENCE, id=f"c{k}") for k, x in enumerate(dubs)]


def test_resemblyzer_partials_of_several_clips_in_one_batch(clips):
    from evaluator.metrics.speaker import ResemblyzerBackend

    b = ResemblyzerBackend()
    audios = [x for it in clips for x in (it.audio(16000), it.voice(16000))]
    for one, many in zip((b.embed(x) for x in audios), b.embed_many(audios), strict=True):
        np.testing.assert_allclose(many, one, atol=1e-6)


def test_sentence_pairs_encoded_in_one_call():
    from evaluator.metrics.transcript import SentenceEmbedder

    e = SentenceEmbedder()
    pairs = [(SENTENCE, SENTENCE.lower()), (SENTENCE, OTHER_SENTENCE), ("yes", "no way at all, said the fox")]
    np.testing.assert_allclose(e.cosine_many(pairs), [e.cosine(a, b) for a, b in pairs], atol=1e-6)


@pytest.mark.slow
def test_a_batch_scores_what_items_alone_score_and_uses_the_batched_models(clips, monkeypatch):
    config = ScoreConfig(metrics=("spk_sim", "dnsmos_ovrl", "dnsmos_p808"))
    alone = Scorer(config)
    one = [alone.score_batch([it], [set()])[0].metrics for it in clips]
    batched = Scorer(config)
    speaker = batched.families["speaker"].backend

    def not_one_by_one(audio):
        raise AssertionError("embedded one clip at a time")

    monkeypatch.setattr(speaker, "embed", not_one_by_one)
    many = [r.metrics for r in batched.score_batch(clips, [set(), set(), set()])]
    for a, b in zip(one, many, strict=True):
        assert a["dnsmos_ovrl"] == b["dnsmos_ovrl"] and a["dnsmos_p808"] == b["dnsmos_p808"]  # per clip in both
        assert b["spk_sim"]["value"] == pytest.approx(a["spk_sim"]["value"], abs=1e-6)
        assert {k: v for k, v in a["spk_sim"].items() if k != "value"} == {
            k: v for k, v in b["spk_sim"].items() if k != "value"
        }


def test_a_failing_batch_falls_back_to_one_item_at_a_time(clips, monkeypatch, caplog):
    scorer = Scorer(ScoreConfig(metrics=("spk_sim",)))

    def broken(audios):
        raise RuntimeError("out of memory in the batch")

    monkeypatch.setattr(scorer.families["speaker"].backend, "embed_many", broken)
    rows = scorer.score_batch(clips, [set(), set(), set()])
    assert all(r.metrics["spk_sim"]["value"] is not None for r in rows)
    assert "a batch of 3 failed (out of memory in the batch); scoring them one by one" in caplog.text


def test_resampled_audio_is_decoded_once_per_rate(clips):
    it = clips[0]
    assert it.audio(16000) is it.audio(16000)
    np.testing.assert_allclose(it.audio(16000), resample(it.audio(SR), SR, 16000), atol=1e-6)
