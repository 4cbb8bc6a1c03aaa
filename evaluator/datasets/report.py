"""The build report: every row a reader could not use, or used with something missing, and counts.

A reader never fails the run on one bad row: it records the row here (file, 1-based line, id when
known, reason) and goes on. ``kept=False`` entries are rows that were skipped; ``kept=True``
entries are rows that were yielded with something missing or dropped (a clip, a label, a reply
target). The corpus build adds its own entries (``stage`` other than ``read``) and writes the
whole report as ``build_report.json``.

Counts written by the readers: ``rows`` (data rows read), ``utterances`` (records yielded),
``skipped``, ``no_video``, ``no_audio``, ``text_repaired`` (text changed by the encoding repair),
``overlapping`` (starts before the previous utterance of its scene ends), ``group_speaker``,
and for M2H2 ``separator_rows`` (blank rows between scenes).

>>> r = BuildReport()
>>> r.skip("StartTime '00:0x:12,000' is not a time", file=Path("dev_sent_emo.csv"), line=7)
>>> r.to_dict()["skipped"][0]["line"], r.counts["skipped"]
(7, 1)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evaluator.datasets.record import DatasetUtterance
from evaluator.errors import DatasetError
from evaluator.fileio import write_json

SCHEMA_VERSION = 1
KIND = "dubkit.build_report"


@dataclass(frozen=True)
class ReportEntry:
    """One problem: where (file, line, id), what (reason), and whether the row was still used."""

    reason: str
    kept: bool
    file: Path | None = None
    line: int | None = None
    id: str | None = None
    stage: str = "read"

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"stage": self.stage, "reason": self.reason}
        if self.file is not None:
            d["file"] = str(self.file)
        if self.line is not None:
            d["line"] = self.line
        if self.id is not None:
            d["id"] = self.id
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any], *, kept: bool) -> ReportEntry:
        return cls(
            reason=str(d["reason"]),
            kept=kept,
            file=Path(d["file"]) if d.get("file") is not None else None,
            line=d.get("line"),
            id=d.get("id"),
            stage=str(d.get("stage", "read")),
        )


class BuildReport:
    """Entries in the order they were found, and named counts."""

    def __init__(self) -> None:
        self.entries: list[ReportEntry] = []
        self.counts: Counter[str] = Counter()

    def skip(
        self,
        reason: str,
        *,
        file: Path | None = None,
        line: int | None = None,
        id: str | None = None,
        stage: str = "read",
    ) -> None:
        """Record a row that was not used."""
        self.entries.append(ReportEntry(reason, False, file, line, id, stage))
        self.counts["skipped"] += 1

    def note(
        self,
        reason: str,
        *,
        file: Path | None = None,
        line: int | None = None,
        id: str | None = None,
        stage: str = "read",
    ) -> None:
        """Record something missing or dropped from a row that was used."""
        self.entries.append(ReportEntry(reason, True, file, line, id, stage))

    def count(self, key: str, n: int = 1) -> None:
        self.counts[key] += n

    def kept(self, utt: DatasetUtterance, notes: Sequence[str], *, text_repaired: bool, overlapping: bool) -> None:
        """Count a yielded utterance and what it lacks, and record its notes (at its file and line)."""
        self.counts["utterances"] += 1
        self.counts["no_video"] += utt.video is None
        self.counts["no_audio"] += utt.audio is None
        self.counts["group_speaker"] += utt.group_speaker
        self.counts["text_repaired"] += text_repaired
        self.counts["overlapping"] += overlapping
        for reason in notes:
            self.note(reason, file=utt.source_file, line=utt.source_line, id=utt.id)

    @property
    def skipped(self) -> list[ReportEntry]:
        return [e for e in self.entries if not e.kept]

    @property
    def notes(self) -> list[ReportEntry]:
        return [e for e in self.entries if e.kept]

    def summary(self) -> str:
        """One line for a terminal: how many rows, utterances, skipped rows and missing clips."""
        c = self.counts
        return (
            f"{c['rows']} rows: {c['utterances']} utterances, {c['skipped']} skipped, "
            f"{c['no_video']} without video, {c['no_audio']} without audio"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": KIND,
            "schema_version": SCHEMA_VERSION,
            "counts": dict(sorted(self.counts.items())),
            "skipped": [e.to_dict() for e in self.skipped],
            "notes": [e.to_dict() for e in self.notes],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> BuildReport:
        if d.get("kind") != KIND or d.get("schema_version") != SCHEMA_VERSION:
            raise DatasetError(
                f"not a build report of schema {SCHEMA_VERSION} "
                f"(kind={d.get('kind')!r}, schema_version={d.get('schema_version')!r})"
            )
        report = cls()
        report.counts.update({str(k): int(v) for k, v in d.get("counts", {}).items()})
        # skipped rows first, then notes: the order within each kind is kept
        report.entries = [ReportEntry.from_dict(e, kept=False) for e in d.get("skipped", [])]
        report.entries += [ReportEntry.from_dict(e, kept=True) for e in d.get("notes", [])]
        return report

    def write(self, path: str | Path) -> None:
        """Write the report as JSON, atomically."""
        write_json(path, self.to_dict())
