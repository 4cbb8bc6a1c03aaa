import json

import pytest

from evaluator.errors import ConfigError, ManifestError
from evaluator.manifest import Candidate, Fit, Line, Manifest, Speaker, load_manifest, save_manifest
from evaluator.registry import Registry


def test_manifest_round_trip_drops_none_and_keeps_types(tmp_path):
    m = Manifest(video="v.mp4", script="s.srt", lang="en", speakers={"ANNA": Speaker(name="ANNA", median_f0=200.0)})
    fit = Fit(
        raw_duration=2.0,
        duration=2.2,
        ratio=1.1,
        placed_start=1.0,
        placed_end=3.2,
        error_ms=0.0,
        borrow_ms=0.0,
        overrun_ms=0.0,
    )
    m.lines.append(
        Line(
            index=1,
            start=1.0,
            end=3.2,
            text="Hi.",
            speaker="ANNA",
            fit=fit,
            candidates=[Candidate(seed=1, score=0.5, chosen=True)],
        )
    )
    save_manifest(tmp_path, m)
    raw = json.loads((tmp_path / "manifest.json").read_text())
    assert raw["schema_version"] == 1 and raw["kind"] == "dubkit.project"
    assert "source_text" not in raw["lines"][0]
    back = load_manifest(tmp_path)
    assert back.lines[0].fit == fit and back.lines[0].candidates[0].chosen
    assert back.speakers["ANNA"].median_f0 == 200.0


def test_manifest_errors(tmp_path):
    with pytest.raises(ManifestError, match="no such manifest"):
        load_manifest(tmp_path)
    (tmp_path / "manifest.json").write_text('{"kind": "dubkit.project", "schema_version": 99}')
    with pytest.raises(ManifestError, match="schema version 99"):
        load_manifest(tmp_path)
    (tmp_path / "manifest.json").write_text("{not json")
    with pytest.raises(ManifestError, match="not valid JSON"):
        load_manifest(tmp_path)


def test_registry_lazy_import_and_duplicates():
    r = Registry("thing")
    r.register("od", "collections:OrderedDict")
    assert r.get("od").__name__ == "OrderedDict"
    with pytest.raises(ValueError):
        r.register("od", dict)
    with pytest.raises(ConfigError, match="unknown thing 'xx'"):
        r.get("xx")
