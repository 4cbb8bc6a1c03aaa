"""Declared options of a pluggable part (a metric family, a synthesizer...): name, type, default, help.

A part lists what it accepts; :func:`check_options` types given values (strings from a command line, or
values from code) against that list and refuses unknown names with the valid ones and a close match, so a
misspelt option is an error, never silently dropped.

>>> opts = [Option("steps", int, 32, "sampling steps"), Option("device", str, "auto")]
>>> check_options({"steps": "16"}, opts, what="synthesizer f5")
{'steps': 16}
>>> check_options({"step": "16"}, opts, what="f5")
Traceback (most recent call last):
...
evaluator.errors.ConfigError: unknown option 'step' for f5 (did you mean steps? valid options: device, steps)
"""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from evaluator.errors import ConfigError

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


@dataclass(frozen=True)
class Option:
    """One option a part accepts. ``type`` is str, int, float or bool; values given as strings are converted."""

    name: str
    type: type = str
    default: Any = None
    help: str = ""

    def coerce(self, value: Any, *, what: str = "") -> Any:
        """``value`` as this option's type (strings parsed: ``16`` -> 16, ``true``/``no`` -> bool); None stays None."""
        if value is None or isinstance(value, self.type) and not (self.type is int and isinstance(value, bool)):
            return value
        text = str(value).strip()
        where = f" of {what}" if what else ""
        try:
            if self.type is bool:
                if text.lower() in _TRUE:
                    return True
                if text.lower() in _FALSE:
                    return False
                raise ValueError(text)
            return self.type(text)
        except ValueError:
            raise ConfigError(
                f"option {self.name}{where}: {text!r} is not a valid {self.type.__name__}",
                hint=self.help or None,
                param=self.name,
            ) from None


def unknown_option_hint(name: str, valid: Iterable[str]) -> str:
    """``did you mean X? valid options: ...`` for an unknown option ``name``."""
    names = sorted(set(valid))
    close = difflib.get_close_matches(name, names, n=1)
    listed = ", ".join(names) if names else "(none)"
    return (f"did you mean {close[0]}? " if close else "") + f"valid options: {listed}"


def check_options(given: Mapping[str, Any], declared: Iterable[Option], *, what: str) -> dict[str, Any]:
    """``given`` with each value typed by its declaration; an unknown name raises ConfigError naming the valid ones."""
    by_name = {o.name: o for o in declared}
    out: dict[str, Any] = {}
    for key, value in given.items():
        if key not in by_name:
            raise ConfigError(f"unknown option {key!r} for {what}", hint=unknown_option_hint(key, by_name), param=key)
        out[key] = by_name[key].coerce(value, what=what)
    return out


def options_of(func: Callable[..., Any], *, prefix: str = "", skip: Iterable[str] = (), help: str = "") -> list[Option]:
    """The options a constructor declares by its keyword parameters (typed by their defaults: bool, int, float,
    else str), each named ``prefix + name``. ``*args``/``**kwargs`` and ``skip`` are left out."""
    out = []
    for p in inspect.signature(func).parameters.values():
        if p.name in ("self", "cls", *skip) or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        default = None if p.default is p.empty else p.default
        kind = type(default) if isinstance(default, bool | int | float) else str
        out.append(Option(prefix + p.name, kind, default, help))
    return out
