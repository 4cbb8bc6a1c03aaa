"""The utterance record, the build report and the shared cell parsers; the fixture's media are real."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evaluator.datasets import DATASETS, BuildReport, DatasetUtterance
from evaluator.datasets.fields import is_group_speaker, parse_clock, repair_text, text_encoding
from evaluator.datasets.meld import read_meld
from evaluator.errors import ConfigError, DatasetError
from evaluator.media import probe, read_wav


def test_record_round_trips_through_json(meld_root: Path, m2h2_root: Path) -> None:
    records = list(read_meld(meld_root)) + list(DATASETS.get("m2h2")(m2h2_root))
    for record in records:
        assert DatasetUtterance.from_dict(json.loads(json.dumps(record.to_dict()))) == record
    d = records[0].to_dict()
    assert d["kind"] == "dubkit.dataset_utterance" and d["schema_version"] == 1 and isinstance(d["video"], str)
    with pytest.raises(DatasetError, match="schema 1"):
        DatasetUtterance.from_dict({**d, "schema_version": 2})
    with pytest.raises(DatasetError, match="incomplete"):
        DatasetUtterance.from_dict({k: v for k, v in d.items() if k != "text"})
    assert records[0].duration == pytest.approx(records[0].end - records[0].start)


def test_report_json_round_trip_and_write(tmp_path: Path, meld_root: Path) -> None:
    report = BuildReport()
    list(read_meld(meld_root, report=report))
    report.skip("synthesis failed: espeak cannot speak 'xx'", id="dev/dia0_utt0", stage="dub")
    report.write(tmp_path / "build_report.json")
    data = json.loads((tmp_path / "build_report.json").read_text(encoding="utf-8"))
    assert data["kind"] == "dubkit.build_report" and data["counts"]["skipped"] == 3
    assert data["skipped"][0] == {
        "stage": "read",
        "reason": "StartTime '00:06:5x,000' is not a time (h:mm:ss with an optional fraction)",
        "file": str(meld_root / "dev_sent_emo.csv"),
        "line": 8,
        "id": "dev/dia1_utt2",
    }
    assert data["skipped"][-1] == {"stage": "dub", "reason": "synthesis failed: espeak cannot speak 'xx'",
                                   "id": "dev/dia0_utt0"}  # fmt: skip
    again = BuildReport.from_dict(data)
    assert again.to_dict() == data
    assert report.summary() == "10 rows: 8 utterances, 3 skipped, 1 without video, 1 without audio"
    with pytest.raises(DatasetError, match="not a build report"):
        BuildReport.from_dict({"kind": "dubkit.project"})


def test_unknown_dataset_name_suggests_the_known_ones() -> None:
    with pytest.raises(ConfigError, match="did you mean meld"):
        DATASETS.get("mld")
    assert DATASETS.names() == ["m2h2", "meld"]


@pytest.mark.parametrize(
    ("cell", "seconds", "digits"),
    [
        ("00:20:57,256", 1257.256, 3),
        ("0:12:43,012", 763.012, 3),
        ("00:06:47,28", 407.28, 2),
        ("0:00:30.470000", 30.47, 6),
        ("0:00:02", 2.0, 0),
        ("1:02:03.5", 3723.5, 1),
    ],
)
def test_parse_clock(cell: str, seconds: float, digits: int) -> None:
    assert parse_clock(cell) == (seconds, digits)


@pytest.mark.parametrize("cell", ["", "12:34", "0:61:00", "0:00:1x.000000", "00:06:5x,000", "-0:00:01"])
def test_parse_clock_refuses(cell: str) -> None:
    with pytest.raises(ValueError, match="is not a time"):
        parse_clock(cell)


@pytest.mark.parametrize(
    ("cell", "repaired"),
    [
        ("He\x92s lost it\x85", "He’s lost it…"),  # C1 controls of the first public MELD CSVs
        ("Heâ€™s lost it", "He’s lost it"),  # UTF-8 read as Windows-1252
        ("“Wanted.” Nice — right?", "“Wanted.” Nice — right?"),  # correct typography is left alone
        ("Yeah, right.\xa0 Sure!", "Yeah, right. Sure!"),  # no-break space, whitespace runs
        ("  दिलरुबा अंकल अब पापा  बनने वाले हैं। ", "दिलरुबा अंकल अब पापा बनने वाले हैं।"),  # Devanagari untouched
        ("cafÃ©", "café"),
    ],
)
def test_repair_text(cell: str, repaired: str) -> None:
    assert repair_text(cell) == repaired


def test_group_speakers() -> None:
    for name in ("All", "all", "Both", "The Guys", "Ross and Rachel", "Monica & Phoebe", "Her-Friends"):
        assert is_group_speaker(name), name
    for name in ("Alan", "Allesandro", "Joey/Drake", "Mother in law", "Randall"):
        assert not is_group_speaker(name), name


def test_text_encoding(tmp_path: Path) -> None:
    (tmp_path / "u.csv").write_bytes("\ufeffa’b".encode())
    (tmp_path / "w.csv").write_bytes("a’b".encode("cp1252"))
    # a multi-byte character split across the read chunks is still valid UTF-8
    assert text_encoding(tmp_path / "u.csv", chunk=2) == "utf-8-sig"
    assert text_encoding(tmp_path / "w.csv") == "latin-1"


def test_fixture_media_are_real_clips(meld_root: Path, m2h2_root: Path) -> None:
    info = probe(meld_root / "dev_splits_complete" / "dia0_utt0.mp4")
    assert info.video is not None and info.audio_streams and 1.0 < info.duration < 5.0
    audio, sr = read_wav(m2h2_root / "Raw-Audio" / "22" / "Scene_1" / "1.wav")
    assert len(audio) / sr > 0.5 and float(abs(audio).max()) > 0.05  # speech, not silence
    assert probe(m2h2_root / "Raw-Visual" / "22" / "Scene_1" / "1.mp4").video is not None
