"""Scoring scene readers against a labelled CSV (``video,start,end,scene_type,gender,age,emotion``).

Scene type gets the paper's table: accuracy, average (macro) recall over the three types and the
recall of each type; gender, age and emotion get accuracy. Video paths are relative to the CSV.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dubber.scene.base import SceneReader
from dubber.scene.labels import LABEL_SETS, SCENE_TYPES
from evaluator.errors import ConfigError
from evaluator.project import SceneReading
from evaluator.script import Cue

COLUMNS = ("video", "start", "end", "scene_type", "gender", "age", "emotion")
ATTRIBUTES = ("gender", "age", "emotion")


@dataclass(frozen=True)
class LabelRow:
    video: Path
    start: float
    end: float
    labels: dict[str, str]
    row: int


def load_labels(path: str | os.PathLike[str]) -> list[LabelRow]:
    """Read and validate the label CSV; each problem names its row."""
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"{p}: no such label file")
    with p.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise ConfigError(f"{p}: missing column(s) {', '.join(missing)}", hint=f"columns: {','.join(COLUMNS)}")
        rows = []
        for i, rec in enumerate(reader, start=2):
            try:
                start, end = float(rec["start"]), float(rec["end"])
            except ValueError:
                raise ConfigError(f"{p}:{i}: start/end must be seconds") from None
            if not end > start >= 0:
                raise ConfigError(f"{p}:{i}: end ({end}) must be after start ({start})")
            labels = {}
            for key in ("scene_type", *ATTRIBUTES):
                value = rec[key].strip()
                allowed = LABEL_SETS["age" if key == "age" else key]
                if value not in allowed:
                    raise ConfigError(f"{p}:{i}: {key}={value!r} is not one of {', '.join(allowed)}")
                labels[key] = value
            video = (p.parent / rec["video"]).resolve()
            if not video.is_file():
                raise ConfigError(f"{p}:{i}: video {rec['video']} not found next to the CSV")
            rows.append(LabelRow(video, start, end, labels, i))
    if not rows:
        raise ConfigError(f"{p}: no labelled rows")
    return rows


def score(rows: list[LabelRow], readings: list[SceneReading]) -> dict[str, Any]:
    """Accuracy / average recall / per-class recall for scene type; accuracy for the attributes."""
    n = len(rows)
    pred = {
        "scene_type": [r.scene_type for r in readings],
        "gender": [r.gender for r in readings],
        "age": [r.age for r in readings],
        "emotion": [r.emotion for r in readings],
    }
    gold = {k: [row.labels[k] for row in rows] for k in pred}
    correct = {k: sum(p == g for p, g in zip(pred[k], gold[k], strict=True)) for k in pred}
    recall = {}
    for cls in SCENE_TYPES:
        idx = [i for i, g in enumerate(gold["scene_type"]) if g == cls]
        recall[cls] = sum(pred["scene_type"][i] == cls for i in idx) / len(idx) if idx else None
    present = [v for v in recall.values() if v is not None]
    return {
        "n": n,
        "scene_type": {
            "accuracy": correct["scene_type"] / n,
            "average_recall": sum(present) / len(present),
            "recall": recall,
        },
        **{k: {"accuracy": correct[k] / n} for k in ATTRIBUTES},
        "format_ok": sum(r.format_ok for r in readings) / n,
    }


def evaluate(
    label_csv: str | os.PathLike[str], reader: SceneReader, *, progress: Callable[[], None] | None = None
) -> dict[str, Any]:
    """Read every labelled span with ``reader`` and score it; the result names the backend and model."""
    rows = load_labels(label_csv)
    readings: list[SceneReading | None] = [None] * len(rows)
    by_video: dict[Path, list[int]] = {}
    for i, row in enumerate(rows):
        by_video.setdefault(row.video, []).append(i)
    for video, idx in by_video.items():
        cues = [Cue(index=rows[i].row, start=rows[i].start, end=rows[i].end, text="") for i in idx]
        for i, reading in zip(idx, reader.read_episode(video, cues, progress=progress), strict=True):
            readings[i] = reading
    done = [r for r in readings if r is not None]
    result = score(rows, done)
    result["backend"], result["model"], result["labels"] = reader.name, reader.model_id, str(label_csv)
    result["rows"] = [
        {
            "video": rows[i].video.name,
            "start": rows[i].start,
            "end": rows[i].end,
            "gold": rows[i].labels,
            "pred": {"scene_type": r.scene_type, "gender": r.gender, "age": r.age, "emotion": r.emotion},
        }
        for i, r in enumerate(done)
    ]
    return result


def format_table(result: dict[str, Any]) -> str:
    """The evaluation as a plain-text table (scene type as in the paper, then the attributes)."""
    st = result["scene_type"]
    rec = st["recall"]

    def pct(v: float | None) -> str:
        return "   -  " if v is None else f"{100 * v:5.1f}%"

    lines = [
        f"backend: {result['backend']}   model: {result['model']}",
        f"lines: {result['n']}   format_ok: {pct(result['format_ok'])}",
        "",
        "scene type   accuracy  avg recall  " + "  ".join(f"{c:>9}" for c in SCENE_TYPES),
        f"             {pct(st['accuracy']):>8}  {pct(st['average_recall']):>10}  "
        + "  ".join(f"{pct(rec[c]):>9}" for c in SCENE_TYPES),
        "",
        "attribute    accuracy",
        *[f"{k:<12} {pct(result[k]['accuracy']):>8}" for k in ATTRIBUTES],
    ]
    return "\n".join(lines)
