"""The listening test page: the clips ``dubkit ratings next`` picked, rated in a browser, exported as a ratings CSV.

One self-contained HTML file (``evaluator.html``): each clip is embedded (video clips as H.264/AAC MP4 with
the dub as their sound, audio-only clips as Opus/WebM). In the browser a rater enters their id; the page
draws their order from it (seeded by the page id and the rater id, so the same rater always gets the same
order and different raters different ones), shows the clips one at a time with the six rubric aspects of
``evaluator.dubscore.ratings`` on the ITU-T P.800 1-5 scale, asks for each clip to be played to the end, and
shows ``repeats`` clips a second time (from the first half of the order, placed in the second half, at least
two clips after the first showing). The answers stay in the browser (localStorage, so a rater can resume) and
download as a CSV with the columns ``Ratings.read`` reads (``COLUMNS``; repeats flagged in ``repeat``).
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from evaluator.dubscore.ratings import ASPECT_NAMES, ASPECT_QUESTIONS, ASPECTS, COLUMNS, SCALE_LABELS
from evaluator.errors import ConfigError
from evaluator.fileio import stable_hash
from evaluator.html import (
    MAX_VIDEO_HEIGHT,
    EncodedMedia,
    encode_audio_many,
    encode_many,
    encode_video,
    render_page,
    write_page,
)
from evaluator.metrics.item import ScoreItem

HERE = Path(__file__).resolve().parent
#: Repeated clips by default: a tenth of the clips, at least 2 and at most 10; none under 4 clips.
REPEAT_SHARE, MIN_REPEATS, MAX_REPEATS = 0.1, 2, 10


def default_repeats(n_clips: int) -> int:
    """How many clips each rater sees twice by default.

    >>> [default_repeats(n) for n in (3, 4, 20, 50, 300)]
    [0, 2, 2, 5, 10]
    """
    if n_clips < 4:
        return 0
    return min(MAX_REPEATS, max(MIN_REPEATS, math.ceil(REPEAT_SHARE * n_clips)))


def read_picks(path: str | os.PathLike[str]) -> list[str]:
    """Clip ids from what ``dubkit ratings next`` printed: one id per line (blank lines and ``#`` comments
    skipped), or its ``--json`` object (``{"next": [...]}``)."""
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"{p}: no such file", hint="save the ids `dubkit ratings next` prints, one per line")
    text = p.read_text(encoding="utf-8")
    if text.lstrip().startswith("{"):
        try:
            ids = json.loads(text)["next"]
        except (json.JSONDecodeError, KeyError, TypeError):
            raise ConfigError(f"{p}: not the JSON object `dubkit ratings next --json` prints") from None
    else:
        ids = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    ids = [str(i) for i in ids]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise ConfigError(f"{p}: clip id(s) listed twice: {', '.join(dup[:5])}")
    if not ids:
        raise ConfigError(f"{p}: no clip ids")
    return ids


def select(items: Sequence[ScoreItem], picks: Sequence[str] | None, where: str = "CLIPS") -> list[ScoreItem]:
    """The items named in ``picks`` (in that order), or all of them; an unknown id is an error."""
    if picks is None:
        return list(items)
    by_id = {it.id: it for it in items}
    unknown = [i for i in picks if i not in by_id]
    if unknown:
        raise ConfigError(
            f"{where}: no clip with id {', '.join(repr(u) for u in unknown[:5])}",
            hint="pick from the same clip list `dubkit score` scored",
        )
    return [by_id[i] for i in picks]


def _video(item: ScoreItem, max_height: int) -> EncodedMedia:
    """A clip with a picture: its video span with the dub as its sound (the file's own sound if the dub is it)."""
    a = item.audio_src
    own = a is None or (a.path == item.video.path and a.start == item.video.start and a.end == item.video.end)
    return encode_video(item.video, None if own else a, max_height=max_height, what=f"clip {item.id}")


def _encode(
    items: Sequence[ScoreItem], max_height: int, workers: int | None, progress: Callable[[int], None] | None
) -> list[EncodedMedia]:
    """Each clip's page media, in order: video clips one ffmpeg each, audio-only clips batched."""
    for it in items:
        if it.video is None and it.audio_src is None:
            raise ConfigError(f"clip {it.id}: no audio to play")
    vids = [i for i, it in enumerate(items) if it.video is not None]
    auds = [i for i, it in enumerate(items) if it.video is None]
    out: dict[int, EncodedMedia] = {}
    media = encode_many(lambda i: _video(items[i], max_height), vids, workers=workers, progress=progress)
    out.update(zip(vids, media, strict=True))
    srcs = [items[i].audio_src for i in auds]
    out.update(zip(auds, encode_audio_many(srcs, workers=workers, progress=progress, what="clips"), strict=True))
    return [out[i] for i in range(len(items))]


def build_rating_page(
    items: Sequence[ScoreItem],
    out: str | os.PathLike[str],
    *,
    repeats: int | None = None,
    seed: int = 0,
    title: str = "Dubbing listening test",
    max_height: int = MAX_VIDEO_HEIGHT,
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Write the listening test page for ``items`` to ``out``; return what it holds and its size."""
    if not items:
        raise ConfigError("no clips to rate")
    n = len(items)
    repeats = default_repeats(n) if repeats is None else int(repeats)
    if not 0 <= repeats <= n // 2:
        raise ConfigError(
            f"repeats={repeats}: must be between 0 and half the clips ({n // 2} of {n})",
            hint="repeated clips come from the first half of each rater's order",
        )
    t0 = time.perf_counter()
    encoded = _encode(items, max_height, workers, progress)
    clips = [
        {"id": it.id, "kind": m.format.kind, "type": m.mime, "src": m.data_uri()}
        for it, m in zip(items, encoded, strict=True)
    ]
    page_id = stable_hash({"clips": [it.id for it in items], "seed": seed, "repeats": repeats})
    data = {
        "page_id": page_id,
        "seed": seed,
        "repeats": repeats,
        "columns": list(COLUMNS),
        "aspects": [{"key": a, "name": ASPECT_NAMES[a], "question": ASPECT_QUESTIONS[a]} for a in ASPECTS],
        "clips": clips,
    }
    # the time a rater needs: each clip heard about twice and ~20 s to rate it, repeats as long as the average
    per_clip = [length * 2 + 20 for length in encode_many(_length, items, workers=workers)]
    seconds = sum(per_clip) * (1 + repeats / n)
    html = render_page(
        HERE / "rating_page.html.j2",
        title=title,
        data=data,
        styles=[HERE / "rating_page.css"],
        scripts=[HERE / "rating_page.js"],
        aspects=data["aspects"],
        scale=sorted(SCALE_LABELS.items()),
        n_clips=n,
        n_trials=n + repeats,
        repeats=repeats,
        minutes=max(1, round(seconds / 60)),
    )
    size = write_page(out, html)
    return {
        "page": str(out),
        "page_id": page_id,
        "clips": n,
        "repeats": repeats,
        "trials_per_rater": n + repeats,
        "video_clips": sum(1 for c in clips if c["kind"] == "video"),
        "media_bytes": sum(m.size for m in encoded),
        "bytes": size,
        "seconds": round(time.perf_counter() - t0, 2),
        "formats": sorted({m.format.name for m in encoded}),
    }


def _length(item: ScoreItem) -> float:
    """The clip's length in seconds (its span, else the file's: soundfile's header, else ffprobe)."""
    src = item.video or item.audio_src
    if src is None:
        return 0.0
    if src.array is not None:
        return len(src.array) / float(src.sr or 1)
    end = src.end
    if end is None:
        import soundfile as sf

        try:
            end = sf.info(str(src.path)).duration
        except sf.SoundFileError:
            from evaluator.media import probe

            end = probe(src.path).duration
    return max(0.0, end - (src.start or 0.0))
