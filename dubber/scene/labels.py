"""The label sets of a scene reading (DeepDubber's conclusion fields).

Emotions are the seven of MELD. Facial-expression classes (FER-2013) map onto them one to one.
"""

from __future__ import annotations

from evaluator.encoders.voice import AGE_GROUPS, GENDERS

SCENE_TYPES: tuple[str, ...] = ("dialogue", "narration", "monologue")
EMOTIONS: tuple[str, ...] = ("neutral", "joy", "surprise", "anger", "sadness", "disgust", "fear")

#: FER-2013 expression class -> MELD emotion.
FER_TO_EMOTION: dict[str, str] = {
    "angry": "anger",
    "disgust": "disgust",
    "fear": "fear",
    "happy": "joy",
    "sad": "sadness",
    "surprise": "surprise",
    "neutral": "neutral",
}

LABEL_SETS: dict[str, tuple[str, ...]] = {
    "scene_type": SCENE_TYPES,
    "gender": GENDERS,
    "age": AGE_GROUPS,
    "emotion": EMOTIONS,
}

__all__ = ["AGE_GROUPS", "EMOTIONS", "FER_TO_EMOTION", "GENDERS", "LABEL_SETS", "SCENE_TYPES"]
