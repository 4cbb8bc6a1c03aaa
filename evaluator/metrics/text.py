"""Text normalisation for WER/CER (case, punctuation, numbers) and the error rates, via jiwer.

>>> normalize_text("It's 42, Dr. Smith!")
"it's forty two dr smith"
>>> error_rates("the cat sat", "The cat sat.")
(0.0, 0.0)
"""

from __future__ import annotations

import re

_NUMBER = re.compile(r"(?<![\w.])(\d+(?:[.,]\d+)?)(?![\w])")


def _spell_numbers(text: str, lang: str) -> str:
    from num2words import num2words

    def spell(m: re.Match[str]) -> str:
        token = m.group(1).replace(",", ".") if lang != "en" else m.group(1).replace(",", "")
        try:
            return num2words(float(token) if "." in token else int(token), lang=lang)
        except (NotImplementedError, OverflowError, ValueError):
            return m.group(1)

    return _NUMBER.sub(spell, text)


def normalize_text(text: str, lang: str = "en") -> str:
    """Lower case, numbers spelled out (num2words), punctuation except apostrophes removed, spaces collapsed."""
    import jiwer

    text = _spell_numbers(text, lang.split("-")[0])
    text = text.replace("-", " ")
    text = re.sub(r"[^\w\s']", " ", text)
    t = jiwer.Compose([jiwer.ToLowerCase(), jiwer.RemoveMultipleSpaces(), jiwer.Strip()])
    return t(text)


def error_rates(hypothesis: str, reference: str, lang: str = "en") -> tuple[float, float]:
    """(WER, CER) of ``hypothesis`` against ``reference`` after :func:`normalize_text` on both."""
    import jiwer

    ref, hyp = normalize_text(reference, lang), normalize_text(hypothesis, lang)
    if not ref:
        raise ValueError("the reference text is empty after normalisation")
    if not hyp:
        return 1.0, 1.0
    return float(jiwer.wer(ref, hyp)), float(jiwer.cer(ref, hyp))
