"""``dubkit library build|add|query|info``: the reference footage library."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from cli.errors import handle_errors

_PROFILE = click.Choice(["offline", "paper"])


def _clips(source: Path, subs: Path | None) -> list[Any]:
    """Clips of SOURCE: a dubkit project, a CSV/TSV/JSONL dataset manifest, or a video with --subs."""
    from evaluator.errors import ConfigError
    from retrieval import clips_from_project, clips_from_script, read_dataset

    if source.is_dir() or source.name == "manifest.json":
        return clips_from_project(source)
    if source.suffix.lower() in (".csv", ".tsv", ".jsonl", ".ndjson"):
        return read_dataset(source)
    if subs is None:
        raise ConfigError(
            f"{source}: a video needs its subtitles to be cut into clips", hint="pass --subs FILE (SRT/VTT/ASS)"
        )
    return clips_from_script(source, subs)


def _run_add(lib: Any, clips: list[Any], quiet: bool, as_json: bool) -> dict[str, Any]:
    from cli.progress import progress_bar

    with progress_bar(len(clips), "encoding clips", "clip", not (quiet or as_json)) as bar:
        report = lib.add(clips, on_clip=lambda clip, reason: bar.update(1))
    return {"library": str(lib.path), **report.to_dict()}


def _print_report(out: dict[str, Any], as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(out))
        return
    click.echo(
        f"{out['library']}: {out['added']} clip(s) added, {out['present']} already present, "
        f"{len(out['skipped'])} skipped; {out['total']} in the library"
        + (f" (index {out['index']})" if out.get("index") else "")
    )
    for s in out["skipped"]:
        click.echo(f"  skipped {s['id']}: {s['reason']}")


@click.group()
def library() -> None:
    """The reference footage library: emotion vectors of the show's own clips, searched per line."""


