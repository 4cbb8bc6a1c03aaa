"""What a corpus build's workers do: build the translator and synthesizer once (:class:`CorpusBackends`), then
make one clip per task (:func:`make_clip`) and return its :class:`ClipOutcome` to the driver.

In this process the driver's own translator and synthesizer are used; on Ray each actor builds its own from
the backends' names and options (plain data, pickled to the workers), once. A clip that cannot be made is an
outcome with its reason (the same reason in this process and on Ray), not a worker failure; only a worker that
dies on a clip more often than the run retries makes it a failure of the run.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dubber.corpus.clip import build_clip
from dubber.corpus.spec import CorpusSpec
from dubber.corpus.task import ClipSkipped, ClipTask
from dubber.synth.base import Synthesizer
from dubber.translate import TranslationJob, Translator
from evaluator.corpus import CorpusRow
from evaluator.errors import DubkitError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CorpusBackends:
    """The translator and synthesizer of a build by name and options (``create_translator``,
    ``create_synthesizer``), so that every worker builds the same ones."""

    translator: str
    synth: str
    translator_options: dict[str, Any] = field(default_factory=dict)
    synth_options: dict[str, Any] = field(default_factory=dict)

    def build(self) -> tuple[Translator, Synthesizer]:
        from dubber.synth import create_synthesizer
        from dubber.translate import create_translator

        return create_translator(self.translator, **self.translator_options), create_synthesizer(
            self.synth, self.synth_options
        )


@dataclass(frozen=True)
class ClipOutcome:
    """One task's result: its row, or why it was skipped; and the seconds it took."""

    row: CorpusRow | None
    skipped: str | None
    seconds: float


def make_clip(
    state: tuple[Translator | None, Synthesizer | None],
    task: ClipTask,
    corpus_dir: Path,
    spec: CorpusSpec,
    job: TranslationJob,
) -> ClipOutcome:
    """:func:`dubber.corpus.clip.build_clip` on one task, its skip reason caught (one bad utterance never fails
    the build)."""
    translator, synth = state
    t0 = time.perf_counter()
    try:
        row = build_clip(task, corpus_dir, spec, translator=translator, job=job, synth=synth)
    except ClipSkipped as exc:
        return ClipOutcome(None, str(exc), time.perf_counter() - t0)
    except DubkitError as exc:
        return ClipOutcome(None, f"{type(exc).__name__}: {exc}", time.perf_counter() - t0)
    except Exception as exc:  # reported with the clip; the build goes on
        logger.warning("%s: failed", task.row_id, exc_info=True)
        return ClipOutcome(None, f"failed ({type(exc).__name__}: {exc})", time.perf_counter() - t0)
    return ClipOutcome(row, None, time.perf_counter() - t0)


def no_backends() -> tuple[None, None]:
    """The state of a task that makes original clips (they need no model)."""
    return None, None


def given(translator: Translator, synth: Synthesizer) -> tuple[Translator, Synthesizer]:
    """The state of the in-process run: the driver's own translator and synthesizer."""
    return translator, synth
