"""``dubkit cot``: scene reading (the multimodal chain-of-thought stage) per line, and its evaluation.

    dubkit cot read VIDEO [--script SRT] [--backend heuristic|vllm|transformers] [--json]
    dubkit cot eval LABELS.csv [--backend ...] [--json]

``cot`` is a group: ``read`` reads a video (one reading per script cue, or one for the whole video
when no script is given); ``eval`` scores a backend on a labelled CSV.
"""

from __future__ import annotations

import json
from typing import Any

import click

from cli.chat import chat_client_options
from cli.errors import handle_errors


def backend_options(
    backend: str,
    url: str | None,
    model: str | None,
    mode: str,
    concurrency: int | None = None,
    timeout: float | None = None,
    retries: int | None = None,
) -> dict[str, Any]:
    """The scene reader's options from command-line values; ``None`` means not given (the
    defaults of ``dubber.chat_client.ChatOptions`` or of the reader apply)."""
    from evaluator.errors import ConfigError

    if backend == "vllm":
        if not url or not model:
            raise ConfigError(
                "the vllm backend needs --cot-url and --cot-model",
                hint="e.g. --cot-url http://localhost:8000/v1 --cot-model Qwen/Qwen2.5-VL-7B-Instruct",
            )
        options: dict[str, Any] = {"url": url, "model": model, "mode": mode}
        chat = {"concurrency": concurrency, "timeout": timeout, "retries": retries}
        return options | {k: v for k, v in chat.items() if v is not None}
    if backend == "transformers":
        if not model:
            raise ConfigError("the transformers backend needs --cot-model DIR (a local Qwen2.5-VL directory)")
        return {"model_dir": model, "mode": mode} | ({"retries": retries} if retries is not None else {})
    return {}


def _common(func):  # noqa: ANN001, ANN202 - click decorator stack
    opts = [
        click.option("--backend", default="heuristic", show_default=True, help="heuristic, vllm or transformers."),
        click.option("--cot-url", default=None, help="vLLM server base URL (…/v1)."),
        click.option("--cot-model", default=None, help="Served model name (vllm) or local model directory."),
        click.option(
            "--mode",
            type=click.Choice(["cot", "qa"]),
            default="cot",
            show_default=True,
            help="Chain-of-thought or plain QA prompt (VLM backends).",
        ),
        chat_client_options,
        click.option("--json", "as_json", is_flag=True, help="Print one JSON object."),
        click.option("-q", "--quiet", is_flag=True, help="No progress bar."),
    ]
    for opt in reversed(opts):
        func = opt(func)
    return func


@click.group("cot")
def cot() -> None:
    """Scene reading per line: scene type, people, who talks, speaker gender/age/emotion."""


@cot.command("read")
@click.argument("video", type=click.Path(dir_okay=False))
@click.option(
    "--script",
    "script_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Subtitle script (SRT/VTT/ASS); one reading per cue.",
)
@_common
@handle_errors(url="--cot-url", model_dir="--cot-model")
def read_cmd(
    video: str,
    script_path: str | None,
    backend: str,
    cot_url: str | None,
    cot_model: str | None,
    mode: str,
    concurrency: int | None,
    timeout: float | None,
    retries: int | None,
    as_json: bool,
    quiet: bool,
) -> None:
    """Read the scene of every line of VIDEO."""
    from cli.progress import progress_bar
    from dubber.scene import create_reader, read_scenes
    from evaluator.media import probe
    from evaluator.script import Cue, load_script

    options = backend_options(backend, cot_url, cot_model, mode, concurrency, timeout, retries)
    reader = create_reader(backend, **options)
    if script_path:
        cues = load_script(script_path)
    else:
        cues = [Cue(index=1, start=0.0, end=float(probe(video).duration), text="")]
    with progress_bar(len(cues), "reading scenes", "line", enabled=not (quiet or as_json)) as bar:
        readings = read_scenes(video, cues, reader, progress=lambda: bar.update(1))
    if as_json:
        click.echo(
            json.dumps(
                {
                    "video": video,
                    "backend": reader.name,
                    "model": reader.model_id,
                    "readings": [r.to_dict() for r in readings],
                },
                ensure_ascii=False,
            )
        )
        return
    for r in readings:
        flag = "" if r.format_ok else "  [format failed]"
        click.echo(
            f"#{r.cue_index} {r.start:.2f}-{r.end:.2f}  {r.scene_type:<9} people={r.num_people} "
            f"talking={'yes' if r.speaker_on_screen_talking else 'no'}  {r.gender}/{r.age}/{r.emotion} "
            f"conf={r.confidence:.2f}{flag}"
        )
        if r.reasoning:
            click.echo(f"    {r.reasoning}")
    click.echo(f"backend: {reader.name}  model: {reader.model_id}")


@cot.command("eval")
@click.argument("labels", type=click.Path(dir_okay=False))
@_common
@handle_errors(url="--cot-url", model_dir="--cot-model")
def eval_cmd(
    labels: str,
    backend: str,
    cot_url: str | None,
    cot_model: str | None,
    mode: str,
    concurrency: int | None,
    timeout: float | None,
    retries: int | None,
    as_json: bool,
    quiet: bool,
) -> None:
    """Score a backend on LABELS.csv (video,start,end,scene_type,gender,age,emotion)."""
    from cli.progress import progress_bar
    from dubber.scene import create_reader
    from dubber.scene.evaluation import evaluate, format_table, load_labels

    reader = create_reader(backend, **backend_options(backend, cot_url, cot_model, mode, concurrency, timeout, retries))
    n = len(load_labels(labels))
    with progress_bar(n, "evaluating", "line", enabled=not (quiet or as_json)) as bar:
        result = evaluate(labels, reader, progress=lambda: bar.update(1))
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False))
    else:
        click.echo(format_table(result))
