"""Line scorers of the generate-score loop: a candidate's speech in, a score and its details out.

Two scorers share one call signature (``scorer.score(text, slot, speech, voice=..., lang=..., video_span=...)``):

- :class:`ProxyScorer`: a documented proxy built on the evaluator's metrics, each component mapped to
  [0, 1] by the metric's own anchors for the backend that measured it (presets.yaml, the one home the
  proxy MOS reads too), weighted:

      speaker = spk_sim (resemblyzer cosine to the voice the line imitates)   weight 0.35
      intelligibility = wer (pocketsphinx against the line's text)            weight 0.30
      quality = dnsmos_ovrl (speechmos P.835)                                 weight 0.20
      slot fit = 1 - |duration - slot| / slot, clipped to [0, 1]              weight 0.15

  A component whose metric is skipped (no reference, a language the ASR lacks) drops out and the
  weights of the rest are renormalised.
- :class:`DubScoreScorer`: a trained DubScore checkpoint (the score is on the MOS scale), loaded once.
"""

from __future__ import annotations

import logging
from functools import cached_property
from pathlib import Path
from typing import Any

from dubber.synth.base import Speech
from evaluator.project import VideoSpan

log = logging.getLogger(__name__)

PROXY_WEIGHTS = {"speaker": 0.35, "intelligibility": 0.30, "quality": 0.20, "slot_fit": 0.15}
#: proxy component -> the evaluator metric it reads
PROXY_METRICS = {"speaker": "spk_sim", "intelligibility": "wer", "quality": "dnsmos_ovrl"}


def slot_fit(duration: float, slot: float) -> float:
    """1 when the speech fills its slot exactly, falling linearly to 0 at a full slot's error."""
    if slot <= 0:
        raise ValueError(f"slot must be positive, got {slot}")
    return max(0.0, 1.0 - abs(duration - slot) / slot)


def _item(speech: Speech, text: str, lang: str, voice: Path | None, video_span: VideoSpan | None) -> Any:
    from evaluator.metrics.item import ScoreItem, Source

    video = None
    if video_span is not None:
        video = Source.of_file(video_span.path, video_span.start, video_span.end)
    return ScoreItem(
        "candidate",
        audio_src=Source.of_array(speech.audio, speech.sr),
        voice_src=Source.of_file(voice) if voice is not None else None,
        video=video,
        text=text,
        lang=lang,
    )


class ProxyScorer:
    """The documented proxy score (module docstring); records each component's backend and model."""

    name = "proxy-v1"

    def __init__(self, weights: dict[str, float] | None = None) -> None:
        self.weights = dict(weights or PROXY_WEIGHTS)
        self._metrics: dict[str, Any] = {}  # metric families, loaded once and shared by every line

    def metric(self, name: str) -> Any:
        if name not in self._metrics:
            from evaluator.metrics import create_metric

            self._metrics[name] = create_metric(name)
        return self._metrics[name]

    def score(
        self,
        text: str,
        slot: float,
        speech: Speech,
        *,
        voice: Path | None = None,
        lang: str = "en",
        video_span: VideoSpan | None = None,
    ) -> tuple[float, dict[str, Any]]:
        from evaluator.metrics.presets import normalised

        item = _item(speech, text, lang, voice, None)
        comps: dict[str, float] = {}
        details: dict[str, Any] = {}
        for comp, name in PROXY_METRICS.items():
            if not self.weights.get(comp):
                continue
            mv = self.metric(name).score(item, [name])[name]
            details[name] = mv.to_dict()
            if mv.value is not None:
                comps[comp] = normalised(name, mv.value, mv.backend)
        if self.weights.get("slot_fit"):
            comps["slot_fit"] = slot_fit(speech.duration, slot)
            details["slot_fit"] = {"value": comps["slot_fit"], "backend": "dubkit", "model_id": "slot_fit"}
        total = sum(self.weights[c] for c in comps)
        if total <= 0:
            raise ValueError("no proxy component could be computed")
        value = sum(self.weights[c] * v for c, v in comps.items()) / total
        details["proxy"] = {"components": comps, "weights": {c: self.weights[c] for c in comps}, "scorer": self.name}
        return value, details


class DubScoreScorer:
    """Scores candidates with a trained DubScore checkpoint (``dubkit train dubscore``), loaded once.

    The score is DubScore's prediction on the MOS scale (so a minimum score is on that scale too); the
    details carry its interval, modality relevance and model id. Each candidate is scored with the
    line's span of the video and its text, as the checkpoint's modalities need.
    """

    def __init__(self, checkpoint: str | Path, *, cache_dir: str | Path | None = None) -> None:
        self.checkpoint = str(checkpoint)
        self.cache_dir = cache_dir
        self.name = f"dubscore:{Path(checkpoint).name}"

    @cached_property
    def model(self) -> Any:
        """The checkpoint and its cue encoders, loaded once for every candidate of the run."""
        from evaluator.dubscore.model import DubScoreModel

        return DubScoreModel.load(self.checkpoint, cache_dir=self.cache_dir)

    def score(
        self,
        text: str,
        slot: float,
        speech: Speech,
        *,
        voice: Path | None = None,
        lang: str = "en",
        video_span: VideoSpan | None = None,
    ) -> tuple[float, dict[str, Any]]:
        item = _item(speech, text, lang, voice, video_span)
        result = self.model.score([item])["candidate"]
        item.release()
        return float(result["value"]), {"dubscore": result}
