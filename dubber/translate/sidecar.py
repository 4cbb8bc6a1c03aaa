"""Writing a translated script and its sidecar record.

The target script keeps the source's timings and speakers; the sidecar JSON beside it
(``TARGET.srt.translation.json``) records per line: id, source, target, the first wording when a
re-ask replaced it, every re-ask, the estimated spoken length against the budget, the glossary
check, and the backend, model and prompt version. Both files are written atomically, together.

Sidecar schema (``kind`` ``dubkit.translation``, ``schema_version`` 1)::

    {"kind": "dubkit.translation", "schema_version": 1, "source_script": "ep.en.srt",
     "target_script": "ep.hi.srt", "source_lang": "en", "target_lang": "hi",
     "backend": "vllm", "model": "vllm:Qwen/Qwen2.5-7B-Instruct@http://gpu:8000/v1",
     "prompt_version": "translate-v1", "min_ratio": 0.8, "context": {"before": 2, "after": 2},
     "glossary": "names.csv", "summary": {...}, "lines": [{"id": "1", "source": "...", ...}]}
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from dubber.translate.base import Translation, Translator
from dubber.translate.run import TranslationJob
from evaluator.errors import ConfigError
from evaluator.fileio import atomic_path, json_safe
from evaluator.script import DEFAULT_SPEAKER, Cue, write_script

SIDECAR_KIND = "dubkit.translation"
SIDECAR_VERSION = 1
SIDECAR_SUFFIX = ".translation.json"


def sidecar_path(target: str | os.PathLike[str]) -> Path:
    p = Path(target)
    return p.with_name(p.name + SIDECAR_SUFFIX)


def _asked(t: Translation, reason: str) -> bool:
    return any(reason in r["reasons"] for r in t.revisions)


def summary(translations: Sequence[Translation]) -> dict[str, int]:
    """Counts over the lines: revised, shortened, still over the budget, without a budget, with a lost
    glossary term, failed."""
    return {
        "lines": len(translations),
        "revised": sum(1 for t in translations if t.revisions),
        "shortened": sum(
            1 for t in translations if t.first_wording and any("length" in r["reasons"] for r in t.revisions)
        ),
        "over_budget": sum(1 for t in translations if t.length is not None and t.length.fits is False),
        "no_budget": sum(1 for t in translations if t.length is None or t.length.fits is None),
        "glossary_lost": sum(1 for t in translations if t.glossary_lost),
        "failed": sum(1 for t in translations if not t.ok),
    }


def sidecar(
    translations: Sequence[Translation],
    job: TranslationJob,
    translator: Translator,
    *,
    source_script: str | None = None,
    target_script: str | None = None,
) -> dict[str, Any]:
    """The sidecar record of a run."""
    return {
        "kind": SIDECAR_KIND,
        "schema_version": SIDECAR_VERSION,
        "source_script": source_script,
        "target_script": target_script,
        "source_lang": job.source_lang,
        "target_lang": job.target_lang,
        "backend": translator.name,
        "model": translator.model_id,
        "prompt_version": translator.prompt_version,
        "min_ratio": job.min_ratio,
        "context": {"before": job.context_before, "after": job.context_after} if translator.uses_context else None,
        "glossary": job.glossary.path if job.glossary else None,
        "summary": summary(translations),
        "lines": [t.to_dict() for t in translations],
    }


def write_translation(
    target: str | os.PathLike[str],
    translations: Sequence[Translation],
    job: TranslationJob,
    translator: Translator,
    *,
    source_script: str | None = None,
) -> Path:
    """Write the target script and its sidecar; returns the sidecar's path. Refuses (``ConfigError``)
    while any line has no translation: a script with holes is never written."""
    failed = [t for t in translations if not t.ok or t.start is None or t.end is None]
    if failed:
        ids = ", ".join(t.id for t in failed[:20])
        raise ConfigError(f"{target}: not written: {len(failed)} line(s) have no translation or no timing: {ids}")
    cues = [
        Cue(
            index=i + 1,
            start=float(t.start),
            end=float(t.end),
            text=t.target or "",
            speaker=t.speaker or DEFAULT_SPEAKER,
        )  # type: ignore[arg-type]
        for i, t in enumerate(translations)
    ]
    record = sidecar(translations, job, translator, source_script=source_script, target_script=str(target))
    side = sidecar_path(target)
    with atomic_path(side) as tmp_side:
        tmp_side.write_text(json.dumps(json_safe(record), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        write_script(target, cues)  # atomic itself; the sidecar follows it into place
    return side
