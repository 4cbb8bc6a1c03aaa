"""``dubkit transcribe``: the source script of an episode (utterances, speakers, words) from its audio.

dubkit transcribe VIDEO [-o SOURCE.srt] [-o SOURCE.json] [--lang CODE|auto]
    [--backend offline|faster-whisper|whisperx] [--speakers N|auto] [--transcript TXT]
    [--model DIR] [--align-model DIR] [--diarize-model DIR] [--whisperx-cmd PATH] [--json] [-q]
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from cli.errors import handle_errors

_STAGES = {"speech": ("finding speech", "s"), "speakers": ("speakers", "segment"), "text": ("text", "utterance")}
_STAGES |= {"asr": ("recognising (whisperx)", "%"), "words": ("aligning words (whisperx)", "%")}


def _speakers(value: str) -> int | None:
    """``--speakers``: a count or ``auto``; ``ConfigError`` (exit 2) for anything else, 0 included."""
    from dubber.transcribe.diarize import check_num_speakers
    from evaluator.errors import ConfigError

    if value.strip().lower() == "auto":
        return None
    try:
        n = int(value)
    except ValueError:
        raise ConfigError(f"--speakers {value!r}: give a whole number of at least 1, or auto") from None
    try:
        return check_num_speakers(n)
    except ConfigError:
        raise ConfigError(f"--speakers {value}: give a whole number of at least 1, or auto") from None


def _backend_options(backend: str, **flags: Any) -> dict[str, Any]:
    """The backend's constructor options from the flags it uses (flags another backend uses are refused)."""
    from evaluator.errors import ConfigError

    uses = {
        "offline": (),
        "faster-whisper": ("model", "device", "compute_type"),
        "whisperx": ("model", "align_model", "diarize_model", "whisperx_cmd", "device", "compute_type"),
    }.get(backend, ())
    options = {k: v for k, v in flags.items() if v is not None}
    stray = sorted(set(options) - set(uses))
    if stray:
        names = ", ".join("--" + k.replace("_", "-") for k in stray)
        raise ConfigError(f"{names} do(es) nothing with --backend {backend}", hint="drop it or choose another backend")
    return options


class _Bars:
    """One progress bar per stage (counts and ETA on stderr), silent when disabled."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.bars: dict[str, Any] = {}

    def __call__(self, stage: str, done: float, total: float) -> None:
        from cli.progress import progress_bar

        if not self.enabled:
            return
        if stage not in self.bars:
            for bar in self.bars.values():
                bar.close()
            desc, unit = _STAGES.get(stage, (stage, "it"))
            self.bars[stage] = progress_bar(int(round(total)), desc, unit, True)
        bar = self.bars[stage]
        bar.update(int(round(done)) - bar.n)

    def close(self) -> None:
        for bar in self.bars.values():
            bar.close()


@click.command("transcribe")
@click.argument("video", type=click.Path(dir_okay=False))
@click.option(
    "-o",
    "--out",
    "outputs",
    multiple=True,
    type=click.Path(dir_okay=False),
    help="Output: .srt, .vtt, .ass or .json (words); repeat for several. Default: VIDEO's name + .transcript.srt.",
)
@click.option("--lang", default="auto", show_default=True, help="Language code of the speech, or auto.")
@click.option(
    "--backend",
    type=click.Choice(["offline", "faster-whisper", "whisperx"]),
    default="offline",
    show_default=True,
    help="offline (pocketsphinx English, models in wheels), faster-whisper or whisperx (local models).",
)
@click.option("--speakers", "speakers", default="auto", show_default=True, help="Number of speakers, or auto.")
@click.option(
    "--transcript",
    type=click.Path(dir_okay=False),
    default=None,
    help="A plain-text transcript to align onto the speech instead of recognising it (offline).",
)
@click.option("--model", default=None, help="Local CTranslate2 Whisper model directory (faster-whisper, whisperx).")
@click.option("--align-model", default=None, help="Local wav2vec2 CTC model directory for word alignment (whisperx).")
@click.option("--diarize-model", default=None, help="Local pyannote pipeline directory (whisperx; else offline).")
@click.option("--whisperx-cmd", default=None, help="The whisperx command of its own environment (whisperx).")
@click.option("--device", default=None, help="cpu, cuda or auto (faster-whisper, whisperx).")
@click.option("--compute-type", default=None, help="CTranslate2 compute type, e.g. int8, float16.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON summary.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bars.")
@handle_errors
def transcribe_cmd(
    video: str,
    outputs: tuple[str, ...],
    lang: str,
    backend: str,
    speakers: str,
    transcript: str | None,
    model: str | None,
    align_model: str | None,
    diarize_model: str | None,
    whisperx_cmd: str | None,
    device: str | None,
    compute_type: str | None,
    as_json: bool,
    quiet: bool,
) -> None:
    """Transcribe VIDEO into a source script: one cue per utterance, a speaker per cue, word timings in JSON."""
    from dubber.transcribe import TranscribeOptions, create_transcriber, output_format, transcribe, write_transcript
    from evaluator.fileio import check_writable

    paths = [Path(o) for o in outputs] or [Path(video).with_suffix(".transcript.srt")]
    for p in paths:
        output_format(p)
        check_writable(p)
    options = TranscribeOptions(lang=lang, num_speakers=_speakers(speakers), transcript=transcript)
    transcriber = create_transcriber(
        backend,
        **_backend_options(
            backend,
            model=model,
            align_model=align_model,
            diarize_model=diarize_model,
            whisperx_cmd=whisperx_cmd,
            device=device,
            compute_type=compute_type,
        ),
    )
    bars = _Bars(enabled=not (quiet or as_json))
    try:
        result = transcribe(video, options, transcriber, progress=bars)
    finally:
        bars.close()
    for p in paths:
        write_transcript(result, p)
    summary = {
        "video": video,
        "outputs": [str(p) for p in paths],
        "utterances": len(result.utterances),
        "speakers": list(result.speakers),
        "lang": result.lang,
        "backend": result.backend,
        "models": result.models.to_dict(),
        "warnings": list(result.warnings),
    }
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False))
        return
    for w in result.warnings:
        click.echo(f"dubkit: warning: {w}", err=True)
    models = ", ".join(f"{k} {v}" for k, v in result.models.to_dict().items() if v)
    click.echo(
        f"{', '.join(summary['outputs'])}: {summary['utterances']} utterance(s), {len(result.speakers)} speaker(s), "
        f"lang {result.lang} ({result.backend}: {models})"
    )
