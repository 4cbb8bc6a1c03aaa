"""Which encoder produces each modality's vector, per profile, and the vector sizes.

``offline`` uses models that ship inside wheels; ``paper`` the models of Authentic-Dubber's setup
(a transformers text-emotion classifier, emotion2vec). The scene and face encoders are the same in
both profiles (low-level visual statistics; FER-2013 expression probabilities and features).
"""

from __future__ import annotations

from typing import Any

from evaluator.errors import ConfigError

#: Modalities a target line is queried by; ``audio`` is only returned (it is what the dub uses).
QUERY_MODALITIES: tuple[str, ...] = ("scene", "face", "text")
MODALITIES: tuple[str, ...] = (*QUERY_MODALITIES, "audio")
PROFILES: tuple[str, ...] = ("offline", "paper")

#: Vector sizes of the offline profile (scene statistics, 7 expression probs + 128-d FER feature +
#: face coverage, 7 text-emotion probabilities, 16 prosodic features).
OFFLINE_DIMS: dict[str, int] = {"scene": 24, "face": 136, "text": 7, "audio": 16}


def make_encoders(profile: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """Encoder objects per modality for ``profile`` (nothing is loaded until first use).

    ``options``: ``text_model`` (paper: local directory or hub id of a text-emotion classifier),
    ``audio_model`` (paper: emotion2vec directory or model id), ``face_detector`` (dlib or haar).
    """
    from evaluator.encoders.audio_emotion import Emotion2VecEncoder, ProsodyEmotionEncoder
    from evaluator.encoders.scene_visual import SceneVisualEncoder
    from evaluator.encoders.text_emotion import PrototypeTextEmotion, TransformersTextEmotion
    from retrieval.face_vector import FaceVectorEncoder

    opts = dict(options or {})
    if profile == "offline":
        text: Any = PrototypeTextEmotion()
        audio: Any = ProsodyEmotionEncoder()
    elif profile == "paper":
        text = TransformersTextEmotion(opts.get("text_model") or TransformersTextEmotion.DEFAULT_MODEL)
        audio = Emotion2VecEncoder(opts.get("audio_model") or Emotion2VecEncoder.DEFAULT_MODEL)
    else:
        raise ConfigError(f"unknown profile {profile!r}", hint=f"choose one of: {', '.join(PROFILES)}")
    return {
        "scene": SceneVisualEncoder(),
        "face": FaceVectorEncoder(detector=opts.get("face_detector", "haar")),
        "text": text,
        "audio": audio,
    }
