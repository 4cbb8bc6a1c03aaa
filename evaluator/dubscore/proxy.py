"""Proxy MOS: a weighted sum of normalised objective metrics, weights fitted to human MOS.

Each metric is mapped to [0, 1] (1 = good). Fitted on the clips at hand (no labels needed), the
default is the metric's *quantile* (its mid-rank empirical CDF among those clips, oriented by the
metric's ``higher_is_better``, kept as a 101-point quantile grid so new clips map the same way): robust
to a metric's scale and outliers, and monotone, so a metric's ranking is kept. ``kind="linear"`` maps
linearly between the 5th and 95th percentiles instead; the uncalibrated default maps linearly between
each metric's (bad, good) anchors from its spec (presets.yaml ``anchors``, :func:`evaluator.metrics.presets.anchors`,
the same numbers the dubber's candidate scorer normalises by). The weights are
non-negative, sum to one and maximise the Pearson correlation of the proxy with the human MOS
(``scipy.optimize.minimize``, SLSQP); a least-squares line maps the proxy onto the MOS scale.
Without ratings the weights are equal and the proxy is labelled *uncalibrated*.

>>> import numpy as np
>>> z = np.random.default_rng(0).random((200, 3))
>>> y = z @ np.array([0.6, 0.4, 0.0])
>>> np.round(learn_weights(z, y), 2).tolist()
[0.6, 0.4, 0.0]
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from evaluator.errors import ConfigError


def higher_is_better(name: str) -> bool:
    from evaluator.metrics.presets import preset

    return bool(preset(name)["higher_is_better"])


def directed(name: str, values: np.ndarray) -> tuple[np.ndarray, bool]:
    """The metric's values as the proxy reads them, and whether higher is better. A metric with a
    target (``stretch_ratio``: best at 1) becomes minus its distance to the target (the spec's
    ``badness``), so both sides of the target count as worse."""
    from evaluator.metrics.presets import preset
    from evaluator.metrics.spec import badness

    p = preset(name)
    if p.get("target") is None:
        return np.asarray(values, float), bool(p["higher_is_better"])
    dist = p.get("target_distance", "abs")
    out = [
        -badness(v, higher_is_better=False, target=p["target"], target_distance=dist) if np.isfinite(v) else np.nan
        for v in np.asarray(values, float)
    ]
    return np.asarray(out, float), True


#: probability levels of the stored quantile grid of a ``quantile`` normaliser
QUANTILE_LEVELS = np.linspace(0.0, 1.0, 101)
#: metric values are compared at this many decimals in the quantile mapping (ties survive float noise)
TIE_DECIMALS = 9


def mid_cdf(v: np.ndarray, grid: np.ndarray, levels: np.ndarray = QUANTILE_LEVELS) -> np.ndarray:
    """Empirical CDF of ``v`` from a quantile ``grid`` at ``levels``: the mean of its left and right limits, so a
    value tied with a run of grid points (a metric that is often exactly 0) maps to the middle of their level
    range; values between grid points interpolate linearly; below the grid 0, above it 1; a constant grid
    (an uninformative metric) maps everything to 0.5. ``network.quantile_transform`` is the same map in torch.
    """
    grid, v = np.asarray(grid, float), np.asarray(v, float)
    if np.ptp(grid) == 0:
        return np.full(v.shape, 0.5)
    k = len(grid)

    def limit(side: str, tied: float) -> np.ndarray:
        idx = np.clip(np.searchsorted(grid, v, side=side), 1, k - 1)
        lo, hi = grid[idx - 1], grid[idx]
        span = hi - lo
        frac = np.where(span > 0, np.clip((v - lo) / np.where(span > 0, span, 1.0), 0.0, 1.0), tied)
        frac = np.where(v > hi, 1.0, np.where(v < lo, 0.0, frac))
        return levels[idx - 1] + frac * (levels[idx] - levels[idx - 1])

    return (limit("left", 0.0) + limit("right", 1.0)) / 2


@dataclass
class Normaliser:
    """Per metric (bad, good) anchors, the mapping ``kind`` (``linear`` between the anchors or ``quantile``
    through ``grid``, a quantile grid per metric of the directed values) and the fill value (0.5) for
    missing metrics."""

    names: list[str]
    bad: list[float]
    good: list[float]
    kind: str = "linear"
    grid: list[list[float]] = field(default_factory=list)

    @classmethod
    def default(cls, names: Sequence[str], backends: dict[str, str] | None = None) -> Normaliser:
        """Linear between each metric's anchors (presets.yaml), for its backend in ``backends`` where known."""
        from evaluator.metrics.presets import anchors

        pairs = {n: anchors(n, (backends or {}).get(n)) for n in names}
        missing = [n for n, a in pairs.items() if a is None]
        if missing:
            raise ConfigError(f"no default proxy anchors for {', '.join(missing)}", hint="learn weights from ratings")
        return cls(list(names), [pairs[n][0] for n in names], [pairs[n][1] for n in names])  # type: ignore[index]

    @classmethod
    def fit(cls, x: np.ndarray, names: Sequence[str], kind: str = "quantile") -> Normaliser:
        """From the metric values ``x`` ``(N, d)`` of the clips at hand, oriented by each metric's direction:
        ``quantile`` (default) keeps a quantile grid of each metric, ``linear`` maps between its 5th and
        95th percentiles (both record those percentiles as the bad/good anchors)."""
        if kind not in ("linear", "quantile"):
            raise ConfigError(f"unknown proxy normalisation {kind!r}", hint="use linear or quantile")
        bad, good, grid = [], [], []
        for j, n in enumerate(names):
            col, up = directed(n, x[:, j])
            col = col[np.isfinite(col)]
            lo, hi = np.percentile(col, [5, 95]) if len(col) else (0.0, 1.0)
            if hi - lo < 1e-9:
                hi = lo + 1.0
            b, g = (lo, hi) if up else (hi, lo)
            bad.append(float(b))
            good.append(float(g))
            oriented = np.round(col if up else -col, TIE_DECIMALS)  # float noise must not split ties
            grid.append(np.quantile(oriented, QUANTILE_LEVELS).tolist() if len(col) else [0.0])
        return cls(list(names), bad, good, kind, grid if kind == "quantile" else [])

    def transform(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, float).copy()
        for j, n in enumerate(self.names):
            x[:, j] = directed(n, x[:, j])[0]
        if self.kind == "quantile":
            z = np.full(x.shape, np.nan)
            for j in range(len(self.names)):
                up = self.good[j] >= self.bad[j]
                ok = np.isfinite(x[:, j])
                v = np.round(x[ok, j] if up else -x[ok, j], TIE_DECIMALS)
                z[ok, j] = mid_cdf(v, np.asarray(self.grid[j]))
        else:
            from evaluator.metrics.spec import normalise

            z = normalise(x, (self.bad, self.good))
        return np.where(np.isfinite(z), z, 0.5)


