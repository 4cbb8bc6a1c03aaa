"""The generate-score loop's plan: which candidates a line draws, in which round.

Candidates vary the seed and the guidance scales the synthesizer offers
(:meth:`dubber.synth.base.Synthesizer.guidance_options`). The render stage
(:mod:`dubber.stages.render`) draws every line's candidates in one batched pass, scores them with a
line scorer (:mod:`dubber.scorers`), keeps the best, and draws another round for the lines whose best is
under the minimum score, up to :data:`MAX_ROUNDS` rounds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from evaluator.project import Guidance

#: rounds of candidates a line may draw while its best stays under the minimum score
MAX_ROUNDS = 2


@dataclass(frozen=True)
class CandidateParams:
    """What varies between candidates of one line."""

    seed: int
    guidance: Guidance = field(default_factory=Guidance)
    round: int = 0


def candidate_plan(
    n: int, base_seed: int, *, guidance: Sequence[dict[str, float]] = ({},), round_index: int = 0
) -> list[CandidateParams]:
    """``n`` candidates: seeds ``base_seed + 1000*round + k``, cycling through the guidance options.

    >>> [(p.seed, p.guidance.text) for p in candidate_plan(3, 10, guidance=[{"text": 2.0}, {"text": 3.0}])]
    [(10, 2.0), (11, 3.0), (12, 2.0)]
    """
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    options = list(guidance) or [{}]
    return [
        CandidateParams(
            seed=base_seed + 1000 * round_index + k,
            guidance=Guidance.of(options[k % len(options)]),
            round=round_index,
        )
        for k in range(n)
    ]
