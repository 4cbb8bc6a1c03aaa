"""Text emotion: the packaged MiniLM prototype backend, and a tiny random transformers classifier."""

from __future__ import annotations

import os

import numpy as np
import pytest

from evaluator.encoders.text_emotion import TEXT_EMOTION_LABELS, PrototypeTextEmotion, TransformersTextEmotion
from evaluator.errors import ModelLoadError


@pytest.fixture(scope="module")
def prototypes() -> PrototypeTextEmotion:
    return PrototypeTextEmotion()


def test_prototype_labels_clear_sentences(prototypes):
    texts = {
        "happy": "This is wonderful news, I'm thrilled for you!",
        "angry": "Shut up! I'm sick of your lies!",
        "sad": "I lost my best friend and I feel empty.",
        "fear": "Please, don't hurt me, I'm so afraid.",
        "neutral": "The report is on the second shelf.",
    }
    probs = prototypes.encode_batch(list(texts.values()))
    assert probs.shape == (5, 7) and probs.dtype == np.float32
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)
    got = [TEXT_EMOTION_LABELS[i] for i in probs.argmax(axis=1)]
    assert got == list(texts)


def test_prototype_is_deterministic_and_keeps_the_environment(prototypes):
    before = dict(os.environ)
    a = prototypes.encode("We did it, we really did it!")
    np.testing.assert_array_equal(a, prototypes.encode("We did it, we really did it!"))
    assert dict(os.environ) == before
    assert prototypes.encoder_id.startswith("text-emotion-prototypes-") and "all-MiniLM-L6-v2" in prototypes.encoder_id
    assert prototypes.encode_batch([]).shape == (0, 7)


@pytest.fixture(scope="module")
def tiny_classifier(tmp_path_factory) -> str:
    """A random-initialised BERT sequence classifier with 5 emotion labels and a small WordPiece vocab."""
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizerFast

    d = tmp_path_factory.mktemp("tiny-emotion")
    words = [
        "i",
        "am",
        "so",
        "happy",
        "sad",
        "angry",
        "we",
        "won",
        "get",
        "out",
        "the",
        "train",
        "leaves",
        "at",
        "nine",
    ]
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *words, ",", "!", "."]
    (d / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    BertTokenizerFast(vocab_file=str(d / "vocab.txt")).save_pretrained(d)
    labels = ["anger", "joy", "sadness", "fear", "neutral"]
    config = BertConfig(
        vocab_size=len(vocab),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        num_labels=5,
        id2label=dict(enumerate(labels)),
        label2id={v: k for k, v in enumerate(labels)},
    )
    BertForSequenceClassification(config).eval().save_pretrained(d)
    return str(d)


def test_transformers_classifier_from_a_local_directory(tiny_classifier):
    enc = TransformersTextEmotion(tiny_classifier)
    assert enc.dim == 5 and enc.labels == ("anger", "joy", "sadness", "fear", "neutral")
    probs = enc.encode_batch(["I am so happy, we won!", "get out!"])
    assert probs.shape == (2, 5)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(enc.encode("get out!"), probs[1], atol=1e-6)  # batched kernels differ in ulps
    assert enc.encoder_id == f"text-emotion-transformers / {tiny_classifier}"
    enc.unload()
    assert enc.encode("get out!").shape == (5,)


def test_transformers_classifier_missing_model_is_a_clear_error(tmp_path):
    enc = TransformersTextEmotion(tmp_path / "no-such-model")  # constructing touches nothing
    with pytest.raises(ModelLoadError, match="no-such-model"):
        enc.encode("hello")
