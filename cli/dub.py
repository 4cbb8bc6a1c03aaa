"""``dubkit dub``: dub a video from a target-language script.

The command parses its options into a :class:`dubber.config.DubConfig` (whose fields hold every
default), runs :class:`dubber.pipeline.Dubber` and prints the summary. Synthesizer options come from
``--synth-opt KEY=VALUE`` and a few named flags, checked against the options the synthesizer declares.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import click

from cli.errors import handle_errors

#: flags that set one synthesizer's option: flag name -> (synthesizer, option)
SYNTH_FLAGS = {
    "piper_model": ("piper", "model"),
    "f5_ckpt": ("f5", "ckpt"),
    "vocoder": ("f5", "vocoder"),
    "f5_config": ("f5", "model_config"),
    "f5_control": ("f5", "control"),
    "f5_vocab": ("f5", "vocab"),
}


def config_default(name: str) -> Any:
    """The default of a DubConfig (or FitCaps) field: the one home of every ``dubkit dub`` default."""
    from dubber.config import DubConfig
    from dubber.fitting import FitCaps

    for cls in (DubConfig, FitCaps):
        for f in dataclasses.fields(cls):
            if f.name == name:
                return f.default if f.default is not dataclasses.MISSING else f.default_factory()
    raise KeyError(name)


def parse_lines(value: str | None) -> frozenset[int]:
    """``3,5,7-9`` -> the cue numbers; a malformed part or a reversed range is a usage error."""
    if not value:
        return frozenset()
    out: set[int] = set()
    for part in value.split(","):
        part = part.strip()
        try:
            if "-" in part:
                a, b = (int(x) for x in part.split("-", 1))
                if b < a:
                    raise click.BadParameter(f"{part!r}: the range ends before it starts", param_hint="--lines")
                out.update(range(a, b + 1))
            elif part:
                out.add(int(part))
        except ValueError:
            raise click.BadParameter(
                f"{part!r} is not a cue number or range (e.g. 3,5,7-9)", param_hint="--lines"
            ) from None
    return frozenset(out)


def parse_voices(items: tuple[str, ...]) -> dict[str, str]:
    """``SPEAKER=VOICE`` items -> {speaker: voice}; a speaker given twice is a usage error."""
    voices: dict[str, str] = {}
    for item in items:
        name, sep, voice = item.partition("=")
        if not sep or not name.strip() or not voice.strip():
            raise click.BadParameter(f"{item!r}: expected SPEAKER=VOICE", param_hint="--voice")
        if name.strip() in voices:
            raise click.BadParameter(f"{name.strip()!r} is given two voices", param_hint="--voice")
        voices[name.strip()] = voice.strip()
    return voices


def synth_options(synth: str, flags: dict[str, Any], items: tuple[str, ...]) -> dict[str, Any]:
    """The synthesizer's options from its named flags and ``--synth-opt KEY=VALUE`` items."""
    options: dict[str, Any] = {}
    for flag, (backend, key) in SYNTH_FLAGS.items():
        value = flags.get(flag)
        if value is None:
            continue
        if synth != backend:
            raise click.UsageError(f"--{flag.replace('_', '-')} applies to --synth {backend}, not {synth}")
        options[key] = str(value)
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"{item!r}: expected KEY=VALUE", param_hint="--synth-opt")
        options[key.strip().replace("-", "_")] = value.strip()
    return options


def _option(*decls: str, field: str | None = None, **kw: Any):  # noqa: ANN202 - click decorator
    """A click option whose default (shown in --help) is the DubConfig field's."""
    if field is not None:
        kw.setdefault("default", config_default(field))
        kw.setdefault("show_default", True)
    return click.option(*decls, **kw)


P = click.Path(path_type=Path)


