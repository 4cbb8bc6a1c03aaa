import json

import pytest

from evaluator.errors import ConfigError, ManifestError
from evaluator.project import (
    Candidate,
    Conditions,
    Fit,
    Guidance,
    Hit,
    Line,
    Manifest,
    Plan,
    SceneReading,
    Speaker,
    Take,
    VideoSpan,
    load_manifest,
    save_manifest,
)
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
    assert raw["schema_version"] == 2 and raw["kind"] == "dubkit.project"
    assert "source_text" not in raw["lines"][0]
    back = load_manifest(tmp_path)
    assert back.lines[0].fit == fit and back.lines[0].candidates[0].chosen
    assert back.speakers["ANNA"].median_f0 == 200.0


READING = SceneReading("dialogue", 2, True, "female", "adult", "joy", 0.8, "heuristic", "m")


def test_line_record_round_trips_typed_conditions_plan_and_takes(tmp_path):
    hit = Hit(modality="face", rank=1, id="ep1:3", score=0.91, audio_vector=(0.1, 0.2))
    line = Line(
        index=7,
        start=2.0,
        end=3.5,
        text="Hi.",
        conditions=Conditions(
            reading=READING, hits=(hit,), video_span=VideoSpan("ep.mp4", 2.0, 3.5), guidance=Guidance(text=2.5)
        ),
        plan=Plan(input_hash="abc", seed=7, room=0.3, synth={"backend": "f5", "model": "m", "guidance": {"text": 2}}),
        takes=[Take(pace="natural", duration=1.2, info={"guidance": {"text": 2.5}, "frames": 112})],
        candidates=[Candidate(seed=7, guidance=Guidance(text=3.0), score=0.7, chosen=True)],
        status="done",
    )
    m = Manifest(video="v.mp4", script="s.srt", lang="en", lines=[line])
    save_manifest(tmp_path, m)
    back = load_manifest(tmp_path).lines[0]
    assert back == line
    assert back.conditions.hits[0].audio_vector == (0.1, 0.2)  # typed again, not a list
    assert back.takes[0].info["guidance"] == {"text": 2.5}  # nested backend info is kept (was dropped)
    assert back.conditions.style.emotion == "joy"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"colour": "red"}, "line 4: unknown key 'colour'"),
        ({"start": None}, "line 4: start: expected a number, got None"),
        ({"fit": {"duration": 1.0}}, "line 4: fit: missing key 'raw_duration'"),
        ({"conditions": {"reading": {"emotion": "joy"}}}, "line 4: conditions: reading: missing key"),
        ({"status": "halfway"}, "line 4: status: 'halfway' is not one of"),
        ({"takes": "x"}, "line 4: takes: expected a list"),
    ],
)
def test_a_bad_line_is_a_manifest_error_naming_it(tmp_path, change, message):
    good = Line(index=4, start=0.0, end=1.0, text="Hello.").to_dict()
    data = Manifest(video="v.mp4", script="s.srt", lang="en").to_dict()
    data["lines"] = [{**good, **change}]
    (tmp_path / "manifest.json").write_text(json.dumps(data))
    with pytest.raises(ManifestError, match=message):
        load_manifest(tmp_path)
    missing = dict(good)
    del missing["text"]
    data["lines"] = [missing]
    (tmp_path / "manifest.json").write_text(json.dumps(data))
    with pytest.raises(ManifestError, match="line 4: missing key 'text'"):
        load_manifest(tmp_path)


def test_version_1_manifest_is_upgraded(tmp_path):
    v1 = {
        "kind": "dubkit.project",
        "schema_version": 1,
        "video": "v.mp4",
        "script": "s.srt",
        "lang": "en",
        "lines": [
            {
                "index": 1,
                "start": 0.0,
                "end": 2.0,
                "text": "Hi.",
                "input_hash": "h1",
                "seed": 1,
                "synth": {"backend": "piper", "model": "m"},
                "params": {"length_scale": 1.1, "style": {"emotion": "joy"}, "voice_prompt": None},
                "scene_reading": READING.to_dict(),
                "retrieved": [{"modality": "text", "rank": 1, "id": "c1", "score": 0.5, "metric": "cosine",
                               "speaker": "A", "text": "x", "encoder": "e", "audio_encoder": "a"}],
                "audio": "lines/h1.wav",
                "fit": {"raw_duration": 1.0, "duration": 1.1, "ratio": 1.1, "placed_start": 0.0, "placed_end": 1.1,
                        "error_ms": -900.0, "borrow_ms": 0.0, "overrun_ms": 0.0},
                "candidates": [{"seed": 1, "params": {"guidance": {"text": 2.0}, "round": 0}, "score": 0.6,
                                "chosen": True}],
                "scores": {"candidate_score": 0.6, "scorer": "proxy-v1", "passed": True, "rounds": 1},
                "annotation_keys": {"scene_reading": "k1"},
                "status": "done",
            }
        ],
    }  # fmt: skip
    (tmp_path / "manifest.json").write_text(json.dumps(v1))
    line = load_manifest(tmp_path).lines[0]
    assert line.conditions.reading == READING and line.conditions.hits[0].id == "c1"
    assert line.plan.input_hash == "h1" and line.fit.ratio == 1.1 and line.audio == "lines/h1.wav"
    assert line.candidates[0].guidance == Guidance(text=2.0) and line.score.value == 0.6
    assert line.takes[0].info == {"length_scale": 1.1} and line.annotation_keys == {"scene_reading": "k1"}


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
