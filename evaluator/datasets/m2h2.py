"""M2H2 ("Shrimaan Shrimati Phir Se", Hindi): ``Raw-Text/Ep-N.tsv`` with media in
``Raw-Audio/N/Scene_K/ID.wav`` and ``Raw-Visual/N/Scene_K/ID.mp4``.

Accepted layouts: the ``Raw-*`` folders in ``ROOT``, ``ROOT/Main-Dataset`` or ``ROOT/Main Dataset``,
spelt with a hyphen (the dataset's README and its current tree) or a space (its earlier tree:
``Raw Text``, ``Raw Audio``, ``Raw Visual``). Episode files are ``*Ep-N.tsv`` (the earlier tree
also has ``ICMI-2021-dataset - Ep-25.tsv``); other ``.tsv`` files are reported and left out.
Columns: Scenes, Sl. No., Start_time, End_time, Utterance, Label, Speaker (tab-separated UTF-8,
no quoting).

What the real files hold and how it is read:

- ``End_time`` holds the utterance's DURATION (``0:00:30.470000`` then ``0:00:02.160000``; ``3a``
  starts at 34.910 with 0.408, ``3b`` at 35.368), so ``end = Start_time + End_time``. A file whose
  End_time cells mostly exceed their Start_time holds end times instead: it is read that way and
  reported;
- times with six fraction digits or none (``0:00:02``, ``0:07:14``);
- ids such as ``3a``/``3b`` (one subtitle line shared by two speakers) and gaps in the numbering;
- ``Speaker`` is ``Name,uK`` (K: the ``Sl. No.`` replied to, possibly in an earlier scene) or
  ``Name,u-`` (no reply); junk after ``u-`` (``u-b``) means no reply; a target the episode does not
  have (``u109a``, ``u307ab``) or the row itself is reported and ``replied_to`` left empty;
- a blank separator row (tabs only) between scenes: skipped, counted (``separator_rows``);
- Label ``humor``/``non-humor`` (``humour`` spellings accepted; another label is reported and left empty);
- many utterances have only audio, only video, or neither: the missing one is ``None``, reported.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from evaluator.datasets.fields import SceneClock, is_group_speaker, parse_clock, repair_text, text_encoding
from evaluator.datasets.record import DatasetUtterance
from evaluator.datasets.report import BuildReport
from evaluator.errors import DatasetError

DATASET = "m2h2"
LANG = "hi"
BASES = ("", "Main-Dataset", "Main Dataset")
TEXT_DIRS = ("Raw-Text", "Raw Text")
AUDIO_DIRS = ("Raw-Audio", "Raw Audio")
VIDEO_DIRS = ("Raw-Visual", "Raw Visual")
COLUMNS = ("Scenes", "Sl. No.", "Start_time", "End_time", "Utterance", "Label", "Speaker")
#: header names compared without case, spaces and punctuation; the README spells "Sl. No." as "SI. No."
_ALIASES = {"sino": "slno"}
LABELS = {"humor": True, "humour": True, "nonhumor": False, "nonhumour": False}
_EPISODE_FILE = re.compile(r"Ep-(\d+)\.tsv$", re.IGNORECASE)
_TURN = re.compile(r"^\d+[a-z]*$", re.IGNORECASE)
_SCENE = re.compile(r"^[A-Za-z]+_?\d+$")


def episode_file(episode: int) -> str:
    return f"Ep-{episode}.tsv"


@dataclass(frozen=True)
class M2H2Episode:
    """One episode's annotation file as found on disk."""

    number: int
    tsv: Path
    encoding: str
    columns: dict[str, int]


@dataclass(frozen=True)
class M2H2Layout:
    text_dir: Path
    audio_dir: Path | None
    video_dir: Path | None
    episodes: list[M2H2Episode]
    ignored: list[Path] = field(default_factory=list)


class _RowError(Exception):
    def __init__(self, reason: str, id: str | None = None) -> None:
        super().__init__(reason)
        self.id = id


