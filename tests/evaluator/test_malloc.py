"""The malloc arena cap the dub run sets: set on glibc, and a user's MALLOC_ARENA_MAX left alone."""

from __future__ import annotations

import platform

import pytest

from evaluator.malloc import cap_arenas


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt's arena cap is glibc's")
def test_the_cap_is_set_on_glibc_unless_the_user_chose_one(monkeypatch):
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    assert cap_arenas() is True
    assert cap_arenas(8) is True
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    assert cap_arenas() is False
