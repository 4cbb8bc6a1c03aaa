"""The generate-score loop: draw N candidates of a line, score each, keep the best, re-draw weak lines.

Candidates vary the seed, the guidance scales and the reference prompt (for example an
emotion-matched clip of the speaker). Every candidate, with its parameters and scores, is returned
as a manifest :class:`~evaluator.manifest.Candidate` for ``Line.candidates``.

The scorer is any callable ``speech -> (score, details)``: DubScore when a model is given, else
:class:`ProxyScorer`, a documented proxy built on the evaluator's metrics:

    proxy = weighted mean of  speaker   = clip((spk_sim - 0.5) / 0.5, 0, 1)      weight 0.35
                              intellig. = clip(1 - WER, 0, 1)                    weight 0.30
                              quality   = clip((DNSMOS OVRL - 1) / 4, 0, 1)      weight 0.20
                              slot fit  = clip(1 - |duration - slot| / slot, 0, 1) weight 0.15

``spk_sim`` is resemblyzer cosine to the speaker's reference (same voice ~0.9, another ~0.5), WER is
pocketsphinx against the line's text, DNSMOS is speechmos P.835. A component whose metric is skipped
(no reference, a language the ASR lacks) drops out and the weights of the rest are renormalised.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dubber.synth.base import Speech
from evaluator.manifest import Candidate

log = logging.getLogger(__name__)

PROXY_WEIGHTS = {"speaker": 0.35, "intelligibility": 0.30, "quality": 0.20, "slot_fit": 0.15}


@dataclass(frozen=True)
class CandidateParams:
    """What varies between candidates of one line."""

    seed: int
    guidance: dict[str, float] = field(default_factory=dict)
    prompt: str | None = None  # reference clip for this candidate (None: the speaker's default)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"guidance": dict(self.guidance)}
        if self.prompt is not None:
            d["prompt"] = self.prompt
        return d


@dataclass
class Drawn:
    params: CandidateParams
    speech: Speech
    score: float
    details: dict[str, Any]


@dataclass
class LoopResult:
    best: Drawn
    candidates: list[Candidate]
    rounds: int
    drawn: list[Drawn]
    min_score: float | None = None

    @property
    def passed(self) -> bool:
        """False when even the best candidate is under ``min_score`` (the line should be flagged)."""
        return self.min_score is None or self.best.score >= self.min_score


def candidate_plan(
    n: int,
    base_seed: int,
    *,
    guidance: Sequence[dict[str, float]] = ({},),
    prompts: Sequence[str | None] = (None,),
    round_index: int = 0,
) -> list[CandidateParams]:
    """``n`` candidates: seeds ``base_seed + 1000*round + k``, cycling through guidance and prompt options.

    >>> [(p.seed, p.guidance) for p in candidate_plan(3, 10, guidance=[{"text": 2.0}, {"text": 3.0}])]
    [(10, {'text': 2.0}), (11, {'text': 3.0}), (12, {'text': 2.0})]
    """
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    guidance = list(guidance) or [{}]
    prompts = list(prompts) or [None]
    return [
        CandidateParams(
            seed=base_seed + 1000 * round_index + k,
            guidance=dict(guidance[k % len(guidance)]),
            prompt=prompts[(k // len(guidance)) % len(prompts)],
        )
        for k in range(n)
    ]


def generate_and_score(
    generate: Callable[[CandidateParams], Speech],
    score: Callable[[Speech], tuple[float, dict[str, Any]]],
    *,
    n: int,
    base_seed: int = 0,
    guidance: Sequence[dict[str, float]] = ({},),
    prompts: Sequence[str | None] = (None,),
    min_score: float | None = None,
    max_rounds: int = 2,
    save: Callable[[int, Drawn], str | None] | None = None,
) -> LoopResult:
    """Draw ``n`` candidates, score them, keep the best; while the best is under ``min_score``, draw
    another ``n`` (at most ``max_rounds`` rounds in all). ``save(k, drawn)`` may write candidate ``k``'s
    audio and return its path for the manifest. Returns the best and every candidate (manifest form).
    """
    drawn: list[Drawn] = []
    rounds = 0
    while True:
        for params in candidate_plan(n, base_seed, guidance=guidance, prompts=prompts, round_index=rounds):
            speech = generate(params)
            value, details = score(speech)
            if not math.isfinite(value):
                raise ValueError(f"scorer returned a non-finite score for seed {params.seed}")
            drawn.append(Drawn(params, speech, float(value), dict(details)))
        rounds += 1
        best = max(drawn, key=lambda d: d.score)
        if min_score is None or best.score >= min_score or rounds >= max_rounds:
            break
        log.info("best candidate %.3f < min score %.3f: drawing %d more", best.score, min_score, n)
    candidates = []
    for k, d in enumerate(drawn):
        params = d.params.to_dict()
        params["round"] = k // n
        if min_score is not None:
            params["passed"] = d.score >= min_score
        candidates.append(
            Candidate(
                seed=d.params.seed,
                params=params,
                scores=d.details,
                score=d.score,
                chosen=d is best,
                audio=save(k, d) if save is not None else None,
            )
        )
    return LoopResult(best=best, candidates=candidates, rounds=rounds, drawn=drawn, min_score=min_score)


def slot_fit(duration: float, slot: float) -> float:
    """1 when the speech fills its slot exactly, falling linearly to 0 at a full slot's error."""
    if slot <= 0:
        raise ValueError(f"slot must be positive, got {slot}")
    return max(0.0, 1.0 - abs(duration - slot) / slot)


