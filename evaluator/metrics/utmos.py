"""``utmos``: UTMOS22 strong learner naturalness MOS (paper backend only; no model ships in a wheel).

``model`` is a local checkout of the SpeechMOS torch-hub repository (``hubconf.py`` with
``utmos22_strong``), built with ``torch.hub.load(dir, "utmos22_strong", source="local", pretrained=False)``;
the weights are ``checkpoint`` (a local ``.pt``), else the release file that hubconf names (:data:`CHECKPOINT_URL`)
kept in dubkit's cache (evaluator.models.fetch_url: downloaded once, never when offline).
With no directory given the metric is skipped with that reason.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Any

from evaluator.errors import ModelLoadError
from evaluator.metrics.base import MetricBackend, MetricFamily
from evaluator.metrics.item import ScoreItem
from evaluator.metrics.spec import MetricSpec

#: the checkpoint SpeechMOS's hubconf.py loads for ``utmos22_strong`` (its ``URLS``)
CHECKPOINT_URL = "https://github.com/tarepan/SpeechMOS/releases/download/v1.0.0/utmos22_strong_step7459_v1.pt"


class UTMOS22Backend(MetricBackend):
    name = "utmos22-strong"
    option_prefix = "utmos"  # utmos_model=DIR
    offline = False
    sample_rate = 16000

    def __init__(self, model: str | None = None, device: str = "cpu", checkpoint: str | None = None) -> None:
        self.model = model
        self.device = device
        self.checkpoint = checkpoint

    @property
    def model_id(self) -> str:  # type: ignore[override]
        return "utmos22_strong (SpeechMOS hub)" if self.model is None else f"utmos22_strong:{Path(self.model).name}"

    def describe_model(self) -> str:
        return self.model_id

    def available(self) -> bool:
        return self.model is not None and (Path(self.model) / "hubconf.py").is_file()

    @cached_property
    def _predictor(self) -> Any:
        import torch

        if not self.available():
            raise ModelLoadError(
                f"{self.model}: not a SpeechMOS torch-hub checkout (no hubconf.py)",
                hint="clone github.com/tarepan/SpeechMOS and pass its directory",
            )
        from evaluator.models import fetch_url, resolve

        if self.checkpoint is not None:
            ckpt = resolve(self.checkpoint, what="UTMOS22 checkpoint", param="utmos_checkpoint")
        else:
            ckpt = fetch_url(CHECKPOINT_URL, what="UTMOS22 checkpoint", param="utmos_checkpoint")
        try:
            net = torch.hub.load(str(self.model), "utmos22_strong", source="local", trust_repo=True, pretrained=False)
            net.load_state_dict(torch.load(ckpt, map_location="cpu", weights_only=True))
        except Exception as exc:  # hubconf code raises whatever its loader raises
            raise ModelLoadError(f"cannot load UTMOS22 from {self.model} and {ckpt}: {exc}") from exc
        return net.eval().to(self.device)

    def predict(self, audio: Any) -> float:
        import torch

        wave = torch.as_tensor(audio, dtype=torch.float32)[None].to(self.device)
        with torch.inference_mode():
            return float(self._predictor(wave, self.sample_rate).item())

    def unload(self) -> None:
        self.__dict__.pop("_predictor", None)


class UTMOSMetrics(MetricFamily):
    family = "utmos"
    metric_names = ("utmos",)
    backends = {"utmos22-strong": UTMOS22Backend}
    paper_backend = "utmos22-strong"

    def missing(self, item: ScoreItem, spec: MetricSpec) -> str | None:
        if not self.backend.available():
            return "no UTMOS weights here: give the metric option utmos_model=DIR (a SpeechMOS hub checkout)"
        return super().missing(item, spec)

    def compute(self, item: ScoreItem, names: list[str]) -> dict[str, Any]:
        return {"utmos": self.backend.predict(item.audio(16000))}  # type: ignore[attr-defined]
