"""Synthesizer backends, by name. Optional engines are imported only when picked.

:func:`create_synthesizer` builds one from its declared options (``--synth-opt NAME=VALUE``), refusing
unknown names and values that do not parse, with the valid names in the message.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

from dubber.synth.base import Precomputed, Speech, Synthesizer, SynthOption, SynthRequest, VoiceReference
from evaluator.errors import ConfigError
from evaluator.registry import Registry

SYNTHESIZERS = Registry("synthesizer")
SYNTHESIZERS.register("piper", "dubber.synth.piper:PiperSynthesizer")
SYNTHESIZERS.register("espeak", "dubber.synth.espeak:EspeakSynthesizer")
SYNTHESIZERS.register("f5", "dubber.synth.f5:F5Synthesizer")


def check_options(name: str, options: Mapping[str, Any]) -> dict[str, Any]:
    """``options`` converted to the types backend ``name`` declares; unknown names or bad values raise
    ConfigError naming the option and the valid ones."""
    cls = SYNTHESIZERS.get(name)
    declared = {o.name: o for o in cls.options}
    out: dict[str, Any] = {}
    for key, value in options.items():
        opt = declared.get(key)
        if opt is None:
            close = difflib.get_close_matches(key, list(declared), n=1, cutoff=0.6)
            hint = f"did you mean {close[0]}? " if close else ""
            valid = ", ".join(sorted(declared)) or "none"
            raise ConfigError(
                f"the {name} synthesizer has no option {key!r}", hint=f"{hint}its options are: {valid}", param=key
            )
        try:
            out[key] = opt.parse(value)
        except (TypeError, ValueError) as exc:
            raise ConfigError(
                f"{name} option {key}={value!r}: {exc}",
                hint=f"{key} takes a {opt.type.__name__}: {opt.help}",
                param=key,
            ) from None
    return out


def create_synthesizer(name: str, options: Mapping[str, Any] | None = None) -> Synthesizer:
    """The named backend built with ``options`` (checked by :func:`check_options`)."""
    return SYNTHESIZERS.get(name)(**check_options(name, options or {}))


__all__ = [
    "SYNTHESIZERS",
    "Precomputed",
    "Speech",
    "SynthOption",
    "SynthRequest",
    "Synthesizer",
    "VoiceReference",
    "check_options",
    "create_synthesizer",
]
