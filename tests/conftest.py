"""Shared fixtures: real media built offline (espeak/piper speech, the matplotlib photo)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

#: modules whose every test is expensive (F5 training), marked here because the module belongs to the F5
#: rewrite (issue 11): move this to ``pytestmark = pytest.mark.slow`` in the module and drop it here
SLOW_MODULES = ("tests/dubber/test_f5_train.py",)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if item.nodeid.startswith(SLOW_MODULES):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def demo_episode(tmp_path_factory: pytest.TempPathFactory):
    """A 3-line demo episode: photo video with Spanish espeak dialogue over music, English script."""
    from dubber.demo import build_demo

    return build_demo(tmp_path_factory.mktemp("demo"), n_lines=3, width=320)


@pytest.fixture(scope="session")
def piper():
    from dubber.synth import SYNTHESIZERS

    return SYNTHESIZERS.get("piper")()


@pytest.fixture(scope="session")
def espeak():
    from dubber.synth import SYNTHESIZERS

    return SYNTHESIZERS.get("espeak")()


def write_srt(path: Path, text: str) -> Path:
    path.write_text(text.strip() + "\n", encoding="utf-8")
    return path
