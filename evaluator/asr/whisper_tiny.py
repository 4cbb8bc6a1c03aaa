"""A tiny random Whisper model in faster-whisper's format (CTranslate2), built offline (tests, demos).

The path is the one a user takes with real weights: a transformers ``WhisperForConditionalGeneration``
(here from a small random ``WhisperConfig``) saved with ``save_pretrained``, then converted by
CTranslate2's own ``TransformersConverter`` (what ``ct2-transformers-converter`` runs), with
``tokenizer.json`` and ``preprocessor_config.json`` copied in. The tokenizer has Whisper's special-token
layout (``<|endoftext|>`` at 50257, ``<|startoftranscript|>``, the 99 language tokens, task and
timestamp tokens; 51865 ids in all, so CTranslate2 treats the model as multilingual) over a byte-level
vocabulary of filler tokens: the model decodes letter salad. This exercises code paths, not quality.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import string
import tempfile
from pathlib import Path

from evaluator.errors import MissingDependencyError

#: Whisper's multilingual vocabulary: 50257 text tokens, then the special tokens, then the timestamps.
WHISPER_TEXT_TOKENS = 50257
WHISPER_VOCAB = 51865
_SPECIAL_HEAD = ["<|endoftext|>", "<|startoftranscript|>"]
_SPECIAL_TAIL = [
    "<|translate|>",
    "<|transcribe|>",
    "<|startoflm|>",
    "<|startofprev|>",
    "<|nocaptions|>",
    "<|notimestamps|>",
]
TINY_CONFIG = {
    "d_model": 32,
    "encoder_layers": 1,
    "decoder_layers": 1,
    "encoder_attention_heads": 2,
    "decoder_attention_heads": 2,
    "encoder_ffn_dim": 64,
    "decoder_ffn_dim": 64,
    "num_mel_bins": 80,
    "max_source_positions": 1500,
    "max_target_positions": 448,
}


def _language_codes() -> list[str]:
    from faster_whisper.tokenizer import _LANGUAGE_CODES

    return [c for c in _LANGUAGE_CODES if c != "yue"]  # large-v3 added yue (51866 ids); v1/v2 have 99


def _tokenizer(dest: Path) -> list[str]:
    """Write a Whisper-layout byte-level BPE tokenizer to ``dest`` (transformers format); its special tokens."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    alphabet = sorted(pre_tokenizers.ByteLevel.alphabet())
    # CTranslate2 (4.8) calls a Whisper vocabulary multilingual when it holds the empty token, as
    # the multilingual Whisper vocabularies do
    vocab = {"": 0} | {ch: i + 1 for i, ch in enumerate(alphabet)}
    fillers = ("".join(p) for n in (2, 3, 4) for p in itertools.product(string.ascii_lowercase, repeat=n))
    for word in fillers:
        if len(vocab) >= WHISPER_TEXT_TOKENS:
            break
        vocab.setdefault(word, len(vocab))
    tok = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    specials = _SPECIAL_HEAD + [f"<|{c}|>" for c in _language_codes()] + _SPECIAL_TAIL
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token="<|endoftext|>",
        eos_token="<|endoftext|>",
        unk_token="<|endoftext|>",
        additional_special_tokens=specials[1:],
    )
    fast.add_special_tokens({"additional_special_tokens": specials[1:]})
    fast.save_pretrained(str(dest))
    return specials


def build_tiny_whisper(out_dir: str | os.PathLike[str], *, seed: int = 0) -> Path:
    """Write a tiny random CTranslate2 Whisper model directory that faster-whisper loads offline."""
    try:
        import torch
        from ctranslate2.converters import TransformersConverter
        from transformers import GenerationConfig, WhisperConfig, WhisperForConditionalGeneration
    except ImportError:
        raise MissingDependencyError("faster-whisper (ctranslate2) and transformers", extra="asr") from None
    out = Path(out_dir)
    with tempfile.TemporaryDirectory(prefix="tiny-whisper-") as tmp:
        hf_dir = Path(tmp) / "hf"
        specials = _tokenizer(hf_dir)
        ids = {tok: WHISPER_TEXT_TOKENS + i for i, tok in enumerate(specials)}
        langs = {t: i for t, i in ids.items() if t not in _SPECIAL_HEAD + _SPECIAL_TAIL}
        config = WhisperConfig(
            vocab_size=WHISPER_VOCAB,
            bos_token_id=ids["<|endoftext|>"],
            eos_token_id=ids["<|endoftext|>"],
            pad_token_id=ids["<|endoftext|>"],
            decoder_start_token_id=ids["<|startoftranscript|>"],
            suppress_tokens=[],
            begin_suppress_tokens=[220, ids["<|endoftext|>"]],
            **TINY_CONFIG,
        )
        torch.manual_seed(seed)
        model = WhisperForConditionalGeneration(config).eval()
        # a generation config of its own (one derived from the model config is re-derived on load,
        # dropping the language table CTranslate2 reads)
        model.generation_config = GenerationConfig(
            bos_token_id=config.bos_token_id,
            eos_token_id=config.eos_token_id,
            pad_token_id=config.pad_token_id,
            decoder_start_token_id=config.decoder_start_token_id,
            suppress_tokens=[],
            begin_suppress_tokens=config.begin_suppress_tokens,
            lang_to_id=langs,
            task_to_id={"translate": ids["<|translate|>"], "transcribe": ids["<|transcribe|>"]},
            no_timestamps_token_id=ids["<|notimestamps|>"],
            is_multilingual=True,
        )
        model.save_pretrained(str(hf_dir))
        (hf_dir / "preprocessor_config.json").write_text(
            json.dumps(
                {"feature_size": 80, "sampling_rate": 16000, "hop_length": 160, "chunk_length": 30, "n_fft": 400}
            )
        )
        staging = Path(tmp) / "ct2"
        TransformersConverter(
            str(hf_dir), copy_files=["tokenizer.json", "preprocessor_config.json"], low_cpu_mem_usage=True
        ).convert(str(staging), quantization="float32", force=True)
        if out.exists():
            shutil.rmtree(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(staging), str(out))
    return out
