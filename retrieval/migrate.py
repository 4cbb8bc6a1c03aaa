"""Migrating a footage library of schema 1 (ids ``STEM:cue``) to schema 2 (ids ``LABEL@KEY``).

Schema 1 named a clip by its file's stem and cue number, so ``ep01/video.mp4`` and
``ep02/video.mp4`` shared ids and the second episode was dropped as "already present". Schema 2 adds
each clip's content key (:mod:`retrieval.clip_ids`) and stores the id ``OLD_ID@KEY``; every vector
is kept (nothing is re-encoded).

How: the media of every clip is read once to compute its digest (a clip whose media cannot be found
stops the migration before anything is written: without its content the clip has no key); the rows
are copied in batches into a new table beside the old one with absolute media paths, the key and the
digests; then the new table replaces the old one and ``library.json`` says schema 2. Relative media
paths (schema 1 kept them as given) are resolved against ``base`` (default: the current directory,
so run it from the folder the library was built from). Rows with the same key (the same footage
added under two names) keep the first. An interrupted migration leaves the old library usable and is
resumed by running it again.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from evaluator.errors import DubkitError, ManifestError
from evaluator.fileio import write_json
from retrieval.clip_ids import library_id, media_digest, span_key
from retrieval.library import META_NAME, SCHEMA_VERSION, FootageLibrary
from retrieval.store import IndexPolicy, VectorStore, schema_for

log = logging.getLogger(__name__)

_NEW = ".migrating"  # the new table is written under LIB/.migrating/lance
_OLD = ".lance-schema1"  # the old table while the new one takes its place
BATCH = 4096


@dataclass
class MigrationReport:
    """What a migration did: rows kept, duplicates dropped, distinct media files read."""

    path: str
    from_version: int
    to_version: int
    clips: int = 0
    duplicates: int = 0
    media_files: int = 0

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _resolve(value: str | None, base: Path) -> str | None:
    if not value:
        return None
    p = Path(value).expanduser()
    return str((p if p.is_absolute() else base / p).resolve())


def _recover(lib: Path) -> None:
    """Put back the old table if a previous run stopped between moving it away and moving the new one in."""
    if not (lib / "lance").exists() and (lib / _OLD).exists():
        os.replace(lib / _OLD, lib / "lance")


def migrate_library(path: str | os.PathLike[str], *, base: str | os.PathLike[str] | None = None) -> MigrationReport:
    """Migrate the library at ``path`` to the current schema (see the module docstring); a no-op when current."""
    lib = Path(path)
    mpath = lib / META_NAME
    try:
        meta = json.loads(mpath.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        FootageLibrary.open(lib)  # raises the usual "not a footage library" / "not valid JSON" error
        raise
    version = meta.get("schema_version")
    report = MigrationReport(str(lib), int(version or 0), SCHEMA_VERSION)
    if version == SCHEMA_VERSION:
        report.clips = FootageLibrary.open(lib).store.count()
        return report
    if version != 1:
        raise ManifestError(f"{mpath}: library schema {version} cannot be migrated", hint="rebuild it")
    _recover(lib)
    root = Path(base) if base is not None else Path.cwd()
    dims = {m: int(d) for m, d in meta["dims"].items()}
    policy = IndexPolicy(**meta.get("index_policy", {}))
    old = VectorStore(lib, dims, policy)
    if old.exists() and "key" in old.table.schema.names:  # stopped after the swap, before library.json
        report.clips = old.count()
    else:
        _rewrite(lib, old, dims, root, report)
    meta["schema_version"] = SCHEMA_VERSION
    write_json(mpath, meta)
    shutil.rmtree(lib / _OLD, ignore_errors=True)
    migrated = FootageLibrary.open(lib)
    migrated.store.maintain(meta.get("index_metric", "cosine"))
    log.info("%s: migrated %d clips to schema %d", lib, report.clips, SCHEMA_VERSION)
    return report


def _digests(old: VectorStore, root: Path, report: MigrationReport) -> dict[str, str]:
    """sha256 of every media file the rows name (absolute path -> digest); refuses when one is missing."""
    paths: set[str] = set()
    if old.exists():
        cols = old.scan(columns=["video_path", "audio_path"])
        for col in ("video_path", "audio_path"):
            paths.update(p for p in (_resolve(v, root) for v in cols.column(col).to_pylist()) if p)
    missing = sorted(p for p in paths if not Path(p).is_file())
    if missing:
        raise ManifestError(
            f"cannot migrate: the media of {len(missing)} file(s) is not found from {root} (e.g. {missing[0]}); "
            "a clip's key is a digest of its media",
            hint="run it from the folder the library was built from (base), restore the files, or rebuild the library",
        )
    report.media_files = len(paths)
    return {p: media_digest(p) for p in sorted(paths)}


def _rewrite(lib: Path, old: VectorStore, dims: dict[str, int], root: Path, report: MigrationReport) -> None:
    digests = _digests(old, root, report)
    shutil.rmtree(lib / _NEW, ignore_errors=True)
    new = VectorStore(lib / _NEW, dims, old.policy)
    schema = schema_for(dims)
    seen: set[str] = set()
    if old.exists():
        reader = old.table.search().limit(max(old.count(), 1)).to_batches(BATCH)
        for batch in reader:
            rows = batch.to_pylist()
            keep = []
            for row in rows:
                video, audio = _resolve(row.get("video_path"), root), _resolve(row.get("audio_path"), root)
                vsha, asha = digests.get(video or ""), digests.get(audio or "")
                key = span_key(vsha, asha, row.get("start"), row.get("end"))
                if key in seen:
                    report.duplicates += 1
                    continue
                seen.add(key)
                row.update(
                    id=library_id(row["id"], key),
                    video_path=video,
                    audio_path=audio,
                    key=key,
                    video_sha256=vsha,
                    audio_sha256=asha,
                )
                keep.append(row)
            if keep:
                new.add_table(pa.Table.from_pylist(keep, schema=schema))
            report.clips += len(keep)
    if not new.exists():
        new.table  # noqa: B018 - an empty table in the new schema
    try:
        if (lib / "lance").exists():
            os.replace(lib / "lance", lib / _OLD)
        os.replace(lib / _NEW / "lance", lib / "lance")
    except OSError as exc:
        _recover(lib)
        raise DubkitError(f"{lib}: could not move the migrated table into place ({exc})") from None
    shutil.rmtree(lib / _NEW, ignore_errors=True)
