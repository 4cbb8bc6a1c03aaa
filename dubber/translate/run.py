"""Translating lines: per episode (``translate_lines``) or one utterance at a time (``translate_line``).

For each line the backend drafts a wording; the wording is checked against the glossary (every term
of the source line rendered as listed) and against the line's length budget (``budget.py``). A
backend that can re-ask (the LLM) is sent each problem back once: a lost term is named and asked
for, a wording too long for the stretch cap is asked to be shorter (both in one re-ask when both
occur; a problem that remains after its re-ask is reported, not asked again). The better wording is
kept (fewer lost terms, then less over the budget) and the first is recorded beside it.

>>> job = TranslationJob(target_lang="hi", source_lang="en")
>>> job.target_lang, job.context_before, job.context_after
('hi', 2, 2)
"""

from __future__ import annotations

import json
import logging
import os
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from dubber.translate.base import Draft, Feedback, LineRequest, SourceLine, Translation, Translator
from dubber.translate.budget import LengthBudget, default_min_ratio
from dubber.translate.glossary import Glossary, contains_term
from dubber.translate.languages import language
from dubber.translate.speech_rate import SpeakingRate, published_rate
from evaluator.errors import ConfigError
from evaluator.fileio import stable_hash

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TranslationJob:
    """What every line of a run shares: languages, glossary, the target voice's speaking rate, the
    dubber's speed-up cap and the dialogue context window (lines before and after each line).

    ``rate``: the target voice's rate; ``speaker_rates`` overrides it per speaker; with neither, the
    published rate of ``target_lang`` (``speech_rate.PUBLISHED_RATES``), and a line of a language
    without one has no length budget. ``min_ratio``: ``None`` is the dubber's default
    (``FitCaps().min_ratio``)."""

    target_lang: str
    source_lang: str | None = None
    glossary: Glossary | None = None
    rate: SpeakingRate | None = None
    speaker_rates: Mapping[str, SpeakingRate] = field(default_factory=dict)
    min_ratio: float | None = None
    context_before: int = 2
    context_after: int = 2

    def __post_init__(self) -> None:
        object.__setattr__(self, "target_lang", language(self.target_lang, parameter="target_lang").code)
        if self.source_lang is not None:
            object.__setattr__(self, "source_lang", language(self.source_lang, parameter="source_lang").code)
        if self.min_ratio is None:
            object.__setattr__(self, "min_ratio", default_min_ratio())
        if not 0 < self.min_ratio <= 1:  # type: ignore[operator]
            raise ConfigError(f"min_ratio must be in (0, 1] (got {self.min_ratio})")
        if self.context_before < 0 or self.context_after < 0:
            raise ConfigError("context_before and context_after must be >= 0")

    def rate_for(self, line: SourceLine) -> SpeakingRate | None:
        if line.speaker is not None and line.speaker in self.speaker_rates:
            return self.speaker_rates[line.speaker]
        return self.rate or published_rate(self.target_lang)

    def budget_for(self, line: SourceLine) -> LengthBudget | None:
        rate, slot = self.rate_for(line), line.slot
        if rate is None or slot is None:
            return None
        return LengthBudget(slot=slot, rate=rate, min_ratio=float(self.min_ratio))  # type: ignore[arg-type]

    def request(
        self, line: SourceLine, before: Sequence[SourceLine] = (), after: Sequence[SourceLine] = ()
    ) -> LineRequest:
        terms = self.glossary.terms_in(line.text) if self.glossary else ()
        return LineRequest(
            line=line,
            target_lang=self.target_lang,
            source_lang=self.source_lang,
            before=tuple(before),
            after=tuple(after),
            budget=self.budget_for(line),
            terms=terms,
        )

    def requests(self, lines: Sequence[SourceLine]) -> list[LineRequest]:
        """One request per line, each with its neighbours in ``lines`` as dialogue context."""
        b, a = self.context_before, self.context_after
        return [self.request(line, lines[max(0, i - b) : i], lines[i + 1 : i + 1 + a]) for i, line in enumerate(lines)]


def translate_lines(
    lines: Sequence[SourceLine],
    translator: Translator,
    job: TranslationJob,
    *,
    progress: Callable[[], None] | None = None,
    journal: str | os.PathLike[str] | None = None,
) -> list[Translation]:
    """Translate an episode's lines (in order, context from their neighbours); one result per line.

    A line the backend could not translate is returned with ``error`` set, never dropped.
    ``journal``: a JSONL file where each finished line is appended as it finishes; lines found in it
    (same line, context, budget, glossary, backend, model and prompt version) are not asked again, so
    an interrupted run resumes. The caller deletes it once the outputs are written."""
    twice = sorted(k for k, n in Counter(line.id for line in lines).items() if n > 1)
    if twice:
        raise ConfigError(f"line ids must be unique; listed more than once: {', '.join(twice[:20])}")
    translator.check_languages(job.source_lang, job.target_lang)
    translator.prepare(lines)
    requests = job.requests(lines)
    keys = [request_key(r, translator) for r in requests]
    done = _read_journal(journal) if journal else {}
    results: list[Translation | None] = [Translation.from_dict(done[k]) if k in done else None for k in keys]
    for _ in range(sum(r is not None for r in results)):
        if progress is not None:
            progress()
    todo = [i for i, r in enumerate(results) if r is None]
    size = max(1, translator.chunk_size)
    for start in range(0, len(todo), size):
        chunk = todo[start : start + size]
        for i, t in zip(chunk, translate_requests([requests[i] for i in chunk], translator), strict=True):
            results[i] = t
            if journal and t.ok:
                _append_journal(journal, keys[i], t)
            if progress is not None:
                progress()
    return [r for r in results if r is not None]


