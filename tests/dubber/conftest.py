"""Fixtures shared by the dubber tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from loopback_chat import LoopbackChat


@pytest.fixture(scope="module")
def chat_server() -> Iterator[LoopbackChat]:
    """A loopback chat-completions server (see ``loopback_chat``); reset its script per test."""
    with LoopbackChat() as server:
        yield server
