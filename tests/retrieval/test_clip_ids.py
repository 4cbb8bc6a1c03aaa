"""Clip ids that cannot collide: same-named videos in different folders, re-adds, schema-1 libraries."""

from __future__ import annotations

import json
import shutil

import lancedb
import numpy as np
import pyarrow as pa
import pytest
from click.testing import CliRunner

from cli.main import main
from evaluator.errors import ManifestError
from retrieval import FootageLibrary
from retrieval.migrate import migrate_library
from retrieval.profiles import MODALITIES, OFFLINE_DIMS
from retrieval.store import META_FIELDS, vec_col

SRT = """1
00:00:00,000 --> 00:00:01,400
ANNA: I'm so happy, we won!

2
00:00:01,500 --> 00:00:02,900
BEN: Get out of my house right now!
"""


def _json(result) -> dict:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture()
def episodes(clip_dir, tmp_path):
    """Two different episodes, both called video.mp4, in ep01/ and ep02/, each with its subtitles."""
    for ep, src in (("ep01", "c_happy.mp4"), ("ep02", "c_sad.mp4")):
        (tmp_path / ep).mkdir()
        shutil.copy(clip_dir / src, tmp_path / ep / "video.mp4")
        (tmp_path / ep / "video.srt").write_text(SRT, encoding="utf-8")
    return tmp_path


def _add(runner, lib, video, cmd="add"):
    args = ["library", cmd, *([str(lib), str(video)] if cmd == "add" else [str(video), "-o", str(lib)])]
    return _json(runner.invoke(main, [*args, "--subs", str(video.with_suffix(".srt")), "--json", "-q"]))


def test_same_named_videos_in_different_folders_both_go_in_and_a_re_add_is_recognised(episodes, tmp_path):
    runner = CliRunner()
    lib = tmp_path / "lib"
    assert _add(runner, lib, episodes / "ep01" / "video.mp4", "build")["added"] == 2
    second = _add(runner, lib, episodes / "ep02" / "video.mp4")
    assert (second["added"], second["present"], second["total"]) == (2, 0, 4)  # was "0 added, 2 already present"
    again = _add(runner, lib, episodes / "ep01" / "video.mp4")
    assert (again["added"], again["present"], again["total"]) == (0, 2, 4)
    # the same footage through another path is the same clips (the key is the content, not the name)
    (tmp_path / "mirror").symlink_to(episodes / "ep02")
    assert _add(runner, lib, tmp_path / "mirror" / "video.mp4")["present"] == 2
    rows = FootageLibrary.open(lib).rows()
    ids = [r["id"] for r in rows]
    assert len(set(ids)) == 4 and all(i.split("@")[0] in ("video:1", "video:2") for i in ids)
    assert {r["video_path"] for r in rows} == {str((episodes / ep / "video.mp4").resolve()) for ep in ("ep01", "ep02")}


def _old_library(path, video_rel: str, n: int = 2) -> dict:
    """A schema-1 library as dubkit wrote it before content keys: ids STEM:cue, paths as given."""
    dims = dict(OFFLINE_DIMS)
    meta = {
        "kind": "dubkit.footage-library",
        "schema_version": 1,
        "profile": "offline",
        "options": {"face_detector": "haar"},
        "encoders": {m: FootageLibrary.create(path / "probe").encoder_ids[m] for m in MODALITIES},
        "dims": dims,
        "index_policy": {},
    }
    shutil.rmtree(path / "probe")
    fields = [pa.field(name, kind) for name, kind in META_FIELDS if name not in ("key", "video_sha256", "audio_sha256")]
    fields += [pa.field(vec_col(m), pa.list_(pa.float32(), d)) for m, d in dims.items()]
    rng = np.random.default_rng(0)
    vectors = {m: rng.normal(size=(n, d)).astype(np.float32) for m, d in dims.items()}
    cols = {
        "id": [f"video:{i + 1}" for i in range(n)],
        "video_path": [video_rel] * n,
        "audio_path": [None] * n,
        "start": [0.0, 1.5][:n],
        "end": [1.4, 2.9][:n],
        "text": ["one", "two"][:n],
        "speaker": ["ANNA", "BEN"][:n],
        "emotion": [None] * n,
        "source": ["video.srt"] * n,
    }
    for m, d in dims.items():
        cols[vec_col(m)] = pa.FixedSizeListArray.from_arrays(pa.array(vectors[m].ravel()), d)
    db = lancedb.connect(str(path / "lib" / "lance"))
    db.create_table("clips", pa.table(cols, schema=pa.schema(fields)))
    (path / "lib" / "library.json").write_text(json.dumps(meta), encoding="utf-8")
    return vectors


def test_a_schema_1_library_is_refused_in_one_line_then_migrates_keeping_its_vectors(episodes, tmp_path):
    vectors = _old_library(tmp_path, "ep01/video.mp4")
    lib = tmp_path / "lib"
    runner = CliRunner()
    res = runner.invoke(main, ["library", "query", str(lib), "--text", "hello"])
    assert res.exit_code == 2 and len(res.stderr.strip().splitlines()) == 1
    assert "schema 1" in res.stderr and "dubkit library migrate" in res.stderr
    # relative paths of the old library are resolved against --base; from elsewhere the media is not found
    with pytest.raises(ManifestError, match="not found from"):
        migrate_library(lib, base=tmp_path / "ep02")
    with pytest.raises(ManifestError, match="schema 1"):
        FootageLibrary.open(lib)  # a refused migration changed nothing
    out = _json(runner.invoke(main, ["library", "migrate", str(lib), "--base", str(episodes), "--json"]))
    assert (out["from_version"], out["to_version"], out["clips"], out["media_files"]) == (1, 2, 2, 1)
    rows = {r["id"].split("@")[0]: r for r in FootageLibrary.open(lib).rows()}
    assert set(rows) == {"video:1", "video:2"}
    for i, label in enumerate(("video:1", "video:2")):
        for m in MODALITIES:
            np.testing.assert_array_equal(np.asarray(rows[label][vec_col(m)], np.float32), vectors[m][i])
    assert rows["video:1"]["video_path"] == str((episodes / "ep01" / "video.mp4").resolve())
    # after migration: the same clips from the same file are present, the other episode goes in
    assert _add(runner, lib, episodes / "ep01" / "video.mp4")["present"] == 2
    assert _add(runner, lib, episodes / "ep02" / "video.mp4")["added"] == 2
    again = runner.invoke(main, ["library", "migrate", str(lib)])
    assert again.exit_code == 0 and "nothing to do" in again.output
