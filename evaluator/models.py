"""Where model weights come from: one cache directory, one resolver, one hub-offline switch.

- :func:`cache_dir`: ``$DUBKIT_CACHE``, default ``~/.cache/dubkit`` (``dubkit --cache-dir DIR`` sets it). Hub
  downloads land in ``cache_dir()/hub``, files fetched by URL in ``cache_dir()/downloads``, DubScore
  features in ``cache_dir()/features``.
- :func:`resolve`: a model spec as a local path: a local file or directory is itself; a hub id
  (``org/name``) or hub file (``hf://org/name/path/file``) is its snapshot in the cache, downloaded only
  when downloads are on (and said so in the log). Offline, a spec that is not cached is a ModelLoadError
  naming the model, the cache and what to pass instead. Loaders then read the local path only.
- :func:`set_offline`: the hub-offline switch. huggingface_hub reads ``HF_HUB_OFFLINE`` once, when it is
  imported; the switch sets the variable (for libraries not imported yet and for child processes) and,
  when huggingface_hub is already imported, its runtime flag (``huggingface_hub.constants.HF_HUB_OFFLINE``,
  which ``is_offline_mode()`` and transformers read at call time). ``dubkit --offline`` calls it before
  any command runs.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from evaluator.errors import MissingDependencyError, ModelLoadError

logger = logging.getLogger(__name__)

CACHE_ENV = "DUBKIT_CACHE"
OFFLINE_ENV = "HF_HUB_OFFLINE"
_TRUE = ("1", "true", "yes", "on")
#: a hub repository id: ``name`` or ``org/name`` (letters, digits, ``-_.``)
_REPO_ID = re.compile(r"^[\w.-]+(/[\w.-]+)?$")
_FILE_SUFFIXES = (".pt", ".pth", ".bin", ".ckpt", ".safetensors", ".onnx", ".model", ".dat", ".yaml", ".json", ".tar")

#: fetch(repo_id, cache, local_files_only) -> local path: a library's own downloader (faster-whisper sizes)
Fetch = Callable[[str, Path, bool], str]


def cache_dir() -> Path:
    """dubkit's cache directory: ``$DUBKIT_CACHE``, else ``~/.cache/dubkit``."""
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "dubkit").expanduser()


def set_cache_dir(path: str | os.PathLike[str]) -> None:
    """Use ``path`` as the cache directory from now on (also for child processes)."""
    os.environ[CACHE_ENV] = str(Path(path).expanduser())


def hub_cache() -> Path:
    """Where hub snapshots are kept (``cache_dir()/hub``, huggingface_hub's cache layout)."""
    return cache_dir() / "hub"


def is_offline() -> bool:
    """Whether downloads are off: the hub library's runtime flag when it is imported, else the environment."""
    hub = sys.modules.get("huggingface_hub.constants")
    if hub is not None:
        return bool(hub.HF_HUB_OFFLINE)
    return any(os.environ.get(k, "").strip().lower() in _TRUE for k in (OFFLINE_ENV, "TRANSFORMERS_OFFLINE"))


def set_offline(offline: bool = True) -> None:
    """Turn downloads off (or on) for every hub library, whether or not it is imported yet."""
    if offline:
        os.environ[OFFLINE_ENV] = "1"
    else:
        os.environ.pop(OFFLINE_ENV, None)
        os.environ.pop("TRANSFORMERS_OFFLINE", None)
    hub = sys.modules.get("huggingface_hub.constants")
    if hub is not None:
        hub.HF_HUB_OFFLINE = offline


def _looks_local(spec: str) -> bool:
    """A path, not a hub id: absolute or relative-looking, more than one ``/``, or a weights file name."""
    return (
        spec.startswith(("/", ".", "~"))
        or spec.count("/") > 1
        or not _REPO_ID.match(spec)
        or spec.lower().endswith(_FILE_SUFFIXES)
    )


def local_path(spec: str | os.PathLike[str] | None, *, fetch: Fetch | None = None) -> Path | None:
    """``spec`` as an existing local path without any network access (a local path, or a cached hub
    snapshot/file); None when it is not here. ``auto`` profiles use this to see which weights they have."""
    if spec is None:
        return None
    try:
        return _resolve(os.fspath(spec), what="model", param=None, offline=True, fetch=fetch, patterns=None)
    except (ModelLoadError, MissingDependencyError):
        return None


