"""Footage library at series scale: build time, disk size, top-3 latency and recall vs exact search.

Synthetic libraries (clustered vectors of the offline profile's sizes, generated and written in
chunks so memory stays flat) are stored with the library's own ``VectorStore`` and searched the way
``FootageLibrary.query`` searches (one top-3 query per query modality, speaker-agnostic, cosine).
Recall@3 compares each answer with an exact cosine top-3 computed by numpy over the same vectors.

    .venv/bin/python benchmarks/retrieval_scale.py --sizes 10000 100000 1000000 --queries 200

Prints one table row per size and modality.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

from retrieval.profiles import OFFLINE_DIMS, QUERY_MODALITIES
from retrieval.store import IndexPolicy, VectorStore, schema_for, vec_col

CENTERS = 256
CHUNK = 50_000


def _centers(dims: dict[str, int], seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {m: rng.normal(size=(CENTERS, d)).astype(np.float32) for m, d in dims.items()}


def _sample(dims: dict[str, int], centers: dict[str, np.ndarray], n: int, seed: int) -> dict[str, np.ndarray]:
    """``n`` vectors per modality: a random cluster centre plus noise (emotion vectors cluster)."""
    rng = np.random.default_rng(seed)
    out = {}
    for m, d in dims.items():
        which = rng.integers(0, CENTERS, n)
        out[m] = (centers[m][which] + 0.6 * rng.normal(size=(n, d))).astype(np.float32)
    return out


def _chunks(n: int):
    for i, start in enumerate(range(0, n, CHUNK)):
        yield i, start, min(CHUNK, n - start)


def _normalise(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def build(path: Path, n: int, dims: dict[str, int], centers: dict[str, np.ndarray], policy: IndexPolicy) -> VectorStore:
    store = VectorStore(path, dims, policy)
    schema = schema_for(dims)
    for i, start, size in _chunks(n):
        vecs = _sample(dims, centers, size, seed=1000 + i)
        ids = np.arange(start, start + size)
        cols = {
            "id": pa.array([f"clip{j}" for j in ids]),
            "video_path": pa.array([f"ep{j // 2000}.mp4" for j in ids]),
            "audio_path": pa.array([f"ep{j // 2000}.wav" for j in ids]),
            "start": pa.array((ids % 2000) * 3.0),
            "end": pa.array((ids % 2000) * 3.0 + 2.5),
            "text": pa.array(["synthetic line"] * size),
            "speaker": pa.array([f"spk{j % 40}" for j in ids]),
            "emotion": pa.nulls(size, pa.string()),
            "source": pa.array(["synthetic"] * size),
            "key": pa.array([f"{j:016x}" for j in ids]),
            "video_sha256": pa.nulls(size, pa.string()),
            "audio_sha256": pa.nulls(size, pa.string()),
        }
        for m, d in dims.items():
            cols[vec_col(m)] = pa.FixedSizeListArray.from_arrays(pa.array(vecs[m].ravel()), d)
        store.add_table(pa.table(cols, schema=schema))
    store.maintain("cosine", QUERY_MODALITIES)
    return store


def exact_top3(n: int, dims: dict[str, int], centers: dict[str, np.ndarray], queries: dict[str, np.ndarray]):
    """Exact cosine top-3 ids per query and modality, scanning the regenerated chunks."""
    best = {m: (np.full((len(q), 3), -np.inf), np.zeros((len(q), 3), dtype=np.int64)) for m, q in queries.items()}
    for i, start, size in _chunks(n):
        vecs = _sample(dims, centers, size, seed=1000 + i)
        for m, q in queries.items():
            sims = _normalise(q) @ _normalise(vecs[m]).T
            top = np.argpartition(-sims, 2, axis=1)[:, :3]
            s = np.take_along_axis(sims, top, axis=1)
            all_s = np.concatenate([best[m][0], s], axis=1)
            all_i = np.concatenate([best[m][1], top + start], axis=1)
            keep = np.argsort(-all_s, axis=1)[:, :3]
            best[m] = (np.take_along_axis(all_s, keep, axis=1), np.take_along_axis(all_i, keep, axis=1))
    return {m: b[1] for m, b in best.items()}


def run(n: int, n_queries: int, policy: IndexPolicy, root: Path) -> list[dict[str, object]]:
    dims = dict(OFFLINE_DIMS)
    centers = _centers(dims)
    path = root / f"lib{n}"
    t0 = time.perf_counter()
    store = build(path, n, dims, centers, policy)
    build_s = time.perf_counter() - t0
    disk_mb = store.disk_bytes() / 1e6
    queries = _sample({m: dims[m] for m in QUERY_MODALITIES}, centers, n_queries, seed=7)
    truth = exact_top3(n, dims, centers, queries)
    rows = []
    indexed = store.indexed_columns()
    for m in QUERY_MODALITIES:
        lat, hits = [], 0
        store.search(m, queries[m][0], 3, columns=["id"])  # warm the index cache
        for qi in range(n_queries):
            t = time.perf_counter()
            res = store.search(m, queries[m][qi], 3, columns=["id"])
            lat.append((time.perf_counter() - t) * 1000)
            got = {int(x[4:]) for x in res.column("id").to_pylist()}
            hits += len(got & set(truth[m][qi].tolist()))
        rows.append(
            {
                "entries": n,
                "modality": f"{m} ({dims[m]}-d)",
                "index": indexed.get(m, {}).get("type", "none (exact)"),
                "build_s": build_s,
                "disk_mb": disk_mb,
                "p50_ms": float(np.percentile(lat, 50)),
                "p95_ms": float(np.percentile(lat, 95)),
                "recall@3": hits / (3 * n_queries),
            }
        )
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--threshold", type=int, default=IndexPolicy.threshold)
    ap.add_argument("--probe-fraction", type=float, default=IndexPolicy.probe_fraction)
    ap.add_argument("--dir", type=Path, default=None, help="where to build (default: a temporary directory)")
    args = ap.parse_args()
    policy = IndexPolicy(threshold=args.threshold, probe_fraction=args.probe_fraction)
    root = Path(tempfile.mkdtemp(prefix="dubkit-retrieval-", dir=args.dir))
    print(f"dims {OFFLINE_DIMS}; policy {policy}; store: LanceDB IVF-flat; root {root}", flush=True)
    head = f"{'entries':>9} {'modality':<16} {'index':<14} {'build s':>8} {'disk MB':>8}"
    head += f" {'p50 ms':>7} {'p95 ms':>7} {'R@3':>6}"
    print(head, flush=True)
    try:
        for n in args.sizes:
            for r in run(n, args.queries, policy, root):
                print(
                    f"{r['entries']:>9} {r['modality']:<16} {r['index']:<14} {r['build_s']:>8.1f} {r['disk_mb']:>8.1f} "
                    f"{r['p50_ms']:>7.2f} {r['p95_ms']:>7.2f} {r['recall@3']:>6.3f}",
                    flush=True,
                )
            shutil.rmtree(root / f"lib{n}", ignore_errors=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
