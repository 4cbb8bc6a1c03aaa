"""Paper-profile cue encoders: the models the DubScore and AV-FusionNet papers use.

=================  ===  =========================================  ===============================
cue                mod  model (default hub id; or a local dir)      vector
=================  ===  =========================================  ===============================
wav2vec2           A    facebook/wav2vec2-base (transformers)       mean-pooled last layer (768)
ecapa              A    speechbrain/spkrec-ecapa-voxceleb           ECAPA-TDNN x-vector (192) + cos
emotion2vec        A    iic/emotion2vec_plus_base (funasr)          utterance embedding (768)
timesformer        V    facebook/timesformer-base-finetuned-k400    CLS token over 8 frames (768)
face_expression    V    trpakov/vit-face-expression (ViT)           pooled face-crop feature (hidden)
sbert_script       T    sentence-transformers/all-mpnet-base-v2     sentence embedding (768)
sbert_transcript   T    same, of the ASR transcript                 embedding + cosine to script
=================  ===  =========================================  ===============================

The sizes above are those of the encoders; the fusion network projects every cue to the model width
(``--hidden``: 64 for the dubscore head, 512 for avfusion; 256 with ``--preset paper``, the paper's).
Transformer encoders expose ``module`` (the torch model) and ``forward_inputs``/``forward`` so that LoRA
adapters (:mod:`evaluator.dubscore.lora`) can be trained end to end with ``--finetune-encoders``: Wav2Vec2,
TimeSformer, the ViT face-expression model and both Sentence-BERT cues (the transformer inside the
sentence-transformers pipeline; the transcript cue's ASR stays as it is). ECAPA-TDNN and emotion2vec get no
adapters: their libraries (speechbrain's ``EncoderClassifier.encode_batch``, funasr's ``AutoModel.generate``)
run their own feature pipelines without gradients, so an adapter could not be trained through them (see
docs/fidelity.md). Nothing loads until first use; nothing is downloaded unless a hub id is given and the hub
is reachable.
"""

from __future__ import annotations

import hashlib
import os
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from evaluator.dubscore.cues import CueEncoder, ScriptCue, TranscriptCue, video_frames
from evaluator.encoders.audio_emotion import DEFAULT_EMOTION2VEC
from evaluator.errors import MissingDependencyError, ModelLoadError
from evaluator.metrics.item import ScoreItem
from evaluator.metrics.speaker import cosine
from evaluator.models import cache_dir, resolve

DEFAULT_MODELS = {
    "wav2vec2": "facebook/wav2vec2-base",
    "ecapa": "speechbrain/spkrec-ecapa-voxceleb",
    "emotion2vec": DEFAULT_EMOTION2VEC,
    "timesformer": "facebook/timesformer-base-finetuned-k400",
    "face_expression": "trpakov/vit-face-expression",
    "sbert": "sentence-transformers/all-mpnet-base-v2",
}


def _model_tag(model: str) -> str:
    """``model`` plus a hash of its config when it is a local directory (two local dirs never collide)."""
    cfg = Path(model) / "config.json"
    if cfg.is_file():
        return f"{Path(model).name}@{hashlib.sha256(cfg.read_bytes()).hexdigest()[:10]}"
    return model


def _load_error(model: str, what: str, exc: Exception) -> ModelLoadError:
    return ModelLoadError(
        f"{model}: cannot load {what} ({exc.__class__.__name__}: {exc})",
        hint="pass a local model directory (config and weights) or a hub id on a host that can reach the hub",
    )


