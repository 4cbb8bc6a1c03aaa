"""The first stage: check the inputs of one episode, open its project, and make its line records.

:func:`open_episode` probes the video, reads the target script (and the source script, matched to it
by time), checks that the synthesizer speaks the language, that a background stem lasts as long as
the video and that the outputs can be written. It writes nothing, and leaves ``previous`` empty: the
project's previous manifest is read by :func:`previous_manifest` under the project's lock (``Dubber.run``),
so it is what the last run left, not what a run in progress was writing. The :class:`Episode` it
returns is what the later stages read. :func:`start_afresh` moves an old project's files aside (``rebuild``).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from dubber.config import DubConfig
from dubber.synth.base import Synthesizer
from evaluator.errors import ConfigError, ManifestError, MediaError, OutputError
from evaluator.fileio import file_sha256
from evaluator.media import MediaInfo, probe
from evaluator.media.mux import AUDIO_CODECS
from evaluator.project import MANIFEST_NAME, Line, Manifest, load_manifest
from evaluator.project.lock import LOCK_NAME
from evaluator.script import Cue, load_script

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Episode:
    """One episode's checked inputs (see the module docstring)."""

    config: DubConfig
    info: MediaInfo
    cues: tuple[Cue, ...]  # in time order
    source_text: dict[int, str]  # source-language text per target cue number
    video_hash: str
    script_hash: str
    project: Path
    previous: Manifest | None

    @property
    def duration(self) -> float:
        return float(self.info.duration or 0.0)


def open_episode(config: DubConfig, synth: Synthesizer) -> Episode:
    """Check the inputs (see the module docstring); raise a user error naming the file or cue."""
    info = probe(config.video)
    if info.video is None:
        raise MediaError(f"{config.video}: has no video stream", hint="dubkit dubs video files")
    _check_output(config)
    if config.background is not None:
        _check_background(config, info)
    # translating: the source script's cues are the lines (the translate stage gives their target text)
    script = config.script if config.script is not None else config.source_script
    cues = load_script(script, info.duration)
    video_hash, script_hash = file_sha256(config.video), file_sha256(script)
    if config.review is not None:  # a reviewer's verdicts: for this episode, naming its cues
        config.review.check(
            video_sha256=video_hash,
            script_sha256=script_hash,
            lang=config.lang,
            cues=[(c.index, c.start, c.end) for c in cues],
            where="lines_from",
            param="lines_from",
        )
    missing = sorted(set(config.force_lines) - {c.index for c in cues})
    if missing:
        numbers = ", ".join(map(str, missing[:10])) + (" ..." if len(missing) > 10 else "")
        raise ConfigError(
            f"force_lines names cue(s) {numbers} that {script} does not have",
            hint=f"its cues are numbered {cues[0].index}-{cues[-1].index}" if cues else None,
            param="force_lines",
        )
    if not synth.supports(config.lang):
        raise ConfigError(
            f"the {synth.name} synthesizer cannot speak '{config.lang}'",
            hint=f"it speaks {', '.join(synth.languages()[:12])}; pass the script's language or another synthesizer",
            param="lang",
        )
    source_text: dict[int, str] = {}
    if config.script is None:
        from dubber.transcribe import UNTRANSCRIBED

        source_text = {c.index: c.text for c in cues if c.text != UNTRANSCRIBED}
    elif config.source_script is not None:
        source_text = match_source_text(cues, load_script(config.source_script, info.duration))
    project = config.resolved_project()
    return Episode(
        config=config,
        info=info,
        cues=tuple(sorted(cues, key=lambda c: (c.start, c.index))),
        source_text=source_text,
        video_hash=video_hash,
        script_hash=script_hash,
        project=project,
        previous=None,  # read under the project's lock (previous_manifest)
    )


def previous_manifest(project: Path) -> Manifest | None:
    """The project's manifest from an earlier run, or None; an unreadable one is a ``ManifestError``
    that says how to start afresh (``rebuild``)."""
    if not (project / MANIFEST_NAME).is_file():
        return None
    try:
        return load_manifest(project)
    except ManifestError as exc:
        hint = "start the project afresh with rebuild (the old project files are moved aside, the inputs kept)"
        raise ManifestError(exc.message, hint=f"{exc.hint}; or {hint}" if exc.hint else hint, param="rebuild") from None


