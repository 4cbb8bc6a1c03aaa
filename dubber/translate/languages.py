"""Languages a translation can name: ISO 639-1 code, English name, FLORES-200 code.

The one table the translators read: the LLM prompt names the language, NLLB models take FLORES-200
codes (``hin_Deva``), M2M100 models ISO 639-1 codes (``hi``), multi-target Marian models a
``>>hin<<`` token (ISO 639-3, the first part of the FLORES code). ``language`` accepts any of these
spellings, and a region tag (``pt-BR``) is ignored.

>>> language("hin_Deva").code, language("HI").name, language("pt-BR").flores
('hi', 'Hindi', 'por_Latn')
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from evaluator.errors import ConfigError


@dataclass(frozen=True)
class Language:
    code: str  # ISO 639-1
    name: str
    flores: str  # FLORES-200 (NLLB)

    @property
    def iso3(self) -> str:
        return self.flores.split("_")[0]


_TABLE = (
    ("ar", "Arabic", "arb_Arab"),
    ("bn", "Bengali", "ben_Beng"),
    ("cs", "Czech", "ces_Latn"),
    ("da", "Danish", "dan_Latn"),
    ("de", "German", "deu_Latn"),
    ("el", "Greek", "ell_Grek"),
    ("en", "English", "eng_Latn"),
    ("es", "Spanish", "spa_Latn"),
    ("fa", "Persian", "pes_Arab"),
    ("fi", "Finnish", "fin_Latn"),
    ("fr", "French", "fra_Latn"),
    ("gu", "Gujarati", "guj_Gujr"),
    ("he", "Hebrew", "heb_Hebr"),
    ("hi", "Hindi", "hin_Deva"),
    ("hu", "Hungarian", "hun_Latn"),
    ("id", "Indonesian", "ind_Latn"),
    ("it", "Italian", "ita_Latn"),
    ("ja", "Japanese", "jpn_Jpan"),
    ("kn", "Kannada", "kan_Knda"),
    ("ko", "Korean", "kor_Hang"),
    ("ml", "Malayalam", "mal_Mlym"),
    ("mr", "Marathi", "mar_Deva"),
    ("ms", "Malay", "zsm_Latn"),
    ("nb", "Norwegian Bokmål", "nob_Latn"),
    ("ne", "Nepali", "npi_Deva"),
    ("nl", "Dutch", "nld_Latn"),
    ("pa", "Punjabi", "pan_Guru"),
    ("pl", "Polish", "pol_Latn"),
    ("pt", "Portuguese", "por_Latn"),
    ("ro", "Romanian", "ron_Latn"),
    ("ru", "Russian", "rus_Cyrl"),
    ("sv", "Swedish", "swe_Latn"),
    ("sw", "Swahili", "swh_Latn"),
    ("ta", "Tamil", "tam_Taml"),
    ("te", "Telugu", "tel_Telu"),
    ("th", "Thai", "tha_Thai"),
    ("tl", "Tagalog", "tgl_Latn"),
    ("tr", "Turkish", "tur_Latn"),
    ("uk", "Ukrainian", "ukr_Cyrl"),
    ("ur", "Urdu", "urd_Arab"),
    ("vi", "Vietnamese", "vie_Latn"),
    ("zh", "Chinese", "zho_Hans"),
)
LANGUAGES: dict[str, Language] = {code: Language(code, name, flores) for code, name, flores in _TABLE}
_BY_SPELLING: dict[str, Language] = {}
for _lang in LANGUAGES.values():
    for _spelling in (_lang.code, _lang.flores.lower(), _lang.iso3, _lang.name.lower()):
        _BY_SPELLING.setdefault(_spelling, _lang)


def language(spelling: str, *, parameter: str = "language") -> Language:
    """The language an ISO 639-1/639-3 code, a FLORES-200 code or an English name stands for.

    ``parameter`` names the caller's parameter in the error of an unknown spelling."""
    key = spelling.strip().lower().replace("-", "_")
    found = _BY_SPELLING.get(key)
    head, _, tail = key.partition("_")
    if found is None and tail and len(tail) != 4:  # a region tag (pt_br), not a FLORES script (hin_deva)
        found = _BY_SPELLING.get(head)
    if found is None:
        close = difflib.get_close_matches(key, list(_BY_SPELLING), n=3, cutoff=0.6)
        hint = f"did you mean {', '.join(close)}?" if close else "an ISO 639-1 code such as hi, en, es"
        raise ConfigError(f"{parameter} {spelling!r} is not a language dubkit knows", hint=hint)
    return found
