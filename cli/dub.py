"""``dubkit dub``: dub a video from a target-language script."""

from __future__ import annotations

import json
from pathlib import Path

import click

from cli.errors import handle_errors


def _parse_lines(value: str | None) -> frozenset[int]:
    if not value:
        return frozenset()
    out: set[int] = set()
    for part in value.split(","):
        part = part.strip()
        try:
            if "-" in part:
                a, b = part.split("-", 1)
                out.update(range(int(a), int(b) + 1))
            elif part:
                out.add(int(part))
        except ValueError:
            raise click.BadParameter(f"{part!r} is not a cue number or range (e.g. 3,5,7-9)") from None
    return frozenset(out)


@click.command()
@click.argument("video", type=click.Path(path_type=Path))
@click.option(
    "--script",
    "script",
    required=True,
    type=click.Path(path_type=Path),
    help="Target-language script: SRT, WebVTT or ASS (speaker from the ASS Name field or a NAME: prefix).",
)
@click.option("--lang", default="en", show_default=True, help="Language of the script.")
@click.option("--synth", default="piper", show_default=True, help="Synthesizer backend: piper, espeak, f5.")
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    help="Dubbed video (default: VIDEO's name + .dubbed-LANG.mp4, beside it).",
)
@click.option("--project", type=click.Path(path_type=Path), help="Project directory (default: OUTPUT.dubkit/).")
@click.option(
    "--background",
    type=click.Path(path_type=Path),
    help="Music-and-effects stem to mix under the dub (default: the original audio, ducked).",
)
@click.option("--keep-original-audio", is_flag=True, help="Add the original audio as a second track.")
@click.option("--max-stretch", default=1.25, show_default=True, help="Largest duration ratio (slowest pace).")
@click.option("--min-stretch", default=0.8, show_default=True, help="Smallest duration ratio (fastest pace).")
@click.option(
    "--max-borrow", default=0.5, show_default=True, help="Seconds of silence a line may borrow after its cue."
)
@click.option("--match-pitch", is_flag=True, help="Shift non-cloning voices toward each speaker's median F0.")
@click.option("--duck-db", default=15.0, show_default=True, help="How far the original audio is ducked under lines.")
@click.option("--lines", "force", help="Re-render these cues even if unchanged, e.g. 3,5,7-9.")
@click.option("--seed", default=0, show_default=True, help="Base seed (line seed = seed + cue number).")
@click.option("--piper-model", type=click.Path(path_type=Path), help="A piper voice .onnx (default: joe, en-US).")
@click.option("--f5-ckpt", type=click.Path(path_type=Path), help="F5-TTS checkpoint (.pt/.safetensors) for --synth f5.")
@click.option("--vocoder", help="Vocos vocoder: a local directory or a hub id, for --synth f5.")
@click.option("--f5-config", help="F5 model config name or YAML (default F5TTS_v1_Base).")
@click.option(
    "--synth-opt",
    "synth_opts",
    multiple=True,
    metavar="KEY=VALUE",
    help="Extra synthesizer option (repeatable), e.g. steps=16, device=cuda.",
)
@click.option("--f5-control", type=click.Path(path_type=Path), help="Trained F5 control branch (dubkit train synth).")
@click.option("--candidates", default=1, show_default=True, help="Candidates drawn per line; the best-scoring is kept.")
@click.option(
    "--min-score", type=float, help="Re-draw a line whose best candidate scores under this (proxy: 0-1; DubScore: MOS)."
)
@click.option(
    "--dubscore-model", type=click.Path(path_type=Path), help="Score candidates with this DubScore checkpoint."
)
@click.option(
    "--source-script",
    type=click.Path(path_type=Path),
    help="Source-language script: transcripts of the voice references (needed by f5).",
)
@click.option(
    "--cot",
    default="heuristic",
    show_default=True,
    help="Scene reader (chain of thought): heuristic, vllm, transformers, or none.",
)
@click.option("--cot-url", help="vLLM server URL (OpenAI-compatible), for --cot vllm.")
@click.option("--cot-model", help="Served model name (vllm) or local model directory (transformers).")
@click.option("--library", type=click.Path(path_type=Path), help="Reference footage library (dubkit library build).")
@click.option("-k", "--library-k", default=3, show_default=True, help="Retrieved clips per modality.")
@click.option("--same-speaker", is_flag=True, help="Retrieve only the line's own speaker's clips.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (output, project, fit per line).")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
@handle_errors
def dub(
    video: Path,
    script: Path,
    lang: str,
    synth: str,
    output: Path | None,
    project: Path | None,
    background: Path | None,
    keep_original_audio: bool,
    max_stretch: float,
    min_stretch: float,
    max_borrow: float,
    match_pitch: bool,
    duck_db: float,
    force: str | None,
    seed: int,
    piper_model: Path | None,
    f5_ckpt: Path | None,
    vocoder: str | None,
    f5_config: str | None,
    synth_opts: tuple[str, ...],
    f5_control: Path | None,
    candidates: int,
    min_score: float | None,
    dubscore_model: Path | None,
    source_script: Path | None,
    cot: str,
    cot_url: str | None,
    cot_model: str | None,
    library: Path | None,
    library_k: int,
    same_speaker: bool,
    as_json: bool,
    quiet: bool,
) -> None:
    """Dub VIDEO with speech for each cue of the script, timed to its slot, mixed and muxed."""
    from cli.cot import backend_options
    from dubber.config import DubConfig
    from dubber.fitting import FitCaps
    from dubber.pipeline import Dubber

    options: dict[str, object] = {}
    if piper_model is not None:
        options["model"] = piper_model
    for flag, key, value in (
        ("--f5-ckpt", "ckpt", f5_ckpt),
        ("--vocoder", "vocoder", vocoder),
        ("--f5-config", "model_config", f5_config),
        ("--f5-control", "control", f5_control),
    ):
        if value is not None:
            if synth != "f5":
                raise click.UsageError(f"{flag} applies to --synth f5")
            options[key] = value
    for item in synth_opts:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{item!r}: expected KEY=VALUE", param_hint="--synth-opt")
        options[key.strip().replace("-", "_")] = value.strip()
    cot_options: dict[str, object] = {}
    if cot != "none":  # the same options, checked the same way, as `dubkit cot read`
        cot_options = backend_options(cot, cot_url, cot_model, "cot", 4, 120.0, 2)
    cfg = DubConfig(
        video=video,
        script=script,
        lang=lang,
        synth=synth,
        synth_options=options,
        output=output or video.with_name(f"{video.stem}.dubbed-{lang}.mp4"),
        project=project,
        background=background,
        keep_original_audio=keep_original_audio,
        caps=FitCaps(min_ratio=min_stretch, max_ratio=max_stretch, max_borrow=max_borrow),
        match_pitch=match_pitch,
        force_lines=_parse_lines(force),
        seed=seed,
        duck_db=duck_db,
        source_script=source_script,
        cot=cot,
        cot_options=cot_options,
        library=library,
        library_k=library_k,
        same_speaker=same_speaker,
        candidates=candidates,
        min_score=min_score,
        dubscore_model=dubscore_model,
    )
    if candidates < 1:
        raise click.BadParameter("must be at least 1", param_hint="--candidates")
    dubber = Dubber(cfg)
    from cli.progress import progress_bar

    bars: dict[str, object] = {}
    labels = {"scene": "reading scenes", "retrieval": "retrieving", "render": "dubbing"}

    def on_progress(stage: str, done: int, total: int) -> None:
        if stage not in bars:
            for other in bars.values():
                other.close()  # type: ignore[attr-defined]
            bars[stage] = progress_bar(total, labels.get(stage, stage), "line", enabled=not (quiet or as_json))
        bars[stage].update(1)  # type: ignore[attr-defined]

    try:
        result = dubber.run(progress=on_progress)
    finally:
        for bar in bars.values():
            bar.close()  # type: ignore[attr-defined]
    summary = result.to_dict()
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False))
        return
    if not quiet:
        synth_desc = summary["synth"]
        click.echo(
            f"dubbed {summary['lines']} lines ({summary['rendered']} rendered, "
            f"{summary['lines'] - summary['rendered']} reused) with {synth_desc['backend']} "
            f"({synth_desc['model']}) in {summary['elapsed_s']:.1f} s"
        )
        if summary["overruns"]:
            click.echo(f"overruns (speech past cue end + borrow): cues {', '.join(map(str, summary['overruns']))}")
        mix = summary["mix"]
        click.echo(
            f"loudness: dub {mix['dub_lufs']} LUFS (target {mix['target_lufs']}, {mix['target_source']}); "
            f"mix true peak {mix['mix_true_peak_dbtp']} dBTP [{mix['method']}]"
        )
        for key, path in summary["outputs"].items():
            click.echo(f"{key}: {path}")
        click.echo(f"project: {summary['project']}")
