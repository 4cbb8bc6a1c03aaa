"""Training data from a corpus: the labels come from `dubkit score`'s rows, joined by clip id."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from evaluator.corpus import CorpusFile, CorpusRow
from evaluator.dubscore.api import stage_labels
from evaluator.dubscore.data import load_clips
from evaluator.dubscore.proxy import ProxyWeights
from evaluator.errors import ConfigError
from evaluator.media import write_wav


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    c = tmp_path / "c"
    f = CorpusFile(c)
    for i in range(3):
        write_wav(c / "media" / f"u{i}.wav", 0.2 * np.sin(np.arange(8000) * (0.05 + i / 100)), 16000)
        f.append(CorpusRow(id=f"u{i}", kind="dubbed", dataset="m2h2", utterance={"id": f"u{i}"}, source_text="अरे!",
                           source_lang="hi", target_text="Hey!", target_lang="en", audio=f"media/u{i}.wav",
                           original_audio=str(c / "media" / f"u{i}.wav"), clip_duration=0.5, duration=0.5))  # fmt: skip
    return c


def scores(path: Path, rows: list[dict]) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    (path / "scores.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def row(rid: str, mos: float | None, ovrl: float | None) -> dict:
    r = {"id": rid, "kind": "clip", "metrics": {"dnsmos_ovrl": {"value": ovrl}, "wer": {"value": None, "skipped": "x"}}}
    if mos is not None:
        r["proxy_mos"] = {"value": mos}
    return r


def test_labels_from_score_rows(corpus: Path, tmp_path: Path) -> None:
    s = scores(tmp_path / "s", [row("u2", 2.0, 2.5), row("u0", 3.5, 3.9), row("u1", 3.0, 3.1)])
    items, rows = load_clips(corpus, s)
    assert [it.id for it in items] == [r["id"] for r in rows] == ["u0", "u1", "u2"]
    y, source = stage_labels(rows, "proxy", corpus, None)
    assert y.tolist() == [3.5, 3.0, 2.0] and source == "proxy MOS (proxy_mos column)"
    # with proxy weights the proxy is recomputed from the metric values (dnsmos_ovrl: higher is better)
    _, rows = load_clips(corpus, s / "scores.jsonl", proxy_mos=False)
    y, source = stage_labels(rows, "proxy", corpus, ProxyWeights.equal(["dnsmos_ovrl"]))
    assert "proxy_mos" not in rows[0] and y[0] > y[1] > y[2] and "dnsmos_ovrl" in source


def test_corpus_needs_scores_that_cover_it(corpus: Path, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="a corpus has no label columns") as err:
        load_clips(corpus)
    assert err.value.param == "scores"
    with pytest.raises(ConfigError, match=r"no scores for 1 clip\(s\): u2"):
        load_clips(corpus, scores(tmp_path / "a", [row("u0", 3.0, 3.0), row("u1", 3.0, 3.0)]))
    with pytest.raises(ConfigError, match=r"1 clip\(s\) have no proxy MOS \(no metric value\): u1"):
        load_clips(corpus, scores(tmp_path / "b", [row("u0", 3.0, 3.0), row("u1", None, None), row("u2", 3, 3)]))
