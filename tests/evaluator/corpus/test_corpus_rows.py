"""corpus.jsonl rows: schema, append, torn-line repair, sorting, and what `dubkit score` makes of a corpus."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pytest

from evaluator.corpus import CorpusFile, CorpusRow, is_corpus, read_corpus
from evaluator.errors import DatasetError, MediaError
from evaluator.media import write_wav
from evaluator.scoring import resolve_input

FIT = {"method": "global", "capped": False, "slot": 1.0, "raw_duration": 0.8, "duration": 1.0, "ratio": 1.25,
       "error_ms": 0.0, "stretch_ratio": 1.25}  # fmt: skip


def dubbed(rid: str, original: str, **kw) -> CorpusRow:
    return CorpusRow(id=rid, kind="dubbed", dataset="meld", utterance={"id": rid}, source_text="Hey.",
                     source_lang="en", target_text="अरे।", target_lang="hi", audio=f"media/{rid}.wav",
                     original_audio=original, clip_duration=1.0, duration=1.0, seed=7, fit=FIT, **kw)  # fmt: skip


def original(rid: str, path: str) -> CorpusRow:
    return CorpusRow(id=f"{rid}#original", kind="original", dataset="meld", utterance={"id": rid},
                     source_text="Hey.", source_lang="en", audio=path, original_audio=path, clip_duration=1.0,
                     duration=1.0)  # fmt: skip


def tone(path: Path, freq: float = 220.0) -> Path:
    t = np.arange(16000) / 16000
    write_wav(path, 0.3 * np.sin(2 * np.pi * freq * t), 16000)
    return path


def test_row_round_trip_and_refusals() -> None:
    row = dubbed("dev/dia1_utt4", "/data/dia1_utt4.mp4")
    d = row.to_dict()
    assert d["schema"] == "dubkit.corpus_row" and d["schema_version"] == 1 and d["kind"] == "dubbed"
    assert CorpusRow.from_dict(json.loads(json.dumps(d))) == row
    assert (row.text, row.lang) == ("अरे।", "hi")
    with pytest.raises(DatasetError, match="schema"):
        CorpusRow.from_dict({**d, "schema_version": 2})
    with pytest.raises(DatasetError, match="needs target_text"):
        CorpusRow.from_dict({**d, "target_text": None})
    with pytest.raises(DatasetError, match="kind must be"):
        CorpusRow.from_dict({**d, "kind": "dub"})


def test_append_repair_torn_line_and_sort(tmp_path: Path, caplog) -> None:
    f = CorpusFile(tmp_path)
    f.append(dubbed("b", "/x.wav"))
    f.append(dubbed("a", "/x.wav"))
    with f.path.open("a", encoding="utf-8") as fh:
        fh.write('{"schema": "dubkit.corpus_row", "id": "c", "ki')  # an interrupted append
    assert is_corpus(tmp_path) and is_corpus(f.path)
    with caplog.at_level(logging.WARNING):
        assert [r.id for r in read_corpus(tmp_path)] == ["b", "a"]  # the torn line is not read
    assert "incomplete" in caplog.text
    assert f.repair() is True and f.repair() is False
    assert f.path.read_text(encoding="utf-8").endswith("\n") and len(f.path.read_text().splitlines()) == 2
    assert f.sort() is True and [r.id for r in f.rows()] == ["a", "b"] and f.sort() is False
    f.path.write_text(f.path.read_text() + "not json\n" + json.dumps(dubbed("c", "/x.wav").to_dict()) + "\n")
    with pytest.raises(DatasetError, match=r"corpus.jsonl:3: not valid JSON"):
        read_corpus(tmp_path)


def test_score_items_of_a_corpus(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    orig = tone(data / "dia1_utt4.wav")
    (tmp_path / "c" / "media").mkdir(parents=True)
    tone(tmp_path / "c" / "media" / "u1.wav", 330.0)
    f = CorpusFile(tmp_path / "c")
    f.append(dubbed("u1", str(orig)))
    f.append(original("u1", str(orig)))
    for source in (tmp_path / "c", f.path):  # the directory or its corpus.jsonl
        items = {it.id: it for it in resolve_input(source)}
        dub, org = items["u1"], items["u1#original"]
        assert dub.audio_src.path == str(tmp_path / "c" / "media" / "u1.wav")
        assert dub.voice_src.path == str(orig) and dub.reference_src is None  # other words: no reference
        assert (dub.text, dub.lang, dub.fit["stretch_ratio"], dub.video) == ("अरे।", "hi", 1.25, None)
        assert org.audio_src.path == str(orig) and org.voice_src.path == str(orig)
        assert (org.text, org.lang, org.fit) == ("Hey.", "en", None)
    orig.unlink()
    with pytest.raises(MediaError, match="corpus row u1"):
        resolve_input(tmp_path / "c")


def test_merge_makes_paths_absolute_and_refuses_twins(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from cli.main import main

    data = tmp_path / "data"
    data.mkdir()
    orig = tone(data / "a.wav")
    for name, rid in (("meld-hi", "dev/dia0_utt0"), ("m2h2-en", "22/Scene_1/1")):
        tone(tmp_path / name / "media" / f"{rid}.wav")
        f = CorpusFile(tmp_path / name)
        f.append(dubbed(rid, str(orig)))
        f.append(original(rid, str(orig)))
    res = CliRunner().invoke(main, ["corpus", "merge", str(tmp_path / "meld-hi"), str(tmp_path / "m2h2-en"),
                                    "-o", str(tmp_path / "all"), "--json"])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["rows"] == {"dubbed": 2, "original": 2}
    rows = read_corpus(tmp_path / "all")
    assert [r.id for r in rows] == ["22/Scene_1/1", "22/Scene_1/1#original", "dev/dia0_utt0", "dev/dia0_utt0#original"]
    assert rows[0].audio == str((tmp_path / "m2h2-en" / "media" / "22/Scene_1/1.wav").resolve())
    assert {it.audio_src.path for it in resolve_input(tmp_path / "all")} >= {rows[0].audio, rows[2].audio}
    res = CliRunner().invoke(main, ["corpus", "merge", str(tmp_path / "meld-hi"), str(tmp_path / "all"),
                                    "-o", str(tmp_path / "twice")])  # fmt: skip
    assert res.exit_code == 2 and "also in another of the corpora" in res.output