def locate_m2h2(root: str | Path, episodes: Sequence[int] | None = None) -> M2H2Layout:
    """The annotation files and media folders under ``root`` (all episodes, or exactly those asked).

    Raises ``DatasetError`` when ``root`` is missing, has no Raw-Text folder or no episode file, a
    requested episode is missing, or a file's header lacks M2H2's columns.
    """
    root = Path(root)
    hint = "give the M2H2 folder that holds Raw-Text/, Raw-Audio/ and Raw-Visual/ (or its Main-Dataset/ parent)"
    if not root.is_dir():
        raise DatasetError(f"{root}: no such directory", hint=hint)
    text_dir = base = None
    for candidate in (root / b if b else root for b in BASES):
        text_dir = _first(candidate, TEXT_DIRS)
        if text_dir is not None:
            base = candidate
            break
    if text_dir is None or base is None:
        raise DatasetError(
            f"{root}: not an M2H2 directory (no {' or '.join(TEXT_DIRS)} folder here or in "
            f"{' or '.join(b for b in BASES if b)})",
            hint=hint,
        )
    found, ignored = [], []
    for path in sorted(text_dir.glob("*.tsv")):
        m = _EPISODE_FILE.search(path.name)
        if m is None:
            ignored.append(path)
            continue
        number = int(m.group(1))
        if episodes is None or number in episodes:
            encoding = text_encoding(path)
            found.append(M2H2Episode(number, path, encoding, _header(path, encoding)))
    if episodes is not None:
        missing = sorted(set(episodes) - {e.number for e in found})
        if missing:
            raise DatasetError(
                f"{text_dir}: no {', '.join(episode_file(n) for n in missing)}", hint="check the episode numbers"
            )
    if not found:
        raise DatasetError(f"{text_dir}: no episode files (Ep-N.tsv)", hint=hint)
    found.sort(key=lambda e: (e.number, e.tsv.name))
    return M2H2Layout(text_dir, _first(base, AUDIO_DIRS), _first(base, VIDEO_DIRS), found, ignored)


def read_m2h2(
    root: str | Path, *, report: BuildReport | None = None, episodes: Sequence[int] | None = None
) -> Iterator[DatasetUtterance]:
    """Yield M2H2's utterances, episode by episode, in file order; problems go to ``report``.

    The directory and the TSV headers are checked now (``DatasetError``); rows are read lazily,
    one episode file in memory at a time (replies may point at any row of the episode).
    """
    layout = locate_m2h2(root, episodes)
    return _read(layout, report if report is not None else BuildReport())


def _first(base: Path, names: Sequence[str]) -> Path | None:
    return next((base / n for n in names if (base / n).is_dir()), None)


def _norm(name: str) -> str:
    key = re.sub(r"[^a-z]", "", name.lower())
    return _ALIASES.get(key, key)


def _header(path: Path, encoding: str) -> dict[str, int]:
    with open(path, encoding=encoding) as f:
        header = next((line for line in f if line.strip()), "")
    names = [_norm(h) for h in header.rstrip("\r\n").split("\t")]
    missing = [c for c in COLUMNS if _norm(c) not in names]
    if missing:
        raise DatasetError(
            f"{path}: not an M2H2 annotation file (its header lacks {', '.join(missing)})",
            hint=f"M2H2 TSVs have the tab-separated columns {', '.join(COLUMNS)}",
        )
    return {c: names.index(_norm(c)) for c in COLUMNS}


def _read(layout: M2H2Layout, report: BuildReport) -> Iterator[DatasetUtterance]:
    for path in layout.ignored:
        report.note("not an episode file (Ep-N.tsv): left out", file=path)
    for kind, folder, names in (("audio", layout.audio_dir, AUDIO_DIRS), ("video", layout.video_dir, VIDEO_DIRS)):
        if folder is None:
            report.note(f"no {' or '.join(names)} folder: no utterance has {kind}", file=layout.text_dir)
    seen: dict[str, tuple[Path, int]] = {}
    for episode in layout.episodes:
        yield from _episode(layout, episode, seen, report)


def _episode(
    layout: M2H2Layout, episode: M2H2Episode, seen: dict[str, tuple[Path, int]], report: BuildReport
) -> Iterator[DatasetUtterance]:
    if episode.encoding != "utf-8-sig":
        report.note(f"not UTF-8: read as {episode.encoding} and repaired", file=episode.tsv)
    rows = _rows(episode, report)
    cols = episode.columns
    # every (scene, turn) of the episode, for reply targets in any scene
    scenes: dict[str, tuple[str, str]] = {}
    for _, cells in rows:
        turn, scene = cells[cols["Sl. No."]], cells[cols["Scenes"]]
        if _TURN.match(turn) and _SCENE.match(scene):
            scenes.setdefault(turn.lower(), (scene, turn))
    absolute = _end_times_are_absolute(rows, cols)
    if absolute:
        report.note("End_time holds end times in this file, not durations: read as end times", file=episode.tsv)
    clock = SceneClock()
    for line, cells in rows:
        report.count("rows")
        try:
            utt, notes, repaired = _row(layout, episode, cells, line, absolute, scenes, seen)
        except _RowError as exc:
            report.skip(str(exc), file=episode.tsv, line=line, id=exc.id)
            continue
        seen[utt.id] = (episode.tsv, line)
        report.kept(utt, notes, text_repaired=repaired, overlapping=clock.overlaps(utt.scene, utt.start, utt.end))
        yield utt


def _rows(episode: M2H2Episode, report: BuildReport) -> list[tuple[int, list[str]]]:
    """(line number, cells) of every data row; blank separator rows counted and dropped."""
    rows = []
    width = max(episode.columns.values()) + 1
    with open(episode.tsv, encoding=episode.encoding) as f:
        lines = enumerate(f, start=1)
        for _, text in lines:  # the header: the first non-blank line
            if text.strip():
                break
        for number, text in lines:
            cells = [c.strip() for c in text.rstrip("\r\n").split("\t")]
            if not any(cells):
                if text.strip("\r\n"):  # tabs only: the separator between scenes
                    report.count("separator_rows")
                continue
            rows.append((number, cells + [""] * (width - len(cells))))
    return rows


