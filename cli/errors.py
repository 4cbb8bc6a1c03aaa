"""Exit codes and the mapping from library errors to one-line messages."""

from __future__ import annotations

import enum
import functools
import logging
import re
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from evaluator.errors import DubkitError

F = TypeVar("F", bound=Callable[..., Any])
log = logging.getLogger("dubkit")


class ExitCode(enum.IntEnum):
    OK = 0
    FAILURE = 1  # a backend failed: a bug or an environment problem
    USER_ERROR = 2  # bad input, bad option, missing model or extra: the message says what to do
    INTERRUPTED = 130


def _flag(param: str, flags: dict[str, str]) -> str | None:
    """The flag of the running command that sets library parameter ``param``: ``flags`` (the command's own
    mapping, for parameters whose flag has another name), else the option whose click name is ``param``."""
    if param in flags:
        return flags[param]
    ctx = click.get_current_context(silent=True)
    for p in ctx.command.params if ctx is not None else ():
        if isinstance(p, click.Option) and p.name == param:
            return max(p.opts, key=len)
    return None


def cli_message(exc: DubkitError, flags: dict[str, str] | None = None) -> str:
    """The error's line, each library parameter it names (``exc.params``) shown as the command's flag."""
    text = str(exc)
    for param in exc.params:
        flag = _flag(param, flags or {})
        if flag is not None:
            text = re.sub(rf"(?<![\w-]){re.escape(param)}(?![\w-])", flag, text)
    return text


def handle_errors(func: F | None = None, /, **flags: str) -> Any:
    """Turn ``DubkitError`` into one line on stderr and a stable exit status (no traceback).

    ``@handle_errors`` or ``@handle_errors(url="--cot-url")``: ``flags`` maps library parameters whose flag has
    another name; the others are found among the command's options by name (``batch_size`` -> ``--batch-size``).
    """
    if func is None:
        return functools.partial(handle_errors, **flags)

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except DubkitError as exc:
            click.echo(f"dubkit: error: {cli_message(exc, flags)}", err=True)
            code = ExitCode.USER_ERROR if exc.user_error else ExitCode.FAILURE
            sys.exit(int(code))
        except KeyboardInterrupt as exc:  # a run's interruption says how far it got (evaluator.cluster)
            done = f": {exc}" if str(exc) else ""
            hint = getattr(exc, "hint", None) or "re-run the same command to resume"
            click.echo(f"dubkit: interrupted{done} ({hint})", err=True)
            sys.exit(int(ExitCode.INTERRUPTED))

    return wrapper  # type: ignore[return-value]
