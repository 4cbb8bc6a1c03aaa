"""The MELD reader on the fixture tree: ids, times, labels, repaired text, missing clips, bad rows."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from evaluator.datasets import DATASETS, BuildReport, DatasetUtterance
from evaluator.datasets.meld import COLUMNS, read_meld
from evaluator.errors import DatasetError

HEADER = ",".join(COLUMNS)


def read(root: Path, **options) -> tuple[dict[str, DatasetUtterance], BuildReport]:
    report = BuildReport()
    utterances = list(read_meld(root, report=report, **options))
    by_id = {u.id: u for u in utterances}
    assert len(by_id) == len(utterances)
    return by_id, report


def test_ids_order_times_and_labels(meld_root: Path) -> None:
    report = BuildReport()
    utterances = list(DATASETS.get("meld")(meld_root, report=report))
    assert [u.id for u in utterances] == [
        "train/dia0_utt0",
        "dev/dia0_utt0",
        "dev/dia0_utt1",
        "dev/dia0_utt2",
        "dev/dia0_utt3",
        "dev/dia1_utt0",
        "dev/dia1_utt1",
        "test/dia0_utt0",
    ]
    first, short = utterances[1], utterances[2]
    # 00:20:57,256 and the short-hour format 0:21:01,927, both in seconds
    assert (first.start, first.end) == (1257.256, 1260.049)
    assert (short.start, short.end) == (1261.927, 1263.261)
    assert (first.split, first.episode, first.scene, first.turn) == ("dev", "S02E05", "dia0", "0")
    assert (first.emotion, first.sentiment, first.humour, first.replied_to) == ("joy", "positive", None, None)
    assert (first.dataset, first.lang, first.speaker) == ("meld", "en", "Maya")
    assert first.source_file == meld_root / "dev_sent_emo.csv" and first.source_line == 2
    assert report.counts["rows"] == 10 and report.counts["utterances"] == 8


def test_text_repair_keeps_typographic_quotes(meld_root: Path) -> None:
    by_id, report = read(meld_root)
    assert by_id["dev/dia0_utt0"].text == "Oh wow, she’s really here."  # typographic quote kept
    assert by_id["dev/dia0_utt1"].text == "I’m not sure that’s right."  # UTF-8 read as Windows-1252
    assert by_id["dev/dia1_utt0"].text == "Wait… what—no, it’s fine."  # C1 control characters
    assert by_id["dev/dia1_utt1"].text == '"Closed." That’s what the sign says.'  # CSV quotes, spaces collapsed
    assert by_id["train/dia0_utt0"].speaker == "Maya’s Boss"  # the speaker cell is repaired too
    assert report.counts["text_repaired"] == 2


def test_group_speakers_mid_sentence_and_overlaps(meld_root: Path) -> None:
    by_id, report = read(meld_root)
    assert by_id["dev/dia0_utt2"].speaker == "All" and by_id["dev/dia0_utt2"].group_speaker
    assert by_id["dev/dia1_utt1"].group_speaker  # "Maya and Theo"
    assert not by_id["dev/dia0_utt0"].group_speaker
    assert by_id["dev/dia0_utt3"].text == "So what I was trying to say is"  # cut mid-sentence: kept as written
    # dia0_utt2 starts (1263.0) before dia0_utt1 ends (1263.261): kept as given, counted
    assert by_id["dev/dia0_utt2"].start < by_id["dev/dia0_utt1"].end
    assert report.counts["overlapping"] == 1 and report.counts["group_speaker"] == 2


def test_clips_and_a_missing_clip(meld_root: Path) -> None:
    by_id, report = read(meld_root)
    clip = by_id["dev/dia0_utt0"]
    assert clip.video == meld_root / "dev_splits_complete" / "dia0_utt0.mp4" and clip.video.is_file()
    assert clip.audio == clip.video  # MELD's mp4 carries the sound
    assert by_id["test/dia0_utt0"].video == meld_root / "output_repeated_splits_test" / "dia0_utt0.mp4"
    assert by_id["train/dia0_utt0"].video == meld_root / "train_splits" / "dia0_utt0.mp4"
    missing = by_id["dev/dia0_utt3"]
    assert missing.video is None and missing.audio is None
    (note,) = [e for e in report.notes if e.id == "dev/dia0_utt3"]
    assert note.file == meld_root / "dev_sent_emo.csv" and note.line == 5 and "dia0_utt3.mp4" in note.reason
    assert report.counts["no_video"] == report.counts["no_audio"] == 1


def test_bad_rows_are_reported_and_the_run_goes_on(meld_root: Path) -> None:
    by_id, report = read(meld_root)
    skipped = [(e.file.name, e.line, e.id) for e in report.skipped]
    assert skipped == [("dev_sent_emo.csv", 8, "dev/dia1_utt2"), ("dev_sent_emo.csv", 9, "dev/dia1_utt3")]
    assert "'00:06:5x,000' is not a time" in report.skipped[0].reason
    assert "is not after StartTime" in report.skipped[1].reason
    assert "test/dia0_utt0" in by_id  # the split after the bad rows is read
    assert report.counts["skipped"] == 2


def test_two_digit_fraction_is_read_and_reported(meld_root: Path) -> None:
    by_id, report = read(meld_root)
    assert by_id["dev/dia1_utt0"].end == 407.28
    (note,) = [e for e in report.notes if e.id == "dev/dia1_utt0"]
    assert note.line == 6 and "2 fraction digits" in note.reason


def test_nested_layout_and_split_choice(meld_root: Path, tmp_path: Path) -> None:
    # MELD.Raw unpacked per split: dev/dev_sent_emo.csv and dev/dev_splits_complete/
    (tmp_path / "dev").mkdir()
    shutil.copy(meld_root / "dev_sent_emo.csv", tmp_path / "dev")
    shutil.copytree(meld_root / "dev_splits_complete", tmp_path / "dev" / "dev_splits_complete")
    by_id, report = read(tmp_path)
    assert sorted(by_id) == [f"dev/dia{d}_utt{u}" for d, u in ((0, 0), (0, 1), (0, 2), (0, 3), (1, 0), (1, 1))]
    assert by_id["dev/dia0_utt0"].video == tmp_path / "dev" / "dev_splits_complete" / "dia0_utt0.mp4"
    only_test, _ = read(meld_root, splits=["test"])
    assert list(only_test) == ["test/dia0_utt0"]
    with pytest.raises(DatasetError, match="no train_sent_emo.csv"):
        read_meld(tmp_path, splits=["train"])
    with pytest.raises(DatasetError, match="unknown MELD split"):
        read_meld(tmp_path, splits=["validation"])


def test_no_clip_folder_is_one_note(tmp_path: Path) -> None:
    (tmp_path / "test_sent_emo.csv").write_text(
        f'{HEADER}\n1,Hi.,Maya,joy,positive,0,0,1,1,"0:00:01,000","0:00:02,000"\n'
        f'2,Bye.,Theo,joy,positive,0,1,1,1,"0:00:03,000","0:00:04,000"\n',
        encoding="utf-8",
    )
    by_id, report = read(tmp_path)
    assert all(u.video is None for u in by_id.values()) and report.counts["no_video"] == 2
    (note,) = report.notes
    assert note.reason == "no output_repeated_splits_test folder: no test utterance has video or audio"


def test_line_numbers_duplicates_and_field_counts(tmp_path: Path) -> None:
    (tmp_path / "dev_sent_emo.csv").write_text(
        f"{HEADER}\r\n"
        '1,"Two\r\nlines.",Maya,joy,positive,0,0,1,1,"0:00:01,000","0:00:02,000"\r\n'  # lines 2-3
        "\r\n"  # line 4: blank
        '2,Again.,Theo,joy,positive,0,0,1,1,"0:00:03,000","0:00:04,000"\r\n'  # line 5: same id
        "3,Short.,Theo,joy,positive,0,1\r\n"  # line 6: too few fields
        '4,Fine.,Theo,cheerful,positive,0,2,x,1,"0:00:05,000","0:00:06,000"\r\n',  # line 7
        encoding="utf-8",
    )
    by_id, report = read(tmp_path)
    assert by_id["dev/dia0_utt0"].text == "Two lines." and by_id["dev/dia0_utt0"].source_line == 2
    assert [(e.line, e.reason) for e in report.skipped] == [
        (5, "duplicate id (first on line 2)"),
        (6, "has 7 fields, the header has 11"),
    ]
    kept = by_id["dev/dia0_utt2"]
    assert kept.source_line == 7 and kept.emotion is None and kept.episode is None
    assert sorted(e.reason.split(" ")[0] for e in report.notes if e.line == 7) == ["Season", "unknown"]


def test_a_windows_1252_file_is_read_and_repaired(tmp_path: Path) -> None:
    (tmp_path / "dev_sent_emo.csv").write_bytes(
        f'{HEADER}\n1,It’s fine… really.,Maya,joy,positive,0,0,1,1,"0:00:01,000","0:00:02,000"\n'.encode("cp1252")
    )
    by_id, report = read(tmp_path)
    assert by_id["dev/dia0_utt0"].text == "It’s fine… really."
    assert any("not UTF-8" in e.reason for e in report.notes)


def test_wrong_directory_is_one_clear_user_error(tmp_path: Path, m2h2_root: Path) -> None:
    for root, message in (
        (tmp_path / "nope", "no such directory"),
        (m2h2_root, "not a MELD directory"),
    ):
        with pytest.raises(DatasetError, match=message) as err:
            read_meld(root)  # raised at the call, before any row is read
        assert err.value.user_error and "\n" not in str(err.value) and str(root) in str(err.value)
    (tmp_path / "dev_sent_emo.csv").write_text("id,text\n1,hello\n", encoding="utf-8")
    with pytest.raises(DatasetError, match="not a MELD annotation file .*lacks Sr No., Utterance"):
        read_meld(tmp_path)
