"""The heuristic reader and ``dubkit cot`` on real media built from wheels (examples/scene_eval builder)."""

from __future__ import annotations

import csv
import importlib.util
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from dubber.scene import SCENE_READERS, format_ok, read_scenes
from dubber.scene.evaluation import format_table, load_labels
from evaluator.errors import ConfigError
from evaluator.project import Conditions, Style
from evaluator.script import Cue

BUILDER = Path(__file__).resolve().parents[3] / "examples" / "scene_eval" / "build_eval_set.py"


@pytest.fixture(scope="module")
def eval_set(tmp_path_factory: pytest.TempPathFactory) -> Path:
    spec = importlib.util.spec_from_file_location("build_eval_set", BUILDER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.build(tmp_path_factory.mktemp("scene_eval"), ["narration_china", "monologue_female", "dialogue_pair"])


@pytest.fixture(scope="module")
def reader():
    return SCENE_READERS.get("heuristic")(fps=5.0, max_frames=24)


def rows(labels: Path) -> list[dict[str, str]]:
    with labels.open() as fh:
        return list(csv.DictReader(fh))


def test_no_face_clip_is_narration(eval_set: Path, reader) -> None:  # noqa: ANN001
    row = rows(eval_set)[0]
    cue = Cue(index=1, start=float(row["start"]), end=float(row["end"]), text="")
    (r,) = read_scenes(eval_set.parent / row["video"], [cue], reader)
    assert r.scene_type == "narration" and r.num_people == 0 and not r.speaker_on_screen_talking
    assert r.gender == "male"  # piper's joe voice
    assert r.measurements["speech_ratio"] > 0.6  # voice activity found the speech
    assert r.format_ok and format_ok(r.tagged_text())
    assert r.backend == "heuristic" and "silero-vad" in r.model


def test_talking_face_and_dialogue(eval_set: Path, reader) -> None:  # noqa: ANN001
    mono, d1, d2 = rows(eval_set)[1:]
    (r,) = read_scenes(eval_set.parent / mono["video"], [Cue(1, float(mono["start"]), float(mono["end"]), "")], reader)
    assert r.scene_type == "monologue" and r.num_people == 1 and r.speaker_on_screen_talking
    assert r.gender == "female" and r.emotion == "neutral"
    assert Conditions(reading=r).style == Style(gender="female", age=r.age, emotion="neutral")
    cues = [Cue(i + 1, float(x["start"]), float(x["end"]), "") for i, x in enumerate((d1, d2))]
    readings = read_scenes(eval_set.parent / d1["video"], cues, reader)
    assert [x.num_people for x in readings] == [2, 2]
    assert [x.scene_type for x in readings] == ["dialogue", "dialogue"]
    assert [x.gender for x in readings] == ["male", "female"]
    assert "Step 1: 2 person(s)" in readings[0].reasoning


def test_eval_table_and_cli(eval_set: Path) -> None:
    from cli.main import main

    result = CliRunner().invoke(main, ["cot", "eval", str(eval_set), "--json", "-q"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output.strip().splitlines()[-1])
    assert out["n"] == 4 and out["backend"] == "heuristic"
    assert out["scene_type"]["accuracy"] == 1.0 and out["scene_type"]["recall"]["dialogue"] == 1.0
    assert out["gender"]["accuracy"] == 1.0
    assert "avg recall" in format_table(out)


def test_label_errors(tmp_path: Path, eval_set: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("video,start,end,scene_type,gender,age,emotion\nx.mp4,0,1,talkshow,male,adult,neutral\n")
    with pytest.raises(ConfigError, match=r"bad.csv:2: scene_type='talkshow'"):
        load_labels(bad)
    assert len(load_labels(eval_set)) == 4


def test_cli_read_json_and_bad_backend(eval_set: Path) -> None:
    from cli.main import main

    video = str(eval_set.parent / "narration_china.mp4")
    res = CliRunner().invoke(main, ["cot", "read", video, "--backend", "vlm"])
    assert res.exit_code == 2 and "unknown scene reader 'vlm'" in res.output
    res = CliRunner().invoke(main, ["cot", "read", video, "--backend", "vllm"])
    assert res.exit_code == 2 and "--cot-url" in res.output