@library.command()
@click.argument("source", type=click.Path(path_type=Path))
@click.option("-o", "--out", "lib_path", required=True, type=click.Path(path_type=Path), help="Library folder.")
@click.option("--subs", type=click.Path(path_type=Path), help="Subtitles of SOURCE when it is a video.")
@click.option("--profile", type=_PROFILE, default="offline", show_default=True, help="Encoders of the vectors.")
@click.option("--text-model", help="paper profile: text-emotion classifier (directory or hub id).")
@click.option("--audio-model", help="paper profile: emotion2vec model (directory or model id).")
@click.option("--face-detector", type=click.Choice(["haar", "dlib"]), default="haar", show_default=True)
@click.option("--index-threshold", type=int, help="Rows before the approximate index is built (default 50000).")
@click.option("--json", "as_json", is_flag=True, help="Print the build report as one JSON object.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
@handle_errors
def build(
    source: Path,
    lib_path: Path,
    subs: Path | None,
    profile: str,
    text_model: str | None,
    audio_model: str | None,
    face_detector: str,
    index_threshold: int | None,
    as_json: bool,
    quiet: bool,
) -> None:
    """Build (or extend) the library LIB from SOURCE: a CSV/JSONL clip list, a dubkit project, or a video."""
    from retrieval import FootageLibrary
    from retrieval.store import IndexPolicy

    options: dict[str, Any] = {"face_detector": face_detector}
    if text_model:
        options["text_model"] = text_model
    if audio_model:
        options["audio_model"] = audio_model
    policy = IndexPolicy(threshold=index_threshold) if index_threshold is not None else None
    clips = _clips(source, subs)
    lib = FootageLibrary.create(lib_path, profile=profile, options=options, index_policy=policy)
    _print_report(_run_add(lib, clips, quiet, as_json), as_json)


@library.command()
@click.argument("lib_path", metavar="LIB", type=click.Path(path_type=Path))
@click.argument("source", type=click.Path(path_type=Path))
@click.option("--subs", type=click.Path(path_type=Path), help="Subtitles of SOURCE when it is a video.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON object.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
@handle_errors
def add(lib_path: Path, source: Path, subs: Path | None, as_json: bool, quiet: bool) -> None:
    """Add the clips of SOURCE to the library LIB (clips already in it are kept as they are)."""
    from retrieval import FootageLibrary

    lib = FootageLibrary.open(lib_path)
    _print_report(_run_add(lib, _clips(source, subs), quiet, as_json), as_json)


@library.command()
@click.argument("lib_path", metavar="LIB", type=click.Path(path_type=Path))
@click.option("--video", type=click.Path(path_type=Path), help="Video of the target line (scene and face).")
@click.option("--start", type=float, help="Start of the line in the video, seconds.")
@click.option("--end", type=float, help="End of the line in the video, seconds.")
@click.option("--text", help="Text of the line (text emotion).")
@click.option("-k", "k", type=int, default=3, show_default=True, help="Clips per modality.")
@click.option("--speaker", help="Speaker of the target line.")
@click.option("--same-speaker", is_flag=True, help="Only clips of --speaker.")
@click.option(
    "--metric", type=click.Choice(["cosine", "dot", "euclidean"]), default="cosine", show_default=True, help="Distance."
)
@click.option("--json", "as_json", is_flag=True, help="Print the hits as one JSON object.")
@handle_errors
def query(
    lib_path: Path,
    video: Path | None,
    start: float | None,
    end: float | None,
    text: str | None,
    k: int,
    speaker: str | None,
    same_speaker: bool,
    metric: str,
    as_json: bool,
) -> None:
    """Top-K clips per modality (scene, face, text) for a target line."""
    from evaluator.errors import ConfigError
    from retrieval import FootageLibrary, retrieve_for_line

    if video is None and not text:
        raise ConfigError("nothing to query with", hint="pass --video (with --start/--end) and/or --text")
    if video is not None and start is not None and end is not None and end <= start:
        raise ConfigError(f"--end {end} is not after --start {start}")
    lib = FootageLibrary.open(lib_path)
    hits = retrieve_for_line(lib, video, start, end, text, speaker, k=k, same_speaker=same_speaker, metric=metric)
    if as_json:
        out = {"library": str(lib.path), "k": k, "metric": metric, "encoders": lib.encoder_ids}
        click.echo(json.dumps({**out, "hits": [h.to_dict() for h in hits]}))
        return
    for h in hits:
        span = f"{h.start:.2f}-{h.end:.2f}s" if h.start is not None and h.end is not None else "whole file"
        click.echo(f"{h.modality:<5} #{h.rank} {h.score:+.4f} {h.id} [{h.speaker}] {span} {h.text!r}")
    if not hits:
        click.echo("no hits (empty library, or no clip has the queried modalities)")


@library.command()
@click.argument("lib_path", metavar="LIB", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object.")
@handle_errors
def info(lib_path: Path, as_json: bool) -> None:
    """Clips, speakers, vector encoders and sizes, index state and last build of the library LIB."""
    from retrieval import FootageLibrary

    data = FootageLibrary.open(lib_path).info()
    if as_json:
        click.echo(json.dumps(data))
        return
    click.echo(f"{data['path']}: {data['clips']} clips, profile {data['profile']}, {data['disk_bytes'] / 1e6:.1f} MB")
    click.echo("speakers: " + ", ".join(f"{s} ({n})" for s, n in sorted(data["speakers"].items())))
    for m, v in data["vectors"].items():
        idx = data["index"].get(m)
        state = (
            f"{idx['type']} {idx['metric']} index"
            if idx
            else f"exact search (an approximate index is built once the library holds {data['index_threshold']} clips)"
        )
        click.echo(f"  {m:<5} {v['dim']:>4}-d  {v['clips']} clips  {state}  {v['encoder']}")
    last = data.get("last_build")
    if last:
        click.echo(f"last build: {last['added']} added, {len(last['skipped'])} skipped")


@library.command()
@click.argument("lib_path", metavar="LIB", type=click.Path(path_type=Path))
@click.option(
    "--base",
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder that relative media paths of the old library are relative to (default: the current one).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON object.")
@handle_errors
def migrate(lib_path: Path, base: Path | None, as_json: bool) -> None:
    """Migrate LIB from schema 1 (clip ids STEM:cue, which collide) to content-keyed ids; vectors are kept."""
    from retrieval.migrate import migrate_library

    report = migrate_library(lib_path, base=base).to_dict()
    if as_json:
        click.echo(json.dumps(report))
        return
    if report["from_version"] == report["to_version"]:
        click.echo(f"{lib_path}: already schema {report['to_version']} ({report['clips']} clips); nothing to do")
        return
    click.echo(
        f"{lib_path}: migrated {report['clips']} clips from schema {report['from_version']} to "
        f"{report['to_version']} (ids LABEL@KEY; {report['media_files']} media file(s) read, "
        f"{report['duplicates']} duplicate(s) of the same footage dropped)"
    )
