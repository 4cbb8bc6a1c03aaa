"""What a corpus build is asked for: :class:`CorpusSpec`, one frozen dataclass with every default.

The fit (``fit``): ``global`` is the DubScore paper's recipe, one Rubber Band time-stretch of the whole
natural take onto the original clip's probed length, uncapped (the dub lasts exactly as long as the
clip; ``cap_global`` clamps the ratio to ``caps`` instead and records the error); a take that would need
more than ``max_global_factor`` times its length, or less than its inverse, is refused for that clip (a
mis-cut clip or a wrong line, not a dub). ``ladder`` is the dubber's duration ladder
(:mod:`dubber.fitting`) with the clip's length as the slot and nothing to borrow.

>>> spec = CorpusSpec(dataset="meld", target_lang="hi", seed=3)
>>> spec.fit, spec.clip_seed("dev/dia1_utt4") == spec.clip_seed("dev/dia1_utt4")
('global', True)
"""

from __future__ import annotations

import dataclasses
import zlib
from dataclasses import dataclass, field
from typing import Any

from dubber.config import DubConfig
from dubber.fitting import FitCaps
from dubber.translate.languages import language
from evaluator.errors import ConfigError

FIT_METHODS = ("global", "ladder")


def _dub_default(name: str) -> Any:
    """A DubConfig field's default (the one home of the dubber's defaults)."""
    return next(f.default for f in dataclasses.fields(DubConfig) if f.name == name)


@dataclass(frozen=True)
class CorpusSpec:
    """One corpus build (see the module docstring).

    ``originals``: original clips added as ground truth, drawn with ``seed`` among all the utterances
    that have a clip. ``limit``: only the first ``limit`` utterances (sorted by id) are dubbed (the
    originals do not depend on it); a re-run with a larger limit extends the corpus. ``sample``: instead,
    ``sample`` utterances drawn with ``seed`` (the first of one seeded shuffle: a larger sample extends the
    corpus), for a corpus that represents the whole dataset. ``seed``: each
    clip's seed is derived from it and the clip's id (:meth:`clip_seed`), so any worker renders a clip
    the same way. ``sr``: sample rate of the dubs. ``context``: utterances of the same scene before and
    after each one, given to a translator that reads dialogue context (``None``: the translation job's default)."""

    dataset: str
    target_lang: str
    fit: str = "global"
    cap_global: bool = False
    caps: FitCaps = field(default_factory=FitCaps)
    max_global_factor: float = 4.0
    originals: int = 0
    limit: int | None = None
    sample: int | None = None
    seed: int = 0
    sr: int = 24000
    trim_top_db: float = _dub_default("trim_top_db")
    context: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "target_lang", language(self.target_lang, parameter="target_lang").code)
        if self.fit not in FIT_METHODS:
            raise ConfigError(f"fit must be one of {', '.join(FIT_METHODS)}, not {self.fit!r}", param="fit")
        if self.originals < 0:
            raise ConfigError(f"originals must be >= 0, got {self.originals}", param="originals")
        if self.limit is not None and self.limit < 1:
            raise ConfigError(f"limit must be at least 1, got {self.limit}", param="limit")
        if self.sample is not None and self.sample < 1:
            raise ConfigError(f"sample must be at least 1, got {self.sample}", param="sample")
        if self.sample is not None and self.limit is not None:
            raise ConfigError(
                "give limit (the first N utterances) or sample (N drawn at random), not both", param="sample"
            )
        if self.max_global_factor <= 1:
            raise ConfigError(f"max_global_factor must be > 1, got {self.max_global_factor}", param="max_global_factor")
        if self.sr < 8000:
            raise ConfigError(f"sr must be at least 8000 Hz, got {self.sr}", param="sr")
        if self.context is not None and self.context < 0:
            raise ConfigError(f"context must be >= 0, got {self.context}", param="context")

    def clip_seed(self, utterance_id: str) -> int:
        """The seed of one clip: from the build's seed and the utterance id, the same on every worker."""
        return (self.seed * 1_000_003 + zlib.crc32(utterance_id.encode("utf-8"))) % (1 << 31)

    def fit_record(self) -> dict[str, Any]:
        """How clips are fitted, as each row records it (method, whether capped, the caps)."""
        capped = self.fit == "ladder" or self.cap_global
        caps = [self.caps.min_ratio, self.caps.max_ratio] if capped else None
        return {"method": self.fit, "capped": capped, "caps": caps}

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["caps"] = dataclasses.asdict(self.caps)
        return d
