"""The unit of a corpus build: one clip to make (:class:`ClipTask`), and why one was not made (:class:`ClipSkipped`).

A task is plain data (picklable): a distributed build sends it to a worker, which calls
:func:`dubber.corpus.clip.build_clip` on it.
"""

from __future__ import annotations

from dataclasses import dataclass

from evaluator.corpus import ORIGINAL_SUFFIX
from evaluator.datasets import DatasetUtterance
from evaluator.errors import DubkitError


@dataclass(frozen=True)
class ClipTask:
    """One row to make: ``kind`` ``dubbed`` (with the utterance's scene neighbours as dialogue context)
    or ``original``; ``row_id`` is the corpus row's id."""

    kind: str
    utterance: DatasetUtterance
    before: tuple[DatasetUtterance, ...] = ()
    after: tuple[DatasetUtterance, ...] = ()

    @property
    def row_id(self) -> str:
        return self.utterance.id + (ORIGINAL_SUFFIX if self.kind == "original" else "")


class ClipSkipped(DubkitError):
    """A clip that cannot be made from its utterance (no audio, no translation, a stretch out of bounds);
    the build reports the reason and goes on."""
