"""The instructions a VLM gets for a line, in two variants, and the JSON schema of the conclusion.

- ``cot`` (DeepDubber's chain of thought): four tagged stages, <SUMMARY>, <CAPTION>, <REASONING> with
  four numbered steps (count the people; are they talking; dialogue / narration / monologue;
  conclude), and <CONCLUSION> holding one JSON object.
- ``qa`` (plain question answering, the baseline): only the JSON object.

The same texts serve the vllm and transformers backends and the training recipe, so a fine-tuned
model sees at inference exactly the format it was trained on.
"""

from __future__ import annotations

import json
from typing import Any

from dubber.scene.labels import AGE_GROUPS, EMOTIONS, GENDERS, SCENE_TYPES

PROMPT_MODES: tuple[str, ...] = ("cot", "qa")

SYSTEM_PROMPT = (
    "You are a film dubbing assistant. You watch frames of one subtitle line of a video and decide "
    "how the line should be voiced."
)

_FIELDS = (
    f'"scene_type": one of {list(SCENE_TYPES)}; '
    '"num_people": the number of people visible (integer >= 0); '
    '"speaker_talking": true if a visible person is speaking this line, else false; '
    f'"gender": one of {list(GENDERS)} (the speaker\'s); '
    f'"age": one of {list(AGE_GROUPS)}; '
    f'"emotion": one of {list(EMOTIONS)}; '
    '"confidence": a number from 0 to 1.'
)

_DEFINITIONS = (
    "Definitions: dialogue = two or more people and the line is spoken by one of them to another; "
    "monologue = one visible person speaks to themselves or to the camera; narration = the speaker is "
    "not seen speaking (voice-over, off-screen narrator, or nobody on screen)."
)

COT_INSTRUCTION = (
    "The frames cover the line from {start:.2f} s to {end:.2f} s.{script}\n"
    f"{_DEFINITIONS}\n"
    "Answer in exactly four tagged parts, in this order and with nothing outside them:\n"
    "<SUMMARY>one sentence: what you will determine</SUMMARY>\n"
    "<CAPTION>what the frames show: people, faces, mouths, setting</CAPTION>\n"
    "<REASONING>Step 1: count the people. Step 2: tell whether the visible people are talking. "
    "Step 3: decide dialogue, narration or monologue. Step 4: conclude the speaker's gender, age and "
    "emotion.</REASONING>\n"
    "<CONCLUSION>one JSON object with the keys " + _FIELDS + "</CONCLUSION>"
)

QA_INSTRUCTION = (
    "The frames cover the line from {start:.2f} s to {end:.2f} s.{script}\n"
    f"{_DEFINITIONS}\n"
    "Answer with one JSON object and nothing else, with the keys " + _FIELDS
)


def instruction(mode: str, *, start: float, end: float, text: str | None = None) -> str:
    """The user instruction for one line (``mode`` is ``cot`` or ``qa``)."""
    from evaluator.errors import ConfigError

    if mode not in PROMPT_MODES:
        raise ConfigError(f"unknown prompt mode {mode!r}", hint="choose cot or qa")
    script = f' The line\'s text is: "{text}".' if text else ""
    template = COT_INSTRUCTION if mode == "cot" else QA_INSTRUCTION
    return template.format(start=start, end=end, script=script)


def conclusion_schema() -> dict[str, Any]:
    """JSON schema of the conclusion object (labels as enums)."""
    return {
        "type": "object",
        "properties": {
            "scene_type": {"type": "string", "enum": list(SCENE_TYPES)},
            "num_people": {"type": "integer", "minimum": 0},
            "speaker_talking": {"type": "boolean"},
            "gender": {"type": "string", "enum": list(GENDERS)},
            "age": {"type": "string", "enum": list(AGE_GROUPS)},
            "emotion": {"type": "string", "enum": list(EMOTIONS)},
            "confidence": {"type": "number", "minimum": 0, "maximum": 1},
        },
        "required": ["scene_type", "num_people", "speaker_talking", "gender", "age", "emotion", "confidence"],
        "additionalProperties": False,
    }


def response_schema(mode: str) -> dict[str, Any]:
    """JSON schema of a whole structured response.

    ``qa``: the conclusion object. ``cot``: the four stages as fields (summary, caption, reasoning as
    strings, conclusion as the object), so a server that enforces the schema still yields the CoT.
    """
    if mode == "qa":
        return conclusion_schema()
    return {
        "type": "object",
        "properties": {
            "summary": {"type": "string"},
            "caption": {"type": "string"},
            "reasoning": {"type": "string"},
            "conclusion": conclusion_schema(),
        },
        "required": ["summary", "caption", "reasoning", "conclusion"],
        "additionalProperties": False,
    }


def render_conclusion(values: dict[str, Any]) -> str:
    """The conclusion JSON text as it appears inside <CONCLUSION>."""
    return json.dumps(values, ensure_ascii=False)
