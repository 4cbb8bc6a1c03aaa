"""Lines a synthesizer cannot speak: text in a writing system its language does not use.

A voice reads the letters of its language's script (and Latin letters: names, acronyms); letters
of another script are spelled out, skipped or garbled (Japanese text given to the English piper
voice came out as a long string of noises that ran over the speaker's next line). The check is per
line, on the Unicode Script property of each letter (the ``regex`` module's ``\\p{sc=...}``),
against the scripts the line's language is written in (its likely script from CLDR, through
``langcodes``: ``ja`` -> ``Jpan`` = Han, Hiragana and Katakana). A line is refused when at least
``max(2, 10%)`` of its letters are in another script, so a stray symbol (the Greek mu of "5 μm")
passes.

>>> foreign_letters("Good morning, こんにちは!", "en")
'こんにちは'
>>> foreign_letters("नमस्ते, OK?", "hi")
''
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

from evaluator.errors import ConfigError
from evaluator.project import Line

#: composite ISO 15924 codes (CLDR's likely scripts) -> the Unicode scripts they are made of
_COMPOSITE = {"Jpan": ("Hani", "Hira", "Kana"), "Kore": ("Hang", "Hani"), "Hans": ("Hani",), "Hant": ("Hani",)}
#: scripts every language's text may contain: Latin letters, and the common/inherited marks
_ALWAYS = ("Latn", "Zyyy", "Zinh")
#: scripts named in messages (a letter of another script is named "another script")
_NAMED = [
    "Latn",
    "Cyrl",
    "Grek",
    "Arab",
    "Hebr",
    "Deva",
    "Beng",
    "Guru",
    "Gujr",
    "Orya",
    "Taml",
    "Telu",
    "Knda",
    "Mlym",
    "Sinh",
    "Thai",
    "Laoo",
    "Tibt",
    "Mymr",
    "Khmr",
    "Geor",
    "Armn",
    "Ethi",
    "Hang",
    "Hira",
    "Kana",
    "Hani",
    "Bopo",
    "Mong",
    "Thaa",
    "Syrc",
]
MIN_FOREIGN = 2
MIN_FOREIGN_SHARE = 0.1


@functools.cache
def language_scripts(lang: str) -> tuple[str, ...]:
    """The Unicode scripts (ISO 15924 codes) text in ``lang`` is written in."""
    import langcodes

    try:
        script = langcodes.Language.get(lang).maximize().script or "Latn"
    except (LookupError, ValueError):
        script = "Latn"
    return _COMPOSITE.get(script, (script,))


@functools.cache
def _patterns(lang: str):  # noqa: ANN202 - (letter, allowed) compiled regex patterns
    import regex

    allowed = "".join(f"\\p{{sc={s}}}" for s in (*_ALWAYS, *language_scripts(lang)))
    return regex.compile(r"\p{L}"), regex.compile(f"[{allowed}]")


def foreign_letters(text: str, lang: str) -> str:
    """The letters of ``text`` in scripts ``lang`` is not written in (in order)."""
    letter, allowed = _patterns(lang)
    return "".join(ch for ch in text if letter.match(ch) and not allowed.match(ch))


def script_of(ch: str) -> str:
    """The ISO 15924 code of a letter's script, for messages."""
    import regex

    return next((s for s in _NAMED if regex.match(f"\\p{{sc={s}}}", ch)), "another script")


def check_speakable(lines: Sequence[Line], lang: str, synth_name: str) -> None:
    """Refuse (ConfigError naming the cues) lines whose text is in a script ``lang`` does not use."""
    letter, _ = _patterns(lang)
    bad = []
    for line in lines:
        foreign = foreign_letters(line.text, lang)
        letters = sum(1 for ch in line.text if letter.match(ch))
        if foreign and len(foreign) >= max(MIN_FOREIGN, MIN_FOREIGN_SHARE * letters):
            scripts = ", ".join(sorted({script_of(ch) for ch in foreign}))
            bad.append(f"cue {line.index} ({scripts}: {line.text[:40]!r})")
    if bad:
        shown = "; ".join(bad[:5]) + (f"; and {len(bad) - 5} more" if len(bad) > 5 else "")
        scripts = language_scripts(lang)
        written = ", ".join(scripts) + ("" if "Latn" in scripts else " (Latin letters pass too)")
        raise ConfigError(
            f"{len(bad)} cue(s) in a writing system the {synth_name} synthesizer cannot speak in '{lang}': {shown}",
            hint=f"'{lang}' is written in {written}; translate these cues, or give their language as lang "
            "with a synthesizer that speaks it",
            param="lang",
        )
