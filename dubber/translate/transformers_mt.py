"""``transformers``: a local sequence-to-sequence translation model (Marian, NLLB or M2M100 family).

The model directory holds ``config.json``, the weights and the tokenizer files; nothing is
downloaded. Languages are mapped per family:
- Marian (``model_type`` marian, OPUS-MT): one language pair per model, read from the tokenizer's
  ``source_lang``/``target_lang`` (or an ``opus-mt-SRC-TGT`` directory name) and checked against the
  requested languages; a multi-target model takes a ``>>hin<<`` token before each line.
- M2M100 (``model_type`` m2m_100 with ``M2M100Tokenizer``): ISO 639-1 codes (``hi``), the target
  forced as the first generated token.
- NLLB (``model_type`` m2m_100 with ``NllbTokenizer``): FLORES-200 codes (``hin_Deva``), likewise.
Lines are translated in batches, one line at a time without context (these models read one
sentence); the speaker attributes and the budget are not used (the budget is still checked).
"""

from __future__ import annotations

import json
import logging
import re
import warnings
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

from dubber.translate.base import Draft, LineRequest, Translator
from dubber.translate.languages import language
from evaluator.errors import ConfigError, MissingDependencyError, ModelLoadError

logger = logging.getLogger(__name__)

FAMILIES = ("marian", "m2m100", "nllb")
_OPUS_NAME = re.compile(r"opus-mt-([a-z]{2,3})-([a-z]{2,3})$", re.IGNORECASE)


def model_family(model_dir: str | Path) -> str:
    """``marian``, ``m2m100`` or ``nllb``, from the directory's config and tokenizer config."""
    d = Path(model_dir)
    if not (d / "config.json").is_file():
        raise ModelLoadError(
            f"{d}: not a model directory (no config.json)",
            hint="download a Marian (opus-mt-*), NLLB or M2M100 model to a local directory",
        )
    model_type = json.loads((d / "config.json").read_text(encoding="utf-8")).get("model_type")
    tok_cfg = d / "tokenizer_config.json"
    tok_class = json.loads(tok_cfg.read_text(encoding="utf-8")).get("tokenizer_class", "") if tok_cfg.is_file() else ""
    if model_type == "marian":
        return "marian"
    if model_type == "m2m_100":
        return "nllb" if tok_class.startswith("Nllb") else "m2m100"
    raise ConfigError(
        f"{d}: model_type {model_type!r} is not a translation family dubkit reads",
        hint="use a Marian (opus-mt-*), NLLB or M2M100 model",
    )


