"""Batched synthesis for ``dubkit dub``: generate many lines at once, then render them one by one.

:func:`dubber.render.render_line` asks the synthesizer for a line twice: at its natural pace, then
(for backends that control length) at the duration the fitting plan chose. A backend that batches
(F5's ``synthesize_many``: lines of similar length share one sampling pass on the GPU) is wrapped in
:class:`PrefetchingSynthesizer`; ``prefetch(jobs, ...)`` makes both requests of every job in
batches, the same way ``render_line`` would make them, and keeps the results. ``render_line`` is
then called as before and each of its ``synthesize`` calls returns the kept result (once) when the
request is identical, and synthesizes it otherwise, so the output never depends on what was
prefetched, only the speed.

>>> synth = PrefetchingSynthesizer(F5Synthesizer(...))            # doctest: +SKIP
>>> synth.prefetch([LineJob(text, "en", slot, room, ref, seed, style) for ...], caps, trim_top_db)  # doctest: +SKIP
>>> render_line(synth, text, "en", ...)                           # doctest: +SKIP
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from dubber.fitting import FitCaps, plan_fit
from dubber.render import trim_silence
from dubber.synth.base import Speech, Synthesizer, VoiceReference
from evaluator.fileio import stable_hash

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LineJob:
    """One line as ``render_line`` will render it (the same text, slot, room, reference, seed, style)."""

    text: str
    lang: str
    slot: float
    room: float
    reference: VoiceReference | None
    seed: int = 0
    style: dict[str, Any] = field(default_factory=dict)


def request_key(
    text: str, lang: str, reference: VoiceReference | None, duration: float | None, seed: int, style: Any
) -> str:
    """Identity of one synthesize call (exact duration; style compared as JSON)."""
    ref = None if reference is None else [str(reference.path), reference.transcript]
    style_json = json.loads(json.dumps(style or {}, sort_keys=True, default=str))
    return stable_hash(
        {"text": text, "lang": lang, "ref": ref, "duration": duration, "seed": int(seed), "style": style_json}
    )


class PrefetchingSynthesizer(Synthesizer):
    """Wraps a synthesizer that has ``synthesize_many(requests, lang)``; see the module docstring."""

    def __init__(self, inner: Synthesizer) -> None:
        if not hasattr(inner, "synthesize_many"):
            raise TypeError(f"{inner.name} cannot synthesize lines in batches")
        self.inner = inner
        self.name = inner.name  # type: ignore[misc]
        self.controls_length = inner.controls_length
        self.clones_voice = inner.clones_voice
        self._kept: dict[str, Speech] = {}
        self.hits = 0

    @property
    def model_id(self) -> str:
        return self.inner.model_id

    def languages(self) -> list[str]:
        return self.inner.languages()

    def describe(self) -> dict[str, Any]:
        return self.inner.describe()

    def unload(self) -> None:
        self._kept.clear()
        self.inner.unload()

    def synthesize(
        self,
        text: str,
        lang: str,
        *,
        reference: VoiceReference | None = None,
        duration: float | None = None,
        seed: int = 0,
        style: dict[str, Any] | None = None,
    ) -> Speech:
        kept = self._kept.pop(request_key(text, lang, reference, duration, seed, style), None)
        if kept is not None:
            self.hits += 1
            return kept
        return self.inner.synthesize(text, lang, reference=reference, duration=duration, seed=seed, style=style)

    def _many(self, jobs: Sequence[LineJob], durations: Sequence[float | None]) -> list[Speech]:
        from dubber.synth.f5 import F5Request

        out: list[Speech | None] = [None] * len(jobs)
        for lang in sorted({j.lang for j in jobs}):
            idx = [i for i, j in enumerate(jobs) if j.lang == lang]
            reqs = [F5Request(jobs[i].text, jobs[i].reference, durations[i], jobs[i].seed, jobs[i].style) for i in idx]
            for i, speech in zip(idx, self.inner.synthesize_many(reqs, lang), strict=True):
                out[i] = speech
        return [s for s in out if s is not None]

    def prefetch(self, jobs: Sequence[LineJob], caps: FitCaps, trim_top_db: float = 40.0) -> int:
        """Generate every job's natural-pace and fitted takes in batches; returns how many were kept."""
        jobs = [j for j in jobs if j.reference is not None]
        if not jobs:
            return 0
        natural = self._many(jobs, [None] * len(jobs))
        second: list[tuple[LineJob, float]] = []
        for job, speech in zip(jobs, natural, strict=True):
            self._keep(job, None, speech)
            raw = trim_silence(speech, trim_top_db)
            plan = plan_fit(raw.duration, job.slot, job.room, caps, native=self.controls_length)
            if self.controls_length and abs(plan.ratio - 1.0) > 0.01:
                second.append((job, plan.duration))
        if second:
            fitted = self._many([j for j, _ in second], [d for _, d in second])
            for (job, duration), speech in zip(second, fitted, strict=True):
                self._keep(job, duration, speech)
        log.info("prefetched %d takes of %d lines", len(jobs) + len(second), len(jobs))
        return len(jobs) + len(second)

    def _keep(self, job: LineJob, duration: float | None, speech: Speech) -> None:
        self._kept[request_key(job.text, job.lang, job.reference, duration, job.seed, job.style)] = speech
