"""``--ray [auto|ADDRESS]`` and ``--workers N``: the options of the commands that run long lists on Ray
(``dubkit batch dub``, ``dubkit corpus build``, ``dubkit score``), and their one progress bar."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator
from typing import Any

import click

RAY_HELP = (
    "Run on Ray: alone, Ray starts inside this process (all CPUs here); auto joins the cluster this machine "
    "belongs to (else starts one here); HOST:PORT joins that cluster (outputs must be on storage every node sees)."
)


def ray_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Add ``--ray`` (an optional value: ``--ray``, ``--ray auto``, ``--ray HOST:PORT``) and ``--workers``
    (refused without ``--ray``, before the command reads anything)."""

    @functools.wraps(func)
    def checked(*args: Any, **kwargs: Any) -> Any:
        if kwargs.get("workers") is not None and kwargs.get("ray") is None:
            raise click.UsageError("--workers applies to --ray")
        return func(*args, **kwargs)

    func = click.option(
        "--workers", type=int, default=None, help="Workers with --ray (default: one per GPU, else one per CPU)."
    )(func)
    return click.option(
        "--ray",
        "ray",
        is_flag=False,
        flag_value="local",
        default=None,
        metavar="[auto|ADDRESS]",
        help=RAY_HELP,
        callback=_check_ray,
    )(checked)


def _check_ray(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A value that is no address is most often the next argument taken as one (``--ray INPUT``)."""
    from evaluator.cluster import check_address
    from evaluator.errors import ConfigError

    if value is None:
        return None
    try:
        return check_address(value)
    except ConfigError as exc:
        raise click.BadParameter(
            f"{exc.message} (to start Ray here, give --ray last or before another option)", param_hint="--ray"
        ) from None


@contextlib.contextmanager
def ray_session(ray: str | None, workers: int | None) -> Iterator[Any]:
    """The Ray session of ``--ray`` (None without it), stopped when the block ends."""
    if ray is None:
        yield None
        return
    from evaluator.cluster import RaySession

    ctx = click.get_current_context(silent=True)
    verbose = bool(ctx.find_root().params.get("verbose")) if ctx is not None else False
    with RaySession(ray, workers=workers, verbose=verbose) as session:
        yield session


@contextlib.contextmanager
def run_bar(desc: str, unit: str, enabled: bool, failed: str = "failed") -> Iterator[Callable[[int, int, int], None]]:
    """One progress bar for a run on any number of workers: ``progress(finished, failed, total)`` (done, failed,
    ETA; ``failed`` is what the command calls an item it could not do); opened at the first item, so a refusal
    found while starting comes alone."""
    from cli.progress import progress_bar

    bars: list[Any] = []

    label = failed

    def progress(finished: int, n_failed: int, total: int) -> None:
        if not bars:
            bars.append(progress_bar(total, desc, unit, enabled=enabled))
        bar = bars[0]
        bar.set_postfix({label: n_failed}, refresh=False)
        bar.update(finished - bar.n)

    try:
        yield progress
    finally:
        for bar in bars:
            bar.close()
