"""``dubkit review --preview``: a low-resolution preview video for reviewers who watch rather than click.

The dubbed episode (its picture and its dub mix), scaled down, with burned in: each line's target text at
the time the dub places it, the speaker's name before it, and a banner over every flagged line naming why
(:mod:`evaluator.review.flags`). Composited with moviepy (text by Pillow through ``TextClip``); written
atomically as H.264/AAC MP4. It is a review copy: the real output stays the dubber's stream-copied mux.

The default font is DejaVu Sans from matplotlib's package data (always installed, offline); it has Latin,
Greek and Cyrillic but no Indic or CJK glyphs: pass ``font`` (a .ttf/.otf file) for those scripts.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from evaluator.errors import ConfigError, MediaError
from evaluator.fileio import atomic_path

#: lines of the preview (height); frames per second
PREVIEW_HEIGHT = 360
PREVIEW_FPS = 12
#: the flag banner's background: the kit's --bad colour (white text on it: 6.9:1)
FLAG_COLOUR = (168, 32, 13)


def default_font() -> Path:
    import matplotlib

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"


def _even(x: float) -> int:
    return max(2, int(round(x / 2)) * 2)


def wrap(text: str, font: Path, size: int, width: float) -> str:
    """``text`` broken into lines at spaces so that each fits ``width`` pixels in ``font`` at ``size`` (a word
    longer than the width gets a line of its own). moviepy 2.2.1's own ``method="caption"`` breaks inside
    words when a margin is set, so the page wraps with Pillow's measurements and draws a label."""
    from PIL import ImageFont

    face = ImageFont.truetype(str(font), size)
    lines: list[str] = []
    current = ""
    for word in text.split():
        trial = f"{current} {word}" if current else word
        if current and face.getlength(trial) > width:
            lines.append(current)
            current = word
        else:
            current = trial
    return "\n".join([*lines, current] if current else lines)


def _caption(entry: dict[str, Any]) -> tuple[float, float, str]:
    """(start, end, text) of a line's subtitle: where the dub places it, its speaker's name first."""
    fit = entry["fit"]
    start, end = (fit["placed_start"], fit["placed_end"]) if fit else (entry["start"], entry["end"])
    return start, max(end, start + 0.3), f"{entry['speaker']}: {entry['text']}"


def build_preview(
    view: dict[str, Any],
    video: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    height: int = PREVIEW_HEIGHT,
    fps: float = PREVIEW_FPS,
    font: str | os.PathLike[str] | None = None,
    progress: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Write the preview of the episode ``view`` (:func:`evaluator.review.view.episode_view`) over ``video``
    (the dubbed episode) to ``out``; return its size, frames and build time."""
    from moviepy import CompositeVideoClip, TextClip, VideoFileClip

    from evaluator.media import probe

    t0 = time.perf_counter()
    font = Path(font) if font is not None else default_font()
    if not font.is_file():
        raise ConfigError(f"{font}: no such font file", hint="pass a .ttf or .otf file", param="font")
    info = probe(video)
    if info.video is None or not info.video.width or not info.video.height:
        raise MediaError(f"{video}: has no picture to preview")
    if height < 64 or fps <= 0:
        raise ConfigError(f"preview height {height} and fps {fps}: need at least 64 lines and a positive rate")
    h = _even(min(height, info.video.height))
    w = _even(info.video.width * h / info.video.height)
    size = max(10, round(h / 24))
    small = max(9, size * 4 // 5)
    room = w - 3 * size  # text width inside the margins

    def label(text: str, px: int, background: Any) -> Any:
        return TextClip(
            font=str(font), text=wrap(text, font, px, room), font_size=px, color="white", bg_color=background,
            method="label", margin=(size // 2, size // 3), text_align="center",
        )  # fmt: skip

    clip = VideoFileClip(str(video), target_resolution=(w, h))
    try:
        layers = [clip]
        for entry in view["lines"]:
            start, end, text = _caption(entry)
            if start >= clip.duration:
                continue
            end = min(end, clip.duration)
            sub = label(text, size, "black")
            layers.append(sub.with_start(start).with_end(end).with_position(("center", h - sub.h - size // 2)))
            if entry["flags"]:
                words = "; ".join(f["text"] for f in entry["flags"])
                banner = label(f"cue {entry['index']} flagged: {words}", small, FLAG_COLOUR)
                shown = (entry["start"], max(end, entry["end"]))
                layers.append(banner.with_start(shown[0]).with_end(shown[1]).with_position(("center", size // 2)))
        frames = int(clip.duration * fps)
        logger = _frame_logger(progress, frames) if progress else None
        with atomic_path(out, suffix=".mp4") as tmp:
            CompositeVideoClip(layers, size=(w, h)).write_videofile(
                str(tmp), fps=fps, codec="libx264", audio_codec="aac", audio_bitrate="64k", preset="veryfast",
                ffmpeg_params=["-crf", "30", "-pix_fmt", "yuv420p", "-movflags", "+faststart"],
                logger=logger, threads=os.cpu_count() or 1,
            )  # fmt: skip
    finally:
        clip.close()
    return {
        "preview": str(out),
        "width": w,
        "height": h,
        "fps": fps,
        "frames": frames,
        "bytes": Path(out).stat().st_size,
        "seconds": round(time.perf_counter() - t0, 2),
        "font": str(font),
    }


def _frame_logger(progress: Callable[[int], None], total: int) -> Any:
    """A proglog logger (moviepy's) that forwards its frame counter to ``progress(n)`` (frames since the last call)."""
    from proglog import ProgressBarLogger

    class FrameLogger(ProgressBarLogger):
        seen = 0

        def bars_callback(self, bar: str, attr: str, value: Any, old_value: Any = None) -> None:
            if bar == "frame_index" and attr == "index" and isinstance(value, int) and value > self.seen:
                done = min(value, total)
                progress(done - self.seen)
                self.seen = done

    return FrameLogger()


def build_project_preview(
    project: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    scores: str | os.PathLike[str] | None = None,
    min_scores: dict[str, float] | None = None,
    **options: Any,
) -> dict[str, Any]:
    """The preview of a dub project (its dubbed video, flagged as on its review page); ``options`` go to
    :func:`build_preview`."""
    from evaluator.review.view import load_review, recorded_path

    directory, manifest, view = load_review(project, scores=scores, min_scores=min_scores)
    video = recorded_path(directory, manifest.outputs.get("video"))
    if video is None:
        raise MediaError(
            f"{directory}: the dubbed video ({manifest.outputs.get('video') or 'not recorded'}) is not there",
            hint="the preview shows the dubbed episode: run `dubkit dub` to write it",
        )
    return build_preview(view, video, out, **options)
