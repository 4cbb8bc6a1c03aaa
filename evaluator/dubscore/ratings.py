"""Human ratings: read them, MOS per clip, and their reliability (Cronbach's alpha, ICC(1), ICC(2)).

A ratings CSV has one row per (clip, rater): ``clip``, ``rater``, ``overall`` and the rubric aspects
``sync`` (audio-visual sync), ``speaker`` (speaker consistency), ``clarity`` (voice clarity),
``emotion`` (emotional expressiveness), ``prosody``, all on 1-5. Aspects may be left empty. An optional
``repeat`` column marks a clip shown to the same rater a second time (1; else empty or 0): repeats are kept
apart for the rater's consistency (``consistency``) and count in no MOS or reliability figure. Any other
pair of rows with the same clip and rater is refused. Several files (one per rater) read as one.

ICC follows Shrout & Fleiss (1979) on the clip x rater matrix of ``overall``: ICC(1) = ICC(1,1),
one-way random, single rater (unbalanced designs use the mean number of ratings per clip, k0);
ICC(2) = ICC(2,1), two-way random, single rater, computed on the clips every rater rated.
Cronbach's alpha treats raters as items (on the same complete clips), and the six rubric aspects as
items (over all rows with every aspect given).

>>> import numpy as np
>>> m = np.array([[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]], float)
>>> round(icc1(m), 2), round(icc2(m), 2)
(0.17, 0.29)
"""

from __future__ import annotations

import csv
import os
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from evaluator.errors import ConfigError

ASPECTS = ("overall", "sync", "speaker", "clarity", "emotion", "prosody")
ASPECT_NAMES = {
    "overall": "overall quality",
    "sync": "audio-visual sync",
    "speaker": "speaker consistency",
    "clarity": "voice clarity",
    "emotion": "emotional expressiveness",
    "prosody": "prosody",
}
#: The question a rater answers per aspect (the listening test page shows it under the aspect's name).
ASPECT_QUESTIONS = {
    "overall": "How good is this dub as a whole?",
    "sync": "Does the speech match the lips and the on-screen timing?",
    "speaker": "Does the voice suit the on-screen speaker and stay the same person throughout?",
    "clarity": "Is the speech clear, intelligible and free of noise or artefacts?",
    "emotion": "Does the delivery carry the emotion of the scene?",
    "prosody": "Are rhythm, stress and intonation natural?",
}
#: ITU-T P.800 absolute category rating labels of the 1-5 scale.
SCALE_LABELS = {1: "Bad", 2: "Poor", 3: "Fair", 4: "Good", 5: "Excellent"}
#: Columns of a ratings CSV, in the order the listening test page writes them.
COLUMNS = ("clip", "rater", *ASPECTS, "repeat")


def _anova_oneway(m: np.ndarray) -> tuple[float, float]:
    n, k = m.shape
    grand = m.mean()
    msb = k * np.sum((m.mean(1) - grand) ** 2) / (n - 1)
    msw = np.sum((m - m.mean(1, keepdims=True)) ** 2) / (n * (k - 1))
    return float(msb), float(msw)


def icc1(m: np.ndarray) -> float:
    """ICC(1,1) of a complete clips x raters matrix."""
    msb, msw = _anova_oneway(m)
    k = m.shape[1]
    return (msb - msw) / (msb + (k - 1) * msw)


def icc2(m: np.ndarray) -> float:
    """ICC(2,1) of a complete clips x raters matrix (two-way random effects, absolute agreement)."""
    n, k = m.shape
    grand = m.mean()
    ssr = k * np.sum((m.mean(1) - grand) ** 2)
    ssc = n * np.sum((m.mean(0) - grand) ** 2)
    sse = np.sum((m - grand) ** 2) - ssr - ssc
    msr, msc, mse = ssr / (n - 1), ssc / (k - 1), sse / ((n - 1) * (k - 1))
    return float((msr - mse) / (msr + (k - 1) * mse + k * (msc - mse) / n))


def icc1_unbalanced(groups: list[list[float]]) -> float:
    """ICC(1) one-way random with unequal ratings per clip (k0 = adjusted mean group size)."""
    groups = [g for g in groups if len(g) > 0]
    n = len(groups)
    sizes = np.array([len(g) for g in groups], float)
    total = sizes.sum()
    allv = np.concatenate([np.asarray(g, float) for g in groups])
    grand = allv.mean()
    ssb = sum(len(g) * (np.mean(g) - grand) ** 2 for g in groups)
    ssw = sum(np.sum((np.asarray(g) - np.mean(g)) ** 2) for g in groups)
    msb, msw = ssb / (n - 1), ssw / (total - n)
    k0 = (total - np.sum(sizes**2) / total) / (n - 1)
    return float((msb - msw) / (msb + (k0 - 1) * msw))


def cronbach_alpha(items: np.ndarray) -> float:
    """Cronbach's alpha of an observations x items matrix."""
    k = items.shape[1]
    return float(k / (k - 1) * (1 - items.var(axis=0, ddof=1).sum() / items.sum(axis=1).var(ddof=1)))


