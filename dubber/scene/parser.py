"""Strict parsing of a VLM's scene-reading response.

A CoT response must hold the four tags, once each, in order, non-empty, with nothing but whitespace
outside them; <REASONING> must contain its four steps; <CONCLUSION> must be one JSON object whose
values are in the label sets. A QA response must be that JSON object alone. A structured (JSON
schema) response may instead be one JSON object with the stages as fields. ``parse_response``
raises ``ResponseFormatError`` naming the first problem (its ``kind`` says which rule failed), so
the caller can retry and finally report; ``format_ok`` is the yes/no form (the format reward).

>>> ok = ('<SUMMARY>s</SUMMARY><CAPTION>c</CAPTION><REASONING>Step 1: 1. Step 2: yes. Step 3: '
...       'monologue. Step 4: done.</REASONING><CONCLUSION>{"scene_type": "monologue", "num_people": 1, '
...       '"speaker_talking": true, "gender": "male", "age": "adult", "emotion": "neutral", '
...       '"confidence": 0.9}</CONCLUSION>')
>>> parse_response(ok).values["scene_type"]
'monologue'
>>> format_ok("<SUMMARY>s</SUMMARY>")
False
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from dubber.scene.labels import LABEL_SETS
from dubber.scene.prompts import PROMPT_MODES
from evaluator.errors import DubkitError
from evaluator.project.conditions import TAGS

_TAG = re.compile(r"<(/?)([A-Za-z_]+)>")
_STEP = re.compile(r"step\s*([1-4])\b", re.IGNORECASE)
_KEYS = ("scene_type", "num_people", "speaker_talking", "gender", "age", "emotion", "confidence")
_LABEL_KEY = {"scene_type": "scene_type", "gender": "gender", "age": "age", "emotion": "emotion"}


class ResponseFormatError(DubkitError):
    """A model response broke the format. ``kind`` names the rule (e.g. ``missing_tag``)."""

    user_error = False

    def __init__(self, kind: str, message: str) -> None:
        self.kind = kind
        super().__init__(f"{kind}: {message}")


@dataclass(frozen=True)
class ParsedResponse:
    """The four stage texts and the validated conclusion values."""

    summary: str
    caption: str
    reasoning: str
    conclusion: str
    values: dict[str, Any]


def validate_conclusion(values: Any) -> dict[str, Any]:
    """Check the conclusion object: exact keys, types, labels in their sets. Returns a clean copy."""
    if not isinstance(values, dict):
        raise ResponseFormatError("conclusion_not_object", f"expected a JSON object, got {type(values).__name__}")
    missing = [k for k in _KEYS if k not in values]
    if missing:
        raise ResponseFormatError("missing_key", f"conclusion lacks {', '.join(missing)}")
    extra = sorted(set(values) - set(_KEYS))
    if extra:
        raise ResponseFormatError("unknown_key", f"conclusion has unknown key(s) {', '.join(extra)}")
    for key, label_set in _LABEL_KEY.items():
        if values[key] not in LABEL_SETS[label_set]:
            allowed = ", ".join(LABEL_SETS[label_set])
            raise ResponseFormatError("bad_label", f"{key}={values[key]!r} is not one of {allowed}")
    n = values["num_people"]
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ResponseFormatError("bad_value", f"num_people={n!r} is not an integer >= 0")
    if not isinstance(values["speaker_talking"], bool):
        raise ResponseFormatError("bad_value", f"speaker_talking={values['speaker_talking']!r} is not true/false")
    c = values["confidence"]
    if isinstance(c, bool) or not isinstance(c, (int, float)) or not 0.0 <= float(c) <= 1.0:
        raise ResponseFormatError("bad_value", f"confidence={c!r} is not a number in [0, 1]")
    clean = {k: values[k] for k in _KEYS}
    clean["confidence"] = float(c)
    return clean


def _json_object(text: str, where: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ResponseFormatError("bad_json", f"{where} is not valid JSON ({exc.msg} at char {exc.pos})") from None


def _parse_tagged(text: str, *, require_steps: bool) -> ParsedResponse:
    found = [(m.group(1) == "/", m.group(2), m.start(), m.end()) for m in _TAG.finditer(text)]
    known = [f for f in found if f[1] in TAGS]
    unknown = sorted({f[1] for f in found if f[1] not in TAGS})
    if unknown:
        raise ResponseFormatError("unknown_tag", f"unexpected tag(s) {', '.join(unknown)}")
    opened = [name for closing, name, _, _ in known if not closing]
    for tag in TAGS:
        count = opened.count(tag)
        if count == 0:
            raise ResponseFormatError("missing_tag", f"<{tag}> is missing")
        if count > 1:
            raise ResponseFormatError("duplicate_tag", f"<{tag}> appears {count} times")
    expected = [(closing, tag) for tag in TAGS for closing in (False, True)]
    if [(c, n) for c, n, _, _ in known] != expected:
        order = " ".join(f"<{'/' if c else ''}{n}>" for c, n, _, _ in known)
        raise ResponseFormatError("tag_order", f"tags must be SUMMARY, CAPTION, REASONING, CONCLUSION; got {order}")
    bodies: list[str] = []
    outside = [text[: known[0][2]]]
    for i in range(0, len(known), 2):
        bodies.append(text[known[i][3] : known[i + 1][2]].strip())
        nxt = known[i + 2][2] if i + 2 < len(known) else len(text)
        outside.append(text[known[i + 1][3] : nxt])
    stray = "".join(outside).strip()
    if stray:
        raise ResponseFormatError("text_outside_tags", f"text outside the tags: {stray[:40]!r}")
    for tag, body in zip(TAGS, bodies, strict=True):
        if not body:
            raise ResponseFormatError("empty_stage", f"<{tag}> is empty")
    summary, caption, reasoning, conclusion = bodies
    if require_steps:
        steps = {int(s) for s in _STEP.findall(reasoning)}
        if steps != {1, 2, 3, 4}:
            missing = sorted({1, 2, 3, 4} - steps)
            raise ResponseFormatError("missing_step", f"<REASONING> lacks step(s) {missing}")
    values = validate_conclusion(_json_object(conclusion, "<CONCLUSION>"))
    return ParsedResponse(summary, caption, reasoning, conclusion, values)


def parse_response(text: str, mode: str = "cot", *, require_steps: bool = True) -> ParsedResponse:
    """Parse one response (``mode`` ``cot`` or ``qa``); raises ``ResponseFormatError``."""
    if mode not in PROMPT_MODES:
        raise ResponseFormatError("bad_mode", f"unknown mode {mode!r}")
    if not isinstance(text, str) or not text.strip():
        raise ResponseFormatError("empty", "the response is empty")
    body = text.strip()
    if mode == "qa":
        values = validate_conclusion(_json_object(body, "the answer"))
        return ParsedResponse("", "", "", json.dumps(values), values)
    if body.startswith("{"):  # a structured (json_schema) response: stages as fields
        obj = _json_object(body, "the structured response")
        if not isinstance(obj, dict) or set(obj) != {"summary", "caption", "reasoning", "conclusion"}:
            raise ResponseFormatError("bad_structure", "expected keys summary, caption, reasoning, conclusion")
        stages = [obj["summary"], obj["caption"], obj["reasoning"]]
        if not all(isinstance(s, str) and s.strip() for s in stages):
            raise ResponseFormatError("empty_stage", "summary, caption and reasoning must be non-empty strings")
        values = validate_conclusion(obj["conclusion"])
        if require_steps and {int(s) for s in _STEP.findall(obj["reasoning"])} != {1, 2, 3, 4}:
            raise ResponseFormatError("missing_step", "reasoning lacks some of steps 1-4")
        return ParsedResponse(*(s.strip() for s in stages), json.dumps(values), values)
    return _parse_tagged(body, require_steps=require_steps)


def format_ok(text: str, mode: str = "cot") -> bool:
    """The format reward: True when ``parse_response`` accepts the text."""
    try:
        parse_response(text, mode)
    except ResponseFormatError:
        return False
    return True
