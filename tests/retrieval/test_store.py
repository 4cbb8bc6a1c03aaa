"""Library storage without encoding: crash safety, concurrent readers, the automatic ANN index."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from evaluator.errors import MediaError
from retrieval import ClipSpec, FootageLibrary, QueryVectors
from retrieval.profiles import MODALITIES, OFFLINE_DIMS
from retrieval.store import IndexPolicy


def _random_items(n: int, seed: int, media: Path, start: int = 0):
    """Clips of small stand-in media files (their bytes give the clip keys) with random vectors."""
    rng = np.random.default_rng(seed)
    items = []
    for i in range(start, start + n):
        video = media / f"ep{i // 100}.mp4"
        if not video.is_file():
            video.write_bytes(f"episode {i // 100}".encode())
        clip = ClipSpec(
            id=f"s{i}", video=str(video), start=float(i), end=i + 2.0, text=f"line {i}", speaker=f"spk{i % 3}"
        )
        vecs = {m: rng.normal(size=OFFLINE_DIMS[m]).astype(np.float32) for m in MODALITIES}
        items.append((clip, vecs))
    return items


def _target(lib: FootageLibrary, vecs: dict[str, np.ndarray]) -> QueryVectors:
    return QueryVectors(vectors={m: vecs[m] for m in ("scene", "face", "text")}, encoders=lib.encoder_ids)


class _Encoded(FootageLibrary):
    """A library whose clips carry precomputed vectors (tests the build loop, not the encoders)."""

    table: dict[str, dict[str, np.ndarray]] = {}
    crash_after: int | None = None

    def encode_clip(self, clip):
        if clip.id.startswith("bad"):
            raise MediaError(f"{clip.id}.mp4: not a readable media file")
        if self.crash_after is not None and clip.id == f"s{self.crash_after}":
            raise KeyboardInterrupt
        return self.table[clip.id]


def test_a_crash_mid_build_keeps_committed_clips_and_a_rerun_adds_the_rest(tmp_path):
    items = _random_items(10, seed=1, media=tmp_path)
    lib = _Encoded.create(tmp_path / "lib")
    lib.table = {c.id: v for c, v in items}
    lib.crash_after = 6
    clips = [c for c, _ in items[:3]] + [ClipSpec(id="bad1", video="x.mp4")] + [c for c, _ in items[3:]]
    with pytest.raises(KeyboardInterrupt):
        lib.add(clips, flush_every=4)
    reopened = FootageLibrary.open(tmp_path / "lib")
    assert reopened.store.count() == 6  # s0..s5 committed (one full batch and the rest on the way out)
    report = FootageLibrary.open(tmp_path / "lib").info()["last_build"]
    assert report["added"] == 6 and report["skipped"][0]["id"] == "bad1"
    lib2 = _Encoded.open(tmp_path / "lib")
    lib2.table = lib.table
    again = lib2.add(clips)
    assert (again.added, again.present, again.total) == (4, 6, 10)
    assert [s["id"] for s in again.skipped] == ["bad1"]


def test_readers_query_while_a_writer_adds(tmp_path):
    writer = FootageLibrary.create(tmp_path / "lib")
    first = _random_items(20, seed=2, media=tmp_path)
    writer.add_encoded(first)
    reader = FootageLibrary.open(tmp_path / "lib")
    errors: list[BaseException] = []
    counts: list[int] = []

    def write() -> None:
        try:
            for b in range(10):
                writer.add_encoded(_random_items(20, seed=10 + b, media=tmp_path, start=20 + 20 * b))
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    t = threading.Thread(target=write)
    t.start()
    while t.is_alive() or len(counts) < 5:
        hits = reader.query(_target(reader, first[0][1]), k=3)
        assert hits[0].id.startswith("s0@")
        counts.append(reader.store.count())
    t.join()
    assert not errors
    assert counts == sorted(counts) and counts[-1] == 220  # readers see new commits, never a partial one


def test_ann_index_is_built_past_the_threshold_and_finds_the_nearest(tmp_path):
    lib = FootageLibrary.create(tmp_path / "lib", index_policy=IndexPolicy(threshold=400, rows_per_partition=50))
    items = _random_items(300, seed=3, media=tmp_path)
    assert lib.add_encoded(items) is None and lib.info()["index"] == {}
    more = _random_items(200, seed=4, media=tmp_path, start=300)
    assert lib.add_encoded(more) == "built"
    index = FootageLibrary.open(tmp_path / "lib").info()["index"]
    assert set(index) == {"scene", "face", "text"} and index["face"]["type"] == "IVF_FLAT"
    assert index["face"]["metric"] == "cosine"
    for clip, vecs in (items[5], more[7]):
        hits = lib.query(_target(lib, vecs), k=3)
        assert all(h.id == clip.keyed().id for h in hits if h.rank == 1)
    # dot and Euclidean are answered by exact search (the index is cosine)
    hits = lib.query(_target(lib, items[5][1]), k=1, metric="euclidean")
    assert {h.id for h in hits} == {items[5][0].keyed().id}
    # new rows after indexing are still found (searched exactly until folded into the index)
    late = _random_items(1, seed=5, media=tmp_path, start=900)
    lib.add_encoded(late)
    assert lib.query(_target(lib, late[0][1]), k=1)[0].id.startswith("s900@")
