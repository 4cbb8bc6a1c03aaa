"""The one ``KEY=VALUE`` option parser of the CLI (``--metric-option``, ``--backend``, ``--encoder-model``,
``--synth-opt``...).

>>> from evaluator.options import Option
>>> parse_key_values(("steps=16", "device=cpu"), flag="--synth-opt",
...                  declared=[Option("steps", int), Option("device", str)])
{'steps': 16, 'device': 'cpu'}
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from evaluator.options import Option


def parse_key_values(
    items: Iterable[str],
    *,
    flag: str,
    declared: Sequence[Option] | None = None,
    what: str = "",
    dashes_to_underscores: bool = True,
) -> dict[str, Any]:
    """``KEY=VALUE`` items as a dict (a repeated key: the last wins). With ``declared``, each key must be one of
    the declared options and its value is typed by it. A malformed item, an unknown key (the message lists the
    valid ones and the closest) or a value of the wrong type is a click usage error: exit status 2."""
    from evaluator.errors import ConfigError
    from evaluator.options import check_options

    out: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise click.BadParameter(f"{item!r} is not KEY=VALUE", param_hint=flag)
        out[key.replace("-", "_") if dashes_to_underscores else key] = value.strip()
    if declared is None:
        return out
    try:
        return check_options(out, declared, what=what or flag)
    except ConfigError as exc:
        raise click.BadParameter(str(exc), param_hint=flag) from None
