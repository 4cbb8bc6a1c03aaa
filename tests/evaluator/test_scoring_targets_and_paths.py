"""stretch_ratio is ranked by its distance to 1 (a spec ``target``); project outputs are found after a move."""

from __future__ import annotations

import json

import numpy as np
import pytest

from evaluator.media import write_wav
from evaluator.metrics import create_metric
from evaluator.project import Fit, Line, Manifest, save_manifest
from evaluator.scoring import resolve_input
from evaluator.scoring.compare import compare


def test_stretch_ratio_spec_has_target_one_with_log_distance():
    spec = create_metric("stretch_ratio").spec("stretch_ratio")
    assert spec.target == 1.0 and spec.target_distance == "log" and spec.to_dict()["target"] == 1.0
    assert spec.badness(1.0) == 0.0 and spec.badness(0.8) == pytest.approx(spec.badness(1.25))
    assert spec.badness(0.9) < spec.badness(1.2)
    wer = create_metric("wer").spec("wer")
    assert wer.target is None and wer.badness(0.1) < wer.badness(0.2)


def _system(d, ratios, *, with_target: bool):
    d.mkdir()
    rows = [
        json.dumps({"id": f"l{i}", "kind": "line", "metrics": {"stretch_ratio": {"value": r, "model_id": "m"}}})
        for i, r in enumerate(ratios)
    ]
    (d / "scores.jsonl").write_text("\n".join(rows) + "\n")
    spec = {"higher_is_better": False, "model_id": "dubkit-manifest-fit"}
    if with_target:
        spec |= {"target": 1.0, "target_distance": "log"}
    (d / "summary.json").write_text(json.dumps({"specs": {"stretch_ratio": spec}}))
    return d


@pytest.mark.parametrize("with_target", [True, False])  # False: a score run written before targets existed
def test_compare_marks_the_system_closest_to_the_target_best(tmp_path, with_target):
    near = [1.0, 0.98, 1.02, 1.0, 0.97, 1.03, 1.0, 1.01]
    squeezed = [0.8, 0.82, 0.85, 0.8, 0.81, 0.83, 0.8, 0.84]  # lowest mean: "best" if lower were better
    swinging = [0.8, 1.25] * 4  # mean near 1, but every line far from it
    systems = {
        "near": _system(tmp_path / "near", near, with_target=with_target),
        "squeezed": _system(tmp_path / "squeezed", squeezed, with_target=with_target),
        "swinging": _system(tmp_path / "swinging", swinging, with_target=with_target),
    }
    table = compare(systems, tmp_path / "cmp", kind="line")
    e = table["metrics"]["stretch_ratio"]
    assert e["best"] == "near" and e["target"] == 1.0
    cells = e["cells"]
    assert cells["swinging"]["distance"] == pytest.approx(np.log(1.25) / 2 + abs(np.log(0.8)) / 2)
    assert cells["near"]["distance"] < cells["squeezed"]["distance"] and cells["squeezed"]["p_vs_best"] < 0.01
    md = (tmp_path / "cmp" / "leaderboard.md").read_text()
    assert "| stretch_ratio →1 | **1.001" in md and " d=" in md
    assert "target" in (tmp_path / "cmp" / "leaderboard.csv").read_text().splitlines()[0]


def _project(root, outputs: dict[str, str]):
    project = root / "ep.dub.dubkit"
    (project / "lines").mkdir(parents=True)
    sr = 16000
    tone = (0.1 * np.sin(2 * np.pi * 220 * np.arange(sr) / sr)).astype(np.float32)
    write_wav(project / "lines" / "0001.wav", tone, sr)
    fit = Fit(1.0, 1.0, 1.0, 0.5, 1.5, 0.0, 0.0, 0.0)
    line = Line(index=1, start=0.5, end=1.5, text="hello", audio="lines/0001.wav", fit=fit, status="done")
    save_manifest(
        project, Manifest(video="/old/machine/ep.mp4", script="ep.srt", lang="en", lines=[line], outputs=outputs)
    )
    return project, tone, sr


def test_outputs_are_found_relative_to_a_moved_project(tmp_path):
    old = "/old/machine/work"  # where the project was dubbed; absent here
    project, tone, sr = _project(tmp_path, {"dub_wav": f"{old}/ep.dub.dub.wav", "video": f"{old}/ep.dub.mp4"})
    write_wav(tmp_path / "ep.dub.dub.wav", np.concatenate([tone, tone]), sr)  # moved along, beside the project
    items = resolve_input(project)
    clip, line = items
    assert clip.kind == "clip" and clip.audio_src.path == str(tmp_path / "ep.dub.dub.wav")
    assert clip.video is None  # neither the dubbed video nor the source video is here
    assert line.audio_src.path == str(project / "lines" / "0001.wav") and line.fit["ratio"] == 1.0


def test_project_relative_copy_wins_over_the_recorded_absolute_path(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    project, tone, sr = _project(tmp_path / "p", {"dub_wav": str(elsewhere / "ep.dub.dub.wav")})
    write_wav(elsewhere / "ep.dub.dub.wav", tone, sr)
    [clip, _] = resolve_input(project)
    assert clip.audio_src.path == str(elsewhere / "ep.dub.dub.wav")  # not moved: the recorded path
    write_wav(project / "ep.dub.dub.wav", tone, sr)
    [clip, _] = resolve_input(project)
    assert clip.audio_src.path == str(project / "ep.dub.dub.wav")  # a copy that travelled with the project
