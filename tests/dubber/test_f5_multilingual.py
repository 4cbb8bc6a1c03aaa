"""A multilingual F5 checkpoint with its own vocabulary: the tiny random model built with a vocabulary that
includes Devanagari speaks a Hindi line (the corpus build's MELD -> Hindi path); without that vocabulary,
Hindi is refused in one line instead of being tokenized to silence."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("f5_tts.model", reason="needs the f5 extra (scripts/setup_f5.sh)")

from dubber.synth import SynthRequest, VoiceReference  # noqa: E402
from dubber.synth.f5 import F5Synthesizer  # noqa: E402
from dubber.synth.f5.tiny import DEVANAGARI, write_tiny_f5  # noqa: E402
from evaluator.errors import ConfigError, ModelLoadError  # noqa: E402
from evaluator.media import write_wav  # noqa: E402

REF_TEXT = "The quick brown fox jumps over the lazy dog near the river bank."
HINDI = "नमस्ते, आप कैसे हैं? मैं ठीक हूँ।"


@pytest.fixture(scope="module")
def tiny_hi(tmp_path_factory):
    return write_tiny_f5(tmp_path_factory.mktemp("tiny_f5_hi"), extra_tokens=DEVANAGARI)


@pytest.fixture(scope="module")
def reference(tmp_path_factory, espeak):
    speech = espeak.synthesize(SynthRequest(REF_TEXT, "en"))
    path = tmp_path_factory.mktemp("ref") / "ref.wav"
    write_wav(path, speech.audio, speech.sr)
    return VoiceReference(path=path, transcript=REF_TEXT)


def synth(tiny, **kw) -> F5Synthesizer:
    return F5Synthesizer(ckpt=tiny.ckpt, vocoder=tiny.vocoder, model_config=tiny.config, steps=2, **kw)


def test_hindi_line_with_the_checkpoint_vocabulary(tiny_hi, reference) -> None:
    from f5_tts.model.utils import convert_char_to_pinyin, list_str_to_idx

    lines = tiny_hi.vocab.read_text(encoding="utf-8").split("\n")[:-1]
    assert lines[0] == " " and set(DEVANAGARI) <= set(lines) and len(lines) == 2545 + len(DEVANAGARI)
    f5 = synth(tiny_hi, vocab=tiny_hi.vocab, languages="hi,en")
    assert f5.supports("hi") and f5.supports("en")
    # the text embedding has one row per token of the checkpoint's vocabulary (+1 filler)
    assert f5.model.transformer.text_embed.text_embed.num_embeddings == len(lines) + 1
    # F5 tokenizes Devanagari one code point per token; every one is known (index 0 is space/unknown)
    tokens = convert_char_to_pinyin([HINDI])[0]
    assert tokens[:6] == ["न", "म", "स", "्", "त", "े"]
    ids = list_str_to_idx([tokens], f5.model.vocab_char_map)[0].tolist()
    assert all(i > 0 for i, t in zip(ids, tokens, strict=True) if t != " ")
    speech = f5.synthesize(SynthRequest(HINDI, "hi", 3, 1.5, reference))  # English voice, Hindi line
    assert (
        speech.info["gen_frames"] == round(1.5 * 24000 / 256) and len(speech.audio) == speech.info["gen_frames"] * 256
    )
    assert np.isfinite(speech.audio).all() and np.abs(speech.audio).max() > 0


def test_hindi_is_refused_without_that_vocabulary(tiny_hi, reference, tmp_path) -> None:
    base = write_tiny_f5(tmp_path / "base")  # F5's packaged en/zh vocabulary
    with pytest.raises(ConfigError, match=r"does not speak 'hi'; it speaks en, zh") as err:
        synth(base).synthesize(SynthRequest(HINDI, "hi", 0, 1.0, reference))
    assert "\n" not in str(err.value) and "own vocabulary: give it as vocab" in str(err.value)
    # declaring the language is not enough: the packaged vocabulary has no Devanagari token
    with pytest.raises(ConfigError, match=r"vocabulary has no token for .*न.* in request 0 \(hi\)") as err:
        synth(base, languages="hi,en").synthesize(SynthRequest(HINDI, "hi", 0, 1.0, reference))
    assert err.value.param == "vocab"
    # and a vocabulary that is not the checkpoint's does not load
    bad = synth(base, vocab=tiny_hi.vocab, languages="hi,en")
    with pytest.raises(ModelLoadError, match="not a checkpoint of"):
        _ = bad.model


def test_corpus_build_meld_to_hindi_with_f5(tiny_hi, tmp_path) -> None:
    from pathlib import Path

    from click.testing import CliRunner

    from cli.main import main
    from dubber.dataset_fixtures import build_meld_fixture
    from evaluator.corpus import read_corpus

    root = build_meld_fixture(tmp_path / "meld")
    table = Path(__file__).resolve().parents[2] / "examples" / "meld" / "translations.hi.csv"
    args = ["corpus", "build", str(root), "--dataset", "meld", "--to", "hi", "--translations", str(table),
            "--synth", "f5", "--f5-ckpt", str(tiny_hi.ckpt), "--f5-config", str(tiny_hi.config),
            "--vocoder", str(tiny_hi.vocoder), "--synth-opt", "steps=2", "--limit", "1", "-q"]  # fmt: skip
    res = CliRunner().invoke(main, [*args, "-o", str(tmp_path / "refused")])
    assert res.exit_code == 2 and "cannot speak 'hi'" in res.output and len(res.output.strip().splitlines()) == 1
    res = CliRunner().invoke(main, [*args, "-o", str(tmp_path / "c"), "--f5-vocab", str(tiny_hi.vocab),
                                    "--synth-opt", "languages=hi,en"])  # fmt: skip
    assert res.exit_code == 0, res.output
    [row] = read_corpus(tmp_path / "c")
    assert (row.id, row.target_lang, row.synthesizer["backend"]) == ("dev/dia0_utt0", "hi", "f5")
    assert row.synthesizer["model"] == "f5:F5TTS_tiny:tiny_f5.safetensors" and row.fit["method"] == "global"
    assert row.duration == row.clip_duration  # the paper's global stretch onto the clip
