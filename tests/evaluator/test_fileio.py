"""The one JSON sanitiser and atomic writes that leave the process umask alone."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import numpy as np
import pytest

from evaluator.fileio import atomic_path, json_safe, write_json, write_text


def test_json_safe_converts_numpy_tuples_paths_and_non_finite_values():
    data = {
        "f32": np.float32(0.25),
        "f64": np.float64("nan"),
        "i": np.int64(3),
        "flag": np.bool_(True),
        "arr": np.array([[1.0, np.inf], [2.0, 3.0]]),
        "tup": (1, (2.5, float("-inf"))),
        np.int64(7): "numpy key",
        "path": Path("a/b.wav"),
        "nested": [{"x": None}],
    }
    got = json_safe(data)
    text = json.dumps(got, allow_nan=False)  # strict JSON, no default= needed
    assert json.loads(text) == {
        "f32": 0.25,
        "f64": None,
        "i": 3,
        "flag": True,
        "arr": [[1.0, None], [2.0, 3.0]],
        "tup": [1, [2.5, None]],
        "7": "numpy key",
        "path": "a/b.wav",
        "nested": [{"x": None}],
    }
    assert type(got["f32"]) is float and type(got["i"]) is int and type(got["flag"]) is bool
    assert type(json_safe(np.float64(1.5))) is float


def test_json_safe_drop_none_drops_fields_not_list_positions():
    data = {"a": None, "b": float("nan"), "c": [None, np.float32("nan"), 1], "d": {"e": None, "f": 0}}
    assert json_safe(data, drop_none=True) == {"c": [None, None, 1], "d": {"f": 0}}
    assert json_safe(data)["a"] is None  # kept by default


def test_json_safe_leaves_unknown_objects_for_json_to_refuse():
    obj = object()
    assert json_safe({"o": obj})["o"] is obj


_umask = os.umask  # the real one, for the fixture (the test replaces os.umask)


@pytest.fixture
def umask_027():
    old = _umask(0o027)
    try:
        yield
    finally:
        _umask(old)


def test_atomic_write_never_touches_the_umask_and_gives_the_usual_permissions(tmp_path, monkeypatch, umask_027):
    def no_umask(_mask: int) -> int:
        raise AssertionError("atomic_path changed the process umask")

    monkeypatch.setattr(os, "umask", no_umask)
    write_text(tmp_path / "a.txt", "hello")
    write_json(tmp_path / "sub" / "b.json", {"x": 1})
    with atomic_path(tmp_path / "c.wav") as tmp:
        assert tmp.suffix == ".wav" and tmp.parent == tmp_path and tmp.name.startswith(".c.wav.")
        tmp.write_bytes(b"RIFF")
    for name in ("a.txt", "sub/b.json", "c.wav"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o640  # 0o666 less the umask 027
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "c.wav", "sub"]  # no temporary left


def test_atomic_write_onto_an_unwritable_place_is_an_output_error(tmp_path):
    from evaluator.errors import OutputError

    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OutputError, match="cannot write here"):
        write_text(blocker / "child.txt", "y")
