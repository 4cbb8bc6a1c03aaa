"""Synthesizer backends, by name. Optional engines are imported only when picked."""

from dubber.synth.base import Speech, Synthesizer, VoiceReference
from evaluator.registry import Registry

SYNTHESIZERS = Registry("synthesizer")
SYNTHESIZERS.register("piper", "dubber.synth.piper:PiperSynthesizer")
SYNTHESIZERS.register("espeak", "dubber.synth.espeak:EspeakSynthesizer")
SYNTHESIZERS.register("f5", "dubber.synth.f5:F5Synthesizer")

__all__ = ["SYNTHESIZERS", "Speech", "Synthesizer", "VoiceReference"]
