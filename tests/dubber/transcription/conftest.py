"""Transcription tests: conversations of real recorded speech with exact turns, built once per session."""

from __future__ import annotations

import importlib.util

import pytest


def _needs(*packages: str) -> None:
    """Skip when a package whose audio samples a conversation uses is not installed."""
    missing = [p for p in packages if importlib.util.find_spec(p) is None]
    if missing:
        pytest.skip(f"audio samples need {', '.join(missing)} (installed by scripts/setup.sh)")


@pytest.fixture(scope="session")
def recorded():
    """Seven real speakers (English, Mandarin), 12 turns, ~49 s (``dubber.transcribe.conversation``)."""
    from dubber.transcribe.conversation import build_conversation

    _needs("f5_tts", "gradio", "pysptk")
    return build_conversation("recorded")


@pytest.fixture(scope="session")
def kokoro():
    """Five Kokoro-TTS voices in six languages, 14 turns, ~47 s (pytest-audioeval's samples)."""
    from dubber.transcribe.conversation import build_conversation

    _needs("pytest_audioeval")
    return build_conversation("kokoro")


@pytest.fixture(scope="session")
def offline():
    from dubber.transcribe import create_transcriber

    return create_transcriber("offline")


@pytest.fixture(scope="session")
def short_video(tmp_path_factory: pytest.TempPathFactory):
    """An MP4 of four Kokoro turns, two voices, ~10 s: for the command-line tests."""
    from dubber.transcribe.conversation import KOKORO, build_conversation, write_conversation_video

    _needs("pytest_audioeval")
    conv = build_conversation("short", KOKORO[:3] + KOKORO[6:7])
    return conv, write_conversation_video(conv, tmp_path_factory.mktemp("conv") / "short.mp4")


@pytest.fixture(scope="session")
def tiny_whisper(tmp_path_factory: pytest.TempPathFactory):
    """A tiny random CTranslate2 Whisper model directory (real architecture and converter)."""
    from evaluator.asr.whisper_tiny import build_tiny_whisper

    return build_tiny_whisper(tmp_path_factory.mktemp("whisper") / "tiny-ct2")
