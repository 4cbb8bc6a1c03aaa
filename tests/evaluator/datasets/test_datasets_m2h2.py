"""The M2H2 reader on the fixture tree: ids, durations, replies, labels, separator rows, media, bad rows."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from evaluator.datasets import DATASETS, BuildReport, DatasetUtterance
from evaluator.datasets.m2h2 import COLUMNS, read_m2h2
from evaluator.errors import DatasetError

HEADER = "\t".join(COLUMNS)


def read(root: Path, **options) -> tuple[dict[str, DatasetUtterance], BuildReport]:
    report = BuildReport()
    utterances = list(read_m2h2(root, report=report, **options))
    by_id = {u.id: u for u in utterances}
    assert len(by_id) == len(utterances)
    return by_id, report


def notes_of(report: BuildReport, uid: str) -> list[str]:
    return [e.reason for e in report.notes if e.id == uid]


def test_ids_times_and_durations(m2h2_root: Path) -> None:
    report = BuildReport()
    utterances = list(DATASETS.get("m2h2")(m2h2_root, report=report))
    ids = [u.id for u in utterances]
    assert ids == [f"22/Scene_1/{t}" for t in ("1", "2a", "2b", "3")] + [f"22/Scene_2/{t}" for t in "4589"]
    by_id = {u.id: u for u in utterances}
    # End_time is a duration: 0:00:04.400000 + 0:00:00.600000
    assert (by_id["22/Scene_1/2a"].start, by_id["22/Scene_1/2a"].end) == (4.4, 5.0)
    # times without a fraction (0:00:06, 0:00:02) are floats in seconds
    three = by_id["22/Scene_1/3"]
    assert (three.start, three.end) == (6.0, 8.0) and isinstance(three.start, float)
    assert (three.dataset, three.split, three.episode, three.scene, three.turn) == ("m2h2", None, "22", "Scene_1", "3")
    assert three.lang == "hi" and three.text == "मैं ठीक हूँ, धन्यवाद।"
    assert by_id["22/Scene_2/5"].text == "अभी नहीं।"  # whitespace runs collapsed
    # 5 starts (11.0) before 4 ends (11.5): kept, counted
    assert report.counts["overlapping"] == 1


def test_blank_separator_row_is_skipped_and_lines_stay_true(m2h2_root: Path) -> None:
    by_id, report = read(m2h2_root)
    assert report.counts["separator_rows"] == 1
    assert by_id["22/Scene_1/3"].source_line == 5 and by_id["22/Scene_2/4"].source_line == 7
    assert by_id["22/Scene_2/4"].source_file == m2h2_root / "Raw-Text" / "Ep-22.tsv"
    assert report.counts["rows"] == 10  # the separator is not a row


def test_speakers_and_replies(m2h2_root: Path) -> None:
    by_id, report = read(m2h2_root)
    assert by_id["22/Scene_1/1"].speaker == "Asha" and by_id["22/Scene_1/1"].replied_to is None  # u-
    assert by_id["22/Scene_1/2b"].replied_to == "22/Scene_1/2a"
    assert by_id["22/Scene_2/4"].speaker == "Mother in law"
    assert by_id["22/Scene_2/4"].replied_to == "22/Scene_1/3"  # a reply into the previous scene
    assert by_id["22/Scene_2/9"].replied_to is None and by_id["22/Scene_2/9"].group_speaker  # All,u-b
    assert not notes_of(report, "22/Scene_2/9")[0].startswith("Speaker")  # u-b is no reply, not a problem
    assert by_id["22/Scene_2/5"].replied_to is None
    assert any("replies to 'u4ab', which no row" in n for n in notes_of(report, "22/Scene_2/5"))
    assert by_id["22/Scene_2/8"].replied_to is None
    assert any("replies to itself" in n for n in notes_of(report, "22/Scene_2/8"))


def test_humour_labels(m2h2_root: Path) -> None:
    by_id, report = read(m2h2_root)
    assert by_id["22/Scene_1/2a"].humour is True and by_id["22/Scene_1/1"].humour is False
    assert by_id["22/Scene_2/8"].humour is None
    assert "unknown Label 'funny': left empty" in notes_of(report, "22/Scene_2/8")
    assert by_id["22/Scene_1/1"].emotion is None and by_id["22/Scene_1/1"].sentiment is None


def test_audio_only_video_only_and_neither(m2h2_root: Path) -> None:
    by_id, report = read(m2h2_root)
    both, audio_only, video_only, neither = (by_id[f"22/Scene_1/{t}"] for t in ("1", "2a", "2b", "3"))
    assert both.audio == m2h2_root / "Raw-Audio" / "22" / "Scene_1" / "1.wav" and both.audio.is_file()
    assert both.video == m2h2_root / "Raw-Visual" / "22" / "Scene_1" / "1.mp4" and both.video.is_file()
    assert audio_only.audio is not None and audio_only.video is None
    assert video_only.video is not None and video_only.audio is None
    assert neither.audio is None and neither.video is None
    assert sorted(notes_of(report, "22/Scene_1/3")) == [
        f"no audio: 22/Scene_1/3.wav is missing in {m2h2_root / 'Raw-Audio'}",
        f"no video: 22/Scene_1/3.mp4 is missing in {m2h2_root / 'Raw-Visual'}",
    ]
    assert report.counts["no_audio"] == 3 and report.counts["no_video"] == 3


def test_bad_rows_are_reported_with_file_and_line(m2h2_root: Path) -> None:
    by_id, report = read(m2h2_root)
    tsv = m2h2_root / "Raw-Text" / "Ep-22.tsv"
    assert [(e.file, e.line, e.id) for e in report.skipped] == [(tsv, 9, "22/Scene_2/6"), (tsv, 10, "22/Scene_2/7")]
    assert "Start_time '0:00:1x.000000' is not a time" in report.skipped[0].reason
    assert "leaves no duration" in report.skipped[1].reason
    assert "22/Scene_2/8" in by_id  # rows after the bad ones are read


def test_earlier_layout_and_file_names(m2h2_root: Path, tmp_path: Path) -> None:
    # the dataset's earlier tree: "Main Dataset/Raw Text/ICMI-2021-dataset - Ep-22.tsv", "Raw Audio", "Raw Visual"
    base = tmp_path / "Main Dataset"
    (base / "Raw Text").mkdir(parents=True)
    shutil.copy(m2h2_root / "Raw-Text" / "Ep-22.tsv", base / "Raw Text" / "ICMI-2021-dataset - Ep-22.tsv")
    (base / "Raw Text" / "notes.tsv").write_text("not an episode\n", encoding="utf-8")
    shutil.copytree(m2h2_root / "Raw-Audio", base / "Raw Audio")
    shutil.copytree(m2h2_root / "Raw-Visual", base / "Raw Visual")
    by_id, report = read(tmp_path)
    original, _ = read(m2h2_root)
    assert list(by_id) == list(original)
    assert by_id["22/Scene_1/1"].audio == base / "Raw Audio" / "22" / "Scene_1" / "1.wav"
    assert any(e.file == base / "Raw Text" / "notes.tsv" and "not an episode file" in e.reason for e in report.notes)


def test_duplicate_episode_files_are_reported(m2h2_root: Path, tmp_path: Path) -> None:
    shutil.copytree(m2h2_root / "Raw-Text", tmp_path / "Raw-Text")
    shutil.copy(tmp_path / "Raw-Text" / "Ep-22.tsv", tmp_path / "Raw-Text" / "ICMI-2021-dataset - Ep-22.tsv")
    by_id, report = read(tmp_path)
    assert len(by_id) == 8
    duplicates = [e for e in report.skipped if e.reason.startswith("duplicate id")]
    assert len(duplicates) == 8 and duplicates[0].reason == "duplicate id (first on Ep-22.tsv line 2)"
    assert report.counts["no_audio"] == 8  # no Raw-Audio folder here
    assert any("no Raw-Audio or Raw Audio folder" in e.reason for e in report.notes)


def test_end_times_instead_of_durations_are_detected(tmp_path: Path) -> None:
    rows = [
        ("Scene_1", "1", "0:01:00.000000", "0:01:02.500000", "एक", "humor", "Asha,u-"),
        ("Scene_1", "2", "0:01:03", "0:01:04", "दो", "non-humor", "Ravi,u1"),
        ("Scene_1", "3", "0:01:05.5", "0:01:07", "तीन", "non-humor", "Asha,u2"),
    ]
    (tmp_path / "Raw-Text").mkdir()
    (tmp_path / "Raw-Text" / "Ep-3.tsv").write_text(
        HEADER + "\n" + "\n".join("\t".join(r) for r in rows) + "\n", encoding="utf-8"
    )
    by_id, report = read(tmp_path)
    assert [(u.start, u.end) for u in by_id.values()] == [(60.0, 62.5), (63.0, 64.0), (65.5, 67.0)]
    assert any("End_time holds end times" in e.reason for e in report.notes)


def test_episode_choice_and_user_errors(m2h2_root: Path, meld_root: Path, tmp_path: Path) -> None:
    by_id, _ = read(m2h2_root, episodes=[22])
    assert len(by_id) == 8
    with pytest.raises(DatasetError, match="no Ep-23.tsv"):
        read_m2h2(m2h2_root, episodes=[23])
    for root, message in (
        (tmp_path / "nope", "no such directory"),
        (meld_root, "not an M2H2 directory"),
    ):
        with pytest.raises(DatasetError, match=message) as err:
            read_m2h2(root)
        assert err.value.user_error and "\n" not in str(err.value) and str(root) in str(err.value)
    (tmp_path / "Raw-Text").mkdir()
    with pytest.raises(DatasetError, match="no episode files"):
        read_m2h2(tmp_path)
    (tmp_path / "Raw-Text" / "Ep-1.tsv").write_text("Scenes\tText\nScene_1\thello\n", encoding="utf-8")
    with pytest.raises(DatasetError, match="not an M2H2 annotation file .*lacks Sl. No., Start_time"):
        read_m2h2(tmp_path)