class ProxyScorer:
    """The documented proxy score (module docstring) of one line; records each component's backend and model."""

    def __init__(
        self,
        text: str,
        slot: float,
        *,
        reference: str | Path | None = None,
        lang: str = "en",
        weights: dict[str, float] | None = None,
        metrics: dict[str, Any] | None = None,
    ) -> None:
        self.text = text
        self.slot = slot
        self.reference = reference
        self.lang = lang
        self.weights = dict(weights or PROXY_WEIGHTS)
        self._metrics = metrics if metrics is not None else {}

    def metric(self, name: str) -> Any:
        """The evaluator metric family for ``name`` (shared between scorers through ``metrics``)."""
        if name not in self._metrics:
            from evaluator.metrics import create_metric

            self._metrics[name] = create_metric(name)
        return self._metrics[name]

    def __call__(self, speech: Speech) -> tuple[float, dict[str, Any]]:
        from evaluator.metrics.item import ScoreItem, Source

        item = ScoreItem(
            "candidate",
            audio_src=Source.of_array(speech.audio, speech.sr),
            voice_src=Source.of_file(self.reference) if self.reference is not None else None,
            text=self.text,
            lang=self.lang,
        )
        comps: dict[str, float] = {}
        details: dict[str, Any] = {}
        for comp, name, norm in (
            ("speaker", "spk_sim", lambda v: (v - 0.5) / 0.5),
            ("intelligibility", "wer", lambda v: 1.0 - v),
            ("quality", "dnsmos_ovrl", lambda v: (v - 1.0) / 4.0),
        ):
            if not self.weights.get(comp):
                continue
            mv = self.metric(name).score(item, [name])[name]
            details[name] = mv.to_dict()
            if mv.value is not None:
                comps[comp] = min(1.0, max(0.0, norm(mv.value)))
        if self.weights.get("slot_fit"):
            comps["slot_fit"] = slot_fit(speech.duration, self.slot)
            details["slot_fit"] = {"value": comps["slot_fit"], "backend": "dubkit", "model_id": "slot_fit"}
        total = sum(self.weights[c] for c in comps)
        if total <= 0:
            raise ValueError("no proxy component could be computed")
        score = sum(self.weights[c] * v for c, v in comps.items()) / total
        details["proxy"] = {"components": comps, "weights": {c: self.weights[c] for c in comps}, "scorer": "proxy-v1"}
        return score, details


class DubScoreScorer:
    """Scores a candidate with a trained DubScore checkpoint (``dubkit train dubscore``).

    The score is DubScore's prediction on the MOS scale (so ``--min-score`` is on that scale too);
    the details carry its interval, modality relevance and model id. The candidate's audio is scored
    with the line's span of the video and its text, as the checkpoint's modalities need.
    """

    def __init__(
        self,
        checkpoint: str | Path,
        text: str,
        *,
        video_span: tuple[str, float, float] | None = None,
        reference: str | Path | None = None,
        lang: str = "en",
        cache_dir: str | Path | None = None,
    ) -> None:
        self.checkpoint = str(checkpoint)
        self.text = text
        self.video_span = video_span
        self.reference = reference
        self.lang = lang
        self.cache_dir = cache_dir

    def __call__(self, speech: Speech) -> tuple[float, dict[str, Any]]:
        from evaluator.dubscore.api import score_with_model
        from evaluator.metrics.item import ScoreItem, Source

        video = None
        if self.video_span is not None:
            path, start, end = self.video_span
            video = Source.of_file(path, start, end)
        item = ScoreItem(
            "candidate",
            audio_src=Source.of_array(speech.audio, speech.sr),
            voice_src=Source.of_file(self.reference) if self.reference is not None else None,
            video=video,
            text=self.text,
            lang=self.lang,
        )
        result = score_with_model([item], self.checkpoint, cache_dir=self.cache_dir)["candidate"]
        return float(result["value"]), {"dubscore": result}
