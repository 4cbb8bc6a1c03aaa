"""Work functions for the runner tests: real items that fail, raise, or kill their own worker process.

The Ray tests pickle this module by value (``ray.cloudpickle.register_pickle_by_value``), so the workers need
not import it.
"""

from __future__ import annotations

import os
from pathlib import Path


def setup() -> dict[str, int]:
    return {"pid": os.getpid()}


def times_ten(state: dict[str, int], x: int) -> tuple[int, int]:
    """The item's result and the pid of the process that did it."""
    return x * 10, os.getpid()


def raises_on_two(state: dict[str, int], x: int) -> int:
    if x == 2:
        raise ValueError("item 2 is bad")
    return x * 10


def dies_once_on_three(state: dict[str, int], x: tuple[int, str]) -> tuple[int, int]:
    """Kills its own process (no cleanup, as SIGKILL or the OOM killer would) the first time it sees item 3;
    the marker file says it did."""
    value, marker = x
    if value == 3 and not Path(marker).exists():
        Path(marker).write_text(str(os.getpid()))
        os._exit(1)
    return value * 10, os.getpid()


def always_dies_on_two(state: dict[str, int], x: int) -> int:
    if x == 2:
        os._exit(3)
    return x * 10


def setup_fails() -> None:
    from evaluator.errors import ModelLoadError

    raise ModelLoadError("no weights at /nowhere/model.pt", hint="pass a local checkpoint")