class _TransformersCue(CueEncoder):
    """A cue computed by a transformers model loaded with ``from_pretrained(model)``."""

    profile = "paper"
    auto_class = "AutoModel"

    def __init__(self, model: str | os.PathLike[str] | None = None, *, device: str = "cpu") -> None:
        self.model = str(model or DEFAULT_MODELS[self.name])
        self.device = device

    adapter_tag: str | None = None  # set when LoRA adapters are on (evaluator.dubscore.finetune)

    @property
    def encoder_id(self) -> str:
        tag = f"+lora:{self.adapter_tag}" if self.adapter_tag else ""
        return f"{self.name}:{_model_tag(self.model)}{tag}"

    @cached_property
    def module(self) -> Any:
        """The torch model (eval mode); LoRA wraps this."""
        import transformers

        path = resolve(self.model, what=f"{self.name} cue model")
        try:
            return getattr(transformers, self.auto_class).from_pretrained(path).to(self.device).eval()
        except (OSError, ValueError) as exc:
            raise _load_error(self.model, self.name, exc) from None

    @property
    def dim(self) -> int:
        return int(self.module.config.hidden_size)

    def encode(self, item: ScoreItem) -> np.ndarray:
        import torch

        inputs = self.forward_inputs(item)
        with torch.inference_mode():
            return self.forward(inputs).float().cpu().numpy().astype(np.float32)

    def forward_inputs(self, item: ScoreItem) -> Any:
        """The model inputs of ``item`` (tensors), reusable across training epochs."""
        raise NotImplementedError

    def forward(self, inputs: Any) -> Any:
        """The cue vector ``(dim,)`` as a tensor (differentiable when adapters train)."""
        raise NotImplementedError

    def unload(self) -> None:
        self.__dict__.pop("module", None)
        self.adapter_tag = None  # adapters go with the module


class Wav2Vec2Cue(_TransformersCue):
    name = "wav2vec2"
    modality = "A"
    inputs = ("audio",)
    auto_class = "Wav2Vec2Model"
    max_seconds = 20.0

    def forward_inputs(self, item: ScoreItem) -> Any:
        import torch

        x = item.audio(16000)[: int(self.max_seconds * 16000)].astype(np.float32)
        x = (x - x.mean()) / np.sqrt(x.var() + 1e-7)  # Wav2Vec2FeatureExtractor(do_normalize=True)
        return torch.from_numpy(x)[None].to(self.device)

    def forward(self, inputs: Any) -> Any:
        return self.module(input_values=inputs).last_hidden_state.mean(dim=1)[0]


class TimeSformerCue(_TransformersCue):
    name = "timesformer"
    modality = "V"
    inputs = ("video",)
    auto_class = "TimesformerModel"
    _MEAN = np.array([0.45, 0.45, 0.45], np.float32)
    _STD = np.array([0.225, 0.225, 0.225], np.float32)

    def forward_inputs(self, item: ScoreItem) -> Any:
        import cv2
        import torch

        cfg = self.module.config
        frames = video_frames(item, fps=8.0)
        if len(frames) == 0:
            frames = np.zeros((1, cfg.image_size, cfg.image_size, 3), np.uint8)
        idx = np.linspace(0, len(frames) - 1, cfg.num_frames).round().astype(int)
        size = (cfg.image_size, cfg.image_size)
        clip = np.stack([cv2.resize(frames[i], size, interpolation=cv2.INTER_AREA) for i in idx]) / 255.0
        clip = ((clip - self._MEAN) / self._STD).astype(np.float32).transpose(0, 3, 1, 2)
        return torch.from_numpy(clip)[None].to(self.device)

    def forward(self, inputs: Any) -> Any:
        return self.module(pixel_values=inputs).last_hidden_state[0, 0]


class FaceExpressionCue(_TransformersCue):
    """A ViT-style facial-expression model on the largest face of each frame (dlib crops)."""

    name = "face_expression"
    modality = "V"
    inputs = ("video",)
    auto_class = "AutoModel"

    @cached_property
    def _faces(self) -> Any:
        from evaluator.encoders.face import FaceAnalyzer

        return FaceAnalyzer("dlib")

    def forward_inputs(self, item: ScoreItem) -> Any:
        import cv2
        import torch

        cfg = self.module.config
        size = (cfg.image_size, cfg.image_size)
        crops = []
        for frame in video_frames(item):
            boxes = self._faces.detect(frame)
            if boxes:
                b = boxes[0]
                crops.append(cv2.resize(frame[b.y : b.y + b.h, b.x : b.x + b.w], size, interpolation=cv2.INTER_AREA))
        if not crops:
            return None
        x = (np.stack(crops).astype(np.float32) / 255.0 - 0.5) / 0.5
        return torch.from_numpy(x.transpose(0, 3, 1, 2)).to(self.device)

    def forward(self, inputs: Any) -> Any:
        import torch

        if inputs is None:
            return torch.zeros(self.dim, device=self.device)
        out = self.module(pixel_values=inputs)
        pooled = getattr(out, "pooler_output", None)
        feats = pooled if pooled is not None else out.last_hidden_state[:, 0]
        return feats.mean(dim=0)