@click.command()
@click.argument("video", type=P)
@_option("--script", type=P, help="Target-language script: SRT, WebVTT or ASS (or make one: --translate).")
@_option("--lang", field="lang", help="Language of the script.")
@_option("--synth", field="synth", help="Synthesizer backend: piper, espeak, f5.")
@_option("-o", "--output", type=P, help="Dubbed video (default: VIDEO's name + .dubbed-LANG.mp4, beside it).")
@_option("--project", type=P, help="Project directory (default: OUTPUT.dubkit/).")
@_option("--background", type=P, help="Music-and-effects stem (default: the original audio, ducked).")
@_option("--background-pad", is_flag=True, help="Accept a --background shorter than the video (padded with silence).")
@_option("--keep-original-audio", is_flag=True, help="Add the original audio as a second track.")
@_option("--max-stretch", "max_ratio", field="max_ratio", type=float, help="Largest duration ratio (slowest pace).")
@_option("--min-stretch", "min_ratio", field="min_ratio", type=float, help="Smallest duration ratio (fastest pace).")
@_option("--max-borrow", field="max_borrow", type=float, help="Seconds of silence a line may borrow after its cue.")
@_option(
    "--match-pitch/--no-match-pitch",
    field="match_pitch",
    help="Move non-cloning voices toward each speaker's pitch (their reference's median F0) and formants.",
)
@_option(
    "--voice",
    "voices",
    multiple=True,
    metavar="SPEAKER=VOICE",
    help="A speaker's voice: a piper voice .onnx (piper) or an espeak variant m0-m7, f0-f5 (espeak). Repeatable.",
)
@_option("--duck-db", field="duck_db", type=float, help="How far the original audio is ducked under lines.")
@_option("--lines", "force_lines", help="Re-render these cues even if unchanged, e.g. 3,5,7-9.")
@_option(
    "--lines-from",
    "lines_from",
    type=P,
    help="A verdict file from the review page (dubkit review): re-render the cues sent back, record the notes.",
)
@_option("--seed", field="seed", type=int, help="Base seed (line seed = seed + cue number).")
@_option("--piper-model", type=P, help="A piper voice .onnx (default: joe, en-US).")
@_option("--f5-ckpt", type=P, help="F5-TTS checkpoint (.pt/.safetensors), for --synth f5.")
@_option("--vocoder", help="Vocos vocoder: a local directory or a hub id, for --synth f5.")
@_option("--f5-config", help="F5 model config name or YAML (default F5TTS_v1_Base).")
@_option("--f5-vocab", type=P, help="Vocabulary of a multilingual F5 checkpoint (with --synth-opt languages=...).")
@_option("--f5-control", type=P, help="Trained F5 control branch (dubkit train synth).")
@_option("--synth-opt", "synth_opts", multiple=True, metavar="KEY=VALUE", help="Synthesizer option, e.g. steps=16.")
@_option("--candidates", field="candidates", type=int, help="Candidates drawn per line; the best-scoring is kept.")
@_option("--min-score", type=float, help="Re-draw a line whose best candidate scores under this.")
@_option("--dubscore-model", type=P, help="Score candidates with this DubScore checkpoint.")
@_option("--source-script", type=P, help="Source-language script (voice references' transcripts; --translate input).")
@_option("--source-lang", help="Language of the source (transcription, translation), e.g. en; default: detected.")
@_option("--transcribe", help="Transcribe the episode into the source script: offline, faster-whisper, whisperx.")
@_option("--transcribe-model", help="Whisper model directory (faster-whisper, whisperx).")
@_option("--whisperx-cmd", help="The whisperx command in its own environment (--transcribe whisperx).")
@_option("--speakers", help="Speakers in the episode, for --transcribe: a number, or auto (chosen).")
@_option("--translate", help="Translate the source script into --lang: table, vllm, transformers.")
@_option("--translations", type=P, help="id,text CSV of translations made elsewhere (--translate table).")
@_option("--translate-url", help="vLLM server URL (OpenAI-compatible), for --translate vllm.")
@_option("--translate-model", help="Served model name (vllm) or local Marian/NLLB/M2M100 directory (transformers).")
@_option("--glossary", type=P, help="source,target CSV of terms the translation must keep.")
@_option("--cot", field="cot", help="Scene reader: heuristic, vllm, transformers, or none.")
@_option("--cot-url", help="vLLM server URL (OpenAI-compatible), for --cot vllm.")
@_option("--cot-model", help="Served model name (vllm) or local model directory (transformers).")
@_option("--library", type=P, help="Reference footage library (dubkit library build).")
@_option("-k", "--library-k", field="library_k", type=int, help="Retrieved clips per modality.")
@_option("--same-speaker", is_flag=True, help="Retrieve only the line's own speaker's clips.")
@_option("--rebuild", is_flag=True, help="Start the project afresh (its old files are moved aside; inputs kept).")
@_option("--json", "as_json", is_flag=True, help="Print one JSON object (output, project, fit per line).")
@_option("-q", "--quiet", is_flag=True, help="No progress bar.")
@handle_errors(
    url="--cot-url",
    model_dir="--cot-model",
    model="--piper-model",
    ckpt="--f5-ckpt",
    model_config="--f5-config",
    vocab="--f5-vocab",
    control="--f5-control",
)
def dub(video: Path, **opts: Any) -> None:
    """Dub VIDEO with speech for each cue of the script, timed to its slot, mixed and muxed."""
    from dubber.pipeline import Dubber

    cfg = build_config(video, opts)
    quiet, as_json = opts["quiet"], opts["as_json"]
    result = _run(Dubber(cfg), enabled=not (quiet or as_json))
    summary = result.to_dict()
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False))
    elif not quiet:
        _print_summary(summary)


