"""``FootageLibrary``: emotion vectors of reference clips, stored on disk and searched per modality.

A library is a folder::

    LIB/library.json        kind, schema version, profile, encoder id and size of every vector
    LIB/lance/clips.lance   the LanceDB table (metadata + one vector column per modality)
    LIB/build_report.json   the last build: clips added, clips skipped with their reason

Queries carry the encoder ids of their vectors; a library refuses vectors from other encoders.
Clips are identified by a content digest of their media plus their span (:mod:`retrieval.clip_ids`);
libraries of schema 1 (ids ``STEM:cue``, which collide) are refused until migrated
(:func:`retrieval.migrate.migrate_library`).

>>> lib = FootageLibrary.create("LIB", profile="offline")          # doctest: +SKIP
>>> report = lib.add(read_dataset("clips.csv"))                    # doctest: +SKIP
>>> hits = lib.query(lib.encode_target("ep2.mp4", 10.0, 12.5, "Run!"))  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from evaluator.errors import ConfigError, DubkitError, ManifestError
from evaluator.fileio import write_json
from evaluator.project import Hit
from retrieval.clip_ids import media_digest
from retrieval.clips import ClipSpec
from retrieval.hits import QueryVectors, similarity
from retrieval.profiles import MODALITIES, QUERY_MODALITIES, make_encoders
from retrieval.store import METRICS, IndexPolicy, VectorStore, sql_quote, vec_col

log = logging.getLogger(__name__)

KIND = "dubkit.footage-library"
#: 2: clip ids ``LABEL@KEY`` with a content key (schema 1: ``STEM:cue``, which collide across folders)
SCHEMA_VERSION = 2
META_NAME = "library.json"
REPORT_NAME = "build_report.json"


@dataclass
class BuildReport:
    """What one build/add did: clips added, already present, and skipped with the reason."""

    added: int = 0
    present: int = 0
    skipped: list[dict[str, str]] = field(default_factory=list)
    seconds: float = 0.0
    index: str | None = None
    total: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class FootageLibrary:
    """A footage library folder (see the module docstring). Use :meth:`create` or :meth:`open`."""

    def __init__(self, path: str | os.PathLike[str], meta: dict[str, Any]) -> None:
        self.path = Path(path)
        self.meta = meta
        policy = IndexPolicy(**meta.get("index_policy", {}))
        self.store = VectorStore(self.path, {m: int(d) for m, d in meta["dims"].items()}, policy)

    # -- lifecycle -----------------------------------------------------------------------------
    @classmethod
    def create(
        cls,
        path: str | os.PathLike[str],
        *,
        profile: str = "offline",
        options: dict[str, Any] | None = None,
        encoders: dict[str, Any] | None = None,
        index_policy: IndexPolicy | None = None,
    ) -> FootageLibrary:
        """Create an empty library at ``path`` (or open it when it exists with the same encoders)."""
        p = Path(path)
        encs = encoders or make_encoders(profile, options)
        ids = {m: encs[m].encoder_id for m in MODALITIES}
        if (p / META_NAME).is_file():
            lib = cls.open(p)
            lib.check_encoders(ids, what=f"profile {profile!r}")
            lib.__dict__["encoders"] = encs
            return lib
        meta = {
            "kind": KIND,
            "schema_version": SCHEMA_VERSION,
            "profile": profile,
            "options": dict(options or {}),
            "encoders": ids,
            "dims": {m: int(encs[m].dim) for m in MODALITIES},
            "index_policy": asdict(index_policy or IndexPolicy()),
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        if p.exists() and any(p.iterdir()):
            raise ConfigError(f"{p}: folder exists and is not a footage library", hint="choose a new or empty folder")
        write_json(p / META_NAME, meta)
        lib = cls(p, meta)
        lib.__dict__["encoders"] = encs
        return lib

    @classmethod
    def open(cls, path: str | os.PathLike[str]) -> FootageLibrary:
        """Open an existing library; ``ManifestError`` when ``path`` is not one."""
        import json

        p = Path(path)
        mpath = p / META_NAME
        try:
            meta = json.loads(mpath.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ManifestError(
                f"{p}: not a footage library (no {META_NAME})", hint="build one with `dubkit library build`"
            ) from None
        except json.JSONDecodeError as exc:
            raise ManifestError(f"{mpath}: not valid JSON ({exc.msg})") from None
        if meta.get("kind") != KIND:
            raise ManifestError(f"{mpath}: not a footage library (kind={meta.get('kind')!r})")
        version = meta.get("schema_version")
        if version == 1:
            raise ManifestError(
                f"{p}: this library (schema 1) names clips by file name and cue, so same-named videos in different "
                "folders collide",
                hint="migrate it with `dubkit library migrate LIB` (keeps every vector, reads the clips' media "
                "once), or rebuild it",
            )
        if version != SCHEMA_VERSION:
            raise ManifestError(f"{mpath}: library schema {version} is not supported", hint="rebuild it")
        return cls(p, meta)

    @cached_property
    def encoders(self) -> dict[str, Any]:
        """The encoders of this library's profile and options (models load on first use)."""
        encs = make_encoders(self.meta["profile"], self.meta.get("options"))
        self.check_encoders({m: e.encoder_id for m, e in encs.items()}, what="this dubkit's encoders")
        return encs

    def unload(self) -> None:
        for enc in self.__dict__.get("encoders", {}).values():
            enc.unload()

    @property
    def encoder_ids(self) -> dict[str, str]:
        return dict(self.meta["encoders"])

    def check_encoders(self, ids: dict[str, str | None], *, what: str = "the query") -> None:
        """Raise ``ConfigError`` when any vector of ``ids`` comes from an encoder this library did not use."""
        for m, eid in ids.items():
            if eid is None or m not in self.meta["encoders"]:
                continue
            if eid != self.meta["encoders"][m]:
                raise ConfigError(
                    f"{self.path}: {m} vectors of {what} come from encoder {eid!r}, but this library was built with "
                    f"{self.meta['encoders'][m]!r}",
                    hint=f"query with profile {self.meta['profile']!r} or rebuild the library",
                )

    # -- encoding ------------------------------------------------------------------------------
    def encode_clip(self, clip: ClipSpec) -> dict[str, np.ndarray | None]:
        """The four vectors of a clip (None for a modality the clip has no media for, or no face)."""
        enc = self.encoders
        out: dict[str, np.ndarray | None] = dict.fromkeys(MODALITIES)
        if clip.video:
            out["scene"] = enc["scene"].encode(clip.video, clip.start, clip.end)
            out["face"] = enc["face"].encode(clip.video, clip.start, clip.end)
        if clip.text:
            out["text"] = enc["text"].encode(clip.text)
        if clip.audio_source:
            out["audio"] = enc["audio"].encode_file(clip.audio_source, clip.start, clip.end)
        return out

    def encode_target(
        self, video: str | os.PathLike[str] | None, start: float | None, end: float | None, text: str | None
    ) -> QueryVectors:
        """Query vectors of a target line: scene and face of the video span, text of the line."""
        enc = self.encoders
        vectors: dict[str, np.ndarray | None] = {}
        if video is not None:
            vectors["scene"] = enc["scene"].encode(video, start, end)
            vectors["face"] = enc["face"].encode(video, start, end)
        if text:
            vectors["text"] = enc["text"].encode(text)
        ids = {m: enc[m].encoder_id for m in vectors}
        return QueryVectors(vectors=vectors, encoders=ids)

    # -- building ------------------------------------------------------------------------------
    def add(
        self,
        clips: Iterable[ClipSpec],
        *,
        flush_every: int = 8,
        on_clip: Callable[[ClipSpec, str | None], None] | None = None,
    ) -> BuildReport:
        """Encode and add ``clips``; clips already in the library (same media content and span) are left as they are.

        A clip that cannot be read is skipped and listed in the report with its reason; the build goes
        on. Rows are committed every ``flush_every`` clips (and on any exit, including Ctrl-C), so an
        interrupted build keeps what it committed and a re-run adds only the rest. ``on_clip(clip,
        skipped_reason)`` is called after each clip (progress bars). Stored ids are ``LABEL@KEY``
        (:mod:`retrieval.clip_ids`); the report names clips by their label.
        """
        t0 = time.perf_counter()
        report = BuildReport()
        present = self.store.keys()
        pending: list[tuple[ClipSpec, dict[str, np.ndarray | None]]] = []

        def flush() -> None:
            if pending:
                self._commit(pending)
                report.added += len(pending)
                pending.clear()
                self._write_report(report)

        try:
            for clip in clips:
                reason = None
                try:
                    keyed = clip.keyed()
                    if keyed.key in present:
                        report.present += 1
                        if on_clip:
                            on_clip(clip, None)
                        continue
                    vectors = self.encode_clip(clip)
                    if all(v is None for v in vectors.values()):
                        raise ManifestError(f"{clip.id}: no media and no text to encode")
                except (DubkitError, OSError, ValueError, RuntimeError) as exc:
                    reason = f"{exc.__class__.__name__}: {exc}"
                    log.warning("skipping clip %s: %s", clip.id, reason)
                    report.skipped.append({"id": clip.id, "reason": reason})
                else:
                    present.add(keyed.key)  # type: ignore[arg-type]
                    pending.append((keyed, vectors))
                    if len(pending) >= flush_every:
                        flush()
                if on_clip:
                    on_clip(clip, reason)
        finally:
            flush()
            report.seconds = round(time.perf_counter() - t0, 3)
            self._write_report(report)
        report.index = self._finish(compact=report.added > 1)
        report.total = self.store.count()
        self._write_report(report)
        return report

    def add_encoded(self, items: Sequence[tuple[ClipSpec, dict[str, np.ndarray | None]]]) -> str | None:
        """Add clips whose vectors were computed elsewhere (same encoders), in one commit (their media is read
        for the key; clips already present are not checked here)."""
        self._commit([(clip.keyed(), vectors) for clip, vectors in items])
        return self._finish(compact=False)

    def _commit(self, items: Sequence[tuple[ClipSpec, dict[str, np.ndarray | None]]]) -> None:
        self.store.add_rows([c.meta() for c, _ in items], {m: [v.get(m) for _, v in items] for m in MODALITIES})

    def _finish(self, *, compact: bool) -> str | None:
        """Build or refresh the index when due; otherwise merge small fragments after a long add."""
        done = self.store.maintain(self.meta.get("index_metric", "cosine"), QUERY_MODALITIES)
        if done is None and compact:
            self.store.compact()
        return done

    build = add

    def _write_report(self, report: BuildReport) -> None:
        write_json(self.path / REPORT_NAME, report.to_dict())

    def build_index(self, metric: str = "cosine") -> list[str]:
        """Build the approximate index now (regardless of the size threshold)."""
        built = self.store.build_index(metric, [m for m in QUERY_MODALITIES])
        self.meta["index_metric"] = metric
        write_json(self.path / META_NAME, self.meta)
        return built

    # -- querying ------------------------------------------------------------------------------
    def query(
        self,
        target: QueryVectors,
        *,
        k: int = 3,
        metric: str = "cosine",
        speaker: str | None = None,
        same_speaker: bool = False,
        modalities: Sequence[str] = QUERY_MODALITIES,
        exclude_ids: Sequence[str] = (),
        exclude_span: tuple[str, float, float] | None = None,
        exact: bool = False,
    ) -> list[Hit]:
        """Top-``k`` clips per modality for the target's vectors (speaker-agnostic unless ``same_speaker``).

        ``exclude_span`` = (video path, start, end) drops clips of that video (matched by its content, whatever
        its path) overlapping the span (a line must not retrieve itself when the library holds its own episode).
        """
        if metric not in METRICS:
            raise ConfigError(f"unknown metric {metric!r}", hint=f"choose one of: {', '.join(METRICS)}")
        if k < 1:
            raise ConfigError(f"k must be at least 1 (got {k})", param="k")
        if same_speaker and not speaker:
            raise ConfigError("same_speaker needs the target line's speaker", hint="pass speaker", param="same_speaker")
        self.check_encoders(target.encoders)
        filters = []
        if same_speaker:
            filters.append(f"speaker = {sql_quote(speaker or '')}")
        if exclude_ids:
            filters.append("id NOT IN (" + ", ".join(sql_quote(i) for i in exclude_ids) + ")")
        if exclude_span is not None:
            v, s0, s1 = exclude_span
            span = f'COALESCE(start, 0.0) < {float(s1)} AND COALESCE("end", 1e12) > {float(s0)}'
            digest = media_digest(v)
            filters.append(f"NOT (COALESCE(video_sha256, '') = {sql_quote(digest)} AND {span})")
        where = " AND ".join(filters) or None
        hits: list[Hit] = []
        for m in modalities:
            vec = target.vectors.get(m)
            if vec is None:
                continue
            q = np.asarray(vec, dtype=np.float32)
            if q.shape != (self.store.dims[m],):
                raise ConfigError(f"{m} query vector has shape {q.shape}, the library stores {self.store.dims[m]}-d")
            rows = self.store.search(m, q, k, metric=metric, where=where, exact=exact).to_pylist()
            for rank, row in enumerate(rows, 1):
                hits.append(self._hit(m, rank, row, q, metric))
        return hits

    def _hit(self, modality: str, rank: int, row: dict[str, Any], q: np.ndarray, metric: str) -> Hit:
        audio = row.get(vec_col("audio"))
        return Hit(
            modality=modality,
            rank=rank,
            id=row["id"],
            score=similarity(q, np.asarray(row[vec_col(modality)], dtype=np.float32), metric),
            metric=metric,
            speaker=row.get("speaker") or "default",
            text=row.get("text") or "",
            video=row.get("video_path"),
            audio=row.get("audio_path") or row.get("video_path"),
            start=row.get("start"),
            end=row.get("end"),
            emotion=row.get("emotion"),
            audio_vector=None if audio is None else tuple(float(x) for x in audio),
            encoder=self.meta["encoders"][modality],
            audio_encoder=self.meta["encoders"]["audio"],
        )

    def rows(self, where: str | None = None, limit: int | None = None) -> list[dict[str, Any]]:
        """Stored rows (metadata and vectors) matching a LanceDB filter."""
        return self.store.scan(where, limit=limit).to_pylist()

    def info(self) -> dict[str, Any]:
        """Summary: clips, speakers, vector sizes and encoders, index state, disk size, last build."""
        import json

        speakers: dict[str, int] = {}
        if self.store.exists():
            for s in self.store.scan(columns=["speaker"]).column("speaker").to_pylist():
                speakers[s] = speakers.get(s, 0) + 1
        report_path = self.path / REPORT_NAME
        report = json.loads(report_path.read_text(encoding="utf-8")) if report_path.is_file() else None
        with_vec = {m: self.store.count(f"{vec_col(m)} IS NOT NULL") for m in MODALITIES} if self.store.exists() else {}
        return {
            "path": str(self.path),
            "profile": self.meta["profile"],
            "clips": self.store.count(),
            "speakers": speakers,
            "vectors": {
                m: {"dim": self.meta["dims"][m], "encoder": self.meta["encoders"][m], "clips": with_vec.get(m, 0)}
                for m in MODALITIES
            },
            "index": self.store.indexed_columns() if self.store.exists() else {},
            "index_threshold": self.store.policy.threshold,
            "disk_bytes": self.store.disk_bytes(),
            "last_build": report,
        }