def start_afresh(config: DubConfig) -> Path | None:
    """Move the project's files aside (to ``PROJECT.replaced-DATE/`` beside it), keeping the lock and any
    of the run's inputs that live in the project; returns where they went (None when there was nothing).
    Nothing is deleted."""
    cfg, project = config, config.resolved_project()
    inputs = [p.resolve() for p in (cfg.video, cfg.script, cfg.source_script, cfg.background, cfg.library) if p]
    entries = [
        e
        for e in sorted(project.iterdir())
        if e.name != LOCK_NAME and not any(i == e.resolve() or e.resolve() in i.parents for i in inputs)
    ]
    if not entries:
        return None
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    aside = project.with_name(f"{project.name}.replaced-{stamp}")
    k = 1
    while aside.exists():
        k += 1
        aside = project.with_name(f"{project.name}.replaced-{stamp}-{k}")
    aside.mkdir(parents=True)
    for entry in entries:
        os.replace(entry, aside / entry.name)
    log.warning("%s: started afresh; the old project files are in %s", project, aside)
    return aside


#: how much shorter than the video a background stem may be (container rounding, an audio frame)
BACKGROUND_SLACK_S = 0.05


def _check_background(config: DubConfig, info: MediaInfo) -> None:
    stem = probe(config.background)
    if stem.audio is None:
        raise MediaError(f"{config.background}: has no audio stream to use as background")
    short = info.duration - stem.duration
    if short > BACKGROUND_SLACK_S and not config.background_pad:
        raise MediaError(
            f"{config.background}: the background stem lasts {stem.duration:.2f} s, the video {info.duration:.2f} s "
            f"({short:.2f} s short)",
            hint="give a stem as long as the video, or set background_pad to pad it with silence",
            param="background_pad",
        )


def match_source_text(cues: Sequence[Cue], source: Sequence[Cue]) -> dict[int, str]:
    """Source-language text per target cue: the source cues overlapping it most, joined in order."""
    out: dict[int, str] = {}
    for cue in cues:
        overlaps = [(min(cue.end, s.end) - max(cue.start, s.start), s) for s in source]
        hits = sorted((s for ov, s in overlaps if ov > 0.5 * min(cue.duration, s.duration)), key=lambda s: s.start)
        if hits:
            out[cue.index] = " ".join(s.text for s in hits)
    return out


def _check_output(config: DubConfig) -> None:
    out = config.output
    if out.is_dir():
        raise OutputError(f"{out}: is a directory", hint="give the dubbed video's file name, e.g. OUT/episode.mp4")
    if out.suffix.lower() not in AUDIO_CODECS:
        raise OutputError(
            f"{out}: unsupported output container '{out.suffix}'",
            hint=f"use one of {', '.join(sorted(AUDIO_CODECS))}",
        )
    if out.resolve() == config.video.resolve():
        raise OutputError(f"{out}: the output would overwrite the input video", hint="choose another output path")
    _check_writable(out.parent)
    _check_writable(config.resolved_project().parent)


def _check_writable(directory: Path) -> None:
    d = directory.resolve()
    while not d.exists():
        d = d.parent
    if not d.is_dir():
        raise OutputError(f"{directory}: cannot create it, {d} is a file", hint="choose another output path")
    if not os.access(d, os.W_OK):
        raise OutputError(f"{directory}: not writable", hint="choose an output path in a writable directory")


def script_lines(episode: Episode) -> list[Line]:
    """One line record per cue of the script, in time order, with its source-language text and its reviewers'
    notes (those of the previous run's line with that cue number, then the new one of ``config.review``)."""
    lang = episode.config.lang
    new = episode.config.review.notes() if episode.config.review is not None else {}
    old = {ln.index: ln.notes for ln in episode.previous.lines} if episode.previous else {}
    return [
        Line(
            index=c.index,
            start=c.start,
            end=c.end,
            text=c.text,
            speaker=c.speaker,
            lang=lang,
            source_text=episode.source_text.get(c.index),
            notes=_notes(old.get(c.index, []), new.get(c.index)),
        )
        for c in episode.cues
    ]


def _notes(old: list[str], new: str | None) -> list[str]:
    return [*old, new] if new and new not in old else list(old)