class EcapaCue(CueEncoder):
    """ECAPA-TDNN speaker embedding (speechbrain) and its cosine to the target voice clip."""

    name = "ecapa"
    modality = "A"
    inputs = ("audio",)
    optional_inputs = ("voice", "reference")
    profile = "paper"

    def __init__(self, model: str | os.PathLike[str] | None = None, *, device: str = "cpu") -> None:
        self.model = str(model or DEFAULT_MODELS["ecapa"])
        self.device = device

    @property
    def encoder_id(self) -> str:
        return f"ecapa:{_model_tag(self.model)}"

    @property
    def dim(self) -> int:
        return 193

    @cached_property
    def _model(self) -> Any:
        try:
            from speechbrain.inference.speaker import EncoderClassifier
        except ImportError:
            raise MissingDependencyError("speechbrain (ECAPA-TDNN)", extra="paper") from None
        path = resolve(self.model, what="ECAPA-TDNN model")
        savedir = cache_dir() / "speechbrain" / _model_tag(self.model).replace("/", "--")  # not ./pretrained_models
        try:
            return EncoderClassifier.from_hparams(
                source=str(path), savedir=str(savedir), run_opts={"device": self.device}
            )
        except Exception as exc:  # noqa: BLE001 - speechbrain raises many kinds on a bad source
            raise _load_error(self.model, "ECAPA-TDNN", exc) from None

    def _embed(self, audio: np.ndarray) -> np.ndarray:
        import torch

        with torch.inference_mode():
            emb = self._model.encode_batch(torch.from_numpy(audio.astype(np.float32))[None])
        return emb.reshape(-1).cpu().numpy()

    def encode(self, item: ScoreItem) -> np.ndarray:
        emb = self._embed(item.audio(16000))
        sim = cosine(emb, self._embed(item.voice(16000))) if item.has("voice|reference") else 0.0
        return np.concatenate([emb, [sim]]).astype(np.float32)

    def unload(self) -> None:
        self.__dict__.pop("_model", None)


class Emotion2VecCue(CueEncoder):
    """emotion2vec utterance embedding, through :class:`evaluator.encoders.audio_emotion.Emotion2VecEncoder`."""

    name = "emotion2vec"
    modality = "A"
    inputs = ("audio",)
    profile = "paper"

    def __init__(self, model: str | os.PathLike[str] | None = None, *, device: str = "cpu") -> None:
        from evaluator.encoders.audio_emotion import Emotion2VecEncoder

        self._enc = Emotion2VecEncoder(model or DEFAULT_MODELS["emotion2vec"], device=device)

    @property
    def encoder_id(self) -> str:
        return self._enc.encoder_id

    @property
    def dim(self) -> int:
        return int(self._enc.dim)

    def encode(self, item: ScoreItem) -> np.ndarray:
        return self._enc.encode(item.audio(16000), 16000)

    def unload(self) -> None:
        self._enc.unload()


class SentenceBERT:
    """A sentence-transformers model from a local directory or a hub id (the text cues' embedder)."""

    def __init__(self, model: str | os.PathLike[str] | None = None, *, device: str = "cpu") -> None:
        self.model = str(model or DEFAULT_MODELS["sbert"])
        self.device = device

    @property
    def model_id(self) -> str:
        return f"sbert:{_model_tag(self.model)}"

    @cached_property
    def _st(self) -> Any:
        from sentence_transformers import SentenceTransformer

        path = resolve(self.model, what="Sentence-BERT model")
        try:
            return SentenceTransformer(str(path), device=self.device, local_files_only=True)
        except (OSError, ValueError) as exc:
            raise _load_error(self.model, "Sentence-BERT", exc) from None

    @property
    def dim(self) -> int:
        return int(self._st.get_sentence_embedding_dimension())

    def embed(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self._st.encode(texts, normalize_embeddings=True, show_progress_bar=False), np.float32)

    def unload(self) -> None:
        self.__dict__.pop("_st", None)


