"""The ``transformers`` translator on tiny random Marian and M2M100 models of the real architectures,
saved to directories with real tokenizers (see ``tiny_mt``): loading, the language pair / codes of
each family, batching, and the pipeline around it (budget and glossary checked, never revised)."""

from __future__ import annotations

from pathlib import Path

import pytest
from tiny_mt import EN, build_tiny_m2m100, build_tiny_marian

from dubber.translate import SourceLine, TranslationJob, create_translator, translate_lines
from dubber.translate.transformers_mt import model_family
from evaluator.errors import ConfigError, ModelLoadError

pytest.importorskip("sentencepiece")


@pytest.fixture(scope="module")
def marian_dir(tmp_path_factory) -> Path:
    return build_tiny_marian(tmp_path_factory.mktemp("opus-mt-en-hi"))


@pytest.fixture(scope="module")
def m2m_dir(tmp_path_factory) -> Path:
    return build_tiny_m2m100(tmp_path_factory.mktemp("m2m100-tiny"))


def test_marian_pair_is_checked_and_batches_match_single_lines(marian_dir: Path) -> None:
    assert model_family(marian_dir) == "marian"
    t = create_translator("transformers", model_dir=str(marian_dir), batch_size=4, max_new_tokens=8)
    assert t.marian_pair() == ("en", "hi") and t.model_id.startswith("transformers:marian:")
    t.check_languages("en", "hi")
    t.check_languages(None, "hin_Deva")
    with pytest.raises(ConfigError, match="translates into 'hi', not 'es'"):
        t.check_languages("en", "es")
    with pytest.raises(ConfigError, match="translates from 'en', not 'fr'"):
        t.check_languages("fr", "hi")
    batched = t.translate_texts(EN, "en", "hi")  # 6 lines in batches of 4, padded
    assert len(batched) == len(EN) and all(isinstance(x, str) for x in batched)
    single = [t.translate_texts([x], "en", "hi")[0] for x in EN]
    assert batched == single  # padding and the length-sorted batching change nothing
    assert "<pad>" not in " ".join(batched) and "</s>" not in " ".join(batched)


def test_m2m100_codes_and_forced_target_token(m2m_dir: Path) -> None:
    assert model_family(m2m_dir) == "m2m100"
    t = create_translator("transformers", model_dir=str(m2m_dir), batch_size=2, max_new_tokens=6)
    with pytest.raises(ConfigError, match="needs the source language"):
        t.check_languages(None, "hi")
    opts = t.generation_options("en", "hi")
    assert opts["forced_bos_token_id"] == t.tokenizer.convert_tokens_to_ids("__hi__")
    assert t.tokenizer.src_lang == "en"
    assert t.generation_options("en", "es")["forced_bos_token_id"] != opts["forced_bos_token_id"]
    # the forced token really starts every generated line (checked on the raw ids)
    enc = t.tokenizer(EN[:3], return_tensors="pt", padding=True)
    ids = t.model.generate(**enc, **opts)
    assert (ids[:, 1] == opts["forced_bos_token_id"]).all()
    out = t.translate_texts(EN[:3], "en", "hi")
    assert len(out) == 3 and not any("__hi__" in x for x in out)  # the language token is not text


def test_unsupported_code_and_missing_model(m2m_dir: Path, tmp_path: Path) -> None:
    t = create_translator("transformers", model_dir=str(m2m_dir))
    with pytest.raises(ConfigError, match="no language code 'te'"):  # Telugu is not among M2M100's 100
        t.check_languages("en", "te")
    with pytest.raises(ModelLoadError, match="no config.json"):
        create_translator("transformers", model_dir=str(tmp_path))


def test_pipeline_reports_budget_and_glossary_without_revising(marian_dir: Path) -> None:
    from dubber.translate import Glossary, GlossaryTerm, given_rate

    lines = [SourceLine(str(i + 1), text, start=float(i), end=i + 0.2) for i, text in enumerate(EN[:4])]
    job = TranslationJob(
        target_lang="hi",
        source_lang="en",
        rate=given_rate(5.0),
        glossary=Glossary((GlossaryTerm("Prema ji", "प्रेमा जी"),)),
    )
    t = create_translator("transformers", model_dir=str(marian_dir), max_new_tokens=8)
    out = translate_lines(lines, t, job)
    assert [r.id for r in out] == ["1", "2", "3", "4"]
    assert all(r.backend == "transformers" and r.model == t.model_id and r.prompt_version is None for r in out)
    assert all(r.budget is not None and r.budget.max_seconds == pytest.approx(0.25) for r in out)
    assert out[2].glossary_terms == ["प्रेमा जी"] and out[2].glossary_lost == ["प्रेमा जी"]  # noise loses it
    assert all(not r.revisions for r in out)  # a seq2seq model is not asked again


def test_nllb_takes_flores_codes(tmp_path: Path) -> None:
    from tiny_mt import build_tiny_nllb

    d = build_tiny_nllb(tmp_path / "nllb-tiny")
    assert model_family(d) == "nllb"
    t = create_translator("transformers", model_dir=str(d), max_new_tokens=4)
    opts = t.generation_options("en", "hi")
    assert opts["forced_bos_token_id"] == t.tokenizer.convert_tokens_to_ids("hin_Deva")
    assert t.tokenizer.src_lang == "eng_Latn"
    enc = t.tokenizer(EN[:2], return_tensors="pt", padding=True)
    assert (enc["input_ids"][:, 0] == t.tokenizer.convert_tokens_to_ids("eng_Latn")).all()
    assert len(t.translate_texts(EN[:2], "en", "hi")) == 2
