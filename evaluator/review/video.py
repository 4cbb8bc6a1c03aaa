"""The episode's video on the review page: linked by path (never embedded), typed so the browser can say
whether it plays it.

A 22-minute episode is hundreds of megabytes; the page links it with a relative path and a media fragment
(``ep.mp4#t=12.5,15.1``) and the page script asks ``canPlayType`` with the type :func:`browser_type` gives:
the container's MIME type with RFC 6381 codec strings (``video/mp4; codecs="avc1.4D401E, mp4a.40.2"``) where
ffprobe reports enough to write them, else the container alone (a browser answers "maybe").

>>> avc1("High", 40), avc1("Constrained Baseline", 21)
('avc1.640028', 'avc1.42E015')
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from evaluator.media.tools import binary, run

#: container MIME type by file suffix (the types browsers answer canPlayType for)
CONTAINERS = {
    ".mp4": "video/mp4",
    ".m4v": "video/mp4",
    ".mov": "video/quicktime",
    ".webm": "video/webm",
    ".mkv": "video/x-matroska",
    ".ogv": "video/ogg",
}
#: H.264 profile_idc and constraint byte by ffprobe's profile name
AVC_PROFILES = {
    "Constrained Baseline": ("42", "E0"),
    "Baseline": ("42", "00"),
    "Main": ("4D", "40"),
    "Extended": ("58", "00"),
    "High": ("64", "00"),
    "High 10": ("6E", "00"),
    "High 4:2:2": ("7A", "00"),
    "High 4:4:4 Predictive": ("F4", "00"),
}
#: codec strings that need no profile
SIMPLE_CODECS = {"opus": "opus", "vorbis": "vorbis", "flac": "flac", "mp3": "mp4a.6B", "vp8": "vp8", "theora": "theora"}


def avc1(profile: str | None, level: int | None) -> str | None:
    """The RFC 6381 string of an H.264 stream (``avc1.PPCCLL``), or None for an unknown profile."""
    pc = AVC_PROFILES.get(profile or "")
    if pc is None or not level or level < 0:
        return None
    return f"avc1.{pc[0]}{pc[1]}{level:02X}"


def _codec(stream: dict) -> str | None:
    name = stream.get("codec_name")
    if name == "h264":
        return avc1(stream.get("profile"), stream.get("level"))
    if name == "aac":
        return {"LC": "mp4a.40.2", "HE-AAC": "mp4a.40.5", "HE-AACv2": "mp4a.40.29"}.get(stream.get("profile") or "")
    if name == "vp9":
        return "vp09.00.10.08" if stream.get("profile") in ("Profile 0", None) else None
    if name == "av1":
        return "av01.0.04M.08" if stream.get("profile") == "Main" else None
    if name == "hevc":
        return "hvc1.1.6.L93.B0" if stream.get("profile") == "Main" else None
    return SIMPLE_CODECS.get(name or "")


def browser_type(path: str | os.PathLike[str]) -> str | None:
    """The type a page declares for ``path`` (see the module docstring); None for a suffix no browser reads."""
    container = CONTAINERS.get(Path(path).suffix.lower())
    if container is None:
        return None
    proc = run([binary("ffprobe"), "-v", "error", "-show_streams", "-of", "json", str(path)], what=f"probing {path}")
    streams = [
        s for s in json.loads(proc.stdout or b"{}").get("streams", []) if s.get("codec_type") in ("video", "audio")
    ]
    codecs = [_codec(s) for s in streams]
    if not streams or any(c is None for c in codecs):
        return container
    return f'{container}; codecs="{", ".join(c for c in codecs if c)}"'


def link(target: str | os.PathLike[str], page: str | os.PathLike[str]) -> str:
    """A URL for ``target`` from the page at ``page``: relative when both are on one file system tree, so
    the page and the video can move together; else an absolute file URL."""
    t = Path(target).resolve()
    try:
        rel = os.path.relpath(t, Path(page).resolve().parent)
    except ValueError:  # another drive (Windows)
        return t.as_uri()
    from urllib.parse import quote

    return quote(Path(rel).as_posix())