def build_config(video: Path, opts: dict[str, Any]) -> Any:
    """The DubConfig of ``dubkit dub``'s parsed options."""
    from cli.cot import backend_options
    from dubber.config import DubConfig
    from dubber.fitting import FitCaps
    from dubber.synth import check_options

    synth = opts["synth"]
    options = check_options(synth, synth_options(synth, opts, opts["synth_opts"]))
    source_side = source_options(opts)
    cot_options: dict[str, Any] = {}
    if opts["cot"] != "none":  # the same options, checked the same way, as `dubkit cot read`
        cot_options = backend_options(opts["cot"], opts["cot_url"], opts["cot_model"], "cot")
    caps = FitCaps(min_ratio=opts["min_ratio"], max_ratio=opts["max_ratio"], max_borrow=opts["max_borrow"])
    lang = opts["lang"]
    verdicts = None
    if opts.get("lines_from") is not None:
        from evaluator.review.verdicts import read_verdicts

        verdicts = read_verdicts(opts["lines_from"])
    return DubConfig(
        video=video,
        script=opts["script"],
        output=opts["output"] or video.with_name(f"{video.stem}.dubbed-{lang}.mp4"),
        project=opts["project"],
        lang=lang,
        synth=synth,
        synth_options=options,
        background=opts["background"],
        background_pad=opts["background_pad"],
        keep_original_audio=opts["keep_original_audio"],
        caps=caps,
        match_pitch=opts["match_pitch"],
        voices=parse_voices(opts["voices"]),
        force_lines=parse_lines(opts["force_lines"]) | (verdicts.rerender() if verdicts else frozenset()),
        review=verdicts,
        seed=opts["seed"],
        duck_db=opts["duck_db"],
        source_script=opts["source_script"],
        cot=opts["cot"],
        cot_options=cot_options,
        library=opts["library"],
        library_k=opts["library_k"],
        same_speaker=opts["same_speaker"],
        candidates=opts["candidates"],
        min_score=opts["min_score"],
        dubscore_model=opts["dubscore_model"],
        rebuild=opts["rebuild"],
        **source_side,
    )


