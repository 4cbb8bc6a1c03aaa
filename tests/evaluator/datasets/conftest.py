"""The MELD and M2H2 fixture trees (real formats, espeak speech over the sample photo), built once."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def meld_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from dubber.dataset_fixtures import build_meld_fixture

    return build_meld_fixture(tmp_path_factory.mktemp("meld"))


@pytest.fixture(scope="session")
def m2h2_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from dubber.dataset_fixtures import build_m2h2_fixture

    return build_m2h2_fixture(tmp_path_factory.mktemp("m2h2"))
