"""A glossary: terms a translation keeps or renders exactly as listed (names, honorifics).

The file is a UTF-8 CSV with a header ``source,target``; an empty ``target`` keeps the source term
as it is (``Prema ji`` stays ``Prema ji``). A glossary is for one target language. A term matches
whole words only, ignoring case: ``Raj`` is found in ``Raj, wait!`` but not in ``Rajesh``.

>>> g = Glossary((GlossaryTerm("Prema ji", "प्रेमा जी"), GlossaryTerm("Raj", "Raj")))
>>> [t.source for t in g.terms_in("Raj, where is Prema ji?")]
['Prema ji', 'Raj']
>>> [t.target for t in g.lost("Raj, where is Prema ji?", "राज, प्रेमा जी कहाँ है?")]
['Raj']
"""

from __future__ import annotations

import csv
import os
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from evaluator.errors import ConfigError


@dataclass(frozen=True)
class GlossaryTerm:
    source: str
    target: str

    def to_dict(self) -> dict[str, str]:
        return {"source": self.source, "target": self.target}


def _is_word_char(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "LMN"


def contains_term(text: str, term: str) -> bool:
    """Whether ``term`` occurs in ``text`` as whole words, ignoring case."""
    hay, needle = text.casefold(), term.casefold()
    start = hay.find(needle)
    while start >= 0:
        end = start + len(needle)
        before_ok = start == 0 or not _is_word_char(hay[start - 1])
        after_ok = end == len(hay) or not _is_word_char(hay[end])
        if before_ok and after_ok:
            return True
        start = hay.find(needle, start + 1)
    return False


@dataclass(frozen=True)
class Glossary:
    terms: tuple[GlossaryTerm, ...]
    path: str | None = None

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Glossary:
        """Read a ``source,target`` CSV; every problem is named with its line number."""
        p = Path(path)
        if not p.is_file():
            raise ConfigError(f"{p}: glossary not found")
        try:
            with p.open(encoding="utf-8-sig", newline="") as f:
                rows = list(csv.reader(f))
        except UnicodeDecodeError:
            raise ConfigError(f"{p}: the glossary is not UTF-8 text", hint="re-save it as UTF-8") from None
        if not rows or [c.strip().lower() for c in rows[0][:2]] != ["source", "target"]:
            raise ConfigError(f"{p}: the glossary's first line must be the header source,target")
        terms: dict[str, GlossaryTerm] = {}
        problems = []
        for n, row in enumerate(rows[1:], start=2):
            if not any(c.strip() for c in row):
                continue
            source = row[0].strip()
            target = (row[1].strip() if len(row) > 1 else "") or source
            if not source:
                problems.append(f"line {n}: empty source term")
                continue
            key = source.casefold()
            if key in terms and terms[key].target != target:
                problems.append(f"line {n}: {source!r} is listed twice with different targets")
            terms[key] = GlossaryTerm(source, target)
        if problems:
            raise ConfigError(f"{p}: " + "; ".join(problems))
        return cls(tuple(terms.values()), str(p))

    def terms_in(self, text: str) -> tuple[GlossaryTerm, ...]:
        """The terms whose source occurs in ``text``."""
        return tuple(t for t in self.terms if contains_term(text, t.source))

    def lost(self, source: str, target: str, terms: Iterable[GlossaryTerm] | None = None) -> list[GlossaryTerm]:
        """The terms of ``source`` (or the given ``terms``) whose rendering is missing from ``target``."""
        wanted = self.terms_in(source) if terms is None else tuple(terms)
        return [t for t in wanted if not contains_term(target, t.target)]