def source_options(opts: dict[str, Any]) -> dict[str, Any]:
    """The DubConfig fields of the source side (transcription, translation) from the command's options."""
    transcribe, translate = opts["transcribe"], opts["translate"]
    if transcribe is not None:
        from dubber.transcribe import TRANSCRIBERS

        TRANSCRIBERS.get(transcribe)  # an unknown name: one line with the close ones
    if translate is not None:
        from dubber.translate import TRANSLATORS

        TRANSLATORS.get(translate)
    for flag, needs in (
        ("transcribe_model", "transcribe"),
        ("whisperx_cmd", "transcribe"),
        ("speakers", "transcribe"),
        ("translations", "translate"),
        ("translate_url", "translate"),
        ("translate_model", "translate"),
        ("glossary", "translate"),
    ):
        if opts[flag] is not None and opts[needs] is None:
            raise click.UsageError(f"--{flag.replace('_', '-')} applies to --{needs}")
    transcribe_options: dict[str, Any] = {}
    if opts["transcribe_model"] is not None:
        transcribe_options["model"] = opts["transcribe_model"]
    if opts["whisperx_cmd"] is not None:
        transcribe_options["whisperx_cmd"] = opts["whisperx_cmd"]
    speakers = opts["speakers"]
    if speakers is not None and speakers != "auto":
        try:
            speakers = int(speakers)
        except ValueError:
            raise click.BadParameter(f"{speakers!r}: a number of speakers, or auto", param_hint="--speakers") from None
    translate_options: dict[str, Any] = {}
    if translate == "table":
        if opts["translations"] is None:
            raise click.UsageError("--translate table needs --translations CSV (columns id,text; id = cue number)")
        translate_options["path"] = opts["translations"]
    elif translate == "vllm":
        if not opts["translate_url"] or not opts["translate_model"]:
            raise click.UsageError("--translate vllm needs --translate-url and --translate-model")
        translate_options.update(url=opts["translate_url"], model=opts["translate_model"])
    elif translate == "transformers":
        if not opts["translate_model"]:
            raise click.UsageError("--translate transformers needs --translate-model DIR")
        translate_options["model_dir"] = opts["translate_model"]
    return {
        "transcribe": transcribe,
        "transcribe_options": transcribe_options,
        "speakers": None if speakers == "auto" else speakers,
        "source_lang": opts["source_lang"],
        "translate": translate,
        "translate_options": translate_options,
        "glossary": opts["glossary"],
    }


def _run(dubber: Any, enabled: bool) -> Any:
    from cli.progress import progress_bar

    bars: dict[str, Any] = {}
    labels = {
        "scene": ("reading scenes", "line"),
        "translate": ("translating", "line"),
        "render": ("dubbing", "line"),
        "mix": ("mixing", "s"),
    }

    def on_progress(stage: str, done: int, total: int) -> None:
        if stage not in bars:
            for other in bars.values():
                other.close()
            label, unit = labels.get(stage, (stage, "item"))
            bars[stage] = progress_bar(total, label, unit, enabled=enabled)
        bars[stage].update(done - bars[stage].n)

    try:
        return dubber.run(progress=on_progress)
    finally:
        for bar in bars.values():
            bar.close()


def _print_summary(summary: dict[str, Any]) -> None:
    synth = summary["synth"]
    click.echo(
        f"dubbed {summary['lines']} lines ({summary['rendered']} rendered, "
        f"{summary['lines'] - summary['rendered']} reused) with {synth['backend']} "
        f"({synth['model']}) in {summary['elapsed_s']:.1f} s"
    )
    if summary["overruns"]:
        click.echo(f"overruns (speech past cue end + borrow): cues {', '.join(map(str, summary['overruns']))}")
    mix = summary["mix"]
    click.echo(
        f"loudness: dialogue {mix['dub_lufs']} LUFS as placed in the {mix['layout']} mix ({mix['dub_placement']}), "
        f"target {mix['target_lufs']} LUFS ({mix['target_source']}); mix over the lines {mix['mix_dialogue_lufs']} "
        f"LUFS; mix true peak {mix['mix_true_peak_dbtp']} dBTP [{mix['method']}]"
    )
    for key, path in summary["outputs"].items():
        click.echo(f"{key}: {path}")
    click.echo(f"project: {summary['project']}")
