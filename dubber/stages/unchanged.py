"""The no-op re-run: a run whose inputs, options and outputs are all as the last run left them has
nothing to do, and says so without decoding the episode, reading scenes or mixing.

:func:`run_key` hashes everything the outputs depend on: the inputs' content (the video and
script hashes the episode stage computes, the source script's and background's, the footage
library's id), every option of the run's configuration, and the synthesizer's model. After the
outputs are written, :func:`stamp_run` records the key and each written file's size and
modification time (``Manifest.run``). :func:`previous_if_unchanged` then accepts a re-run when the
key is the same, every line is rendered with its audio present, and every recorded file still has
its size and modification time (a file replaced or touched since counts as changed).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from dubber.stages.episode import Episode
from dubber.synth.base import Synthesizer
from evaluator.fileio import file_sha256, stable_hash
from evaluator.project import FileStamp, Manifest, RunStamp


def run_key(episode: Episode, synth: Synthesizer) -> str:
    """Hash of everything a run's outputs depend on (see the module docstring)."""
    cfg = episode.config
    options = {f.name: _plain(getattr(cfg, f.name)) for f in dataclasses.fields(cfg)}
    inputs: dict[str, Any] = {"video": episode.video_hash, "script": episode.script_hash}
    for name in ("source_script", "background"):
        path = getattr(cfg, name)
        inputs[name] = file_sha256(path) if path is not None else None
    if cfg.library is not None:
        from dubber.stages.retrieve import library_id

        inputs["library"] = library_id(cfg.library)
    if cfg.dubscore_model is not None:
        inputs["dubscore_model"] = _stat(cfg.dubscore_model)
    if cfg.translate is not None:  # a translation table and a glossary count by their content
        for name, value in sorted({**cfg.translate_options, "glossary": cfg.glossary}.items()):
            if isinstance(value, str | os.PathLike) and Path(value).is_file():
                inputs[f"translate:{name}"] = file_sha256(value)
    return stable_hash({"inputs": inputs, "options": options, "synth": synth.describe()})


def stamp_run(key: str, files: Iterable[str | os.PathLike[str]]) -> RunStamp:
    """The record of a finished run: its key and the state of each file it wrote."""
    stamps = []
    for f in files:
        st = Path(f).stat()
        stamps.append(FileStamp(path=str(Path(f).resolve()), size=st.st_size, mtime_ns=st.st_mtime_ns))
    return RunStamp(key=key, files=stamps)


def previous_if_unchanged(episode: Episode, key: str) -> Manifest | None:
    """The previous manifest when a re-run with ``key`` would change nothing, else None."""
    previous = episode.previous
    if previous is None or previous.run is None or previous.run.key != key or episode.config.force_lines:
        return None
    project = episode.project
    for line in previous.lines:
        if line.status != "done" or not line.audio or not (project / line.audio).is_file():
            return None
    for stamp in previous.run.files:
        try:
            st = Path(stamp.path).stat()
        except OSError:
            return None
        if st.st_size != stamp.size or st.st_mtime_ns != stamp.mtime_ns:
            return None
    return previous


def _stat(path: Path) -> list[int] | None:
    try:
        st = Path(path).stat()
    except OSError:
        return None
    return [st.st_size, st.st_mtime_ns]


def _plain(value: Any) -> Any:
    """A configuration value as JSON (paths as strings, sets sorted, dataclasses as objects)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in sorted(value.items())}
    if isinstance(value, set | frozenset):
        return sorted(_plain(v) for v in value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Path):
        return str(value.resolve())
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)
