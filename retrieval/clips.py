"""Clip lists for a footage library: from a dataset manifest (CSV/JSONL), a dubkit project, or subtitles.

A dataset manifest has one row per clip with the columns ``id`` (or ``clip_id``), ``video`` and/or
``audio`` (paths, relative to the manifest's folder), ``start``/``end`` (seconds; empty means the whole
file), ``text`` (or ``transcript``), ``speaker`` and an optional ``emotion`` label::

    id,video,audio,start,end,text,speaker,emotion
    ep1_0001,ep1.mp4,,12.3,14.9,Where were you?,ANNA,angry
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from evaluator.errors import ConfigError, ManifestError

_ID_KEYS = ("id", "clip_id")
_TEXT_KEYS = ("text", "transcript", "utterance")


@dataclass(frozen=True)
class ClipSpec:
    """One reference clip: where its media is, which span, what is said and by whom.

    ``id`` is the readable label a source gives (a dataset's id, ``STEM:CUE``); :meth:`keyed` adds the
    library identity (content digests, ``key``, and the stored id ``LABEL@KEY``, see
    :mod:`retrieval.clip_ids`).
    """

    id: str
    video: str | None = None
    audio: str | None = None
    start: float | None = None
    end: float | None = None
    text: str = ""
    speaker: str = "default"
    emotion: str | None = None
    source: str | None = None
    key: str | None = None
    video_sha256: str | None = None
    audio_sha256: str | None = None

    @property
    def audio_source(self) -> str | None:
        """The file whose audio stream is the clip's speech (its own audio file, else the video's)."""
        return self.audio or self.video

    def keyed(self) -> ClipSpec:
        """This clip as a library stores it: absolute media paths, their sha256, the key, id ``LABEL@KEY``.

        Reads each media file once per process (``MediaError`` when one is missing).
        """
        from retrieval.clip_ids import library_id, media_digest, span_key

        if self.key is not None:
            return self
        video = str(Path(self.video).expanduser().resolve()) if self.video else None
        audio = str(Path(self.audio).expanduser().resolve()) if self.audio else None
        vsha = media_digest(video) if video else None
        asha = media_digest(audio) if audio else None
        key = span_key(vsha, asha, self.start, self.end)
        return replace(
            self, id=library_id(self.id, key), video=video, audio=audio, key=key, video_sha256=vsha, audio_sha256=asha
        )

    def meta(self) -> dict[str, Any]:
        """The metadata row stored beside the vectors."""
        d = asdict(self)
        d["video_path"] = d.pop("video")
        d["audio_path"] = d.pop("audio")
        return d


def _float(value: Any, where: str, name: str) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ManifestError(f"{where}: {name}={value!r} is not a number of seconds", hint="fix that row") from None


def _resolve(base: Path, value: Any) -> str | None:
    if value is None or not str(value).strip():
        return None
    p = Path(str(value).strip()).expanduser()
    return str(p if p.is_absolute() else (base / p))


def clip_from_row(row: dict[str, Any], base: Path, where: str, source: str) -> ClipSpec:
    """A ``ClipSpec`` from one manifest row; raises ``ManifestError`` naming the row when it is unusable."""
    cid = next((str(row[k]).strip() for k in _ID_KEYS if row.get(k) not in (None, "")), "")
    if not cid:
        raise ManifestError(f"{where}: no clip id", hint="add an 'id' column")
    video, audio = _resolve(base, row.get("video")), _resolve(base, row.get("audio"))
    if video is None and audio is None:
        raise ManifestError(f"{where} ({cid}): neither a video nor an audio path", hint="fill 'video' or 'audio'")
    start, end = _float(row.get("start"), where, "start"), _float(row.get("end"), where, "end")
    if start is not None and end is not None and end <= start:
        raise ManifestError(f"{where} ({cid}): end {end} is not after start {start}", hint="fix the span")
    text = next((str(row[k]) for k in _TEXT_KEYS if row.get(k) is not None), "")
    speaker = str(row.get("speaker") or "").strip() or "default"
    emotion = str(row.get("emotion") or "").strip() or None
    return ClipSpec(cid, video, audio, start, end, text.strip(), speaker, emotion, source)


def read_dataset(path: str | os.PathLike[str]) -> list[ClipSpec]:
    """All clips of a CSV or JSONL dataset manifest (paths resolved against its folder)."""
    p = Path(path)
    if not p.is_file():
        raise ManifestError(f"{p}: no such dataset manifest", hint="check the path")
    base = p.resolve().parent
    rows: list[tuple[str, dict[str, Any]]] = []
    suffix = p.suffix.lower()
    if suffix in (".csv", ".tsv"):
        with open(p, newline="", encoding="utf-8-sig") as f:
            reader = csv.DictReader(f, delimiter="\t" if suffix == ".tsv" else ",")
            rows = [(f"{p}:{i + 2}", r) for i, r in enumerate(reader)]
    elif suffix in (".jsonl", ".ndjson"):
        with open(p, encoding="utf-8") as f:
            for i, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    rows.append((f"{p}:{i}", json.loads(line)))
                except json.JSONDecodeError as exc:
                    raise ManifestError(f"{p}:{i}: not valid JSON ({exc.msg})", hint="fix that line") from None
    else:
        raise ConfigError(f"{p}: unknown dataset manifest format {suffix!r}", hint="use .csv, .tsv or .jsonl")
    clips = [clip_from_row(r, base, where, str(p)) for where, r in rows]
    _check_unique(clips, str(p))
    return clips


def _check_unique(clips: list[ClipSpec], where: str) -> None:
    seen: set[str] = set()
    dupes = [c.id for c in clips if c.id in seen or seen.add(c.id)]  # type: ignore[func-returns-value]
    if dupes:
        raise ManifestError(
            f"{where}: duplicate clip ids {', '.join(sorted(set(dupes))[:5])}", hint="ids must be unique"
        )


def clips_from_project(project: str | os.PathLike[str]) -> list[ClipSpec]:
    """The lines of a dubkit project as clips of its original video (source-language transcript)."""
    from evaluator.project import load_manifest, manifest_path

    mpath = manifest_path(project)
    manifest = load_manifest(mpath)
    base = mpath.resolve().parent
    video = _resolve(base, manifest.video) if not Path(manifest.video).is_file() else manifest.video
    stem = Path(manifest.video).stem
    return [
        ClipSpec(
            id=f"{stem}:{line.index}",
            video=video,
            start=line.start,
            end=line.end,
            text=line.source_text or line.text,
            speaker=line.speaker or "default",
            source=str(mpath),
        )
        for line in manifest.lines
    ]


def clips_from_subtitles(
    video: str | os.PathLike[str], subtitles: str | os.PathLike[str], *, default_speaker: str = "default"
) -> list[ClipSpec]:
    """One clip per subtitle event of ``video`` (speaker from the event's name/actor field)."""
    import pysubs2

    try:
        subs = pysubs2.load(str(subtitles), encoding="utf-8")
    except (OSError, pysubs2.exceptions.Pysubs2Error, UnicodeDecodeError) as exc:
        raise ManifestError(f"{subtitles}: cannot read the subtitles ({exc})", hint="check the file") from None
    stem = Path(video).stem
    clips = []
    for i, ev in enumerate(e for e in subs.events if not e.is_comment):
        text = ev.plaintext.replace("\n", " ").strip()
        if not text or ev.end <= ev.start:
            continue
        clips.append(
            ClipSpec(
                id=f"{stem}:{i + 1}",
                video=str(video),
                start=ev.start / 1000.0,
                end=ev.end / 1000.0,
                text=text,
                speaker=(ev.name or "").strip() or default_speaker,
                source=str(subtitles),
            )
        )
    return clips


def clips_from_script(video: str | os.PathLike[str], script: str | os.PathLike[str]) -> list[ClipSpec]:
    """One clip per cue of a validated-readable script of ``video`` (speaker from the ASS name or a ``NAME:``
    prefix); each clip's label is ``STEM:CUE`` with the script's own cue name (see :mod:`evaluator.script`)."""
    from evaluator.script import read_script

    stem = Path(video).stem
    return [
        ClipSpec(
            id=f"{stem}:{c.name}",
            video=str(video),
            start=c.start,
            end=c.end,
            text=c.text,
            speaker=c.speaker,
            source=str(script),
        )
        for c in read_script(script)
    ]


def iter_source(source: str | os.PathLike[str]) -> Iterator[ClipSpec]:
    """Clips of a dataset manifest file or a dubkit project directory."""
    p = Path(source)
    if p.is_dir() or p.name == "manifest.json":
        yield from clips_from_project(p)
    else:
        yield from read_dataset(p)
