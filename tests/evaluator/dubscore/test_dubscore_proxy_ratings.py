"""Proxy MOS weights, calibration, active learning; ratings reliability on known examples."""

from __future__ import annotations

import numpy as np
import pytest

from evaluator.dubscore.active import diverse_in_order, k_center, propose, run_active_learning
from evaluator.dubscore.proxy import Normaliser, ProxyWeights, calibration, learn_weights
from evaluator.dubscore.ratings import Ratings, cronbach_alpha, icc1, icc2
from evaluator.errors import ConfigError


def test_pcc_optimisation_recovers_known_weights() -> None:
    rng = np.random.default_rng(3)
    z = rng.random((400, 4))
    w_true = np.array([0.5, 0.3, 0.0, 0.2])
    y = 1 + 4 * (z @ w_true) + rng.normal(0, 0.02, 400)
    w = learn_weights(z, y)
    assert w.min() >= 0 and w.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(w, w_true, atol=0.03)


def test_proxy_learn_direction_roundtrip_and_equal_is_uncalibrated() -> None:
    rng = np.random.default_rng(0)
    wer = rng.random(60)
    dns = 1 + 4 * rng.random(60)
    y = 5 - 3 * wer + 0.2 * dns
    x = np.column_stack([wer, dns])
    p = ProxyWeights.learn(x, y, ["wer", "dnsmos_ovrl"])
    assert p.calibrated and p.weights[0] > p.weights[1]
    assert np.corrcoef(p.mos(x), y)[0, 1] > 0.95  # wer was flipped: lower is better
    again = ProxyWeights.from_dict(p.to_dict())
    np.testing.assert_allclose(again.mos(x), p.mos(x))
    eq = ProxyWeights.equal(["wer", "dnsmos_ovrl"])
    assert not eq.calibrated and "uncalibrated" in eq.source
    assert eq.mos(np.array([[0.0, 5.0]]))[0] == pytest.approx(5.0)
    assert eq.mos(np.array([[np.nan, 5.0]]))[0] == pytest.approx(1 + 4 * 0.75)  # missing -> 0.5
    with pytest.raises(ConfigError, match="unknown metric"):
        Normaliser.default(["made_up"])
    with pytest.raises(ConfigError, match="no default proxy anchors for stretch_ratio"):
        Normaliser.default(["wer", "stretch_ratio"])


def test_calibration_of_a_well_specified_gaussian() -> None:
    rng = np.random.default_rng(1)
    mu = rng.normal(3, 0.5, 4000)
    y = mu + rng.normal(0, 0.4, 4000)
    draws = mu[None] + rng.normal(0, 0.01, (20, 4000))
    cal = calibration(draws, 0.4, y, 0.9)
    assert cal["picp"] == pytest.approx(0.9, abs=0.02)
    assert cal["ece"] < 0.02 and cal["apv"] == pytest.approx(0.16, abs=0.01)
    assert cal["mpiw"] == pytest.approx(2 * 1.645 * 0.4, abs=0.02)
    assert calibration(draws, 0.1, y, 0.9)["picp"] < 0.5  # overconfident


def test_k_center_and_active_learning_spend_the_budget() -> None:
    cond = np.array([[0.0], [0.1], [5.0], [10.0], [0.2]])
    assert sorted(k_center(cond, [0], [1, 2, 3, 4], 2)) == [2, 3]
    rng = np.random.default_rng(0)
    x = np.column_stack([rng.random(80), 1 + 4 * rng.random(80)])
    y = 5 - 3 * x[:, 0] + 0.1 * rng.normal(size=80)
    asked: list[int] = []

    def rate(idx: list[int]) -> np.ndarray:
        asked.extend(idx)
        return y[idx]

    r = run_active_learning(x, x, ["wer", "dnsmos_ovrl"], rate, 30, seed=0)
    assert len(asked) == len(set(asked)) == 30 and [s["rated"] for s in r.stages] == [10, 20, 30]
    assert r.proxy.weights[0] > 0.8


