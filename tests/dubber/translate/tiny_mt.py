"""Tiny random-initialised translation models of the real architectures, saved as model directories.

No weights or tokenizer files are downloaded: each tokenizer is built offline from a SentencePiece
model trained here, with the ``sentencepiece`` package, on a dozen English and Hindi sentences
(vocabulary of about 100 pieces), then written with the real tokenizer class's ``save_pretrained``;
the model is built from its transformers config (one layer, width 16) with fixed seeds. What the
models say is noise; what the tests use them for is the loading, the language mapping per family,
batching and decoding.
"""

from __future__ import annotations

import io
import json
import warnings
from pathlib import Path

EN = [
    "Hello there, how are you?",
    "Where were you, Raj?",
    "At the market, Prema ji.",
    "You bought me a gift!",
    "Wait for me at the station.",
    "I never said that.",
]
HI = [
    "नमस्ते, आप कैसे हैं?",
    "राज, तुम कहाँ थे?",
    "बाज़ार में, प्रेमा जी।",
    "तुम मेरे लिए तोहफ़ा लाए!",
    "स्टेशन पर मेरा इंतज़ार करो।",
    "मैंने ऐसा कभी नहीं कहा।",
]


def _train_spm(sentences: list[str], path: Path, model_type: str) -> None:
    import sentencepiece as spm

    buf = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(sentences * 4),
        model_writer=buf,
        vocab_size=100,
        hard_vocab_limit=False,
        character_coverage=1.0,
        model_type=model_type,
        minloglevel=2,
    )
    path.write_bytes(buf.getvalue())


def _pieces(path: Path) -> list[str]:
    import sentencepiece as spm

    sp = spm.SentencePieceProcessor(model_file=str(path))
    return [sp.id_to_piece(i) for i in range(sp.get_piece_size())]


def build_tiny_marian(directory: Path, source_lang: str = "en", target_lang: str = "hi") -> Path:
    """An OPUS-MT-style Marian model directory (source.spm, target.spm, vocab.json, config, weights)."""
    import torch
    from transformers import MarianConfig, MarianMTModel, MarianTokenizer

    work = directory / "_spm"
    work.mkdir(parents=True, exist_ok=True)
    _train_spm(EN, work / "source.spm", "unigram")
    _train_spm(HI, work / "target.spm", "unigram")
    vocab = {"</s>": 0, "<unk>": 1, "<pad>": 2}
    for piece in _pieces(work / "source.spm") + _pieces(work / "target.spm"):
        vocab.setdefault(piece, len(vocab))
    (work / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    with warnings.catch_warnings():  # "Recommended: pip install sacremoses" (punctuation normaliser)
        warnings.simplefilter("ignore")
        tok = MarianTokenizer(
            source_spm=str(work / "source.spm"),
            target_spm=str(work / "target.spm"),
            vocab=str(work / "vocab.json"),
            source_lang=source_lang,
            target_lang=target_lang,
        )
    tok.save_pretrained(directory)
    config = MarianConfig(
        vocab_size=len(vocab),
        d_model=16,
        encoder_layers=1,
        decoder_layers=1,
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        encoder_ffn_dim=32,
        decoder_ffn_dim=32,
        max_position_embeddings=64,
        pad_token_id=vocab["<pad>"],
        eos_token_id=vocab["</s>"],
        decoder_start_token_id=vocab["<pad>"],
        forced_eos_token_id=vocab["</s>"],
    )
    torch.manual_seed(0)
    MarianMTModel(config).save_pretrained(directory)
    return directory


def build_tiny_m2m100(directory: Path) -> Path:
    """An M2M100 model directory (sentencepiece.bpe.model, vocab.json with fairseq specials, config,
    weights); its tokenizer adds the hundred ``__xx__`` language tokens after the vocabulary."""
    import torch
    from transformers import M2M100Config, M2M100ForConditionalGeneration, M2M100Tokenizer

    work = directory / "_spm"
    work.mkdir(parents=True, exist_ok=True)
    _train_spm(EN + HI, work / "sentencepiece.bpe.model", "bpe")
    vocab = {"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3}
    for piece in _pieces(work / "sentencepiece.bpe.model"):
        vocab.setdefault(piece, len(vocab))
    (work / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    tok = M2M100Tokenizer(
        vocab_file=str(work / "vocab.json"), spm_file=str(work / "sentencepiece.bpe.model"), src_lang="en"
    )
    tok.save_pretrained(directory)
    config = M2M100Config(
        vocab_size=len(tok.encoder) + len(tok.lang_token_to_id) + tok.num_madeup_words,
        d_model=16,
        encoder_layers=1,
        decoder_layers=1,
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        encoder_ffn_dim=32,
        decoder_ffn_dim=32,
        max_position_embeddings=64,
        pad_token_id=1,
        bos_token_id=0,
        eos_token_id=2,
        decoder_start_token_id=2,
    )
    torch.manual_seed(0)
    M2M100ForConditionalGeneration(config).save_pretrained(directory)
    return directory


def build_tiny_nllb(directory: Path) -> Path:
    """An NLLB model directory: the M2M100 architecture with an ``NllbTokenizer``. This tokenizer
    holds only the special and FLORES-200 language tokens (transformers' NllbTokenizer builds its
    own empty vocabulary from arguments; a full one needs the released tokenizer.json), so text
    encodes to ``<unk>``: enough to test the FLORES code mapping, not the text pieces."""
    import torch
    from transformers import M2M100Config, M2M100ForConditionalGeneration, NllbTokenizer

    tok = NllbTokenizer(src_lang="eng_Latn")
    tok.save_pretrained(directory)
    config = M2M100Config(
        vocab_size=len(tok),
        d_model=16,
        encoder_layers=1,
        decoder_layers=1,
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        encoder_ffn_dim=32,
        decoder_ffn_dim=32,
        max_position_embeddings=64,
        pad_token_id=tok.pad_token_id,
        bos_token_id=tok.bos_token_id,
        eos_token_id=tok.eos_token_id,
        decoder_start_token_id=tok.eos_token_id,
    )
    torch.manual_seed(0)
    M2M100ForConditionalGeneration(config).save_pretrained(directory)
    return directory
