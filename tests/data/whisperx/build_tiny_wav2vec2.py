"""A tiny random wav2vec2 CTC model and processor (whisperx's ``--align_model``), built offline.

Run in whisperx's own environment: ``wx/bin/python build_tiny_wav2vec2.py OUT_DIR``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import torch
from transformers import (
    Wav2Vec2Config,
    Wav2Vec2CTCTokenizer,
    Wav2Vec2FeatureExtractor,
    Wav2Vec2ForCTC,
    Wav2Vec2Processor,
)

CHARS = ["<pad>", "<s>", "</s>", "<unk>", "|", *"abcdefghijklmnopqrstuvwxyz'"]


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "vocab.json").write_text(json.dumps({c: i for i, c in enumerate(CHARS)}))
    tok = Wav2Vec2CTCTokenizer(str(out / "vocab.json"), unk_token="<unk>", pad_token="<pad>", word_delimiter_token="|")
    fe = Wav2Vec2FeatureExtractor(feature_size=1, sampling_rate=16000, padding_value=0.0, do_normalize=True)
    Wav2Vec2Processor(feature_extractor=fe, tokenizer=tok).save_pretrained(str(out))
    cfg = Wav2Vec2Config(
        vocab_size=len(CHARS),
        hidden_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=64,
        conv_dim=(16,) * 7,
        num_conv_pos_embeddings=16,
        num_conv_pos_embedding_groups=2,
        pad_token_id=0,
    )
    torch.manual_seed(0)
    Wav2Vec2ForCTC(cfg).eval().save_pretrained(str(out))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
