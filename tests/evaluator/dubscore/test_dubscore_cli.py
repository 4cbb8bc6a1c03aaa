"""`dubkit train dubscore`, `dubkit score --model`, `dubkit ratings import|next` on a small real corpus."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from cli.main import main

SENTENCES = ["Good morning to you.", "The port is closed.", "We leave at six.", "See you at the station."]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, espeak):
    from evaluator.impairments import add_noise
    from evaluator.media import resample, write_wav

    root = tmp_path_factory.mktemp("dubscore_cli")
    lines = ["id,audio,text,lang,mos"]
    for i in range(8):
        s = espeak.synthesize(SENTENCES[i % 4], "en")
        x = resample(s.audio, s.sr, 16000)
        snr = [40, 20, 8, 0][i // 2]
        write_wav(root / f"c{i}.wav", add_noise(x, snr, seed=i), 16000)
        lines.append(f"c{i},c{i}.wav,{SENTENCES[i % 4]},en,{1.5 + snr / 12:.3f}")
    (root / "clips.csv").write_text("\n".join(lines) + "\n")
    return root


def test_train_score_with_model(corpus) -> None:
    runner = CliRunner()
    cache, out = corpus / "cache", corpus / "run"
    args = ["train", "dubscore", "--data", str(corpus / "clips.csv"), "--stage", "human", "--modalities", "A",
            "--folds", "2", "--epochs", "3", "--hidden", "16", "--feature-cache", str(cache), "-o", str(out), "--json"]  # fmt: skip  # noqa: E501
    res = runner.invoke(main, args)
    assert res.exit_code == 0, res.output
    report = json.loads(res.output.strip().splitlines()[-1])
    assert report["clips"] == 8 and len(report["folds"]) == 2 and report["modalities"] == ["A"]
    assert set(report["overall"]) >= {"pcc", "srcc", "mse"} and 0 <= report["intervals"]["picp"] <= 1
    assert (out / "dubscore.pt").is_file() and (out / "report.json").is_file()
    assert set(report["encoder_ids"]) == {"voice", "prosody", "quality", "audio_metrics"}
    # a second run reads every cue from the cache (same clips, same encoders)
    res2 = runner.invoke(main, [*args[:-3], "-o", str(corpus / "run2"), "--json", "--no-ablation"])
    assert res2.exit_code == 0, res2.output

    sc = runner.invoke(main, ["score", str(corpus / "clips.csv"), "--metrics", "dnsmos_ovrl", "--model",
                              str(out / "dubscore.pt"), "--feature-cache", str(cache), "-o", str(corpus / "s"), "--json"])  # fmt: skip  # noqa: E501
    assert sc.exit_code == 0, sc.output
    rows = [json.loads(x) for x in (corpus / "s" / "scores.jsonl").read_text().splitlines()]
    r = rows[0]
    lo, hi = r["dubscore"]["interval"]
    assert 1 <= lo <= r["dubscore"]["value"] <= hi <= 5 and set(r["dubscore"]["relevance"]) == {"A"}
    assert r["proxy_mos"]["calibrated"] is False and "uncalibrated" in r["proxy_mos"]["weights_source"]
    summary = json.loads(sc.output)
    assert summary["dubscore"]["n"] == 8 and "dubscore-dubscore" in summary["dubscore"]["source"]

    bad = runner.invoke(main, ["train", "dubscore", "--data", str(corpus / "clips.csv"), "--stage", "proxy",
                               "--feature-cache", str(cache), "-o", str(corpus / "bad")])  # fmt: skip
    assert bad.exit_code == 2 and "proxy_mos column or metric columns" in bad.output


def test_ratings_import_and_next(corpus, tmp_path) -> None:
    runner = CliRunner()
    rng = np.random.default_rng(0)
    lines = ["clip,rater,overall,sync,speaker,clarity,emotion,prosody"]
    for i in range(4):
        for r in range(3):
            v = int(np.clip(round(1 + i + rng.normal(0, 0.5)), 1, 5))
            lines.append(f"c{i},r{r},{v},{v},{v},,{v},{v}")
    (tmp_path / "ratings.csv").write_text("\n".join(lines) + "\n")
    res = runner.invoke(main, ["ratings", "import", str(tmp_path / "ratings.csv"), "--clips",
                               str(corpus / "clips.csv"), "-o", str(tmp_path / "out"), "--json"])  # fmt: skip
    assert res.exit_code == 0, res.output
    rel = json.loads(res.output)["reliability"]
    assert rel["clips"] == 4 and rel["raters"] == 3 and rel["icc1"] > 0.5 and rel["icc2"] is not None
    assert "mos" in (tmp_path / "out" / "clips.csv").read_text().splitlines()[0]
    scores = corpus / "s" / "scores.jsonl"
    if not scores.is_file():
        pytest.skip("needs the score run of the previous test")
    nxt = runner.invoke(main, ["ratings", "next", "--scores", str(scores), "--ratings", str(tmp_path / "ratings.csv"),
                               "--budget", "2", "--json"])  # fmt: skip
    assert nxt.exit_code == 0, nxt.output
    picked = json.loads(nxt.output)["next"]
    assert len(picked) == 2 and not set(picked) & {"c0", "c1", "c2", "c3"}
