"""Audio-track language and title tags as containers store them.

Languages are ISO 639-2 three-letter codes.
Users and scripts give BCP 47 tags (``en``, ``pt-BR``, ``zh-Hans``); containers want ISO 639-2, and
not the same variant: MP4/MOV store ISO 639-2/T (``deu``, ``fra``, ``zho``), Matroska and WebM
ISO 639-2/B (``ger``, ``fre``, ``chi``), the form their specification names. The conversion is
langcodes' (``Language.get(tag).to_alpha3(variant=...)``), which knows every ISO 639 code offline.

Titles: Matroska and WebM have a track ``title``; MP4/MOV have none that players read except the
handler name (``hdlr``), which ffmpeg writes from ``handler_name`` and ffprobe, VLC and mpv show as the
track's name (ffmpeg 5.1 drops a ``title`` on an MP4 track).

>>> track_language("en", ".mp4"), track_language("de", ".mp4"), track_language("de", ".mkv")
('eng', 'deu', 'ger')
>>> track_language("pt-BR", ".mov"), title_key(".mp4"), title_key(".mkv")
('por', 'handler_name', 'title')
"""

from __future__ import annotations

from evaluator.errors import ConfigError

#: Matroska-family containers: ISO 639-2/B languages and a ``title`` tag (the rest are MP4/MOV: ISO 639-2/T,
#: the title in ``handler_name``)
MATROSKA_CONTAINERS = (".mkv", ".mka", ".webm")


def title_key(container: str) -> str:
    """The stream metadata key that carries a track title in a file with suffix ``container``."""
    return "title" if container.lower() in MATROSKA_CONTAINERS else "handler_name"


def track_language(tag: str, container: str) -> str:
    """The ISO 639-2 code of language ``tag`` for a file with suffix ``container`` (``.mp4``, ``.mkv``...)."""
    import langcodes

    variant = "B" if container.lower() in MATROSKA_CONTAINERS else "T"
    try:
        return str(langcodes.Language.get(tag.strip()).to_alpha3(variant=variant))
    except (LookupError, ValueError):  # langcodes' LanguageTagError is a ValueError
        raise ConfigError(
            f"language {tag!r} is not a known language tag", hint="use a BCP 47 or ISO 639 code such as en, es, pt-BR"
        ) from None
