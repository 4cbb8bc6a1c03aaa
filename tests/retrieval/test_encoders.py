"""The audio-emotion and face-vector encoders the library uses (offline backends, paper error paths)."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from evaluator.encoders.audio_emotion import Emotion2VecEncoder, ProsodyEmotionEncoder
from evaluator.encoders.prosody import PROSODY_DIM
from evaluator.errors import MediaError, MissingDependencyError
from retrieval.face_vector import FACE_DIM, FaceVectorEncoder


def test_prosody_audio_vector_of_a_clip(clip_dir):
    enc = ProsodyEmotionEncoder()
    a = enc.encode_file(clip_dir / "c_happy.mp4", 0.0, 3.0)
    assert a.shape == (PROSODY_DIM,) and enc.encoder_id == "dubkit-prosody-v1"
    np.testing.assert_array_equal(a, enc.encode_file(clip_dir / "c_happy.mp4", 0.0, 3.0))
    male = enc.encode_file(clip_dir / "c_angry.mp4", 0.0, 3.0)
    assert male[0] < a[0]  # f0_mean: espeak's male voice is lower than its female voice
    with pytest.raises(MediaError, match="at least"):
        enc.encode_file(clip_dir / "c_happy.mp4", 0.0, 0.05)


def test_emotion2vec_without_funasr_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "funasr", None)  # not importable here, installed or not
    enc = Emotion2VecEncoder()  # constructing touches nothing
    assert enc.hub_id == "emotion2vec/emotion2vec_plus_base"  # ModelScope's id, fetched from its Hugging Face copy
    assert enc.dim == 768 and enc.encoder_id == "emotion2vec-utterance / iic/emotion2vec_plus_base"
    with pytest.raises(MissingDependencyError) as err:
        enc.encode(np.zeros(16000, np.float32), 16000)
    assert err.value.extra == "paper" and "dubkit[paper]" in str(err.value)


def test_face_vector_of_the_photo_and_of_a_faceless_clip(clip_dir):
    enc = FaceVectorEncoder()
    vec = enc.encode(clip_dir / "c_happy.mp4", 0.0, 3.0)
    assert vec is not None and vec.shape == (FACE_DIM,) == (136,)
    assert vec[:7].sum() == pytest.approx(1.0, abs=1e-4) and vec[135] == pytest.approx(1.0)
    assert np.linalg.norm(vec[7:135]) == pytest.approx(1.0, abs=1e-4)
    blank = np.full((3, 90, 160, 3), 128, np.uint8)
    assert enc.encode_frames(blank) is None
