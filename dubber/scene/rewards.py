"""The rewards of DeepDubber's preference stage: format (the strict parser accepts the answer) and accuracy
(the conclusion matches the line's labels). ``is_preferred`` (both) splits sampled answers into the
chosen and rejected sides of preference pairs (examples/train_cot).

>>> good = ('<SUMMARY>s</SUMMARY><CAPTION>c</CAPTION><REASONING>Step 1: one. Step 2: yes. Step 3: '
...         'monologue. Step 4: done.</REASONING><CONCLUSION>{"scene_type": "monologue", "num_people": 1, '
...         '"speaker_talking": true, "gender": "male", "age": "adult", "emotion": "neutral", '
...         '"confidence": 0.9}</CONCLUSION>')
>>> format_reward(good), accuracy_reward(good, {"scene_type": "monologue", "gender": "female"})
(1.0, 0.5)
>>> is_preferred(good, {"scene_type": "monologue"})
True
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dubber.scene.labels import LABEL_SETS
from dubber.scene.parser import ResponseFormatError, parse_response
from evaluator.errors import ConfigError

#: The label keys an accuracy reward may compare (the eval CSV's columns).
REWARD_KEYS: tuple[str, ...] = ("scene_type", "gender", "age", "emotion")


def check_labels(labels: Mapping[str, Any], where: str = "labels") -> dict[str, str]:
    """Validate a labels dict (subset of REWARD_KEYS, values in their label sets); raises ConfigError."""
    if not isinstance(labels, Mapping) or not labels:
        raise ConfigError(f"{where}: expected a non-empty object with keys among {', '.join(REWARD_KEYS)}")
    clean: dict[str, str] = {}
    for key, value in labels.items():
        if key not in REWARD_KEYS:
            raise ConfigError(f"{where}: unknown label {key!r}", hint=f"use {', '.join(REWARD_KEYS)}")
        if value not in LABEL_SETS[key]:
            raise ConfigError(f"{where}: {key}={value!r} is not one of {', '.join(LABEL_SETS[key])}")
        clean[key] = value
    return clean


def format_reward(text: str, mode: str = "cot") -> float:
    """1.0 when the strict parser accepts the answer, else 0.0."""
    try:
        parse_response(text, mode)
    except ResponseFormatError:
        return 0.0
    return 1.0


def accuracy_reward(text: str, labels: Mapping[str, str], mode: str = "cot") -> float:
    """The fraction of labelled fields the answer's conclusion gets right (0.0 for an unparseable answer)."""
    labels = check_labels(labels)
    try:
        values = parse_response(text, mode).values
    except ResponseFormatError:
        return 0.0
    return sum(values[k] == v for k, v in labels.items()) / len(labels)


def is_preferred(text: str, labels: Mapping[str, str], mode: str = "cot") -> bool:
    """Chosen side of a preference pair: well formed and every labelled field right."""
    return format_reward(text, mode) == 1.0 and accuracy_reward(text, labels, mode) == 1.0
