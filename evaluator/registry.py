"""Named backends: one ``Registry`` per extension point.

Entries map a name to a class, or to a lazy ``"module:Class"`` path so an optional dependency is
imported only when someone picks that backend. Each package's ``__init__`` lists its
registrations explicitly; nothing scans modules.

>>> r = Registry("demo")
>>> r.register("json", "json:JSONDecoder")
>>> r.get("json").__name__
'JSONDecoder'
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Iterator
from typing import Any

from evaluator.errors import ConfigError


class Registry:
    """Maps backend names to classes (or lazy import paths)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[str, Any] = {}

    def register(self, name: str, target: Any) -> None:
        """Register ``target`` (a class, a factory, or a ``"module:attr"`` string) under ``name``."""
        if name in self._entries:
            raise ValueError(f"{self.kind} {name!r} is already registered")
        self._entries[name] = target

    def get(self, name: str) -> Any:
        """Return the registered class, importing it on first use."""
        try:
            target = self._entries[name]
        except KeyError:
            close = difflib.get_close_matches(name, list(self._entries), n=3, cutoff=0.5)
            hint = f"did you mean {', '.join(close)}?" if close else f"choose one of: {', '.join(self)}"
            raise ConfigError(f"unknown {self.kind} {name!r}", hint=hint) from None
        if isinstance(target, str):
            module_name, _, attr = target.partition(":")
            target = getattr(importlib.import_module(module_name), attr)
            self._entries[name] = target
        return target

    def names(self) -> list[str]:
        return sorted(self._entries)

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())
