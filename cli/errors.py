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


def handle_errors(func: F) -> F:
    """Turn ``DubkitError`` into one line on stderr and a stable exit status (no traceback)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except DubkitError as exc:
            click.echo(f"dubkit: error: {with_flag(str(exc), exc.param)}", err=True)
            code = ExitCode.USER_ERROR if exc.user_error else ExitCode.FAILURE
            sys.exit(int(code))
        except KeyboardInterrupt:
            click.echo("dubkit: interrupted (re-run the same command to resume)", err=True)
            sys.exit(int(ExitCode.INTERRUPTED))

    return wrapper  # type: ignore[return-value]


def with_flag(message: str, param: str | None) -> str:
    """``message`` with the library parameter ``param`` named by the command's flag for it (when the
    running command has an option of that name, e.g. ``max_borrow`` -> ``--max-borrow``)."""
    ctx = click.get_current_context(silent=True)
    if not param or ctx is None:
        return message
    for p in ctx.command.params:
        if p.name == param and isinstance(p, click.Option) and p.opts:
            flag = max(p.opts, key=len)
            return re.sub(rf"(?<![\w-]){re.escape(param)}(?![\w-])", flag, message)
    return message