class TransformersTranslator(Translator):
    """Batched translation by a local seq2seq model."""

    name = "transformers"

    def __init__(
        self,
        model_dir: str,
        *,
        batch_size: int = 16,
        max_new_tokens: int = 256,
        num_beams: int | None = None,
        device: str = "auto",
    ) -> None:
        self.model_dir = Path(model_dir)
        self.family = model_family(self.model_dir)
        if batch_size < 1:
            raise ConfigError(f"batch_size must be >= 1 (got {batch_size})")
        self.batch_size = batch_size
        self.max_new_tokens = max_new_tokens
        self.num_beams = num_beams
        self.device = device
        self._langs: tuple[str | None, str] | None = None

    @property
    def model_id(self) -> str:
        return f"transformers:{self.family}:{self.model_dir.name}"

    @property
    def chunk_size(self) -> int:  # type: ignore[override]
        return 4 * self.batch_size

    @cached_property
    def tokenizer(self) -> Any:
        try:
            from transformers import AutoTokenizer
        except ImportError:
            raise MissingDependencyError("transformers", install="pip install transformers") from None
        try:
            with warnings.catch_warnings():  # Marian's "Recommended: pip install sacremoses"
                warnings.simplefilter("ignore")
                return AutoTokenizer.from_pretrained(self.model_dir, local_files_only=True)
        except ImportError as exc:  # Marian and M2M100 tokenizers need sentencepiece
            raise MissingDependencyError(
                f"a package of the {self.family} tokenizer ({exc})", extra="translate"
            ) from None
        except (OSError, ValueError, KeyError) as exc:
            raise ModelLoadError(f"{self.model_dir}: cannot load the tokenizer ({exc})") from None

    @cached_property
    def model(self) -> Any:
        import torch
        from transformers import AutoModelForSeq2SeqLM

        try:
            model = AutoModelForSeq2SeqLM.from_pretrained(self.model_dir, local_files_only=True)
        except (OSError, ValueError, KeyError) as exc:
            raise ModelLoadError(f"{self.model_dir}: cannot load the model ({exc})") from None
        device = ("cuda" if torch.cuda.is_available() else "cpu") if self.device == "auto" else self.device
        logger.info("loaded %s (%s) on %s", self.model_dir, type(model).__name__, device)
        return model.to(device).eval()

    def unload(self) -> None:
        self.__dict__.pop("model", None)

    # -- languages ---------------------------------------------------------------------------------
    def marian_pair(self) -> tuple[str | None, str | None]:
        """The model's (source, target) as written in its tokenizer config or directory name."""
        src = getattr(self.tokenizer, "source_lang", None)
        tgt = getattr(self.tokenizer, "target_lang", None)
        if not (src and tgt):
            m = _OPUS_NAME.search(self.model_dir.name)
            if m:
                src, tgt = m.group(1), m.group(2)
        return src, tgt

    def _target_token(self, target: str) -> str | None:
        """The ``>>xxx<<`` token of a multi-target Marian model for ``target``, if it has one."""
        vocab = self.tokenizer.get_vocab()
        lang = language(target)
        for token in (f">>{lang.iso3}<<", f">>{lang.code}<<", f">>{lang.flores}<<"):
            if token in vocab:
                return token
        return None

    def _code_for(self, lang: str) -> str:
        """The model's own code of ``lang`` (ISO 639-1 for M2M100, FLORES-200 for NLLB), checked."""
        lg = language(lang)
        if self.family == "m2m100":
            if f"__{lg.code}__" not in self.tokenizer.lang_token_to_id:
                raise ConfigError(f"{self.model_dir}: this M2M100 model has no language code {lg.code!r} ({lg.name})")
            return lg.code
        token_id = self.tokenizer.convert_tokens_to_ids(lg.flores)
        if token_id is None or token_id == self.tokenizer.unk_token_id:
            raise ConfigError(f"{self.model_dir}: this NLLB model has no language code {lg.flores!r} ({lg.name})")
        return lg.flores

    def check_languages(self, source_lang: str | None, target_lang: str) -> None:
        if self._langs == (source_lang, target_lang):
            return
        if self.family == "marian":
            src, tgt = self.marian_pair()
            if src is None or tgt is None:
                raise ConfigError(
                    f"{self.model_dir}: cannot tell which languages this Marian model translates",
                    hint="its tokenizer_config.json needs source_lang and target_lang, "
                    "or name the directory opus-mt-SRC-TGT",
                )
            if source_lang is not None and not _same_language(src, source_lang):
                raise ConfigError(f"{self.model_dir}: this Marian model translates from {src!r}, not {source_lang!r}")
            if not _same_language(tgt, target_lang) and self._target_token(target_lang) is None:
                raise ConfigError(f"{self.model_dir}: this Marian model translates into {tgt!r}, not {target_lang!r}")
        else:
            if source_lang is None:
                raise ConfigError(f"an {self.family.upper()} model needs the source language (source_lang)")
            self._code_for(source_lang)
            self._code_for(target_lang)
        self._langs = (source_lang, target_lang)

    def generation_options(self, source_lang: str | None, target_lang: str) -> dict[str, Any]:
        """Options of ``generate`` for this pair (the forced first token of M2M100 and NLLB)."""
        opts: dict[str, Any] = {"max_new_tokens": self.max_new_tokens}
        if self.num_beams is not None:
            opts["num_beams"] = self.num_beams
        if self.family != "marian":
            self.tokenizer.src_lang = self._code_for(source_lang or "")
            code = self._code_for(target_lang)
            token = f"__{code}__" if self.family == "m2m100" else code
            opts["forced_bos_token_id"] = self.tokenizer.convert_tokens_to_ids(token)
        return opts

    # -- translation -------------------------------------------------------------------------------
    def translate_texts(self, texts: Sequence[str], source_lang: str | None, target_lang: str) -> list[str]:
        """Translate plain texts in batches of ``batch_size`` (longest first, to pad little)."""
        import torch

        self.check_languages(source_lang, target_lang)
        opts = self.generation_options(source_lang, target_lang)
        prefix = ""
        if self.family == "marian" and not _same_language(self.marian_pair()[1] or "", target_lang):
            prefix = f"{self._target_token(target_lang)} "
        skip = set(self.tokenizer.all_special_ids)
        if "forced_bos_token_id" in opts:
            skip.add(opts["forced_bos_token_id"])
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        out: dict[int, str] = {}
        model = self.model
        for start in range(0, len(order), self.batch_size):
            idx = order[start : start + self.batch_size]
            enc = self.tokenizer([prefix + texts[i] for i in idx], return_tensors="pt", padding=True, truncation=True)
            enc = {k: v.to(model.device) for k, v in enc.items()}
            with torch.inference_mode():
                generated = model.generate(**enc, **opts)
            for i, ids in zip(idx, generated.tolist(), strict=True):
                kept = [t for t in ids if t not in skip]
                out[i] = " ".join(self.tokenizer.decode(kept, skip_special_tokens=True).split())
        return [out[i] for i in range(len(texts))]

    def draft(self, requests: Sequence[LineRequest]) -> list[Draft]:
        if not requests:
            return []
        r0 = requests[0]
        texts = self.translate_texts([r.line.text for r in requests], r0.source_lang, r0.target_lang)
        return [Draft(t) if t else Draft(None, error="the model produced an empty translation") for t in texts]


def _same_language(a: str, b: str) -> bool:
    try:
        return language(a).code == language(b).code
    except ConfigError:
        return a.lower() == b.lower()