def resolve(
    spec: str | os.PathLike[str],
    *,
    what: str,
    param: str | None = None,
    fetch: Fetch | None = None,
    allow_patterns: Sequence[str] | None = None,
) -> Path:
    """``spec`` (a local file or directory, a hub id ``org/name``, or a hub file ``hf://org/name/path``) as a
    local path, fetched into :func:`hub_cache` when it is a hub spec that is not cached yet and downloads are
    on. ``what`` names the model in messages, ``param`` the parameter that took ``spec``; ``fetch`` is a
    library's own downloader for names it maps to repositories; ``allow_patterns`` limits a snapshot's files."""
    return _resolve(os.fspath(spec), what=what, param=param, offline=is_offline(), fetch=fetch, patterns=allow_patterns)


def _resolve(
    spec: str, *, what: str, param: str | None, offline: bool, fetch: Fetch | None, patterns: Sequence[str] | None
) -> Path:
    as_param = f" as {param}" if param else ""
    path = Path(spec).expanduser()
    if path.exists():
        return path
    hub_file = spec.startswith("hf://")
    if not hub_file and _looks_local(spec):
        raise ModelLoadError(
            f"{spec}: no such {what} file or directory",
            hint=f"pass an existing path or a hub id{as_param}",
            param=param,
        )
    try:
        from huggingface_hub import hf_hub_download, snapshot_download
        from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError, OfflineModeIsEnabled
    except ImportError:
        raise MissingDependencyError(
            "huggingface_hub (to fetch hub models)", install="pip install huggingface_hub"
        ) from None

    def get(local_only: bool) -> str:
        if hub_file:
            parts = spec[len("hf://") :].split("/")
            if len(parts) < 3:
                raise ModelLoadError(f"{spec}: a hub file is hf://ORG/REPO/PATH", param=param)
            repo, filename = "/".join(parts[:2]), "/".join(parts[2:])
            return hf_hub_download(repo, filename, cache_dir=hub_cache(), local_files_only=local_only)
        if fetch is not None:
            return fetch(spec, hub_cache(), local_only)
        return snapshot_download(spec, cache_dir=hub_cache(), local_files_only=local_only, allow_patterns=patterns)

    try:
        return Path(get(local_only=True))
    except (LocalEntryNotFoundError, OfflineModeIsEnabled, FileNotFoundError, ValueError) as exc:
        if offline:
            raise ModelLoadError(
                f"{what} {spec!r} is not in the model cache {hub_cache()} and downloads are off (offline)",
                hint=f"pass a local copy{as_param}, or fetch it once with downloads on",
                param=param,
            ) from None
        if isinstance(exc, ValueError) and not isinstance(exc, FileNotFoundError):  # a library's unknown name
            raise ModelLoadError(f"{what} {spec!r}: {exc}", param=param) from None
    logger.warning("downloading %s %s into %s", what, spec, hub_cache())
    try:
        return Path(get(local_only=False))
    except (HfHubHTTPError, OfflineModeIsEnabled, OSError, ValueError) as exc:
        raise ModelLoadError(
            f"cannot download {what} {spec!r} ({exc.__class__.__name__}: {exc})",
            hint=f"pass a local copy{as_param}, or check the hub id and the network",
            param=param,
        ) from None


def fetch_url(url: str, *, what: str, param: str, filename: str | None = None) -> Path:
    """A file published at ``url`` (a release asset), kept in ``cache_dir()/downloads``; downloaded only when it
    is not there yet and downloads are on."""
    dest = cache_dir() / "downloads" / (filename or url.rstrip("/").rsplit("/", 1)[-1])
    if dest.is_file():
        return dest
    if is_offline():
        raise ModelLoadError(
            f"{what}: {dest} is not in the cache and downloads are off (offline)",
            hint=f"put the file from {url} there, or pass a local copy as {param}",
            param=param,
        )
    import torch.hub

    from evaluator.fileio import atomic_path

    logger.warning("downloading %s from %s into %s", what, url, dest)
    try:
        with atomic_path(dest) as tmp:
            torch.hub.download_url_to_file(url, str(tmp), progress=False)
    except OSError as exc:
        raise ModelLoadError(
            f"cannot download {what} from {url} ({exc})", hint=f"pass a local copy as {param}"
        ) from None
    return dest
