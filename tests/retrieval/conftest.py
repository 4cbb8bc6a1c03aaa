"""Fixtures for the retrieval tests: real clips (see retrieval_media.py) and a library built from them."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from retrieval_media import CLIPS, make_clip


@pytest.fixture(scope="session")
def clip_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Four real clips, a corrupt file, and ``clips.csv`` listing them plus a missing file."""
    d = tmp_path_factory.mktemp("clips")
    for cid, speaker, text, vf in CLIPS:
        make_clip(d / f"{cid}.mp4", text, vf, "female" if speaker == "ANNA" else "male")
    (d / "broken.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42 this is not a video" * 50)
    with open(d / "clips.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["id", "video", "start", "end", "text", "speaker", "emotion"])
        for cid, speaker, text, _ in CLIPS:
            w.writerow([cid, f"{cid}.mp4", "0", "3", text, speaker, cid[2:]])
        w.writerow(["c_broken", "broken.mp4", "0", "3", "Something.", "ANNA", ""])
        w.writerow(["c_missing", "nowhere.mp4", "0", "3", "Nothing.", "BEN", ""])
    return d


@pytest.fixture(scope="session")
def built_library(clip_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    """The offline-profile library built from ``clips.csv`` (and its build report)."""
    from retrieval import FootageLibrary, read_dataset

    lib = FootageLibrary.create(tmp_path_factory.mktemp("lib") / "lib", profile="offline")
    report = lib.add(read_dataset(clip_dir / "clips.csv"))
    return lib, report
