"""The on-disk vector store of a footage library: one LanceDB table, one vector column per modality.

Rows hold the clip metadata (id, paths, span, transcript, speaker, label) beside nullable
fixed-size vector columns (a clip without a face has a null ``face`` vector and is never returned
for face queries). LanceDB commits every ``add`` as a new table version, so a crash mid-build loses
nothing already committed, and readers keep querying the version they opened (or the newest, with
``refresh``) while a writer adds.

An approximate index (IVF-flat, which keeps exact distances inside the probed partitions) is built
per vector column once the table passes ``index_threshold`` rows; rows added later are searched
exactly until ``maintain`` folds them into the index.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from evaluator.errors import ConfigError, MissingDependencyError

log = logging.getLogger(__name__)

TABLE = "clips"
METRICS = {"cosine": "cosine", "dot": "dot", "euclidean": "l2"}
META_FIELDS: tuple[tuple[str, pa.DataType], ...] = (
    ("id", pa.string()),
    ("video_path", pa.string()),
    ("audio_path", pa.string()),
    ("start", pa.float64()),
    ("end", pa.float64()),
    ("text", pa.string()),
    ("speaker", pa.string()),
    ("emotion", pa.string()),
    ("source", pa.string()),
    ("key", pa.string()),
    ("video_sha256", pa.string()),
    ("audio_sha256", pa.string()),
)


def _lancedb() -> Any:
    try:
        import lancedb
    except ImportError:
        raise MissingDependencyError(
            "lancedb (the footage library's vector store)", install="pip install lancedb"
        ) from None
    return lancedb


def schema_for(dims: dict[str, int]) -> pa.Schema:
    """Arrow schema of the clips table for vector columns of the given sizes."""
    fields = [pa.field(name, kind) for name, kind in META_FIELDS]
    fields += [pa.field(vec_col(m), pa.list_(pa.float32(), int(dim)), nullable=True) for m, dim in dims.items()]
    return pa.schema(fields)


def vec_col(modality: str) -> str:
    """Name of the vector column of ``modality`` (``scene`` -> ``scene_vec``)."""
    return f"{modality}_vec"


def sql_quote(value: str) -> str:
    """Quote a string literal for a LanceDB filter."""
    return "'" + value.replace("'", "''") + "'"


@dataclass(frozen=True)
class IndexPolicy:
    """When and how the approximate index is built.

    ``threshold``: rows before an index is built (below it exact search is fast enough).
    ``rows_per_partition``: IVF partitions = rows / this. ``probe_fraction``: share of partitions
    probed per query (the recall/latency knob, measured in benchmarks/retrieval_scale.py).
    ``refold_fraction``: unindexed share that triggers folding new rows into the index.
    """

    threshold: int = 50_000
    rows_per_partition: int = 1_000
    probe_fraction: float = 0.01
    min_probes: int = 8
    refold_fraction: float = 0.1


class VectorStore:
    """A LanceDB table of clips with one nullable vector column per modality."""

    def __init__(self, path: str | os.PathLike[str], dims: dict[str, int], policy: IndexPolicy | None = None) -> None:
        self.path = Path(path)
        self.dims = dict(dims)
        self.policy = policy or IndexPolicy()
        lancedb = _lancedb()
        # interval 0: every query sees the newest committed version (readers beside a writer).
        self._db = lancedb.connect(str(self.path / "lance"), read_consistency_interval=timedelta(0))
        self._table: Any = None
        self._index_cache: tuple[int, dict[str, dict[str, Any]]] | None = None

    # -- table ---------------------------------------------------------------------------------
    @property
    def table(self) -> Any:
        if self._table is None:
            if TABLE in self._db.list_tables().tables:
                self._table = self._db.open_table(TABLE)
            else:
                self._table = self._db.create_table(TABLE, schema=schema_for(self.dims), exist_ok=True)
        return self._table

    def exists(self) -> bool:
        return TABLE in self._db.list_tables().tables

    def count(self, where: str | None = None) -> int:
        return int(self.table.count_rows(where)) if self.exists() else 0

    def ids(self) -> set[str]:
        return set(self.scan(columns=["id"]).column("id").to_pylist()) if self.exists() else set()

    def keys(self) -> set[str]:
        """The clip keys stored (see :mod:`retrieval.clip_ids`)."""
        return set(self.scan(columns=["key"]).column("key").to_pylist()) if self.exists() else set()

    def scan(
        self, where: str | None = None, columns: Sequence[str] | None = None, limit: int | None = None
    ) -> pa.Table:
        """Rows matching a filter (no vector search), all columns unless ``columns``."""
        if not self.exists():
            return pa.table({})
        q = self.table.search()
        if where:
            q = q.where(where)
        if columns is not None:
            q = q.select(list(columns))
        return q.limit(limit if limit is not None else max(self.count(), 1)).to_arrow()

    def disk_bytes(self) -> int:
        root = self.path / "lance"
        return sum(p.stat().st_size for p in root.rglob("*") if p.is_file()) if root.exists() else 0

    # -- writing -------------------------------------------------------------------------------
    def add_rows(self, meta: Sequence[dict[str, Any]], vectors: dict[str, np.ndarray | Sequence[Any]]) -> None:
        """Append rows in one commit. ``vectors[col]`` is ``(n, dim)`` float32 or a list with None entries."""
        n = len(meta)
        if n == 0:
            return
        arrays: dict[str, pa.Array] = {}
        for name, kind in META_FIELDS:
            arrays[name] = pa.array([m.get(name) for m in meta], type=kind)
        for m, dim in self.dims.items():
            arrays[vec_col(m)] = _vector_array(vectors.get(m), n, dim, m)
        self.table.add(pa.table(arrays, schema=schema_for(self.dims)))

    def add_table(self, table: pa.Table) -> None:
        """Append an Arrow table already in this store's schema (bulk loads, benchmarks)."""
        self.table.add(table)

    # -- index ---------------------------------------------------------------------------------
    def indexed_columns(self) -> dict[str, dict[str, Any]]:
        """Index details per modality that has an index."""
        out = {}
        cols = {vec_col(m): m for m in self.dims}
        for idx in self.table.list_indices():
            for col in idx.columns:
                if col in cols:
                    stats = self.table.index_stats(idx.name)
                    out[cols[col]] = {
                        "name": idx.name,
                        "type": stats.index_type,
                        "metric": stats.distance_type,
                        "indexed_rows": stats.num_indexed_rows,
                        "unindexed_rows": stats.num_unindexed_rows,
                    }
        return out

    def _index_info(self) -> dict[str, dict[str, Any]]:
        """``indexed_columns`` cached per table version (asking LanceDB costs milliseconds per query)."""
        version = self.table.version
        if self._index_cache is None or self._index_cache[0] != version:
            self._index_cache = (version, self.indexed_columns())
        return self._index_cache[1]

    def build_index(self, metric: str = "cosine", modalities: Sequence[str] | None = None) -> list[str]:
        """(Re)build the IVF-flat index of ``modalities`` (default: every vector column with data)."""
        from lancedb.index import IvfFlat

        built = []
        for m in modalities or list(self.dims):
            col = vec_col(m)
            rows = self.count(f"{col} IS NOT NULL")
            if rows < 2:
                continue
            parts = max(1, min(rows // 2, round(rows / self.policy.rows_per_partition)))
            log.info("indexing %s: %d rows, %d partitions (%s)", col, rows, parts, metric)
            self.table.create_index(
                col, config=IvfFlat(distance_type=METRICS[metric], num_partitions=parts), replace=True
            )
            built.append(m)
        return built

    def maintain(self, metric: str = "cosine", modalities: Sequence[str] | None = None) -> str | None:
        """Build the index past the threshold, or fold many new rows into it. Returns what it did."""
        total = self.count()
        indexed = self.indexed_columns()
        if not indexed:
            if total >= self.policy.threshold:
                self.build_index(metric, modalities)
                return "built"
            return None
        stale = max(s["unindexed_rows"] for s in indexed.values())
        if stale > self.policy.refold_fraction * total:
            self.table.optimize()
            return "optimized"
        return None

    def compact(self) -> None:
        """Merge the small fragments of many incremental commits (keeps old versions for readers)."""
        self.table.optimize()

    # -- searching -----------------------------------------------------------------------------
    def refresh(self) -> None:
        if self._table is not None:
            self._table.checkout_latest()

    def search(
        self,
        modality: str,
        vector: np.ndarray,
        k: int,
        *,
        metric: str = "cosine",
        where: str | None = None,
        exact: bool = False,
        columns: Sequence[str] | None = None,
    ) -> pa.Table:
        """Top-``k`` rows by ``metric`` on ``modality``'s vectors (rows whose vector is null never match)."""
        if metric not in METRICS:
            raise ConfigError(f"unknown metric {metric!r}", hint=f"choose one of: {', '.join(METRICS)}")
        if not self.exists():
            return pa.table({})
        q = self.table.search(np.asarray(vector, dtype=np.float32), vector_column_name=vec_col(modality))
        q = q.distance_type(METRICS[metric]).limit(k)
        index = self._index_info().get(modality) if not exact else None
        if index is None or index["metric"] != METRICS[metric]:
            q = q.bypass_vector_index()
        else:
            parts = max(1, math.ceil(index["indexed_rows"] / self.policy.rows_per_partition))
            q = q.nprobes(max(self.policy.min_probes, math.ceil(parts * self.policy.probe_fraction)))
        if where:
            q = q.where(where, prefilter=True)
        if columns is not None:
            q = q.select([*columns, "_distance"])
        return q.to_arrow()


def _vector_array(values: np.ndarray | Sequence[Any] | None, n: int, dim: int, col: str) -> pa.Array:
    kind = pa.list_(pa.float32(), dim)
    if values is None:
        return pa.nulls(n, type=kind)
    if isinstance(values, np.ndarray) and values.ndim == 2:
        if values.shape != (n, dim):
            raise ConfigError(f"{col} vectors have shape {values.shape}, expected ({n}, {dim})")
        flat = pa.array(np.ascontiguousarray(values, dtype=np.float32).ravel())
        return pa.FixedSizeListArray.from_arrays(flat, dim)
    mask = np.array([v is None for v in values], dtype=bool)
    filled = np.zeros((n, dim), dtype=np.float32)
    for i, v in enumerate(values):
        if v is not None:
            arr = np.asarray(v, dtype=np.float32).ravel()
            if arr.shape != (dim,):
                raise ConfigError(f"{col} vector of size {arr.size}, expected {dim}")
            filled[i] = arr
    return pa.FixedSizeListArray.from_arrays(pa.array(filled.ravel()), dim, mask=pa.array(mask))
