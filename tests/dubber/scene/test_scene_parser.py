"""The strict parser: good responses pass, each kind of bad one is rejected with its reason."""

from __future__ import annotations

import dataclasses
import json

import pytest

from dubber.scene import SceneReading, format_ok, parse_response
from dubber.scene.parser import ResponseFormatError
from dubber.scene.prompts import instruction, response_schema
from evaluator.project import Conditions, Style

VALUES = {
    "scene_type": "dialogue",
    "num_people": 2,
    "speaker_talking": True,
    "gender": "female",
    "age": "young",
    "emotion": "joy",
    "confidence": 0.8,
}
REASONING = "Step 1: two people. Step 2: the left one talks. Step 3: dialogue. Step 4: a young woman, happy."


def response(values: dict | None = None, **parts: str) -> str:
    body = {
        "SUMMARY": "Decide the scene.",
        "CAPTION": "Two women at a table.",
        "REASONING": REASONING,
        "CONCLUSION": json.dumps(values or VALUES),
    }
    body.update(parts)
    return "\n".join(f"<{k}>{v}</{k}>" for k, v in body.items())


def test_good_cot_response() -> None:
    parsed = parse_response(response())
    assert parsed.values == VALUES
    assert parsed.caption == "Two women at a table." and parsed.reasoning == REASONING
    assert format_ok(response())


def test_good_qa_and_structured_responses() -> None:
    assert parse_response(json.dumps(VALUES), "qa").values["emotion"] == "joy"
    structured = {"summary": "s", "caption": "c", "reasoning": REASONING, "conclusion": VALUES}
    assert parse_response(json.dumps(structured), "cot").values == VALUES


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("", "empty"),
        (response().replace("<CAPTION>Two women at a table.</CAPTION>", ""), "missing_tag"),
        (response() + "<SUMMARY>again</SUMMARY>", "duplicate_tag"),
        (
            "<CAPTION>c</CAPTION><SUMMARY>s</SUMMARY><REASONING>"
            + REASONING
            + "</REASONING><CONCLUSION>"
            + json.dumps(VALUES)
            + "</CONCLUSION>",
            "tag_order",
        ),
        ("Sure! " + response(), "text_outside_tags"),
        (response(CAPTION="  "), "empty_stage"),
        (response(REASONING="They talk, so dialogue."), "missing_step"),
        (response(CONCLUSION="scene_type: dialogue"), "bad_json"),
        (response(CONCLUSION="[1, 2]"), "conclusion_not_object"),
        (response({k: v for k, v in VALUES.items() if k != "age"}), "missing_key"),
        (response({**VALUES, "mood": "ok"}), "unknown_key"),
        (response({**VALUES, "scene_type": "interview"}), "bad_label"),
        (response({**VALUES, "emotion": "happy"}), "bad_label"),
        (response({**VALUES, "num_people": -1}), "bad_value"),
        (response({**VALUES, "speaker_talking": "yes"}), "bad_value"),
        (response({**VALUES, "confidence": 1.5}), "bad_value"),
        (response() + "<THINK>x</THINK>", "unknown_tag"),
        (json.dumps({"summary": "s", "caption": "c", "conclusion": VALUES}), "bad_structure"),
    ],
)
def test_bad_responses_rejected(text: str, kind: str) -> None:
    with pytest.raises(ResponseFormatError) as info:
        parse_response(text)
    assert info.value.kind == kind
    assert not format_ok(text)


def test_qa_rejects_tagged_text() -> None:
    with pytest.raises(ResponseFormatError, match="bad_json"):
        parse_response(response(), "qa")


def test_prompts_and_schema() -> None:
    cot = instruction("cot", start=1.0, end=2.5, text="Hello there")
    assert "<REASONING>" in cot and "1.00 s to 2.50 s" in cot and "Hello there" in cot
    assert "<SUMMARY>" not in instruction("qa", start=0, end=1)
    schema = response_schema("cot")
    assert schema["properties"]["conclusion"]["properties"]["scene_type"]["enum"] == [
        "dialogue",
        "narration",
        "monologue",
    ]


def test_reading_roundtrip_and_style() -> None:
    r = SceneReading(
        scene_type="monologue",
        num_people=1,
        speaker_on_screen_talking=True,
        gender="male",
        age="senior",
        emotion="sadness",
        confidence=0.7,
        backend="heuristic",
        model="m",
        cue_index=3,
        start=1.0,
        end=2.0,
    )
    assert SceneReading.from_dict(json.loads(json.dumps(r.to_dict()))) == r
    assert Conditions(reading=r).style == Style(gender="male", age="senior", emotion="sadness")
    failed = dataclasses.replace(r, error="no answer", confidence=0.0)
    assert Conditions(reading=failed).style == Style()  # a failed reading acts on nothing
    assert r.tagged_text().index("<SUMMARY>") < r.tagged_text().index("<CONCLUSION>")


def test_transformers_backend_needs_a_model_directory(tmp_path) -> None:  # noqa: ANN001
    import numpy as np

    from dubber.scene import create_reader
    from dubber.scene.base import SceneClip
    from evaluator.errors import ModelLoadError
    from evaluator.script import Cue

    reader = create_reader("transformers", model_dir=str(tmp_path))  # constructing loads nothing
    clip = SceneClip(Cue(1, 0.0, 1.0, ""), np.zeros((1, 8, 8, 3), np.uint8), np.array([0.5]), None)
    with pytest.raises(ModelLoadError, match="no config.json"):
        reader.read(clip)
