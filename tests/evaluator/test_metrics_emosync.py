"""EmoSync (emo_sync): the face's expression emotion against the dub's speech emotion, with the packaged models
(the fer network on the matplotlib photo's face, the prosodic features of piper speech)."""

from __future__ import annotations

import numpy as np
import pytest
from metric_helpers import SR, item, talking_face

from evaluator.encoders.face import EXPRESSION_LABELS
from evaluator.metrics.emosync import (
    EmoSyncMetrics,
    face_arousal,
    js_agreement,
    speech_face_distribution,
    vocal_arousal,
)


@pytest.fixture(scope="module")
def face_clip(speech, tmp_path_factory):
    return talking_face(speech, tmp_path_factory.mktemp("emosync") / "face.mp4")


@pytest.fixture(scope="module")
def family():
    fam = EmoSyncMetrics()
    yield fam
    fam.unload()


def _excited(speech: np.ndarray) -> np.ndarray:
    """The same reading 4 semitones higher and 9.5 dB louder (more vocal arousal)."""
    import librosa

    up = librosa.effects.pitch_shift(speech.astype(np.float32), sr=SR, n_steps=4)
    return np.clip(3.0 * up, -1.0, 1.0).astype(np.float32)


def test_offline_emosync_compares_face_and_voice_arousal(family, face_clip, speech) -> None:
    pad = np.zeros(SR // 2, np.float32)  # the clip's audio has half a second of silence each side
    dub = np.concatenate([pad, speech, pad])
    calm = family.score(item(dub, voice=speech, video=str(face_clip)), ["emo_sync"])["emo_sync"]
    assert calm.value is not None, calm.skipped
    d = calm.details
    assert d["face_coverage"] > 0.9 and abs(d["speech_arousal"]) < 0.15  # the dub reads as the voice does
    assert calm.value == pytest.approx(1 - abs(d["face_arousal"] - d["speech_arousal"]) / 2, abs=1e-3)
    loud = family.score(item(np.concatenate([pad, _excited(speech), pad]), voice=speech, video=str(face_clip)),
                        ["emo_sync"])["emo_sync"]  # fmt: skip
    assert loud.details["speech_arousal"] > 0.3
    assert loud.details["face_arousal"] == pytest.approx(d["face_arousal"], abs=1e-6)  # same face
    assert loud.value == pytest.approx(1 - abs(d["face_arousal"] - loud.details["speech_arousal"]) / 2, abs=1e-3)
    spec = family.spec("emo_sync")
    assert spec.backend == "prosody-arousal" and "fer" in spec.model_id and spec.anchors == (0.5, 1.0)


def test_emosync_skips_without_a_face_or_a_voice(family, speech, tmp_path) -> None:
    blank = talking_face(speech, tmp_path / "blank.mp4", face=False)
    r = family.score(item(speech, voice=speech, video=str(blank)), ["emo_sync"])["emo_sync"]
    assert r.value is None and "face in 0%" in r.skipped
    r = family.score(item(speech, video=str(blank)), ["emo_sync"])["emo_sync"]
    assert r.value is None and r.skipped  # no voice to compare the delivery with (or no face)
    r = family.score(item(speech, voice=speech), ["emo_sync"])["emo_sync"]
    assert r.value is None and "missing input: video" in r.skipped


def test_arousal_and_distribution_helpers() -> None:
    probs = dict.fromkeys(EXPRESSION_LABELS, 0.0)
    probs.update(angry=0.5, sad=0.5)
    assert face_arousal(np.array([probs[k] for k in EXPRESSION_LABELS])) == pytest.approx(0.0)
    assert face_arousal(np.eye(len(EXPRESSION_LABELS))[EXPRESSION_LABELS.index("surprise")]) == 1.0
    from evaluator.encoders.prosody import PROSODY_DIM

    flat = np.zeros(PROSODY_DIM)
    assert vocal_arousal(flat, flat) == 0.0
    # emotion2vec's 9 classes, Chinese/English labels: other and unknown are dropped, the rest renamed
    scores = {"生气/angry": 0.1, "厌恶/disgusted": 0.0, "恐惧/fearful": 0.0, "开心/happy": 0.6, "中立/neutral": 0.1,
              "其他/other": 0.1, "难过/sad": 0.0, "吃惊/surprised": 0.0, "<unk>": 0.1}  # fmt: skip
    dist = speech_face_distribution(scores)
    assert dist.sum() == pytest.approx(1.0) and EXPRESSION_LABELS[int(dist.argmax())] == "happy"
    assert dist[EXPRESSION_LABELS.index("happy")] == pytest.approx(0.75)
    assert js_agreement(dist, dist) == pytest.approx(1.0)
    one_hot = np.eye(len(EXPRESSION_LABELS))
    assert 0.5 < js_agreement(dist, one_hot[EXPRESSION_LABELS.index("happy")]) < 1.0  # mostly the same emotion
    assert js_agreement(dist, one_hot[EXPRESSION_LABELS.index("sad")]) == 0.0  # nothing in common


def test_labels_and_the_papers_metric_set() -> None:
    from evaluator.metrics import METRIC_SETS
    from evaluator.metrics.presets import anchors, preset
    from evaluator.scoring import ScoreConfig
    from evaluator.scoring.runner import Scorer

    assert "EmoSync" not in preset("emo_sim")["paper"] and preset("emo_sync")["paper"] == "DubScore EmoSync"
    assert anchors("emo_sync", "emotion2vec") == (0.0, 1.0)
    names = Scorer(ScoreConfig(metrics=("dubscore-paper",))).metric_names
    assert names == list(METRIC_SETS["dubscore-paper"])
    assert {"emo_sync", "log_f0_rmse", "utmos", "semantic_sim", "av_sync_conf"} <= set(names)
