"""The metric family base class: one object computes a few related metrics with one backend.

Metrics that share work live in one family (``wer``, ``cer`` and ``semantic_sim`` share one ASR pass;
the four DNSMOS scores share one model run). A family declares its backends (name -> backend class);
each backend class carries ``name``, ``model_id``, ``offline``, ``sample_rate``, ``extra`` and has
``available()`` (weights present locally?) and ``unload()``.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import replace
from typing import Any, ClassVar

from evaluator.errors import ConfigError, DubkitError
from evaluator.metrics.item import ScoreItem
from evaluator.metrics.presets import anchors, preset
from evaluator.metrics.spec import MetricSpec, MetricValue, SkipMetric
from evaluator.options import Option, options_of

logger = logging.getLogger(__name__)

PROFILES = ("offline", "paper", "auto")


class MetricBackend(ABC):
    """A model (or algorithm) behind a metric family."""

    name: ClassVar[str]
    model_id: ClassVar[str]
    offline: ClassVar[bool]
    sample_rate: ClassVar[int | None] = 16000
    extra: ClassVar[str | None] = None
    #: options given as ``<prefix>_<param>`` reach only this backend (default: the name, dashes as underscores)
    option_prefix: ClassVar[str | None] = None

    @classmethod
    def prefix(cls) -> str:
        return cls.option_prefix or cls.name.replace("-", "_")

    def available(self) -> bool:
        """Whether this backend can run here without downloading anything."""
        return self.offline

    def unload(self) -> None:  # noqa: B027 - optional hook
        """Free the model; the next use loads it again."""

    def describe_model(self) -> str:
        return self.model_id


class MetricFamily(ABC):
    """Computes the metrics ``names`` (a subset of ``metric_names``) for one item."""

    family: ClassVar[str]
    metric_names: ClassVar[tuple[str, ...]]
    #: backend name -> backend class; the first offline one is the offline default
    backends: ClassVar[dict[str, type[MetricBackend]]]
    paper_backend: ClassVar[str | None] = None

    def __init__(self, backend: str | None = None, *, profile: str = "offline", **options: Any) -> None:
        if profile not in PROFILES:
            raise ConfigError(f"unknown profile {profile!r}", hint=f"choose one of {', '.join(PROFILES)}")
        self.options = options
        self.backend_name = backend or self._pick(profile)
        if self.backend_name not in self.backends:
            raise ConfigError(
                f"unknown backend {self.backend_name!r} for {self.family}",
                hint=f"choose one of {', '.join(self.backends)}",
            )
        self.backend: MetricBackend = self.backends[self.backend_name](**self._backend_options(self.backend_name))

    # -- choosing a backend ---------------------------------------------------------------------------
    @classmethod
    def declared_options(cls) -> list[Option]:
        """The options this family accepts (``create_metric(**options)``, ``dubkit score --metric-option``): the
        family's own keyword parameters, and each backend's constructor parameters, plain (given to every
        backend that takes one) and as ``<backend prefix>_<param>`` (``wavlm_sv_model``: that backend only)."""
        out = {o.name: o for o in options_of(cls.__init__, skip=("backend", "profile"), help=f"{cls.family} metrics")}
        for name, b in cls.backends.items():
            own = options_of(b.__init__, help=f"{cls.family} backend {name}")
            for o in [*own, *(replace(o, name=f"{b.prefix()}_{o.name}") for o in own)]:
                out.setdefault(o.name, o)
        return list(out.values())

    def _backend_options(self, name: str) -> dict[str, Any]:
        """Options for backend ``name``: those given as ``<prefix>_<opt>`` or plain ``<opt>`` the class accepts."""
        import inspect

        b = self.backends[name]
        params = inspect.signature(b.__init__).parameters
        out = {k: v for k, v in self.options.items() if k in params}
        prefix = b.prefix() + "_"
        out.update({k[len(prefix) :]: v for k, v in self.options.items() if k.startswith(prefix)})
        return {k: v for k, v in out.items() if k in params and v is not None}

    def _pick(self, profile: str) -> str:
        offline = next((n for n, b in self.backends.items() if b.offline), None)
        paper = self.paper_backend
        if profile == "paper" and paper is not None:
            return paper
        if profile == "auto" and paper is not None:
            if self.backends[paper](**self._backend_options(paper)).available():
                return paper
            logger.info("%s: paper backend %s has no local weights; using %s", self.family, paper, offline)
        return offline or next(iter(self.backends))

    # -- specs ---------------------------------------------------------------------------------------
    def spec(self, name: str) -> MetricSpec:
        p = preset(name)
        b = self.backend
        return MetricSpec(
            name=name,
            description=p["description"],
            inputs=tuple(p["inputs"]),
            higher_is_better=bool(p["higher_is_better"]),
            score_range=(p["range"][0], p["range"][1]),
            backend=b.name,
            model_id=b.describe_model(),
            offline=b.offline,
            sample_rate=b.sample_rate,
            family=self.family,
            unit=p.get("unit", ""),
            paper=p.get("paper", ""),
            extra=b.extra,
            min_duration_s=float(p.get("min_duration_s", 0.0)),
            target=None if p.get("target") is None else float(p["target"]),
            target_distance=str(p.get("target_distance", "abs")),
            anchors=anchors(name, b.name),
        )

    # -- scoring -------------------------------------------------------------------------------------
    def score(self, item: ScoreItem, names: list[str] | tuple[str, ...]) -> dict[str, MetricValue]:
        """Every metric in ``names``: a value, or a skip reason (missing inputs, no face, too short...)."""
        specs = {n: self.spec(n) for n in names}
        out: dict[str, MetricValue] = {}
        todo = []
        for n, s in specs.items():
            reason = self.missing(item, s)
            if reason is None:
                todo.append(n)
            else:
                out[n] = self._value(s, None, skipped=reason)
        if todo:
            try:
                values = self.compute(item, todo)
            except SkipMetric as exc:
                values = {n: SkipMetric(str(exc)) for n in todo}
            except DubkitError as exc:
                if not exc.user_error:
                    raise
                values = {n: SkipMetric(str(exc)) for n in todo}
            for n in todo:
                v = values.get(n)
                if isinstance(v, SkipMetric):
                    out[n] = self._value(specs[n], None, skipped=str(v), details=v.details)
                    continue
                if isinstance(v, MetricValue):  # a value from another model than the spec's (a fallback)
                    out[n] = v
                elif isinstance(v, tuple):
                    out[n] = self._value(specs[n], float(v[0]), details=v[1])
                elif v is None:
                    out[n] = self._value(specs[n], None, skipped="not computed")
                    continue
                else:
                    out[n] = self._value(specs[n], float(v))
                out[n].notes += self.notes(item, n)
        return out

    # -- batches ---------------------------------------------------------------------------------------
    def prefetch(self, items: Sequence[ScoreItem], names: Sequence[str]) -> None:  # noqa: B027 - optional hook
        """Compute at once, for several items, what this family's model takes in batches (speaker embeddings,
        sentence embeddings), and keep it (:meth:`keep`) for :meth:`compute` to read
        (:meth:`kept`). The scorer calls it before scoring a batch of items one by one, and :meth:`forget`
        after. Items it cannot do are left out: :meth:`compute` then does them alone and reports what went
        wrong. The default does nothing (a family whose model takes no batches)."""

    def keep(self, key: Any, value: Any) -> None:
        self.__dict__.setdefault("_prefetched", {})[key] = value

    def kept(self, key: Any) -> Any | None:
        """What :meth:`prefetch` kept under ``key`` (None: nothing; compute it alone)."""
        return self.__dict__.get("_prefetched", {}).get(key)

    def forget(self) -> None:
        """Drop what :meth:`prefetch` kept (the end of a batch)."""
        self.__dict__.pop("_prefetched", None)

    def ready_items(self, items: Sequence[ScoreItem], names: Sequence[str]) -> list[ScoreItem]:
        """The items with every input ``names`` need (what a :meth:`prefetch` may batch)."""
        specs = [self.spec(n) for n in names]
        return [it for it in items if all(self.missing(it, s) is None for s in specs)]

    def notes(self, item: ScoreItem, name: str) -> list[str]:
        """Caveats of metric ``name``'s value on ``item`` (what was measured, why it may mislead); recorded on the
        value and counted in the summary. None by default."""
        return []

    def missing(self, item: ScoreItem, spec: MetricSpec) -> str | None:
        """Why ``item`` cannot be scored by ``spec`` (a missing input, too short), or None."""
        lacking = [k for k in spec.inputs if not item.has(k)]
        if lacking:
            names = " or ".join(lacking).replace("|", " or ")
            return f"missing input: {names}"
        if spec.min_duration_s and item.has("audio") and item.duration() < spec.min_duration_s:
            return f"clip shorter than {spec.min_duration_s:g} s"
        return None

    @staticmethod
    def _value(
        spec: MetricSpec, value: float | None, *, skipped: str | None = None, details: Any = None
    ) -> MetricValue:
        return MetricValue(
            name=spec.name,
            value=value,
            backend=spec.backend,
            model_id=spec.model_id,
            sample_rate=spec.sample_rate,
            skipped=skipped,
            details=dict(details or {}),
        )

    @abstractmethod
    def compute(self, item: ScoreItem, names: list[str]) -> dict[str, Any]:
        """Values for ``names`` on an item whose inputs exist: a float, ``(float, details)``, a ``SkipMetric``, or a
        ``MetricValue`` when this item was scored by another model than the spec names (it records its own)."""

    def unload(self) -> None:
        self.backend.unload()
