"""``dubkit review``: one self-contained HTML page a reviewer works from, built from a dub project.

The page (the page kit, :mod:`evaluator.html`) holds the header of the episode, a timeline of the whole
episode drawn by the page script, and one row per line (:mod:`evaluator.review.view`). Audio is inline:
per line the original span (the cue's slot of the source video's sound), the dub line and, when the project
kept them, each candidate, as Opus in WebM data URIs behind ``preload="none"`` players (nothing decodes
until played). The episode's video is linked by a relative path with a media fragment per line, not
embedded (see :mod:`evaluator.review.video`). Verdicts stay in the browser (localStorage, keyed by the
project) and download as the file :mod:`evaluator.review.verdicts` reads.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from evaluator.errors import MediaError
from evaluator.fileio import file_sha256, stable_hash
from evaluator.html import AUDIO, encode_audio_many, render_page, write_page
from evaluator.metrics.item import Source
from evaluator.project import load_manifest, manifest_path
from evaluator.review.verdicts import KIND as VERDICTS_KIND
from evaluator.review.verdicts import SCHEMA_VERSION as VERDICTS_VERSION
from evaluator.review.video import browser_type, link
from evaluator.review.view import load_review, recorded_path

HERE = Path(__file__).resolve().parent


def _sources(view: dict[str, Any], project: Path, source_video: Path, has_sound: bool) -> list[tuple[tuple, Source]]:
    """Every audio span the page embeds, keyed (kind, line index[, candidate])."""
    out: list[tuple[tuple, Source]] = []
    for ln in view["lines"]:
        if has_sound:
            out.append((("original", ln["index"]), Source.of_file(source_video, ln["start"], ln["end"])))
        if ln["audio"] and (project / ln["audio"]).is_file():
            out.append((("dub", ln["index"]), Source.of_file(project / ln["audio"])))
        for c in ln["candidates"]:
            if c["audio"] and (project / c["audio"]).is_file():
                out.append((("candidate", ln["index"], c["key"]), Source.of_file(project / c["audio"])))
    return out


def build_review_page(
    project: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    scores: str | os.PathLike[str] | None = None,
    min_scores: dict[str, float] | None = None,
    preview: str | os.PathLike[str] | None = None,
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Write the review page of ``project`` to ``out``; return what it holds, its size and build time.

    ``scores``: a ``dubkit score PROJECT --out DIR`` directory; ``min_scores``: thresholds by score name
    (:func:`evaluator.review.scores.parse_min_scores`); ``preview``: a preview video to link from the header."""
    t0 = time.perf_counter()
    project, manifest, view = load_review(project, scores=scores, min_scores=min_scores)

    source_video = recorded_path(project, manifest.video)
    if source_video is None:
        raise MediaError(
            f"{manifest.video}: the project's source video is not there (manifest.video of {project})",
            hint="build the page where the video is, or put the video beside the project directory",
        )
    from evaluator.media import probe

    has_sound = probe(source_video).audio is not None
    dubbed = recorded_path(project, manifest.outputs.get("video"))
    shown = dubbed or source_video
    video = {
        "src": link(shown, out),
        "type": browser_type(shown),
        "path": str(shown),
        "what": "the dubbed episode" if dubbed else "the source video (the dubbed video is not there)",
    }

    keyed = _sources(view, project, source_video, has_sound)
    encoded = encode_audio_many([s for _, s in keyed], workers=workers, progress=progress, what="review audio")
    media = {
        key: {"src": m.data_uri(), "type": m.mime, "bytes": m.size} for (key, _), m in zip(keyed, encoded, strict=True)
    }
    for ln in view["lines"]:
        i = ln["index"]
        ln["original"] = media.get(("original", i))
        ln["dub"] = media.get(("dub", i))
        ln["render"] = file_sha256(project / ln["audio"])[:16] if ln["dub"] else None
        for c in ln["candidates"]:
            c["media"] = media.get(("candidate", i, c["key"]))

    storage = stable_hash({"project": view["name"], "lang": view["lang"], **view["inputs"]})
    data = {
        "storage_key": f"dubkit-review:{view['name']}:{storage}",
        "project": {
            "name": view["name"],
            "lang": view["lang"],
            "video": view["video"],
            "script": view["script"],
        },
        "inputs": view["inputs"],
        "verdicts": {"kind": VERDICTS_KIND, "schema_version": VERDICTS_VERSION},
        "duration": view["duration"],
        "speakers": view["speakers"],
        "flag_kinds": view["flag_kinds"],
        "video": video,
        "lines": [
            {
                "index": ln["index"],
                "speaker": ln["speaker"],
                "start": ln["start"],
                "end": ln["end"],
                "text": ln["text"],
                "placed_start": ln["fit"]["placed_start"] if ln["fit"] else None,
                "placed_end": ln["fit"]["placed_end"] if ln["fit"] else None,
                "overrun_ms": ln["fit"]["overrun_ms"] if ln["fit"] else 0,
                "flags": sorted({f["kind"] for f in ln["flags"]}),
                "render": ln["render"],
            }
            for ln in view["lines"]
        ],
    }
    preview_link = {"src": link(preview, out), "name": Path(preview).name} if preview is not None else None
    html = render_page(
        HERE / "review_page.html.j2",
        title=f"Review: {view['name']}",
        data=data,
        styles=[HERE / "review_page.css"],
        scripts=[HERE / "review_page.js"],
        ep=view,
        video=video,
        preview=preview_link,
    )
    size = write_page(out, html)
    return {
        "page": str(out),
        "project": str(project),
        "lines": len(view["lines"]),
        "flagged": view["flagged"],
        "flags": view["flag_counts"],
        "audio_players": len(encoded),
        "audio_format": AUDIO.name,
        "media_bytes": sum(m.size for m in encoded),
        "bytes": size,
        "seconds": round(time.perf_counter() - t0, 2),
        "video": {"linked": video["path"], "type": video["type"]},
        "scores": view["scores_dir"],
    }


def count_spans(project: str | os.PathLike[str]) -> int:
    """How many audio spans :func:`build_review_page` encodes for ``project`` (for a progress bar): per line
    the original and the dub, plus the candidates kept."""
    project = Path(manifest_path(project)).parent
    m = load_manifest(project)
    return sum(2 + sum(1 for c in ln.candidates if c.audio) for ln in m.lines)
