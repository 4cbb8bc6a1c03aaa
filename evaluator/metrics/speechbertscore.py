"""SpeechBERTScore (Saeki et al., Interspeech 2024): BERTScore on self-supervised speech features.

The dubbed speech and a reference speech are encoded by a self-supervised model (HuBERT, WavLM,
mHuBERT-147 or wav2vec 2.0, loaded by transformers from a local directory or a hub id); each frame's
feature is taken from one hidden layer. With the cosine similarity of every generated frame to every
reference frame, precision is the mean over generated frames of their best match, recall the mean over
reference frames of theirs, F1 their harmonic mean. SpeechBERTScore is the precision.

Conventions of the reference implementation (Takaaki-Saeki/DiscreteSpeechMetrics): 16 kHz waveforms fed
as they are (no mean/variance normalisation), ``hidden_states[layer]`` where index 0 is the output of
the feature projection, the last hidden state when ``layer`` is None. The paper's best setting is
WavLM-large, layer 14 (the default here).

>>> import numpy as np
>>> a = np.random.default_rng(0).standard_normal((5, 8))
>>> [round(x, 6) for x in bert_score(a, a)]
[1.0, 1.0, 1.0]
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from evaluator.errors import ConfigError, MissingDependencyError, ModelLoadError

DEFAULT_MODEL = "microsoft/wavlm-large"
DEFAULT_LAYER = 14
SAMPLE_RATE = 16000
OPTION_HINT = "give the metric option speechbertscore_model=DIR (a local HuBERT/WavLM/mHuBERT directory or hub id)"


def bert_score(generated: np.ndarray, reference: np.ndarray) -> tuple[float, float, float]:
    """(precision, recall, F1) of greedy cosine matching between feature sequences ``(T, D)`` and ``(T', D)``."""
    g = np.asarray(generated, dtype=np.float64)
    r = np.asarray(reference, dtype=np.float64)
    if g.ndim != 2 or r.ndim != 2 or g.shape[1] != r.shape[1] or not len(g) or not len(r):
        raise ConfigError(f"expected two non-empty (T, D) feature arrays, got {g.shape} and {r.shape}")
    g = g / np.maximum(np.linalg.norm(g, axis=1, keepdims=True), 1e-12)
    r = r / np.maximum(np.linalg.norm(r, axis=1, keepdims=True), 1e-12)
    sim = g @ r.T
    precision = float(sim.max(axis=1).mean())
    recall = float(sim.max(axis=0).mean())
    f1 = 2 * precision * recall / (precision + recall) if precision + recall != 0 else 0.0
    return precision, recall, f1


class SpeechBERTScorer:
    """Holds the self-supervised model (loaded on first use) and scores a dub against reference speech."""

    def __init__(
        self, model: str = DEFAULT_MODEL, layer: int | str | None = DEFAULT_LAYER, device: str = "auto"
    ) -> None:
        self.model = str(model)
        self.layer = None if layer is None or str(layer).strip().lower() in ("", "none", "last") else int(layer)
        self.device = str(device)

    @property
    def model_id(self) -> str:
        p = Path(self.model)
        name = p.name if p.is_dir() else self.model
        return f"speechbertscore:{name} layer {'last' if self.layer is None else self.layer}"

    def available(self) -> bool:
        from evaluator.models import local_path

        path = local_path(self.model)
        return path is not None and (path / "config.json").is_file()

    @cached_property
    def _net(self) -> Any:
        try:
            import torch
            from transformers import AutoModel
        except ImportError:
            raise MissingDependencyError("transformers", install="pip install transformers") from None
        from evaluator.models import resolve

        path = resolve(self.model, what="SpeechBERTScore speech model", param="speechbertscore_model")
        try:
            net = AutoModel.from_pretrained(path)
        except (OSError, ValueError) as exc:
            raise ModelLoadError(f"cannot load speech model {self.model!r}: {exc}", hint=OPTION_HINT) from None
        n_layers = int(getattr(net.config, "num_hidden_layers", 0))
        if self.layer is not None and not 0 <= self.layer <= n_layers:
            raise ConfigError(
                f"speechbertscore layer {self.layer} is out of range for {self.model_id}",
                hint=f"choose 0..{n_layers} with the metric option speechbertscore_layer=N",
            )
        device = self.device if self.device != "auto" else ("cuda" if torch.cuda.is_available() else "cpu")
        return net.to(device).eval()

    def features(self, audio16k: np.ndarray) -> np.ndarray:
        """Frame features ``(T, D)`` of 16 kHz audio from the chosen layer."""
        import torch

        net = self._net
        dev = next(net.parameters()).device
        wave = torch.from_numpy(np.ascontiguousarray(audio16k, dtype=np.float32))[None].to(dev)
        with torch.inference_mode():
            if self.layer is None:
                out = net(wave).last_hidden_state
            else:
                out = net(wave, output_hidden_states=True).hidden_states[self.layer]
        return out[0].float().cpu().numpy()

    def score(self, generated16k: np.ndarray, reference16k: np.ndarray) -> dict[str, float]:
        """``precision`` (SpeechBERTScore), ``recall`` and ``f1`` of a dub against reference speech."""
        p, r, f1 = bert_score(self.features(generated16k), self.features(reference16k))
        return {"precision": p, "recall": r, "f1": f1}

    def unload(self) -> None:
        self.__dict__.pop("_net", None)
