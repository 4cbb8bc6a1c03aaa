"""What the review page shows, as plain values: the episode header and one entry per line.

:func:`episode_view` reads the manifest (the typed line record), the score rows and the flag rules and
returns what the template renders and what the page script reads (timeline, filters, verdicts). Media are
added by :mod:`evaluator.review.page`.
"""

from __future__ import annotations

import math
import os
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from evaluator.errors import ConfigError
from evaluator.project import Line, Manifest, load_manifest, manifest_path
from evaluator.review.flags import FLAG_KINDS, dub_caps, line_flags
from evaluator.review.scores import ScoreRows, ScoreValue, check_thresholds, line_scores, read_score_rows


def clock(t: float | None) -> str:
    """Seconds as ``m:ss.cc`` (``h:mm:ss.cc`` from an hour).

    >>> clock(75.456), clock(3725.0)
    ('1:15.46', '1:02:05.00')
    """
    if t is None or not math.isfinite(t):
        return "?"
    cs = int(round(t * 100))
    h, rem = divmod(cs, 360000)
    m, rem = divmod(rem, 6000)
    s = rem / 100
    return f"{h}:{m:02d}:{s:05.2f}" if h else f"{m}:{s:05.2f}"


def _reading(line: Line) -> dict[str, Any] | None:
    r = line.conditions.reading
    if r is None:
        return None
    return {
        "failed": r.error,
        "labels": [
            ("emotion", r.emotion),
            ("gender", r.gender),
            ("age", r.age),
            ("scene", r.scene_type),
            ("people", str(r.num_people)),
            ("speaker on screen", "yes" if r.speaker_on_screen_talking else "no"),
        ],
        "confidence": round(r.confidence, 2),
        "model": f"{r.backend} ({r.model})",
        "conclusion": r.conclusion,
        "reasoning": r.reasoning,
    }


def _candidates(line: Line) -> list[dict[str, Any]]:
    out = []
    for k, c in enumerate(line.candidates):
        guidance = ", ".join(f"{g} {v:g}" for g, v in c.guidance.scales().items()) or "default"
        models = sorted(
            {
                (str(e.get("backend") or ""), str(e["model_id"]))
                for e in c.scores.values()
                if isinstance(e, dict) and e.get("model_id")
            }
        )
        out.append(
            {
                "key": k,
                "seed": c.seed,
                "round": c.round,
                "guidance": guidance,
                "score": None if c.score is None else round(c.score, 4),
                "passed": c.passed,
                "chosen": c.chosen,
                "ratio": None if c.fit is None else round(c.fit.ratio, 3),
                "overrun_ms": None if c.fit is None else round(c.fit.overrun_ms),
                "models": [{"backend": b, "model": m} for b, m in models],
                "audio": c.audio,
            }
        )
    return out


def _line(line: Line, scores: list[ScoreValue], flags: list[Any]) -> dict[str, Any]:
    f = line.fit
    fit = None
    if f is not None:
        fit = {
            "placed_start": round(f.placed_start, 3),
            "placed_end": round(f.placed_end, 3),
            "placed": f"{clock(f.placed_start)}–{clock(f.placed_end)}",
            "duration": round(f.duration, 3),
            "raw_duration": round(f.raw_duration, 3),
            "ratio": round(f.ratio, 3),
            "native_ratio": round(f.native_ratio, 3),
            "stretch_ratio": round(f.stretch_ratio, 3),
            "borrow_ms": round(f.borrow_ms),
            "overrun_ms": round(f.overrun_ms),
            "error_ms": round(f.error_ms),
        }
    return {
        "index": line.index,
        "speaker": line.speaker,
        "start": round(line.start, 3),
        "end": round(line.end, 3),
        "slot": f"{clock(line.start)}–{clock(line.end)}",
        "slot_s": round(line.slot, 3),
        "text": line.text,
        "source_text": line.source_text,
        "status": line.status,
        "fit": fit,
        "reading": _reading(line),
        "scores": [s.to_dict() for s in scores],
        "candidates": _candidates(line),
        "flags": [fl.to_dict() for fl in flags],
        "notes": list(line.notes),
        "audio": line.audio,
    }


