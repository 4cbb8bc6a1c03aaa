"""``spk_sim``: cosine of speaker embeddings of the dub and the reference voice.

Backends: ``resemblyzer`` (offline; the GE2E encoder whose weights ship in the resemblyzer wheel)
and ``wavlm-sv`` (paper; ``WavLMForXVector`` from a local directory or hub id such as
``microsoft/wavlm-base-sv``, loaded by transformers).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from evaluator.errors import MissingDependencyError, ModelLoadError
from evaluator.metrics.base import MetricBackend, MetricFamily
from evaluator.metrics.item import ScoreItem


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    a, b = np.asarray(a, dtype=np.float64).ravel(), np.asarray(b, dtype=np.float64).ravel()
    den = np.linalg.norm(a) * np.linalg.norm(b)
    return float(a @ b / den) if den > 0 else 0.0


class ResemblyzerBackend(MetricBackend):
    name = "resemblyzer"
    model_id = "resemblyzer-ge2e-256 (resemblyzer 0.1.4 pretrained.pt)"
    offline = True
    sample_rate = 16000
    #: :meth:`embed_many` runs the partial utterances of several clips as one batch
    batches = True

    @cached_property
    def _encoder(self) -> Any:
        try:
            from resemblyzer import VoiceEncoder
        except ImportError:
            raise MissingDependencyError("resemblyzer", install="pip install --no-deps resemblyzer==0.1.4") from None
        return VoiceEncoder(device="cpu", verbose=False)

    def _prepared(self, audio: np.ndarray) -> np.ndarray:
        from resemblyzer import preprocess_wav

        wav = preprocess_wav(np.asarray(audio, dtype=np.float32), source_sr=self.sample_rate)
        if len(wav) < self.sample_rate * 0.2:  # VAD trimmed (nearly) everything: keep the raw clip
            wav = np.asarray(audio, dtype=np.float32)
        return wav

    def embed(self, audio: np.ndarray) -> np.ndarray:
        return self._encoder.embed_utterance(self._prepared(audio))

    def embed_many(self, audios: list[np.ndarray]) -> list[np.ndarray]:
        """:meth:`embed` of each clip, their partial utterances (1.6 s windows, resemblyzer's ``embed_utterance``
        defaults: rate 1.3, coverage 0.75) run through the encoder as one batch. Equal to one by one within
        float32 rounding (1e-7: a batch takes other matrix kernels)."""
        import torch
        from resemblyzer import audio as rz_audio

        enc = self._encoder
        mels, owner = [], []
        for i, x in enumerate(audios):
            wav = self._prepared(x)
            wav_slices, mel_slices = enc.compute_partial_slices(len(wav), 1.3, 0.75)
            if wav_slices[-1].stop >= len(wav):
                wav = np.pad(wav, (0, wav_slices[-1].stop - len(wav)), "constant")
            mel = rz_audio.wav_to_mel_spectrogram(wav)
            mels += [mel[s] for s in mel_slices]
            owner += [i] * len(mel_slices)
        with torch.no_grad():
            partials = enc(torch.from_numpy(np.array(mels)).to(enc.device)).cpu().numpy()
        who = np.asarray(owner)
        out = []
        for i in range(len(audios)):
            raw = partials[who == i].mean(axis=0)
            out.append(raw / np.linalg.norm(raw, 2))
        return out

    def unload(self) -> None:
        self.__dict__.pop("_encoder", None)


class WavLMSVBackend(MetricBackend):
    """``WavLMForXVector`` x-vectors (the papers' WavLM-base-sv speaker verification model)."""

    name = "wavlm-sv"
    offline = False
    sample_rate = 16000
    extra = None

    def __init__(self, model: str = "microsoft/wavlm-base-sv", device: str = "cpu") -> None:
        self.model = str(model)
        self.device = device

    @property
    def model_id(self) -> str:  # type: ignore[override]
        return f"wavlm-sv:{Path(self.model).name if Path(self.model).is_dir() else self.model}"

    def describe_model(self) -> str:
        return self.model_id

    def available(self) -> bool:
        from evaluator.models import local_path

        path = local_path(self.model)
        return path is not None and (path / "config.json").is_file()

    @cached_property
    def _loaded(self) -> tuple[Any, Any]:
        try:
            from transformers import AutoFeatureExtractor, WavLMForXVector
        except ImportError:
            raise MissingDependencyError("transformers", install="pip install transformers") from None
        from evaluator.models import resolve

        path = resolve(self.model, what="WavLM x-vector model", param=f"{self.prefix()}_model")
        try:
            fe = AutoFeatureExtractor.from_pretrained(path)
            model = WavLMForXVector.from_pretrained(path).to(self.device).eval()
        except (OSError, ValueError) as exc:
            raise ModelLoadError(
                f"cannot load WavLM x-vector model {self.model!r}: {exc}",
                hint="pass a local directory with config.json, the weights and preprocessor_config.json",
            ) from None
        return fe, model

    def embed(self, audio: np.ndarray) -> np.ndarray:
        import torch

        fe, model = self._loaded
        inputs = fe(np.asarray(audio, dtype=np.float32), sampling_rate=self.sample_rate, return_tensors="pt")
        with torch.inference_mode():
            emb = model(**{k: v.to(self.device) for k, v in inputs.items()}).embeddings
        return emb[0].cpu().numpy()

    def unload(self) -> None:
        self.__dict__.pop("_loaded", None)


class EmbeddingSimilarity(MetricFamily):
    """A family whose one metric is the cosine of the backend's embeddings of the dub and of the voice."""

    def prefetch(self, items: Sequence[ScoreItem], names: Sequence[str]) -> None:
        """The dub and voice embeddings of every ready item in one batch, where the backend batches."""
        b = self.backend
        if not getattr(b, "batches", False):
            return
        ready = self.ready_items(items, names)
        if len(ready) < 2:
            return
        sr = int(b.sample_rate or 16000)
        embs = b.embed_many([x for it in ready for x in (it.audio(sr), it.voice(sr))])  # type: ignore[attr-defined]
        for k, it in enumerate(ready):
            self.keep((it.id, "audio"), embs[2 * k])
            self.keep((it.id, "voice"), embs[2 * k + 1])

    def compute(self, item: ScoreItem, names: list[str]) -> dict[str, Any]:
        b = self.backend
        sr = int(b.sample_rate or 16000)
        dub, voice = self.kept((item.id, "audio")), self.kept((item.id, "voice"))
        if dub is None or voice is None:
            dub, voice = b.embed(item.audio(sr)), b.embed(item.voice(sr))  # type: ignore[attr-defined]
        return {self.metric_names[0]: cosine(dub, voice)}


class SpeakerMetrics(EmbeddingSimilarity):
    family = "speaker"
    metric_names = ("spk_sim",)
    backends = {"resemblyzer": ResemblyzerBackend, "wavlm-sv": WavLMSVBackend}
    paper_backend = "wavlm-sv"


def speaker_separation(
    dubs: dict[str, np.ndarray], references: dict[str, np.ndarray], backend: Any
) -> dict[str, dict[str, float]]:
    """How distinct dubbed speakers sound, from one speaker embedding per speaker (16 kHz audio):
    ``between`` the dubs of each pair of speakers (``"A|B"``), and each dub ``to_reference`` (its
    speaker's original voice). Lower ``between`` and higher ``to_reference`` are better."""
    emb = {name: backend.embed(audio) for name, audio in dubs.items()}
    ref = {name: backend.embed(audio) for name, audio in references.items()}
    names = sorted(emb)
    between = {f"{a}|{b}": round(cosine(emb[a], emb[b]), 4) for i, a in enumerate(names) for b in names[i + 1 :]}
    to_reference = {n: round(cosine(emb[n], ref[n]), 4) for n in names if n in ref}
    return {"between": between, "to_reference": to_reference}


def project_speaker_audio(project: Path, sr: int = 16000) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Per speaker of a dub project: their dubbed lines joined, and their reference clip (at ``sr``)."""
    from evaluator.media import read_wav, resample
    from evaluator.project import load_manifest

    manifest = load_manifest(project)
    parts: dict[str, list[np.ndarray]] = {}
    for line in manifest.lines:
        if line.audio and (project / line.audio).is_file():
            audio, rate = read_wav(project / line.audio)
            audio = audio.mean(axis=1) if audio.ndim == 2 else audio
            parts.setdefault(line.speaker, []).append(resample(np.asarray(audio, dtype=np.float32), rate, sr))
    references = {}
    for name, speaker in manifest.speakers.items():
        if speaker.reference and (project / speaker.reference).is_file():
            audio, rate = read_wav(project / speaker.reference)
            audio = audio.mean(axis=1) if audio.ndim == 2 else audio
            references[name] = resample(np.asarray(audio, dtype=np.float32), rate, sr)
    return {name: np.concatenate(p) for name, p in parts.items()}, references
