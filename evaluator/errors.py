"""The error hierarchy every dubkit package raises.

Library code raises these; only ``cli/`` turns them into exit codes and one-line messages.
A message names the file or cue, says what is wrong, and says what to do. It names the library's own
parameters (``batch_size must be >= 2``), listed in ``params``; the CLI shows each as its flag
(``--batch-size must be >= 2``).
"""

from __future__ import annotations

from collections.abc import Sequence


class DubkitError(Exception):
    """Base class of every error dubkit raises on purpose."""

    #: True when the error is the user's to fix (bad input, bad option, missing model or extra).
    user_error: bool = True

    def __init__(self, message: str, *, hint: str | None = None, param: str | Sequence[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        #: the parameters (keyword arguments, config fields) the message and hint name, as written there
        self.params: tuple[str, ...] = (param,) if isinstance(param, str) else tuple(param or ())

    @property
    def param(self) -> str | None:
        """The first parameter the message names (None: none)."""
        return self.params[0] if self.params else None

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class ConfigError(DubkitError):
    """An option or configuration value is invalid (unknown backend, unsupported language, ...)."""


class MediaError(DubkitError):
    """A media file is missing, unreadable, corrupt, or lacks a stream that is needed."""


class ScriptError(DubkitError):
    """A subtitle script has problems; ``problems`` lists each with its cue (or says what is wrong with the file).

    ``whole_file`` errors (missing, empty, unreadable) are about the file, not its cues: they carry their own
    ``hint`` (or none) instead of "fix these cues".
    """

    CUE_HINT = "fix these cues and run again"

    def __init__(self, path: str, problems: list[str], *, whole_file: bool = False, hint: str | None = None) -> None:
        self.path = path
        self.problems = list(problems)
        self.whole_file = whole_file
        if whole_file:
            head = f"{path}: " + "; ".join(self.problems)
        else:
            head = f"{path}: {len(self.problems)} problem(s) in the script: " + "; ".join(self.problems[:8])
            if len(self.problems) > 8:
                head += f"; and {len(self.problems) - 8} more"
            hint = hint or self.CUE_HINT
        super().__init__(head, hint=hint)


class MissingDependencyError(DubkitError):
    """An optional package or system tool is not installed; carries the pip extra that provides it."""

    def __init__(self, what: str, *, extra: str | None = None, install: str | None = None) -> None:
        self.what = what
        self.extra = extra
        if install is None and extra is not None:
            install = f"pip install 'dubkit[{extra}]'"
        super().__init__(f"{what} is not installed", hint=install)


class ModelLoadError(DubkitError):
    """Model weights could not be found or loaded from the given directory, file or hub id."""


class DatasetError(DubkitError):
    """A dataset directory is missing, is not the dataset named, or a dataset record is invalid."""


class ManifestError(DubkitError):
    """A project manifest is invalid, from an unknown schema version, or inconsistent."""


class OutputError(DubkitError):
    """An output path cannot be written."""


class BackendError(DubkitError):
    """A backend failed while running (not the user's input): a bug or an environment problem."""

    user_error = False
