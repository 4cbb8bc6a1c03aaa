"""Counting the syllables of a line from its spelling: the unit of the speaking-rate table.

An estimate by orthographic rules, per script (no dictionary, no model):
- Latin, Cyrillic, Greek: groups of vowel letters per word (accents stripped), less a silent final
  ``e`` in English and French (``make``, ``table`` keeps its ``le``); hiatus (``ía``) counts once.
- Indic abugidas (Devanagari, Bengali, Gurmukhi, Gujarati, Tamil, Telugu, Kannada, Malayalam):
  vowel nuclei: independent vowels, vowel signs, and consonants with their inherent vowel (not
  followed by a virama or a vowel sign); the word-final inherent vowel is silent in Hindi, Marathi,
  Nepali, Punjabi, Gujarati and Bengali (``कमल`` is two syllables). Medial schwa deletion is not
  modelled, so those words count one syllable too many.
- Han characters, Hangul blocks: one syllable each; kana: one per kana, small kana and the long-vowel
  mark excepted (Japanese with kanji undercounts: a kanji often reads as two syllables).
- Digits: one syllable per digit (a rough stand-in for the spoken number).
Arabic-script, Hebrew and Thai spellings do not write every vowel: ``count_syllables`` returns
``None`` for a line with letters of those scripts, and the caller has no length estimate for it.
"""

from __future__ import annotations

import unicodedata

_VOWELS = set("aeiouyæøœаеёиоуыэюяіїєўαεηιουω")
_SILENT_FINAL_E = {"en", "fr"}
_FINAL_SCHWA_DELETED = {"hi", "mr", "ne", "pa", "gu", "bn"}
_SMALL_KANA = set("ぁぃぅぇぉゃゅょゎァィゥェォャュョヮ") | {"ー", "ッ", "っ"}
_UNSUPPORTED = ((0x0590, 0x05FF), (0x0600, 0x06FF), (0x0750, 0x077F), (0x0E00, 0x0E7F), (0xFB50, 0xFDFF))


def _indic_offset(ch: str) -> int | None:
    """Position of ``ch`` inside its Indic Unicode block (all nine blocks share one layout)."""
    cp = ord(ch)
    if 0x0900 <= cp <= 0x0D7F:
        return cp & 0x7F
    return None


def _indic_syllables(word: str, lang: str) -> int:
    offsets = [_indic_offset(c) for c in word]
    count, last_inherent = 0, False
    for i, off in enumerate(offsets):
        if off is None:
            continue
        if 0x05 <= off <= 0x14 or 0x60 <= off <= 0x61:  # independent vowel
            count, last_inherent = count + 1, False
        elif 0x15 <= off <= 0x39 or 0x58 <= off <= 0x5F:  # consonant
            j = i + 1
            while j < len(offsets) and offsets[j] == 0x3C:  # nukta
                j += 1
            nxt = offsets[j] if j < len(offsets) else None
            if nxt is not None and (nxt == 0x4D or 0x3E <= nxt <= 0x4C or 0x62 <= nxt <= 0x63):
                last_inherent = False  # virama: no vowel; a vowel sign counts on its own
            else:
                count, last_inherent = count + 1, True
        elif 0x3E <= off <= 0x4C or 0x62 <= off <= 0x63:  # dependent vowel sign
            count, last_inherent = count + 1, False
    if last_inherent and count > 1 and lang in _FINAL_SCHWA_DELETED:
        count -= 1
    return count


def _alphabetic_syllables(word: str, lang: str) -> int:
    base = "".join(c for c in unicodedata.normalize("NFD", word.lower()) if not unicodedata.combining(c))
    groups = 0
    prev_vowel = False
    for c in base:
        vowel = c in _VOWELS
        if vowel and not prev_vowel:
            groups += 1
        prev_vowel = vowel
    silent_e = base.endswith("e") and not base.endswith("le") and base[-2:-1] not in _VOWELS
    silent_es = lang == "fr" and base.endswith("es") and base[-3:-2] not in _VOWELS
    if lang in _SILENT_FINAL_E and groups > 1 and (silent_e or silent_es):
        groups -= 1
    return max(groups, 1) if any(c.isalpha() for c in base) else 0


def _word_syllables(word: str, lang: str) -> int:
    if word.isdigit():
        return len(word)
    cp = ord(word[0])
    if 0x0900 <= cp <= 0x0D7F:
        return _indic_syllables(word, lang)
    if 0x3040 <= cp <= 0x30FF or 0x3400 <= cp <= 0x9FFF or 0xAC00 <= cp <= 0xD7A3:
        return sum(1 for c in word if c not in _SMALL_KANA)
    return _alphabetic_syllables(word, lang)


def count_syllables(text: str, lang: str) -> int | None:
    """Estimated syllables of ``text`` spoken in ``lang`` (ISO 639-1); ``None`` where the script does
    not write its vowels (Arabic, Hebrew, Thai), so no estimate is possible from the spelling."""
    if any(lo <= ord(c) <= hi for c in text for lo, hi in _UNSUPPORTED):
        return None
    total = 0
    for word in _words(text):
        # a run of letters can mix scripts (a kanji word with kana endings): split on script changes
        for part in _split_scripts(word):
            total += _word_syllables(part, lang)
    return total


def _words(text: str) -> list[str]:
    """Runs of letters with their combining marks (vowel signs are marks, not letters), and runs of
    digits; ``re``'s ``\\w`` would cut Devanagari words at every vowel sign."""
    words: list[str] = []
    current, kind = "", ""
    for ch in text:
        cat = unicodedata.category(ch)
        k = "digit" if cat == "Nd" else "letter" if cat[0] in "LM" else ""
        if k and k == kind:
            current += ch
        else:
            if current:
                words.append(current)
            current, kind = (ch, k) if k else ("", "")
    if current:
        words.append(current)
    return words


def _script_of(ch: str) -> str:
    cp = ord(ch)
    if 0x0900 <= cp <= 0x0D7F:
        return f"indic{(cp - 0x0900) >> 7}"
    if 0x3040 <= cp <= 0x30FF or 0x3400 <= cp <= 0x9FFF or 0xAC00 <= cp <= 0xD7A3:
        return "cjk"
    return "alpha"


def _split_scripts(word: str) -> list[str]:
    parts: list[str] = []
    for ch in word:
        if parts and _script_of(parts[-1][-1]) == _script_of(ch):
            parts[-1] += ch
        else:
            parts.append(ch)
    return parts