def test_diversity_filter_keeps_uncertainty_order_but_passes_over_near_duplicates() -> None:
    # clips 0-6 ten apart, 7-9 near-twins of 0, 2 and 4; the 5th percentile distance (~8.5) separates them
    cond = np.array([[0.0], [10], [20], [30], [40], [50], [60], [0.01], [20.01], [40.01]])
    assert diverse_in_order(cond, [], [0, 7, 2, 8, 5], 3, min_distance_pct=5) == [0, 2, 5]  # twins passed over
    assert diverse_in_order(cond, [2], [8, 3], 2, min_distance_pct=5) == [3, 8]  # near a rated clip: last
    assert diverse_in_order(cond, [], [0, 7], 2, min_distance_pct=5) == [0, 7]  # too few: filled up in order


def test_propose_asks_for_the_clips_the_bootstrap_proxies_disagree_on() -> None:
    rng = np.random.default_rng(3)
    x = np.column_stack([rng.random(60), rng.random(60)])
    x[50:, 0] = 0.5 + 0.01 * np.arange(10)  # ten clips with the same first metric value
    y = 1 + 4 * (1 - x[:, 0]) + rng.normal(scale=0.6, size=60)
    rated = {i: float(y[i]) for i in range(0, 40)}
    picks = propose(x, x, ["wer", "cer"], rated, 5, seed=0)
    assert len(set(picks)) == 5 and not set(picks) & set(rated)
    from evaluator.dubscore.active import uncertainty
    from evaluator.dubscore.proxy import Normaliser, bootstrap_proxies

    norm = Normaliser.fit(x, ["wer", "cer"])
    idx = np.array(sorted(rated))
    boots = bootstrap_proxies(x[idx], y[idx], ["wer", "cer"], norm, 30, np.random.default_rng(0))
    u = dict(zip(range(40, 60), uncertainty(x[40:], boots), strict=True))
    assert np.mean([u[i] for i in picks]) > np.median(list(u.values()))  # the uncertain half is asked first


def test_icc_and_alpha_on_known_examples() -> None:
    # Shrout & Fleiss (1979) table 2: ICC(1,1) = .17, ICC(2,1) = .29
    m = np.array([[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]], float)
    assert icc1(m) == pytest.approx(0.166, abs=0.005)
    assert icc2(m) == pytest.approx(0.290, abs=0.005)
    # perfectly consistent items: alpha 1; parallel items with a constant offset still 1
    assert cronbach_alpha(np.array([[1, 2], [2, 3], [3, 4], [5, 6]], float)) == pytest.approx(1.0)
    items = np.array([[1, 3, 2], [2, 2, 3], [3, 5, 4], [4, 4, 5]], float)
    k = 3
    want = k / (k - 1) * (1 - items.var(0, ddof=1).sum() / items.sum(1).var(ddof=1))
    assert cronbach_alpha(items) == pytest.approx(want)


def test_ratings_csv(tmp_path) -> None:
    m = np.array([[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]], float)
    m = 1 + 4 * (m - 1) / 9  # onto 1-5; ICC is invariant to a linear map
    lines = ["clip,rater,overall,sync,speaker,clarity,emotion,prosody"]
    for i, row in enumerate(m):
        for j, v in enumerate(row):
            lines.append(f"c{i},r{j},{v},{v},{v},{v},{v},{v}")
    p = tmp_path / "r.csv"
    p.write_text("\n".join(lines) + "\n")
    r = Ratings.read(p)
    rel = r.reliability()
    assert rel["icc1"] == pytest.approx(0.166, abs=0.005) and rel["icc2"] == pytest.approx(0.290, abs=0.005)
    assert rel["alpha_aspects"] == pytest.approx(1.0)
    assert r.mos()["c0"]["mos"] == pytest.approx(m[0].mean())
    bad = tmp_path / "bad.csv"
    bad.write_text("clip,rater,overall\nc0,r0,7\n")
    with pytest.raises(ConfigError, match="line 2: overall=7"):
        Ratings.read(bad)


