"""Integrated loudness by ffmpeg's ``ebur128`` filter: the independent tool the loudness tests check
dubkit's meter and mixes against (it prints LUFS to one decimal)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from evaluator.media.tools import binary, run


def ffmpeg_lufs(path: Path, spans: Sequence[tuple[float, float]] | None = None, pan: str | None = None) -> float:
    """Integrated loudness of ``path``'s first audio stream (only ``spans``, joined, when given; ``pan``
    is an ffmpeg ``pan`` filter applied first, e.g. ``stereo|c0=c0|c1=c0``)."""
    pre = f"pan={pan}," if pan else ""
    if spans:
        parts = [f"[0:a:0]atrim={s:.6f}:{e:.6f},asetpts=N/SR/TB[p{i}]" for i, (s, e) in enumerate(spans)]
        joined = "".join(f"[p{i}]" for i in range(len(spans)))
        graph = ";".join([*parts, f"{joined}concat=n={len(spans)}:v=0:a=1,{pre}ebur128[out]"])
    else:
        graph = f"[0:a:0]{pre}ebur128[out]"
    args = [binary("ffmpeg"), "-nostdin", "-hide_banner", "-nostats", "-i", str(path)]
    proc = run([*args, "-filter_complex", graph, "-map", "[out]", "-f", "null", "-"], what="ebur128")
    summary = proc.stderr.decode().rsplit("Summary:", 1)[-1]
    return float(re.search(r"I:\s+(-?[\d.]+|-inf) LUFS", summary).group(1))