def _read_one(p: Path) -> list[tuple[str, dict[str, Any], bool]]:
    """(``file: line N``, the row, whether it is a repeat) for every row of one ratings CSV."""
    if not p.is_file():
        raise ConfigError(f"{p}: no such ratings file", hint="a CSV with clip, rater, overall[, aspects]")
    with p.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in ("clip", "rater", "overall") if c not in (reader.fieldnames or [])]
        if missing:
            raise ConfigError(f"{p}: missing column(s) {', '.join(missing)}", hint="columns: clip,rater,overall,...")
        out = []
        for n, r in enumerate(reader, 2):
            row: dict[str, Any] = {"clip": (r["clip"] or "").strip(), "rater": (r["rater"] or "").strip()}
            if not row["clip"] or not row["rater"]:
                raise ConfigError(f"{p}: line {n}: empty clip or rater")
            for a in ASPECTS:
                v = (r.get(a) or "").strip()
                if v == "":
                    if a == "overall":
                        raise ConfigError(f"{p}: line {n}: empty overall rating")
                    continue
                try:
                    row[a] = float(v)
                except ValueError:
                    raise ConfigError(f"{p}: line {n}: {a}={v!r} is not a number") from None
                if not 1.0 <= row[a] <= 5.0:
                    raise ConfigError(f"{p}: line {n}: {a}={v} outside 1-5")
            flag = (r.get("repeat") or "").strip().lower()
            if flag not in ("", "0", "1", "false", "true"):
                raise ConfigError(f"{p}: line {n}: repeat={flag!r} is not 0 or 1")
            out.append((f"{p}: line {n}", row, flag in ("1", "true")))
    return out


@dataclass
class Ratings:
    rows: list[dict[str, Any]]
    #: Second ratings of a clip by the same rater (the ``repeat`` column): for ``consistency`` only.
    repeats: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def read(cls, *paths: str | os.PathLike[str]) -> Ratings:
        """Read one or more ratings CSVs (e.g. one per rater, as the listening test page exports them)."""
        if not paths:
            raise ConfigError("no ratings file given", hint="a CSV with clip, rater, overall[, aspects]")
        rows: list[dict[str, Any]] = []
        repeats: list[dict[str, Any]] = []
        seen: dict[tuple[str, str], str] = {}
        for path in paths:
            for where, row, repeat in _read_one(Path(path)):
                if repeat:
                    repeats.append(row)
                    continue
                key = (row["clip"], row["rater"])
                if key in seen:
                    raise ConfigError(
                        f"{where}: clip {row['clip']!r} rated twice by rater {row['rater']!r} (first at {seen[key]})",
                        hint="mark the second rating as a repeat (repeat column 1) or keep one",
                    )
                seen[key] = where
                rows.append(row)
        if not rows:
            raise ConfigError(f"{', '.join(str(p) for p in paths)}: no ratings")
        return cls(rows, repeats)

    def mos(self) -> dict[str, dict[str, float]]:
        """Per clip: MOS (mean overall), its 95% CI half-width, the number of ratings, and aspect means."""
        by: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for r in self.rows:
            by[r["clip"]].append(r)
        out = {}
        for clip, rs in by.items():
            v = np.array([r["overall"] for r in rs])
            d = {
                "mos": float(v.mean()),
                "n": len(v),
                "ci95": float(1.96 * v.std(ddof=1) / np.sqrt(len(v))) if len(v) > 1 else None,
            }
            for a in ASPECTS[1:]:
                vals = [r[a] for r in rs if a in r]
                if vals:
                    d[a] = float(np.mean(vals))
            out[clip] = d
        return out

    def matrix(self) -> tuple[np.ndarray, list[str], list[str]]:
        """The clips x raters matrix of overall ratings (NaN where a rater did not rate a clip)."""
        clips = sorted({r["clip"] for r in self.rows})
        raters = sorted({r["rater"] for r in self.rows})
        ci, ri = {c: i for i, c in enumerate(clips)}, {r: i for i, r in enumerate(raters)}
        m = np.full((len(clips), len(raters)), np.nan)
        for r in self.rows:
            m[ci[r["clip"]], ri[r["rater"]]] = r["overall"]
        return m, clips, raters

    def reliability(self) -> dict[str, Any]:
        m, clips, raters = self.matrix()
        complete = m[~np.isnan(m).any(axis=1)]
        groups = [row[~np.isnan(row)].tolist() for row in m]
        out: dict[str, Any] = {"clips": len(clips), "raters": len(raters), "ratings": len(self.rows)}
        out["icc1"] = icc1_unbalanced(groups) if len(clips) > 1 else None
        if len(complete) > 1 and len(raters) > 1:
            out["icc2"] = icc2(complete)
            out["alpha_raters"] = cronbach_alpha(complete)
        else:
            out["icc2"] = out["alpha_raters"] = None
        out["complete_clips"] = int(len(complete))
        full = [[r[a] for a in ASPECTS] for r in self.rows if all(a in r for a in ASPECTS)]
        out["alpha_aspects"] = cronbach_alpha(np.array(full)) if len(full) > 2 else None
        return out

    def consistency(self) -> dict[str, Any] | None:
        """Each rater's agreement with themselves on repeated clips (overall ratings): the number of pairs, the
        mean absolute difference and the share within one point, overall and per rater; None without repeats."""
        first = {(r["clip"], r["rater"]): r["overall"] for r in self.rows}
        pairs: dict[str, list[float]] = defaultdict(list)
        for r in self.repeats:
            key = (r["clip"], r["rater"])
            if key in first:
                pairs[r["rater"]].append(abs(r["overall"] - first[key]))
        if not pairs:
            return None

        def summary(d: list[float]) -> dict[str, Any]:
            a = np.asarray(d)
            return {"pairs": len(a), "mean_abs_diff": float(a.mean()), "within_1": float(np.mean(a <= 1.0))}

        out = summary([d for ds in pairs.values() for d in ds])
        out["raters"] = {rater: summary(ds) for rater, ds in sorted(pairs.items())}
        return out
