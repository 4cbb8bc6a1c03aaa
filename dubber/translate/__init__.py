"""Translation of a source script into the target language, line by line, for dubbing.

Backends (``TRANSLATORS``): ``table`` (translations made elsewhere, joined by line id; offline, the
default), ``vllm`` (an LLM behind an OpenAI-compatible server: dialogue context, speaker attributes,
emotion, length budget, glossary, one re-ask per problem), ``transformers`` (a local Marian, NLLB
or M2M100 model, batched).

Library use, per episode and per utterance::

    from dubber.translate import SourceLine, TranslationJob, create_translator, translate_lines

    job = TranslationJob(target_lang="hi", source_lang="en")
    translator = create_translator("vllm", url="http://localhost:8000/v1", model="Qwen/Qwen2.5-7B-Instruct")
    results = translate_lines(lines, translator, job)          # an episode: context from neighbours
    one = translate_line(line, translator, job, before=prev)   # one corpus utterance
"""

from __future__ import annotations

from typing import Any

from dubber.translate.base import Draft, Feedback, LineRequest, SourceLine, Translation, Translator
from dubber.translate.budget import LengthBudget, LengthCheck
from dubber.translate.glossary import Glossary, GlossaryTerm
from dubber.translate.run import TranslationJob, translate_line, translate_lines
from dubber.translate.speech_rate import SpeakingRate, given_rate, measure_rate, published_rate
from evaluator.registry import Registry

TRANSLATORS = Registry("translator")
TRANSLATORS.register("table", "dubber.translate.table:TableTranslator")
TRANSLATORS.register("vllm", "dubber.translate.vllm:VLLMTranslator")
TRANSLATORS.register("transformers", "dubber.translate.transformers_mt:TransformersTranslator")


def create_translator(backend: str = "table", **options: Any) -> Translator:
    """Build the named translator with its options (``path`` for table; ``url``/``model`` or
    ``options`` for vllm; ``model_dir`` for transformers)."""
    return TRANSLATORS.get(backend)(**options)


__all__ = [
    "TRANSLATORS",
    "Draft",
    "Feedback",
    "Glossary",
    "GlossaryTerm",
    "LengthBudget",
    "LengthCheck",
    "LineRequest",
    "SourceLine",
    "SpeakingRate",
    "Translation",
    "TranslationJob",
    "Translator",
    "create_translator",
    "given_rate",
    "measure_rate",
    "published_rate",
    "translate_line",
    "translate_lines",
]
