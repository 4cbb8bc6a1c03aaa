"""``SceneReading``: what the scene-reading stage concludes about one line, and how a voice uses it.

>>> r = SceneReading(scene_type="monologue", num_people=1, speaker_on_screen_talking=True,
...                  gender="female", age="adult", emotion="joy", confidence=0.8,
...                  backend="heuristic", model="demo")
>>> SceneReading.from_dict(r.to_dict()) == r
True
>>> style_from_reading(r)
{'gender': 'female', 'age': 'adult', 'emotion': 'joy'}
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

from evaluator.errors import ManifestError

TAGS: tuple[str, ...] = ("SUMMARY", "CAPTION", "REASONING", "CONCLUSION")


@dataclass(frozen=True)
class SceneReading:
    """One line's scene reading.

    ``summary``/``caption``/``reasoning``/``conclusion`` are the four tagged texts (the model's own, or
    written by the heuristic from its measurements). ``format_ok`` is the paper's format reward: the
    response had the four tags in order and conclusion values in the label sets. ``error`` is set
    when the backend gave up on the line (then the labels are the neutral defaults and confidence 0).
    ``measurements`` holds the numbers a heuristic used (face counts, correlations, F0...).
    """

    scene_type: str
    num_people: int
    speaker_on_screen_talking: bool
    gender: str
    age: str
    emotion: str
    confidence: float
    backend: str
    model: str
    summary: str = ""
    caption: str = ""
    reasoning: str = ""
    conclusion: str = ""
    format_ok: bool = True
    attempts: int = 1
    cue_index: int | None = None
    start: float | None = None
    end: float | None = None
    error: str | None = None
    measurements: dict[str, Any] = field(default_factory=dict, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (None fields dropped), as stored in ``Line.scene_reading``."""
        return {k: v for k, v in asdict(self).items() if v is not None}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SceneReading:
        names = {f.name for f in fields(cls)}
        unknown = set(data) - names
        if unknown:
            raise ManifestError(f"scene reading has unknown field(s): {', '.join(sorted(unknown))}")
        try:
            return cls(**data)
        except TypeError as exc:
            raise ManifestError(f"scene reading is incomplete: {exc}") from None

    def tagged_text(self) -> str:
        """The four tagged stages as one response text."""
        parts = [self.summary, self.caption, self.reasoning, self.conclusion]
        return "\n".join(f"<{t}>{p}</{t}>" for t, p in zip(TAGS, parts, strict=True))


#: How a reading maps onto the offline synthesizers' ``style`` (dubber.synth.piper / espeak):
#: espeak picks a male/female voice from ``gender``, raises pitch for child/young and lowers it for
#: senior (``age``), and widens/raises pitch range for anger/joy/surprise and narrows/lowers it for
#: sadness (``emotion``); piper (one voice) maps ``emotion`` to pace and expressiveness only.
STYLE_KEYS: tuple[str, ...] = ("gender", "age", "emotion")


def style_from_reading(reading: SceneReading | None, *, min_confidence: float = 0.0) -> dict[str, str]:
    """The synthesizer ``style`` for a reading: ``{"gender", "age", "emotion"}``.

    Returns ``{}`` for no reading, a failed reading, or one under ``min_confidence``, so the
    synthesizer keeps its defaults rather than acting on a guess.
    """
    if reading is None or reading.error is not None or reading.confidence < min_confidence:
        return {}
    return {"gender": reading.gender, "age": reading.age, "emotion": reading.emotion}