class _AdaptableSBERT:
    """What LoRA needs of a Sentence-BERT cue: the transformer inside the sentence-transformers pipeline as
    ``module`` (replaced in place by :meth:`set_module`), and a differentiable ``forward`` through the whole
    pipeline (tokens -> transformer -> pooling -> normalisation), equal to ``SentenceBERT.embed``."""

    _lm: SentenceBERT
    adapter_tag: str | None = None

    @property
    def module(self) -> Any:
        return self._lm._st[0].model

    def set_module(self, module: Any) -> None:
        self._lm._st[0].model = module

    def _tokens(self, texts: list[str]) -> dict[str, Any]:
        import torch

        st = self._lm._st
        feats = st.preprocess(texts) if hasattr(st, "preprocess") else st.tokenize(texts)
        return {k: v.to(self._lm.device) for k, v in feats.items() if isinstance(v, torch.Tensor)}

    def _embed(self, tokens: dict[str, Any]) -> Any:
        import torch

        out = self._lm._st(dict(tokens))["sentence_embedding"]
        return torch.nn.functional.normalize(out, dim=-1)

    def _tagged(self, encoder_id: str) -> str:
        return f"{encoder_id}+lora:{self.adapter_tag}" if self.adapter_tag else encoder_id


class SBERTScriptCue(_AdaptableSBERT, ScriptCue):
    name = "sbert_script"
    profile = "paper"

    def __init__(self, model: str | os.PathLike[str] | None = None, *, device: str = "cpu") -> None:
        super().__init__(SentenceBERT(model, device=device))

    @property
    def encoder_id(self) -> str:
        return self._tagged(self._lm.model_id)

    def forward_inputs(self, item: ScoreItem) -> Any:
        return self._tokens([item.text or ""])

    def forward(self, inputs: Any) -> Any:
        return self._embed(inputs)[0]

    def encode(self, item: ScoreItem) -> np.ndarray:
        import torch

        with torch.inference_mode():
            return self.forward(self.forward_inputs(item)).float().cpu().numpy().astype(np.float32)

    def unload(self) -> None:
        super().unload()
        self.adapter_tag = None  # adapters go with the model


class SBERTTranscriptCue(_AdaptableSBERT, TranscriptCue):
    name = "sbert_transcript"
    profile = "paper"

    def __init__(
        self, model: str | os.PathLike[str] | None = None, *, asr: str = "pocketsphinx", device: str = "cpu"
    ) -> None:
        super().__init__(asr, SentenceBERT(model, device=device))

    @property
    def encoder_id(self) -> str:
        return self._tagged(super().encoder_id)

    def forward_inputs(self, item: ScoreItem) -> Any:
        """The tokens of the ASR transcript and of the script (the ASR pass is not trained)."""
        hyp = self._asr.transcribe(item.audio(self._asr.sample_rate), item.lang or "en") or ""
        return {"tokens": self._tokens([hyp, item.text or ""]), "heard": bool(hyp.strip())}

    def forward(self, inputs: Any) -> Any:
        import torch

        emb = self._embed(inputs["tokens"])
        cos = (emb[0] * emb[1]).sum() if inputs["heard"] else torch.zeros((), device=emb.device)
        return torch.cat([emb[0], cos.reshape(1)])

    def encode(self, item: ScoreItem) -> np.ndarray:
        import torch

        with torch.inference_mode():
            return self.forward(self.forward_inputs(item)).float().cpu().numpy().astype(np.float32)

    def unload(self) -> None:
        super().unload()
        self.adapter_tag = None