def _number_models(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Number every (backend, model) behind a score on the page, in order of first use; each score gets its
    number as ``ref`` (the page lists the models once, the rows refer to them)."""
    refs: dict[tuple[str, str], int] = {}
    for ln in lines:
        for sc in [*ln["scores"], *(m for c in ln["candidates"] for m in c["models"])]:
            sc["ref"] = refs.setdefault((sc["backend"], sc["model"]), len(refs) + 1)
    return [{"ref": n, "backend": b, "model": m} for (b, m), n in refs.items()]


def _max_borrow(config: Mapping[str, Any]) -> float | None:
    caps = config.get("caps")
    return float(caps[2]) if isinstance(caps, list) and len(caps) > 2 and isinstance(caps[2], int | float) else None


def episode_view(
    manifest: Manifest,
    project: Path,
    *,
    rows: ScoreRows | None = None,
    thresholds: Mapping[str, float] | None = None,
) -> dict[str, Any]:
    """The header and the lines of the page (see the module docstring), lines in time order."""
    caps = dub_caps(manifest.config)
    lines = []
    for line in sorted(manifest.lines, key=lambda ln: (ln.start, ln.index)):
        scores = line_scores(line) + (rows.lines.get(line.index, []) if rows else [])
        lines.append(_line(line, scores, line_flags(line, caps=caps, scores=scores, thresholds=thresholds)))
    counts = Counter(kind for ln in lines for kind in {fl["kind"] for fl in ln["flags"]})  # lines per kind
    models = _number_models(lines)
    synth = manifest.config.get("synth") or {}
    cot = manifest.config.get("cot") or {}
    mix = manifest.mix or {}
    duration = manifest.inputs.get("video_duration")
    if not isinstance(duration, int | float) or duration <= 0:
        duration = max(
            [ln.end for ln in manifest.lines] + [ln.fit.placed_end for ln in manifest.lines if ln.fit] + [1.0]
        )
    return {
        "name": project.name,
        "video": manifest.video,
        "script": manifest.script,
        "source_script": manifest.inputs.get("source_script"),
        "lang": manifest.lang,
        "duration": float(duration),
        "duration_text": clock(float(duration)),
        "synth": {"backend": synth.get("backend", "?"), "model": synth.get("model", "?")},
        "cot": cot.get("backend", "?"),
        "candidates": manifest.config.get("candidates", 1),
        "caps": caps,
        "max_borrow": _max_borrow(manifest.config),
        "mix": {
            "dub_lufs": mix.get("dub_lufs"),
            "target_lufs": mix.get("target_lufs"),
            "target_source": mix.get("target_source"),
            "mix_true_peak_dbtp": mix.get("mix_true_peak_dbtp"),
            "dub_true_peak_dbtp": mix.get("dub_true_peak_dbtp"),
            "background": mix.get("background"),
            "method": mix.get("method"),
        },
        "inputs": {
            "video_sha256": manifest.inputs.get("video_sha256", ""),
            "script_sha256": manifest.inputs.get("script_sha256", ""),
        },
        "speakers": sorted({ln["speaker"] for ln in lines}),
        "flag_kinds": FLAG_KINDS,
        "flag_counts": {k: counts.get(k, 0) for k in FLAG_KINDS},
        "flagged": sum(1 for ln in lines if ln["flags"]),
        "thresholds": dict(thresholds or {}),
        "scores_dir": str(rows.path) if rows else None,
        "episode_scores": [s.to_dict() for s in rows.episode] if rows else [],
        "models": models,
        "lines": lines,
    }


def load_review(
    project: str | os.PathLike[str],
    *,
    scores: str | os.PathLike[str] | None = None,
    min_scores: Mapping[str, float] | None = None,
) -> tuple[Path, Manifest, dict[str, Any]]:
    """The project directory, its manifest and its :func:`episode_view`, with the ``dubkit score`` rows of
    ``scores`` and the thresholds ``min_scores`` (a threshold on a score no line has is refused)."""
    directory = Path(manifest_path(project)).parent
    manifest = load_manifest(directory)
    if not manifest.lines:
        raise ConfigError(f"{directory}: the project has no lines to review")
    rows = read_score_rows(scores, directory.name) if scores is not None else None
    thresholds = dict(min_scores or {})
    if thresholds:
        every = [v for ln in manifest.lines for v in line_scores(ln)]
        every += [v for values in (rows.lines.values() if rows else []) for v in values]
        check_thresholds(thresholds, every)
    return directory, manifest, episode_view(manifest, directory, rows=rows, thresholds=thresholds)


def recorded_path(project: Path, value: str | None) -> Path | None:
    """A path the manifest recorded (as given to ``dubkit dub``): as is when it exists, else by its name
    beside the project directory or inside it (a project moved with its files); None when not found."""
    if not value:
        return None
    p = Path(value)
    for cand in (p, project.parent / p, project.parent / p.name, project / p.name):
        if cand.is_file():
            return cand
    return None
