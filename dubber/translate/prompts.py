"""The LLM translator's prompt, its answer schema and its version.

``PROMPT_VERSION`` is recorded with every line translated by it: change it whenever the wording of
the prompt or the schema changes, so results of different prompts are never mixed up.
"""

from __future__ import annotations

import json
from typing import Any

from dubber.translate.base import Draft, Feedback, LineRequest, SourceLine
from dubber.translate.languages import language

PROMPT_VERSION = "translate-v1"

SYSTEM_PROMPT = (
    "You translate film and TV dialogue for dubbing. A voice actor will speak your translation in the "
    "original line's time slot, in the original speaker's voice and mood. Keep the meaning, intent, "
    "register and emotion of the line, and write it as natural speech this speaker would say in the "
    "target language, not as a subtitle. Respect the length you are given: it is counted in spoken "
    "syllables, and a longer line cannot be fitted to the picture. Render glossary terms exactly as "
    "listed. Translate only the marked line; the other lines are context. "
    'Answer with one JSON object: {"translation": "..."}.'
)

ANSWER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"translation": {"type": "string", "minLength": 1}},
    "required": ["translation"],
    "additionalProperties": False,
}


def _who(line: SourceLine) -> str:
    return line.speaker or "unknown speaker"


def _speaker_description(line: SourceLine) -> str:
    traits = [t for t in (line.gender, line.age) if t]
    desc = f"Speaker: {_who(line)}" + (f" ({', '.join(traits)})" if traits else "") + "."
    if line.emotion:
        desc += f" Emotion of the line: {line.emotion}."
    return desc


def instruction(request: LineRequest) -> str:
    """The user message for one line: languages, speaker, emotion, context, length, glossary."""
    line = request.line
    target = language(request.target_lang).name
    source = language(request.source_lang).name if request.source_lang else "its language"
    parts = [f"Translate line {line.id} from {source} into {target}.", _speaker_description(line)]
    if request.before or request.after:
        ctx = [f"{s.id} {_who(s)}: {s.text}" for s in request.before]
        ctx.append(f">>> {line.id} {_who(line)}: {line.text}    <- translate this line")
        ctx += [f"{s.id} {_who(s)}: {s.text}" for s in request.after]
        parts.append("Dialogue context:\n" + "\n".join(ctx))
    else:
        parts.append(f"Line: {line.text}")
    b = request.budget
    if b is not None:
        parts.append(
            f"Length: the line's slot is {b.slot:.2f} s. At this voice's pace "
            f"({b.rate.syllables_per_second:.1f} syllables per second) aim for about {b.target_syllables} "
            f"syllables, and use at most {b.max_syllables} syllables."
        )
    if request.terms:
        terms = "; ".join(f'"{t.source}" -> "{t.target}"' for t in request.terms)
        parts.append(f"Glossary (use these renderings exactly): {terms}")
    return "\n\n".join(parts)


def revision_instruction(request: LineRequest, feedback: Feedback) -> str:
    """The follow-up message that sends a wording back: each problem, with what to do."""
    problems = []
    if feedback.length is not None and feedback.length.syllables is not None and request.budget is not None:
        problems.append(
            f"It is about {feedback.length.syllables} syllables ({feedback.length.seconds:.1f} s at this "
            f"pace); the slot allows at most {request.budget.max_syllables}. Say the same thing in fewer "
            "syllables: a shorter wording, not a summary that drops the point."
        )
    if feedback.lost_terms:
        terms = "; ".join(f'"{t.source}" -> "{t.target}"' for t in feedback.lost_terms)
        problems.append(f"It does not render these glossary terms as listed: {terms}. Use them exactly.")
    return "Revise your translation.\n- " + "\n- ".join(problems) + "\nAnswer with the JSON object only."


def messages(request: LineRequest) -> list[dict[str, Any]]:
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": instruction(request)}]


def revision_messages(request: LineRequest, draft: Draft, feedback: Feedback) -> list[dict[str, Any]]:
    """The first exchange, the model's answer, then the request to revise it."""
    answer = json.dumps({"translation": draft.text}, ensure_ascii=False)
    return [
        *messages(request),
        {"role": "assistant", "content": answer},
        {"role": "user", "content": revision_instruction(request, feedback)},
    ]


class AnswerFormatError(ValueError):
    """The model's answer is not the JSON object the schema asks for."""


def parse_answer(content: str) -> str:
    """The translation in an answer ``{"translation": "..."}`` (a Markdown code fence is tolerated)."""
    text = content.strip()
    if text.startswith("```"):
        text = text.strip("`").removeprefix("json").strip()
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        raise AnswerFormatError(f"not JSON: {content[:80]!r}") from None
    if not isinstance(data, dict) or not isinstance(data.get("translation"), str):
        raise AnswerFormatError(f'no "translation" string in {content[:80]!r}')
    out = " ".join(data["translation"].split())
    if not out:
        raise AnswerFormatError("the translation is empty")
    return out
