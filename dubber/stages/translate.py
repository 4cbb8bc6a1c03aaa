"""The translation stage (when the dub starts from the source script): each line's target text, from
its source text, its neighbours, its speaker and the scene reading's gender, age and emotion, within
a length budget from its slot (:mod:`dubber.translate`).

It runs on the line records after the scene stage, so the readings reach the translator. Every line's
translation is kept in the project (``translation/journal.jsonl``, keyed by all it depends on), so a
re-run asks the backend only for lines whose source, context or options changed. The target script
and its record are written to ``translation/target.ass`` and ``target.ass.translation.json``; a person
may edit the target script there: a changed line keeps their wording (recorded as edited, the machine's
kept beside it) and only that line is rendered again. An edit of a line whose source has changed since
is dropped with a warning.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from dubber.stages.episode import Episode
from evaluator.errors import ConfigError
from evaluator.project import Line, LineTranslation
from evaluator.script import load_script

log = logging.getLogger(__name__)

TRANSLATION_DIR = "translation"
TARGET = "target.ass"  # speakers in the ASS Name field, whatever their names
JOURNAL = "journal.jsonl"


def translation_job(episode: Episode) -> Any:
    """The languages, glossary and speed-up cap every line of the episode shares."""
    from dubber.translate import Glossary, TranslationJob

    cfg = episode.config
    return TranslationJob(
        target_lang=cfg.lang,
        source_lang=cfg.source_lang,
        glossary=Glossary.load(cfg.glossary) if cfg.glossary else None,
        min_ratio=cfg.caps.min_ratio,
    )


def source_line(line: Line) -> Any:
    """The line as the translator sees it: its source text, slot, speaker, and the scene reading's
    gender, age and emotion when there is a reading."""
    from dubber.translate import SourceLine

    style = line.conditions.style
    return SourceLine(
        id=str(line.index),
        text=line.source_text or line.text,
        start=line.start,
        end=line.end,
        speaker=None if line.speaker == "default" else line.speaker,
        gender=style.gender,
        age=style.age,
        emotion=style.emotion,
    )


def translate(
    episode: Episode, lines: Sequence[Line], translator: Any, progress: Callable[[], None] | None = None
) -> list[Line]:
    """``lines`` with ``text`` translated (``source_text`` keeps the source) and ``translation`` recorded."""
    from dubber.transcribe import UNTRANSCRIBED
    from dubber.translate import translate_lines
    from dubber.translate.sidecar import sidecar_path, write_translation

    folder = episode.project / TRANSLATION_DIR
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / TARGET
    job = translation_job(episode)
    sources = [source_line(ln) for ln in lines]
    blank = [s.id for s in sources if s.text.strip() in ("", UNTRANSCRIBED)]
    if blank and translator.name != "table":  # a table joins by cue number: it needs no source text
        raise ConfigError(
            f"cue(s) {', '.join(blank[:20])} of the source have no text to translate (no ASR for the language?)",
            hint="give the transcribe stage a model for the language, a transcript, or translations as a table",
        )
    results = translate_lines(sources, translator, job, progress=progress, journal=folder / JOURNAL)
    failed = [t.id for t in results if not t.ok]
    if failed:
        raise ConfigError(
            f"{len(failed)} line(s) have no translation (cues {', '.join(failed[:20])})",
            hint="re-run to ask again; finished lines are kept in the project",
        )
    results = _with_edits(target, sidecar_path(target), results)
    write_translation(target, results, job, translator, source_script=str(episode.config.source_script))
    by_id = {t.id: t for t in results}
    return [_translated(line, by_id[str(line.index)]) for line in lines]


def _translated(line: Line, t: Any) -> Line:
    record = LineTranslation(
        backend=t.backend,
        model=t.model,
        target_lang=t.target_lang,
        prompt_version=t.prompt_version,
        source_lang=t.source_lang,
        first_wording=t.edited_from or t.first_wording,
        revisions=list(t.revisions),
        budget=t.budget.to_dict() if t.budget else None,
        length=t.length.to_dict() if t.length else None,
        glossary_terms=list(t.glossary_terms),
        glossary_lost=list(t.glossary_lost),
        edited=t.edited_from is not None,
    )
    return dataclasses.replace(line, source_text=t.source, text=t.target, translation=record)


def _with_edits(target: Path, sidecar: Path, results: list[Any]) -> list[Any]:
    """The translations with a person's edits of the target script applied (see the module docstring)."""
    if not target.is_file() or not sidecar.is_file():
        return results
    written = {str(d["id"]): d for d in json.loads(sidecar.read_text(encoding="utf-8")).get("lines", [])}
    on_disk = {str(c.index): c.text for c in load_script(target)}
    out = []
    for t in results:
        last = written.get(t.id)
        text = on_disk.get(t.id)
        if last is None or text is None:
            out.append(t)
            continue
        edited = text != last.get("target") or last.get("edited_from") is not None
        if not edited:
            out.append(t)
        elif last.get("source") != t.source:
            log.warning(
                "cue %s: the source changed since its translation was edited by hand; the edit is dropped", t.id
            )
            out.append(t)
        else:
            out.append(dataclasses.replace(t, target=text, edited_from=t.target))
    return out
