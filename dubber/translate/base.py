"""The translator interface, the line it reads and the per-line result it gives.

A backend (registered in ``dubber.translate.TRANSLATORS``) fills in ``draft`` (a first wording per
line) and, where it can re-ask, ``revise`` (a second wording after feedback: a lost glossary term, a
wording too long for its slot). Everything around it, the checks and the one-revision loop, is
``dubber.translate.run``.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from dubber.translate.budget import LengthBudget, LengthCheck
from dubber.translate.glossary import GlossaryTerm


@dataclass(frozen=True)
class SourceLine:
    """One line to translate: its id (cue number or dataset id), text, slot and what is known of
    its speaker and delivery. Attributes may come from a scene reading, a dataset label or the script;
    ``None`` is unknown."""

    id: str
    text: str
    start: float | None = None
    end: float | None = None
    speaker: str | None = None
    gender: str | None = None
    age: str | None = None
    emotion: str | None = None

    @property
    def slot(self) -> float | None:
        if self.start is None or self.end is None or self.end <= self.start:
            return None
        return self.end - self.start


@dataclass(frozen=True)
class LineRequest:
    """What a backend is asked for one line: the line, its dialogue context, its length budget and the
    glossary terms it contains, in ``source_lang`` -> ``target_lang``."""

    line: SourceLine
    target_lang: str
    source_lang: str | None = None
    before: tuple[SourceLine, ...] = ()
    after: tuple[SourceLine, ...] = ()
    budget: LengthBudget | None = None
    terms: tuple[GlossaryTerm, ...] = ()


@dataclass(frozen=True)
class Draft:
    """A backend's wording of one line, or why there is none (``error``)."""

    text: str | None
    attempts: int = 1
    error: str | None = None


@dataclass(frozen=True)
class Feedback:
    """Why a wording is sent back: glossary terms it lost, and/or its length over the budget."""

    lost_terms: tuple[GlossaryTerm, ...] = ()
    length: LengthCheck | None = None  # set when the wording is too long

    @property
    def reasons(self) -> list[str]:
        return (["glossary"] if self.lost_terms else []) + (["length"] if self.length is not None else [])


@dataclass
class Translation:
    """The result for one line, as the sidecar records it (``to_dict`` drops unset fields)."""

    id: str
    source: str
    target: str | None
    backend: str
    model: str
    prompt_version: str | None
    target_lang: str
    source_lang: str | None = None
    start: float | None = None
    end: float | None = None
    speaker: str | None = None
    first_wording: str | None = None  # the first answer, when a revision replaced it
    revisions: list[dict[str, Any]] = field(default_factory=list)  # every re-ask: reasons and wording
    budget: LengthBudget | None = None
    length: LengthCheck | None = None
    glossary_terms: list[str] = field(default_factory=list)
    glossary_lost: list[str] = field(default_factory=list)
    attempts: int = 1
    error: str | None = None
    edited_from: str | None = None  # the machine translation a person replaced by hand (``target`` is theirs)

    @property
    def ok(self) -> bool:
        return self.target is not None and self.error is None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "id": self.id,
            "source": self.source,
            "target": self.target,
            "first_wording": self.first_wording,
            "revisions": self.revisions or None,
            "start": self.start,
            "end": self.end,
            "speaker": self.speaker,
            "budget": self.budget.to_dict() if self.budget else None,
            "length": self.length.to_dict() if self.length else None,
            "glossary": {"terms": self.glossary_terms, "lost": self.glossary_lost} if self.glossary_terms else None,
            "backend": self.backend,
            "model": self.model,
            "prompt_version": self.prompt_version,
            "source_lang": self.source_lang,
            "target_lang": self.target_lang,
            "attempts": self.attempts,
            "error": self.error,
            "edited_from": self.edited_from,
        }
        return {k: v for k, v in d.items() if v is not None}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Translation:
        """The inverse of ``to_dict`` (a journal entry, a sidecar line)."""
        glossary = d.get("glossary") or {}
        return cls(
            id=str(d["id"]),
            source=d["source"],
            target=d.get("target"),
            backend=d["backend"],
            model=d["model"],
            prompt_version=d.get("prompt_version"),
            target_lang=d["target_lang"],
            source_lang=d.get("source_lang"),
            start=d.get("start"),
            end=d.get("end"),
            speaker=d.get("speaker"),
            first_wording=d.get("first_wording"),
            revisions=list(d.get("revisions") or []),
            budget=LengthBudget.from_dict(d["budget"]) if d.get("budget") else None,
            length=LengthCheck.from_dict(d["length"]) if d.get("length") else None,
            glossary_terms=list(glossary.get("terms", [])),
            glossary_lost=list(glossary.get("lost", [])),
            attempts=int(d.get("attempts", 1)),
            error=d.get("error"),
            edited_from=d.get("edited_from"),
        )


class Translator(abc.ABC):
    """Base class of the translation backends.

    ``uses_context``: the backend reads the dialogue context and speaker attributes (only an LLM
    does). ``can_revise``: ``revise`` re-asks with feedback. ``chunk_size``: lines handed to ``draft``
    at once (the driver journals each chunk as it finishes, so a long run resumes).
    """

    name: str = ""
    prompt_version: str | None = None
    uses_context: bool = False
    can_revise: bool = False
    chunk_size: int = 32

    @property
    @abc.abstractmethod
    def model_id(self) -> str:
        """Identifies the model (and version, or the table file) the wordings come from."""

    def check_languages(self, source_lang: str | None, target_lang: str) -> None:  # noqa: B027 - optional hook
        """Raise ``ConfigError`` when this backend cannot translate ``source_lang`` -> ``target_lang``."""

    def prepare(self, lines: Sequence[SourceLine], *, whole: bool = True) -> None:  # noqa: B027 - optional hook
        """See the lines before the first ``draft`` (a table checks that it covers them all).
        ``whole``: these are all the lines of the run (not one utterance of a corpus)."""

    @abc.abstractmethod
    def draft(self, requests: Sequence[LineRequest]) -> list[Draft]:
        """One wording per request, in order."""

    def revise(self, items: Sequence[tuple[LineRequest, Draft, Feedback]]) -> list[Draft]:
        """A second wording per (request, first draft, feedback); only where ``can_revise``."""
        raise NotImplementedError(f"the {self.name} translator cannot revise a wording")

    def unload(self) -> None:  # noqa: B027 - optional hook
        """Free loaded models."""