def translate_line(
    line: SourceLine,
    translator: Translator,
    job: TranslationJob,
    *,
    before: Sequence[SourceLine] = (),
    after: Sequence[SourceLine] = (),
) -> Translation:
    """Translate one line (a corpus utterance) with the given neighbours as its dialogue context."""
    translator.check_languages(job.source_lang, job.target_lang)
    translator.prepare([line], whole=False)
    return translate_requests([job.request(line, before, after)], translator)[0]


def request_key(request: LineRequest, translator: Translator) -> str:
    """A hash of everything a line's translation depends on (what a resumed run compares)."""
    return stable_hash(
        {
            "line": asdict(request.line),
            "before": [[s.speaker, s.text] for s in request.before],
            "after": [[s.speaker, s.text] for s in request.after],
            "budget": request.budget.to_dict() if request.budget else None,
            "terms": [t.to_dict() for t in request.terms],
            "langs": [request.source_lang, request.target_lang],
            "translator": [translator.name, translator.model_id, translator.prompt_version],
        }
    )


@dataclass
class _State:
    request: LineRequest
    draft: Draft
    first: str | None = None
    revisions: list[dict[str, Any]] = field(default_factory=list)
    asked: set[str] = field(default_factory=set)
    attempts: int = 0


def feedback(request: LineRequest, text: str) -> Feedback:
    """What is wrong with ``text`` as the wording of ``request``: lost glossary terms, too long."""
    lost = tuple(t for t in request.terms if not contains_term(text, t.target))
    length = request.budget.check(text, request.target_lang) if request.budget else None
    return Feedback(lost_terms=lost, length=length if length is not None and length.fits is False else None)


def _badness(request: LineRequest, text: str) -> tuple[int, float]:
    fb = feedback(request, text)
    over = 0.0
    if fb.length is not None and fb.length.seconds is not None:
        over = fb.length.seconds - fb.length.max_seconds
    return len(fb.lost_terms), over


def translate_requests(requests: Sequence[LineRequest], translator: Translator) -> list[Translation]:
    """Draft, check, and re-ask each problem once (where the backend can): the per-line core."""
    drafts = translator.draft(requests)
    states = [_State(r, d, attempts=d.attempts) for r, d in zip(requests, drafts, strict=True)]
    if translator.can_revise:
        for _ in range(2):  # at most one re-ask per kind of problem
            items: list[tuple[_State, Feedback]] = []
            for st in states:
                if st.draft.text is None:
                    continue
                fb = feedback(st.request, st.draft.text)
                if any(reason not in st.asked for reason in fb.reasons):
                    items.append((st, fb))
            if not items:
                break
            revised = translator.revise([(st.request, st.draft, fb) for st, fb in items])
            for (st, fb), new in zip(items, revised, strict=True):
                st.asked.update(fb.reasons)
                st.attempts += new.attempts
                record: dict[str, Any] = {"reasons": fb.reasons, "wording": new.text}
                if new.error:
                    record["error"] = new.error
                st.revisions.append(record)
                if new.text is not None and _badness(st.request, new.text) <= _badness(st.request, st.draft.text):
                    st.first = st.first or st.draft.text
                    st.draft = new
    return [_result(st, translator) for st in states]


def _result(st: _State, translator: Translator) -> Translation:
    req, text = st.request, st.draft.text
    length = req.budget.check(text, req.target_lang) if (req.budget and text is not None) else None
    lost = feedback(req, text).lost_terms if text is not None else ()
    return Translation(
        id=req.line.id,
        source=req.line.text,
        target=text,
        backend=translator.name,
        model=translator.model_id,
        prompt_version=translator.prompt_version,
        target_lang=req.target_lang,
        source_lang=req.source_lang,
        start=req.line.start,
        end=req.line.end,
        speaker=req.line.speaker,
        first_wording=st.first,
        revisions=st.revisions,
        budget=req.budget,
        length=length,
        glossary_terms=[t.target for t in req.terms],
        glossary_lost=[t.target for t in lost],
        attempts=st.attempts,
        error=st.draft.error if text is None else None,
    )


def _read_journal(path: str | os.PathLike[str]) -> dict[str, dict[str, Any]]:
    p = Path(path)
    if not p.is_file():
        return {}
    done = {}
    for raw in p.read_text(encoding="utf-8").splitlines():
        try:
            entry = json.loads(raw)
            done[entry["key"]] = entry["translation"]
        except (json.JSONDecodeError, KeyError, TypeError):
            continue  # a line cut short by an interruption: that line is asked again
    return done


def _append_journal(path: str | os.PathLike[str], key: str, t: Translation) -> None:
    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps({"key": key, "translation": t.to_dict()}, ensure_ascii=False) + "\n")
        f.flush()