def _pearson(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a - a.mean(), b - b.mean()
    den = np.sqrt((a @ a) * (b @ b))
    return float(a @ b / den) if den > 0 else 0.0


def learn_weights(z: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Non-negative weights summing to one that maximise Pearson(z @ w, y) (SLSQP from several starts)."""
    from scipy.optimize import minimize

    z, y = np.asarray(z, float), np.asarray(y, float)
    d = z.shape[1]
    if len(y) < 3:
        return np.full(d, 1.0 / d)
    singles = [abs(_pearson(z[:, j], y)) if np.std(z[:, j]) > 0 else 0.0 for j in range(d)]
    starts = [np.full(d, 1.0 / d), np.eye(d)[int(np.argmax(singles))] * 0.9 + 0.1 / d]
    best, best_r = starts[0], -np.inf
    for w0 in starts:
        res = minimize(
            lambda w: -_pearson(z @ w, y),
            w0,
            method="SLSQP",
            bounds=[(0.0, 1.0)] * d,
            constraints=[{"type": "eq", "fun": lambda w: np.sum(w) - 1.0}],
            options={"maxiter": 300, "ftol": 1e-10},
        )
        w = np.clip(res.x, 0.0, None)
        w = w / w.sum() if w.sum() > 0 else np.full(d, 1.0 / d)
        r = _pearson(z @ w, y)
        if r > best_r:
            best, best_r = w, r
    return best


@dataclass
class ProxyWeights:
    """A fitted (or default) proxy: metric names, normaliser, weights, and the line onto the MOS scale."""

    names: list[str]
    weights: list[float]
    normaliser: Normaliser
    source: str
    calibrated: bool
    mos_line: tuple[float, float] = (1.0, 4.0)  # mos = a + b * proxy01
    n_ratings: int = 0
    sigma_res: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def equal(cls, names: Sequence[str], backends: dict[str, str] | None = None) -> ProxyWeights:
        return cls(list(names), [1.0 / len(names)] * len(names), Normaliser.default(names, backends),
                   "equal weights, default anchors (uncalibrated: no human ratings)", False)  # fmt: skip

    @classmethod
    def learn(cls, x: np.ndarray, y: np.ndarray, names: Sequence[str], *, normaliser: Normaliser | None = None,
              source: str = "") -> ProxyWeights:  # fmt: skip
        """Weights maximising Pearson with MOS ``y`` on metrics ``x`` ``(N, d)``; MOS line by least squares."""
        norm = normaliser or Normaliser.fit(x, names)
        z = norm.transform(x)
        w = learn_weights(z, y)
        p = z @ w
        b, a = np.polyfit(p, y, 1) if np.std(p) > 0 else (0.0, float(np.mean(y)))
        sigma = float(np.std(y - (a + b * p)))
        src = source or f"learned: max Pearson with {len(y)} human MOS (SLSQP, w >= 0, sum 1)"
        return cls(list(names), w.tolist(), norm, src, True, (float(a), float(b)), int(len(y)), sigma)

    def unit(self, x: np.ndarray) -> np.ndarray:
        return self.normaliser.transform(x) @ np.asarray(self.weights)

    def mos(self, x: np.ndarray) -> np.ndarray:
        a, b = self.mos_line
        return a + b * self.unit(x)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["kind"] = "dubkit-proxy-weights"
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ProxyWeights:
        if d.get("kind") != "dubkit-proxy-weights":
            raise ConfigError("not a dubkit proxy weights file", hint="pass a file written by dubkit ratings/train")
        norm = Normaliser(**d["normaliser"])
        line = tuple(d["mos_line"])
        n, sigma = d.get("n_ratings", 0), d.get("sigma_res", 0.0)
        return cls(d["names"], d["weights"], norm, d["source"], d["calibrated"], line, n, sigma, d.get("extra", {}))

    def save(self, path: str | os.PathLike[str]) -> None:
        from evaluator.fileio import write_json

        write_json(path, self.to_dict())

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> ProxyWeights:
        try:
            return cls.from_dict(json.loads(open(path, encoding="utf-8").read()))
        except (OSError, json.JSONDecodeError, KeyError) as exc:
            raise ConfigError(f"{path}: cannot read proxy weights ({exc})") from None


def bootstrap_proxies(
    x_lab: np.ndarray,
    y_lab: np.ndarray,
    names: Sequence[str],
    normaliser: Normaliser,
    n_boot: int,
    rng: np.random.Generator,
) -> list[ProxyWeights]:
    """Proxies refitted on bootstrap resamples of the labelled clips (the spread is the weights' uncertainty)."""
    out = []
    for _ in range(n_boot):
        idx = rng.integers(0, len(y_lab), len(y_lab))
        out.append(ProxyWeights.learn(x_lab[idx], y_lab[idx], names, normaliser=normaliser, source="bootstrap"))
    return out


def calibration(draws: np.ndarray, sigma_res: float, y: np.ndarray, coverage: float = 0.9) -> dict[str, float]:
    """Calibration of a bootstrap proxy against MOS ``y``: APV, PICP and MPIW at ``coverage``, and ECE.

    ``draws`` ``(B, N)`` are the bootstrap proxies' MOS predictions; the predictive distribution of a
    clip is Gaussian with the draws' mean and variance plus the residual variance ``sigma_res**2``.
    APV: average predictive variance. PICP/MPIW: coverage and mean width of the central interval.
    ECE: mean |nominal - observed| coverage over central intervals at 10%, 20%, ..., 90%.
    """
    from scipy.stats import norm

    mu = draws.mean(axis=0)
    var = draws.var(axis=0) + sigma_res**2
    sd = np.sqrt(var)
    z = norm.ppf(0.5 + coverage / 2)
    inside = np.abs(y - mu) <= z * sd
    levels = np.arange(0.1, 1.0, 0.1)
    obs = [float(np.mean(np.abs(y - mu) <= norm.ppf(0.5 + p / 2) * sd)) for p in levels]
    return {
        "apv": float(np.mean(var)),
        "picp": float(inside.mean()),
        "mpiw": float(np.mean(2 * z * sd)),
        "ece": float(np.mean(np.abs(np.asarray(obs) - levels))),
        "coverage": coverage,
    }
