"""MELD (Friends, English): ``{train,dev,test}_sent_emo.csv`` and one ``dia{D}_utt{U}.mp4`` clip per row.

Accepted layouts: the CSVs in ``ROOT`` or in ``ROOT/{split}/``; the clip folders
(``train_splits``, ``dev_splits_complete``, ``output_repeated_splits_test``) in ``ROOT`` or in
``ROOT/{split}/`` (the MELD.Raw archives unpack both ways). Columns: Sr No., Utterance, Speaker,
Emotion, Sentiment, Dialogue_ID, Utterance_ID, Season, Episode, StartTime, EndTime.

What the real files hold and how it is read:

- times as ``00:20:57,256`` or ``0:12:43,012`` (both read), three rows with a 2-digit fraction
  (``00:06:47,28``, read as a decimal fraction: 0.28 s, and reported); one test row ends where it
  starts and is skipped; a few test clips are minutes long (mis-cut upstream; reported);
- mis-encoded punctuation (C1 control characters in the first public CSVs, UTF-8 read as
  Windows-1252 in copies that went through a spreadsheet): repaired, see
  :func:`evaluator.datasets.fields.repair_text`; a file that is not UTF-8 at all is read as Latin-1
  and repaired the same way;
- ``All``, ``Both``, ``Ross and Rachel``: ``group_speaker`` is set;
- lines cut mid-sentence (``And``, ``A guy who’s``): kept as written;
- overlapping times within a dialogue: kept, counted (``overlapping``);
- clips missing (dev ``dia110_utt7``) or empty: ``video``/``audio`` are ``None`` and the row is reported.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from evaluator.datasets.fields import SceneClock, is_group_speaker, parse_clock, repair_text, text_encoding
from evaluator.datasets.record import DatasetUtterance
from evaluator.datasets.report import BuildReport
from evaluator.errors import DatasetError

DATASET = "meld"
LANG = "en"
SPLITS = ("train", "dev", "test")
CLIP_DIRS = {"train": "train_splits", "dev": "dev_splits_complete", "test": "output_repeated_splits_test"}
COLUMNS = (
    "Sr No.",
    "Utterance",
    "Speaker",
    "Emotion",
    "Sentiment",
    "Dialogue_ID",
    "Utterance_ID",
    "Season",
    "Episode",
    "StartTime",
    "EndTime",
)
EMOTIONS = frozenset({"anger", "disgust", "fear", "joy", "neutral", "sadness", "surprise"})
SENTIMENTS = frozenset({"negative", "neutral", "positive"})
#: an utterance longer than this is reported (kept): MELD's longest real lines last about 40 s
LONG_UTTERANCE_S = 60.0


def csv_name(split: str) -> str:
    return f"{split}_sent_emo.csv"


def clip_name(dialogue: int, utterance: int) -> str:
    return f"dia{dialogue}_utt{utterance}.mp4"


@dataclass(frozen=True)
class MeldSplit:
    """One split as found on disk."""

    name: str
    csv: Path
    clips: Path | None
    encoding: str
    columns: dict[str, int]
    width: int


class _RowError(Exception):
    def __init__(self, reason: str, id: str | None = None) -> None:
        super().__init__(reason)
        self.id = id


def locate_meld(root: str | Path, splits: Sequence[str] | None = None) -> list[MeldSplit]:
    """The splits under ``root`` (all that exist when ``splits`` is None, else exactly those asked).

    Raises ``DatasetError`` when ``root`` is missing, holds no MELD CSV, a requested split is
    missing, or a CSV's header lacks MELD's columns.
    """
    root = Path(root)
    hint = "give the MELD folder that holds train_sent_emo.csv, dev_sent_emo.csv and test_sent_emo.csv"
    if not root.is_dir():
        raise DatasetError(f"{root}: no such directory", hint=hint)
    unknown = sorted(set(splits or ()) - set(SPLITS))
    if unknown:
        raise DatasetError(f"unknown MELD split(s) {', '.join(unknown)}", hint=f"splits are {', '.join(SPLITS)}")
    found = []
    for split in splits or SPLITS:
        table = _first([root / csv_name(split), root / split / csv_name(split)], Path.is_file)
        if table is None:
            if splits is not None:
                raise DatasetError(f"{root}: no {csv_name(split)} here or in {split}/", hint=hint)
            continue
        clips = _first([root / CLIP_DIRS[split], root / split / CLIP_DIRS[split]], Path.is_dir)
        encoding = text_encoding(table)
        columns, width = _header(table, encoding)
        found.append(MeldSplit(split, table, clips, encoding, columns, width))
    if not found:
        raise DatasetError(
            f"{root}: not a MELD directory (no {', '.join(csv_name(s) for s in SPLITS)} here or in "
            f"{', '.join(s + '/' for s in SPLITS)})",
            hint=hint,
        )
    return found


def read_meld(
    root: str | Path, *, report: BuildReport | None = None, splits: Sequence[str] | None = None
) -> Iterator[DatasetUtterance]:
    """Yield MELD's utterances, split by split, in file order; problems go to ``report``.

    The directory and the CSV headers are checked now (``DatasetError``); rows are read lazily.
    """
    located = locate_meld(root, splits)
    return _read(located, report if report is not None else BuildReport())


def _first(paths: list[Path], test: Callable[[Path], bool]) -> Path | None:
    return next((p for p in paths if test(p)), None)


def _header(table: Path, encoding: str) -> tuple[dict[str, int], int]:
    with open(table, encoding=encoding, newline="") as f:
        header = next(csv.reader(f), [])
    names = [h.strip() for h in header]
    missing = [c for c in COLUMNS if c not in names]
    if missing:
        raise DatasetError(
            f"{table}: not a MELD annotation file (its header lacks {', '.join(missing)})",
            hint=f"MELD CSVs have the columns {', '.join(COLUMNS)}",
        )
    return {c: names.index(c) for c in COLUMNS}, len(names)


def _read(located: list[MeldSplit], report: BuildReport) -> Iterator[DatasetUtterance]:
    seen: dict[str, int] = {}
    for split in located:
        if split.encoding != "utf-8-sig":
            report.note(f"not UTF-8: read as {split.encoding} and repaired", file=split.csv)
        if split.clips is None:
            report.note(
                f"no {CLIP_DIRS[split.name]} folder: no {split.name} utterance has video or audio", file=split.csv
            )
        clock = SceneClock()
        with open(split.csv, encoding=split.encoding, newline="") as f:
            reader = csv.reader(f)
            next(reader)
            next_line = reader.line_num + 1
            try:
                for cells in reader:
                    line, next_line = next_line, reader.line_num + 1
                    if not any(c.strip() for c in cells):
                        continue
                    report.count("rows")
                    try:
                        utt, notes, repaired = _row(split, cells, line, seen)
                    except _RowError as exc:
                        report.skip(str(exc), file=split.csv, line=line, id=exc.id)
                        continue
                    seen[utt.id] = line
                    overlapping = clock.overlaps(utt.scene, utt.start, utt.end)
                    report.kept(utt, notes, text_repaired=repaired, overlapping=overlapping)
                    yield utt
            except csv.Error as exc:
                report.skip(
                    f"unreadable from here on ({exc}); the rest of the file was not read",
                    file=split.csv,
                    line=next_line,
                )


def _row(
    split: MeldSplit, cells: list[str], line: int, seen: dict[str, int]
) -> tuple[DatasetUtterance, list[str], bool]:
    """The row's record, its notes, and whether its text was repaired; ``_RowError`` when unusable."""
    if len(cells) != split.width:
        raise _RowError(f"has {len(cells)} fields, the header has {split.width}")

    def cell(column: str) -> str:
        return cells[split.columns[column]]

    dialogue = _index(cell("Dialogue_ID"), "Dialogue_ID")
    utterance = _index(cell("Utterance_ID"), "Utterance_ID")
    uid = f"{split.name}/dia{dialogue}_utt{utterance}"
    if uid in seen:
        raise _RowError(f"duplicate id (first on line {seen[uid]})", uid)
    notes: list[str] = []
    raw_text = cell("Utterance")
    text = repair_text(raw_text)
    if not text:
        raise _RowError("Utterance is empty", uid)
    speaker = repair_text(cell("Speaker"))
    if not speaker:
        raise _RowError("Speaker is empty", uid)
    start, end = _span(cell("StartTime"), cell("EndTime"), uid, notes)
    emotion = _label(cell("Emotion"), EMOTIONS, "Emotion", notes)
    sentiment = _label(cell("Sentiment"), SENTIMENTS, "Sentiment", notes)
    try:
        episode = f"S{int(cell('Season')):02d}E{int(cell('Episode')):02d}"
    except ValueError:
        episode = None
        notes.append(f"Season {cell('Season')!r} / Episode {cell('Episode')!r} unreadable: episode left empty")
    clip = split.clips / clip_name(dialogue, utterance) if split.clips is not None else None
    if clip is not None and not (clip.is_file() and clip.stat().st_size > 0):
        notes.append(f"no clip {clip.name} in {split.clips}" if not clip.exists() else f"clip {clip} is empty")
        clip = None
    utterance_record = DatasetUtterance(
        id=uid,
        dataset=DATASET,
        split=split.name,
        episode=episode,
        scene=f"dia{dialogue}",
        turn=str(utterance),
        speaker=speaker,
        group_speaker=is_group_speaker(speaker),
        emotion=emotion,
        sentiment=sentiment,
        text=text,
        lang=LANG,
        start=start,
        end=end,
        video=clip,
        audio=clip,
        source_file=split.csv,
        source_line=line,
    )
    return utterance_record, notes, " ".join(raw_text.split()) != text


def _index(cell: str, column: str) -> int:
    text = cell.strip()
    if not text.isdigit():
        raise _RowError(f"{column} {cell!r} is not a non-negative whole number")
    return int(text)


def _span(start_cell: str, end_cell: str, uid: str, notes: list[str]) -> tuple[float, float]:
    times = []
    for column, cell in (("StartTime", start_cell), ("EndTime", end_cell)):
        try:
            value, digits = parse_clock(cell)
        except ValueError as exc:
            raise _RowError(f"{column} {exc}", uid) from None
        if digits != 3:
            notes.append(f"{column} {cell!r} has {digits} fraction digits, not 3: read as {value:.3f} s")
        times.append(value)
    start, end = times
    if end <= start:
        raise _RowError(f"EndTime {end_cell!r} is not after StartTime {start_cell!r}", uid)
    if end - start > LONG_UTTERANCE_S:
        notes.append(f"lasts {end - start:.1f} s: probably a mis-cut clip")
    return start, end


def _label(cell: str, allowed: frozenset[str], column: str, notes: list[str]) -> str | None:
    value = cell.strip().lower()
    if value in allowed:
        return value
    notes.append(f"unknown {column} {cell!r}: left empty")
    return None
