"""scores.jsonl is appended and flushed per row (not rewritten per item); resume survives a torn last line."""

from __future__ import annotations

import json
import logging

import pytest

from evaluator.errors import OutputError
from evaluator.metrics.item import ScoreItem
from evaluator.scoring import ScoreConfig, score
from evaluator.scoring.rows import read_rows

METRICS = ("slot_error_ms", "stretch_ratio")


def _items(n: int) -> list[ScoreItem]:
    return [ScoreItem(f"l{i}", fit={"error_ms": 10.0 * i, "ratio": 1.1}, kind="line") for i in range(n)]


def test_each_item_appends_one_line_to_the_same_file_and_the_end_has_one_line_per_id(tmp_path):
    path = tmp_path / "scores.jsonl"
    seen = []

    def progress(step: int) -> None:
        seen.append((step, len(path.read_text().splitlines()), path.stat().st_ino))

    score(_items(5), tmp_path, ScoreConfig(metrics=METRICS), progress=progress)
    assert [(s, n) for s, n, _ in seen] == [(i, i) for i in range(1, 6)]  # not the whole table after each item
    assert len({ino for *_, ino in seen}) == 1  # appended in place, never replaced mid-run
    rows = [json.loads(x) for x in path.read_text().splitlines()]
    assert [r["id"] for r in rows] == [f"l{i}" for i in range(5)]
    assert rows[3]["metrics"]["slot_error_ms"]["value"] == 30.0


def test_resume_drops_a_torn_last_line_with_a_warning_and_keeps_complete_rows(tmp_path, caplog):
    score(_items(2), tmp_path, ScoreConfig(metrics=METRICS))
    path = tmp_path / "scores.jsonl"
    first, second = path.read_text().splitlines()
    kept = json.loads(first)
    kept["metrics"]["slot_error_ms"]["value"] = 999.0  # a stored value: resume must keep it, not recompute
    path.write_text(json.dumps(kept) + "\n" + second[: len(second) // 2])  # killed while writing line 2
    with caplog.at_level(logging.WARNING, logger="evaluator.scoring.rows"):
        score(_items(3), tmp_path, ScoreConfig(metrics=METRICS, resume=True))
    assert "torn last line" in caplog.text
    rows = read_rows(path)
    assert list(rows) == ["l0", "l1", "l2"]
    assert rows["l0"]["metrics"]["slot_error_ms"]["value"] == 999.0
    assert rows["l1"]["metrics"]["slot_error_ms"]["value"] == 10.0  # the torn row was scored again
    assert all(json.loads(x) for x in path.read_text().splitlines())


def test_read_rows_repair_and_a_broken_middle_line(tmp_path):
    path = tmp_path / "scores.jsonl"
    path.write_text('{"id": "a", "v": 1}\n{"id": "a", "v": 2}\n{"id": "b", "v": 3}')  # last line unterminated
    rows = read_rows(path, repair=True)
    assert rows == {"a": {"id": "a", "v": 2}, "b": {"id": "b", "v": 3}}  # the last line of an id wins
    assert path.read_text().endswith('"v": 3}\n')  # so an appended row starts on its own line
    path.write_text('{"id": "a"}\nnot json\n{"id": "b"}\n')
    with pytest.raises(OutputError, match=r"scores.jsonl:2: not a JSON row"):
        read_rows(path)
