"""``dubkit batch dub JOBS.csv``: dub many episodes (one CSV row each), in this process or on Ray.

The columns are ``dubkit dub``'s own options, named as its flags without the dashes (``video``, ``script``,
``lang``, ``output``, ``source_script``, ``translate``, ``translations``, ``synth``, ``synth_opt``,
``min_stretch``, ``cot``, ...; :func:`job_columns`), parsed and defaulted exactly as ``dubkit dub`` parses them:
a row is the ``dubkit dub`` command it stands for. ``video`` is required; an empty cell takes the option's
default; relative paths are relative to the CSV's folder; ``synth_opt`` holds ``KEY=VALUE`` items separated by
``;``; flags take true/false. A column that is not an option is refused with the valid names, and every row's
problems are reported before anything runs.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Any

import click

from cli.cluster import ray_options, ray_session, run_bar
from cli.errors import handle_errors

#: dub options that are not an episode's (how the command prints)
NOT_COLUMNS = ("as_json", "quiet")


def job_columns() -> dict[str, click.Parameter]:
    """CSV column -> the ``dubkit dub`` parameter it sets (``min_stretch`` -> ``--min-stretch``)."""
    from cli.dub import dub

    out: dict[str, click.Parameter] = {}
    for p in dub.params:
        if p.name in NOT_COLUMNS:
            continue
        flag = max(p.opts, key=len).lstrip("-") if isinstance(p, click.Option) else str(p.name)
        out[flag.replace("-", "_")] = p
    return out


def _argv(columns: dict[str, click.Parameter], row: dict[str, str], base: Path) -> list[str]:
    """The ``dubkit dub`` command line a row stands for (relative paths made absolute against ``base``)."""
    argv: list[str] = []
    for col, p in columns.items():
        raw = row.get(col, "")
        if not raw:
            continue
        if isinstance(p, click.Option) and p.is_flag:
            if click.BOOL.convert(raw, p, None):
                argv.append(max(p.opts, key=len))
            continue
        values = [v.strip() for v in raw.split(";") if v.strip()] if p.multiple else [raw]
        for v in values:
            if isinstance(p.type, click.Path) and not Path(v).is_absolute():
                v = str(base / v)
            argv += [v] if isinstance(p, click.Argument) else [max(p.opts, key=len), v]
    return argv


def read_jobs(path: Path) -> list[Any]:
    """The episodes of JOBS.csv as :class:`dubber.batch.EpisodeJob` (see the module docstring)."""
    from cli.dub import build_config, dub
    from dubber.batch import EpisodeJob
    from evaluator.errors import ConfigError, DubkitError

    if not path.is_file():
        raise ConfigError(f"{path}: no such file", hint="give a CSV with one row per episode (columns: video, ...)")
    columns = job_columns()
    with path.open(newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        header = [h.strip() for h in reader.fieldnames or []]
        unknown = [h for h in header if h not in columns]
        if unknown or "video" not in header:
            what = f"unknown column(s) {', '.join(unknown)}" if unknown else "no video column"
            raise ConfigError(f"{path}: {what}", hint=f"the columns are {', '.join(columns)}")
        rows = [{k.strip(): (v or "").strip() for k, v in row.items() if k is not None} for row in reader]
    if not rows:
        raise ConfigError(f"{path}: no episodes (a header and one row per episode)")
    base = path.resolve().parent
    jobs, problems = [], []
    for n, row in enumerate(rows, 2):  # the header is line 1
        try:
            if not row.get("video"):
                raise ConfigError("no video")
            ctx = dub.make_context("dub", _argv(columns, row, base))  # parsed and defaulted as `dubkit dub` does
            opts = dict(ctx.params)
            cfg = build_config(Path(opts.pop("video")).resolve(), opts)
            jobs.append(EpisodeJob(_absolute(cfg), source=f"{path.name} row {n}"))
        except (DubkitError, click.ClickException) as exc:
            message = exc.format_message() if isinstance(exc, click.ClickException) else str(exc)
            problems.append(f"row {n}: {message}")
    if problems:
        more = f"; and {len(problems) - 8} more" if len(problems) > 8 else ""
        raise ConfigError(f"{path}: {len(problems)} row(s) cannot be dubbed: " + "; ".join(problems[:8]) + more)
    return jobs


def _absolute(cfg: Any) -> Any:
    """The config with its output and project absolute (a worker on another node has another working folder)."""
    import dataclasses

    project = cfg.project.resolve() if cfg.project is not None else None
    return dataclasses.replace(cfg, output=cfg.output.resolve(), project=project)


@click.group()
def batch() -> None:
    """Many episodes at once: `dubkit batch dub JOBS.csv` (in this process, or on Ray with --ray)."""


@batch.command("dub")
@click.argument("jobs_csv", metavar="JOBS.csv", type=click.Path(path_type=Path))
@click.option("--log", "log_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Folder of the batch log: jobs.jsonl, summary.json [default: JOBS.batch/ beside it].")  # fmt: skip
@ray_options
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (dubbed, resumed, failed, runner).")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
@handle_errors
def batch_dub(
    jobs_csv: Path, log_dir: Path | None, ray: str | None, workers: int | None, as_json: bool, quiet: bool
) -> None:
    """Dub every episode of JOBS.csv (one row each: video, script, lang, output, any `dubkit dub` option).

    A re-run skips the episodes already done (same options, same input files, outputs present) and resumes the
    others; an episode that fails is reported and the others go on (exit status 1 when any failed)."""
    from dubber.batch import dub_batch

    jobs = read_jobs(jobs_csv)
    log = log_dir or jobs_csv.with_name(jobs_csv.stem + ".batch")
    with ray_session(ray, workers) as session, run_bar("episodes", "episode", enabled=not (quiet or as_json)) as bar:
        result = dub_batch(jobs, log, session=session, progress=bar)
        where = session.summary_line() if session is not None else "in this process"
    summary = result.to_dict()
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False))
    else:
        rendered = summary["rendered_lines"]
        click.echo(
            f"dubbed {len(result.dubbed)} episode(s) ({rendered} lines rendered) {where}; "
            f"{len(result.resumed)} already done; {len(result.failed)} failed"
        )
        for d in result.dubbed:
            click.echo(f"  {d['output']}: {d['lines']} lines, {d['rendered']} rendered, {d['elapsed_s']:.1f} s")
        for f in result.failed:
            click.echo(f"  failed {f['output']} ({f['source']}): {f['error']}")
        click.echo(f"log: {summary['log']}")
    if result.failed:
        sys.exit(1)
