"""SpeechBERTScore, the paper mode of semantic_sim: a tiny random-initialised HuBERT saved to a directory
and loaded by transformers, on piper speech; text-only items keep the transcript + MiniLM path."""

from __future__ import annotations

import numpy as np
import pytest
from metric_helpers import SENTENCE, SR, item

from evaluator.errors import ConfigError
from evaluator.metrics import create_metric
from evaluator.metrics.speechbertscore import bert_score


@pytest.fixture(scope="module")
def hubert_dir(tmp_path_factory):
    import torch
    from transformers import HubertConfig, HubertModel

    torch.manual_seed(0)
    cfg = HubertConfig(
        hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
        conv_dim=(16, 16), conv_stride=(5, 4), conv_kernel=(10, 8), num_conv_pos_embeddings=16,
        num_conv_pos_embedding_groups=2,
    )  # fmt: skip
    d = tmp_path_factory.mktemp("hubert")
    HubertModel(cfg).save_pretrained(d)
    return d


@pytest.fixture(scope="module")
def paper_family(hubert_dir):
    fam = create_metric("semantic_sim", profile="auto", speechbertscore_model=str(hubert_dir), speechbertscore_layer=2)
    yield fam
    fam.unload()


def test_bert_score_greedy_matching():
    g = np.array([[1.0, 0.0]])
    r = np.array([[2.0, 0.0], [0.0, 1.0]])
    p, rec, f1 = bert_score(g, r)
    assert (p, rec) == (pytest.approx(1.0), pytest.approx(0.5)) and f1 == pytest.approx(2 / 3)
    with pytest.raises(ConfigError):
        bert_score(np.zeros((3, 4)), np.zeros((3, 5)))


def test_identity_is_one_and_another_utterance_is_lower(paper_family, hubert_dir, speech, other_speech):
    fam = paper_family
    assert fam.semantic == "speechbertscore"  # auto: the model directory is local
    spec = fam.spec("semantic_sim")
    assert spec.backend == "speechbertscore" and spec.inputs == ("audio", "reference|text") and not spec.offline
    same = fam.score(item(speech, reference=speech), ["semantic_sim"])["semantic_sim"]
    assert same.value == pytest.approx(1.0, abs=1e-5)
    assert same.details["recall"] == pytest.approx(1.0, abs=1e-5) and same.details["f1"] == pytest.approx(1.0, abs=1e-5)
    assert same.model_id.startswith(f"speechbertscore:{hubert_dir.name} layer 2")
    other = fam.score(item(speech, reference=other_speech), ["semantic_sim"])["semantic_sim"]
    assert -1.0 <= other.value < same.value - 1e-3
    assert other.details["precision"] == pytest.approx(other.value, abs=1e-6)


def test_text_only_items_keep_the_transcript_path_and_record_its_model(paper_family, speech):
    res = paper_family.score(item(speech, text=SENTENCE), ["semantic_sim", "wer"])
    sem = res["semantic_sim"]
    assert sem.value is not None and sem.value > 0.5
    assert sem.backend == "pocketsphinx" and "MiniLM" in sem.model_id and "speechbertscore" not in sem.model_id
    assert "transcript" in sem.details and res["wer"].value is not None
    bare = paper_family.score(item(speech), ["semantic_sim"])["semantic_sim"]
    assert bare.value is None and bare.skipped == "missing input: reference or text"


def test_offline_profile_keeps_minilm_and_bad_layers_are_reported(hubert_dir, speech):
    offline = create_metric("semantic_sim", speechbertscore_model=str(hubert_dir))
    assert offline.semantic == "sbert" and "MiniLM" in offline.spec("semantic_sim").model_id
    bad = create_metric("semantic_sim", semantic="speechbertscore", speechbertscore_model=str(hubert_dir))
    res = bad.score(item(speech[: SR // 2], reference=speech[: SR // 2]), ["semantic_sim"])["semantic_sim"]
    assert res.value is None and "layer 14 is out of range" in res.skipped  # the paper's layer; this model has 2
    with pytest.raises(ConfigError, match="unknown semantic mode"):
        create_metric("semantic_sim", semantic="bleu")