def _end_times_are_absolute(rows: list[tuple[int, list[str]]], cols: dict[str, int]) -> bool:
    """True when most End_time cells exceed their Start_time (impossible for durations after the
    first seconds of an episode)."""
    after = total = 0
    for _, cells in rows:
        try:
            start, _ = parse_clock(cells[cols["Start_time"]])
            end, _ = parse_clock(cells[cols["End_time"]])
        except ValueError:
            continue
        total += 1
        after += end > start
    return total > 0 and after > total / 2


def _row(
    layout: M2H2Layout,
    episode: M2H2Episode,
    cells: list[str],
    line: int,
    absolute: bool,
    scenes: dict[str, tuple[str, str]],
    seen: dict[str, tuple[Path, int]],
) -> tuple[DatasetUtterance, list[str], bool]:
    """The row's record, its notes, and whether its text was repaired; ``_RowError`` when unusable."""

    def cell(column: str) -> str:
        return cells[episode.columns[column]]

    scene, turn = cell("Scenes"), cell("Sl. No.")
    if not _SCENE.match(scene):
        raise _RowError(f"Scenes {scene!r} is not a scene name (Scene_K)")
    if not _TURN.match(turn):
        raise _RowError(f"Sl. No. {turn!r} is not an utterance number (3, 3a)")
    number = str(episode.number)
    uid = f"{number}/{scene}/{turn}"
    if uid in seen:
        first_file, first_line = seen[uid]
        where = f"line {first_line}" if first_file == episode.tsv else f"{first_file.name} line {first_line}"
        raise _RowError(f"duplicate id (first on {where})", uid)
    notes: list[str] = []
    start, end_value = (_clock(cell(c), c, uid) for c in ("Start_time", "End_time"))
    end = end_value if absolute else start + end_value
    if end <= start:
        raise _RowError(f"End_time {cell('End_time')!r} leaves no duration", uid)
    text = repair_text(cell("Utterance"))
    if not text:
        raise _RowError("Utterance is empty", uid)
    speaker, replied_to = _speaker(cell("Speaker"), number, turn, scenes, notes)
    if not speaker:
        raise _RowError("Speaker is empty", uid)
    humour = LABELS.get(re.sub(r"[^a-z]", "", cell("Label").lower()))
    if humour is None:
        notes.append(f"unknown Label {cell('Label')!r}: left empty")
    audio = _media(layout.audio_dir, number, scene, f"{turn}.wav", "audio", notes)
    video = _media(layout.video_dir, number, scene, f"{turn}.mp4", "video", notes)
    utterance_record = DatasetUtterance(
        id=uid,
        dataset=DATASET,
        split=None,
        episode=number,
        scene=scene,
        turn=turn,
        speaker=speaker,
        group_speaker=is_group_speaker(speaker),
        replied_to=replied_to,
        humour=humour,
        text=text,
        lang=LANG,
        start=start,
        end=end,
        video=video,
        audio=audio,
        source_file=episode.tsv,
        source_line=line,
    )
    return utterance_record, notes, " ".join(cell("Utterance").split()) != text


def _clock(cell: str, column: str, uid: str) -> float:
    try:
        return parse_clock(cell)[0]
    except ValueError as exc:
        raise _RowError(f"{column} {exc}", uid) from None


def _speaker(
    cell: str, episode: str, turn: str, scenes: dict[str, tuple[str, str]], notes: list[str]
) -> tuple[str, str | None]:
    """The speaker's name and the id replied to, from ``Name,uK`` / ``Name,u-``."""
    name, sep, reply = cell.rpartition(",")
    reply = reply.strip()
    if not sep or not reply.lower().startswith("u"):
        notes.append(f"Speaker {cell!r} has no ',uK' reply part")
        return repair_text(cell), None
    name = repair_text(name)
    target = reply[1:]
    if target.startswith("-"):
        return name, None
    if target.lower() == turn.lower():
        notes.append(f"Speaker {cell!r} replies to itself: reply left empty")
        return name, None
    found = scenes.get(target.lower())
    if found is None:
        notes.append(f"Speaker {cell!r} replies to {reply!r}, which no row of this episode has: reply left empty")
        return name, None
    scene, original = found
    return name, f"{episode}/{scene}/{original}"


def _media(folder: Path | None, episode: str, scene: str, name: str, kind: str, notes: list[str]) -> Path | None:
    if folder is None:
        return None
    path = folder / episode / scene / name
    if path.is_file() and path.stat().st_size > 0:
        return path
    notes.append(f"no {kind}: {path.relative_to(folder)} is {'empty' if path.exists() else 'missing'} in {folder}")
    return None