def test_proxy_reads_a_target_metric_as_distance_to_its_target() -> None:
    ratios = np.array([[0.6], [0.8], [1.0], [1.25], [1.6]])  # stretch_ratio: best at 1, worse either way
    z = Normaliser.fit(ratios, ["stretch_ratio"]).transform(ratios)[:, 0]
    assert z[2] == z.max()
    assert z[1] > z[0] and z[3] > z[4]
    assert z[1] == pytest.approx(z[3], abs=0.05)  # 0.8 and 1.25 are equally far from 1 in log terms


def test_k_center_first_pick_is_seeded_not_index_zero() -> None:
    cond = np.random.default_rng(5).normal(size=(40, 3))
    firsts = [k_center(cond, [], range(40), 3, seed=s)[0] for s in range(8)]
    assert len(set(firsts)) > 1 and firsts != [0] * 8  # the old greedy start was always candidate 0
    assert k_center(cond, [], range(40), 3, seed=3) == k_center(cond, [], range(40), 3, seed=3)
    picks = k_center(cond, [], range(40), 5, seed=1)
    assert len(set(picks)) == 5


def test_next_batch_runs_the_three_stages_from_the_rated_state() -> None:
    from evaluator.dubscore.active import next_batch

    rng = np.random.default_rng(0)
    x = np.column_stack([rng.random(90), 1 + 4 * rng.random(90)])
    y = 5 - 3 * x[:, 0] + 0.1 * rng.normal(size=90)
    names = ["wer", "dnsmos_ovrl"]
    b1 = next_batch(x, x, names, {}, 30, seed=0)
    assert (b1.stage, b1.target, b1.method, len(b1.picks)) == (1, 10, "k-center", 10)
    rated = {i: float(y[i]) for i in b1.picks}
    b2 = next_batch(x, x, names, rated, 30, seed=0)
    assert (b2.stage, b2.target, b2.method, len(b2.picks)) == (2, 20, "uncertainty + diversity", 10)
    assert not set(b2.picks) & set(rated)
    rated.update({i: float(y[i]) for i in b2.picks})
    b3 = next_batch(x, x, names, rated, 30, seed=0)
    assert (b3.stage, b3.target, len(b3.picks)) == (3, 30, 10)
    rated.update({i: float(y[i]) for i in b3.picks})
    assert next_batch(x, x, names, rated, 30).stage is None


def test_condition_features_are_length_background_and_speaker(tmp_path) -> None:
    """Real speech from two espeak voices, each clean and over a noise bed, with the clean clip as the target voice:
    length in seconds, the noise floor, and the speaker components of the voices' resemblyzer embeddings."""
    from dubber.synth.base import SynthRequest
    from dubber.synth.espeak import EspeakSynthesizer
    from evaluator.dubscore.diversity import CONDITION_NAMES, condition_features
    from evaluator.impairments import add_noise
    from evaluator.media import resample, write_wav
    from evaluator.metrics.item import ScoreItem, Source

    items = []
    for i, (voice, noisy) in enumerate([("male", False), ("male", True), ("female", False), ("female", True)]):
        s = EspeakSynthesizer(gender=voice).synthesize(SynthRequest("The lamp by the window is on again.", "en"))
        x = resample(s.audio, s.sr, 16000)
        if noisy:
            x = add_noise(x, 5, seed=i)
        write_wav(tmp_path / f"c{i}.wav", x, 16000)
        voice = Source.of_file(tmp_path / f"c{i - 1 if noisy else i}.wav")  # the clean clip of the same voice
        items.append(ScoreItem(f"c{i}", audio_src=Source.of_file(tmp_path / f"c{i}.wav"), voice_src=voice))
    cond = condition_features(items)
    assert cond.shape == (4, len(CONDITION_NAMES))
    assert all(abs(cond[i, 0] - items[i].duration()) < 1e-6 for i in range(4))
    assert cond[1, 1] > cond[0, 1] + 5 and cond[3, 1] > cond[2, 1] + 5  # the noise bed raises the floor (dB)
    spk = cond[:, 2:]
    same = np.linalg.norm(spk[0] - spk[1]) + np.linalg.norm(spk[2] - spk[3])
    other = np.linalg.norm(spk[0] - spk[2]) + np.linalg.norm(spk[1] - spk[3])
    assert same < 1e-9 < other  # the same target voice is one point (embedded once), another voice is elsewhere
