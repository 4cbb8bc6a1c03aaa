"""Synthesizer backends, by name. Optional engines are imported only when picked.

:func:`create_synthesizer` builds one from its declared options (``--synth-opt NAME=VALUE``), refusing
unknown names and values that do not parse, with the valid names in the message.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dubber.synth.base import Precomputed, Speech, Synthesizer, SynthRequest, VoiceReference
from evaluator.options import check_options as evaluator_check_options
from evaluator.registry import Registry

SYNTHESIZERS = Registry("synthesizer")
SYNTHESIZERS.register("piper", "dubber.synth.piper:PiperSynthesizer")
SYNTHESIZERS.register("espeak", "dubber.synth.espeak:EspeakSynthesizer")
SYNTHESIZERS.register("f5", "dubber.synth.f5:F5Synthesizer")


def check_options(name: str, options: Mapping[str, Any]) -> dict[str, Any]:
    """``options`` converted to the types backend ``name`` declares; unknown names or bad values raise
    ConfigError naming the option and the valid ones."""
    return evaluator_check_options(options, SYNTHESIZERS.get(name).options, what=f"the {name} synthesizer")


def create_synthesizer(name: str, options: Mapping[str, Any] | None = None) -> Synthesizer:
    """The named backend built with ``options`` (checked by :func:`check_options`)."""
    return SYNTHESIZERS.get(name)(**check_options(name, options or {}))


__all__ = [
    "SYNTHESIZERS",
    "Precomputed",
    "Speech",
    "SynthRequest",
    "Synthesizer",
    "VoiceReference",
    "check_options",
    "create_synthesizer",
]
