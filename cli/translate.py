"""``dubkit translate``: a source script into the target language, line by line, for dubbing.

    dubkit translate SOURCE.srt --to LANG [-o TARGET.srt] [--from LANG]
        [--backend table|vllm|transformers] [--table CSV] [--url URL] [--model NAME|DIR]
        [--glossary CSV] [--attributes CSV|JSON] [--rate SYL/S] [--json] [-q]

Writes TARGET (timings and speakers of SOURCE) and TARGET.translation.json (per line: backend,
model, prompt version, length against the budget, glossary check).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import click

from cli.chat import chat_client_options
from cli.errors import handle_errors


def default_target(source: Path, target_lang: str) -> Path:
    """``ep.en.srt`` -> ``ep.hi.srt``; ``ep.srt`` -> ``ep.hi.srt`` (beside the source)."""
    from dubber.translate.languages import language
    from evaluator.errors import ConfigError

    stem, _, tag = source.stem.rpartition(".")
    if stem:
        try:
            language(tag)
        except ConfigError:
            stem = source.stem  # the last dotted part is not a language tag: keep it
    else:
        stem = source.stem
    return source.with_name(f"{stem}.{target_lang}{source.suffix}")


def build_translator(backend: str, table: Path | None, url: str | None, model: str | None, **chat: Any) -> Any:
    from dubber.translate import create_translator

    name, options = translator_args(backend, table, url, model, **chat)
    return create_translator(name, **options)


def translator_args(
    backend: str, table: Path | None, url: str | None, model: str | None, **chat: Any
) -> tuple[str, dict[str, Any]]:
    """The ``create_translator(name, **options)`` arguments of the command's translation options (checked)."""
    from evaluator.errors import ConfigError

    if backend == "table":
        if table is None:
            raise ConfigError("the table backend needs --table CSV (columns id,text)")
        return "table", {"path": table}
    if backend == "vllm":
        if not url or not model:
            raise ConfigError(
                "the vllm backend needs --url and --model",
                hint="e.g. --url http://localhost:8000/v1 --model Qwen/Qwen2.5-7B-Instruct",
            )
        return "vllm", {"url": url, "model": model, **{k: v for k, v in chat.items() if k != "batch_size"}}
    if backend == "transformers":
        if not model:
            raise ConfigError("the transformers backend needs --model DIR (a local Marian, NLLB or M2M100 model)")
        size = chat["batch_size"]
        return "transformers", {"model_dir": model, **({} if size is None else {"batch_size": size})}
    return backend, {}  # unknown names: the registry's error suggests close ones


def _quiet_transformers() -> None:
    """Silence transformers' progress bars and advice unless -v was given (CLI-only process state)."""
    if logging.getLogger().getEffectiveLevel() <= logging.INFO:
        return
    try:
        from transformers.utils import logging as hf_logging
    except ImportError:
        return
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()


def _problems(translations: list[Any]) -> list[str]:
    """One line per line that needs a look: a lost glossary term, a wording still too long, a failure."""
    out = []
    for t in translations:
        if t.error:
            out.append(f"line {t.id}: no translation: {t.error}")
            continue
        if t.glossary_lost:
            lost = ", ".join(repr(x) for x in t.glossary_lost)
            out.append(f"line {t.id}: glossary term(s) {lost} missing from {t.target!r}")
        if t.length is not None and t.length.fits is False:
            out.append(
                f"line {t.id}: about {t.length.seconds:.2f} s at the voice's pace, over the "
                f"{t.length.max_seconds:.2f} s its slot allows within the stretch cap"
            )
    return out


@click.command("translate")
@click.argument("source", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--to", "target_lang", required=True, help="Target language (ISO 639-1 such as hi, or hin_Deva).")
@click.option("--from", "source_lang", default=None, help="Source language (needed by NLLB/M2M100 models).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Target script path.")
@click.option(
    "--backend",
    default="table",
    show_default=True,
    help="table (a CSV made elsewhere), vllm (an LLM server) or transformers (a local Marian/NLLB/M2M100 model).",
)
@click.option("--table", type=click.Path(dir_okay=False, path_type=Path), help="id,text CSV (--backend table).")
@click.option("--url", default=None, help="vLLM server base URL (…/v1), for --backend vllm.")
@click.option("--model", default=None, help="Served model name (vllm) or local model directory (transformers).")
@click.option("--glossary", type=click.Path(dir_okay=False, path_type=Path), help="source,target CSV of fixed terms.")
@click.option(
    "--attributes",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Per-line speaker/gender/age/emotion: a CSV by id, or `dubkit cot read --json` output.",
)
@click.option("--rate", type=float, default=None, help="Target voice's syllables per second (default: published).")
@click.option("--min-stretch", type=float, default=None, help="The dubber's fastest pace (default: its own).")
@click.option("--context", type=int, default=None, help="Lines of dialogue context before and after each line (vllm).")
@chat_client_options
@click.option("--batch-size", type=int, default=None, help="Lines per batch (transformers).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
@handle_errors
def translate(
    source: Path,
    target_lang: str,
    source_lang: str | None,
    output: Path | None,
    backend: str,
    table: Path | None,
    url: str | None,
    model: str | None,
    glossary: Path | None,
    attributes: Path | None,
    rate: float | None,
    min_stretch: float | None,
    context: int | None,
    concurrency: int | None,
    timeout: float | None,
    retries: int | None,
    batch_size: int | None,
    as_json: bool,
    quiet: bool,
) -> None:
    """Translate the script SOURCE into --to LANG, line by line, timed for dubbing."""
    from cli.progress import progress_bar
    from dubber.translate import Glossary, TranslationJob, given_rate, translate_lines
    from dubber.translate.languages import language
    from dubber.translate.script_lines import lines_from_script, read_attributes, with_attributes
    from dubber.translate.sidecar import sidecar_path, write_translation
    from evaluator.errors import ConfigError
    from evaluator.script import speaker_fits

    to = language(target_lang, parameter="--to").code
    frm = language(source_lang, parameter="--from").code if source_lang else None
    target = output or default_target(source, to)
    if target.resolve() == source.resolve():
        raise ConfigError(f"{target}: the output would overwrite the source script", hint="choose another -o")
    if context is not None and context < 0:
        raise ConfigError(f"--context must be >= 0 (got {context})")
    if min_stretch is not None and not 0 < min_stretch <= 1:
        raise ConfigError(f"--min-stretch must be in (0, 1] (got {min_stretch})")

    lines = lines_from_script(source)
    if attributes is not None:
        lines = with_attributes(lines, read_attributes(attributes))
    unfit = sorted({ln.speaker for ln in lines if ln.speaker and not speaker_fits(target, ln.speaker)})
    if unfit:
        raise ConfigError(
            f"{target}: speaker(s) {', '.join(unfit)} cannot be kept in this format (an SRT carries NAME: prefixes)",
            hint="write an .ass target with -o",
        )
    window = {} if context is None else {"context_before": context, "context_after": context}
    job = TranslationJob(
        target_lang=to,
        source_lang=frm,
        glossary=Glossary.load(glossary) if glossary else None,
        rate=given_rate(rate) if rate is not None else None,
        min_ratio=min_stretch,
        **window,
    )
    if backend == "transformers":
        _quiet_transformers()
    translator = build_translator(
        backend, table, url, model, timeout=timeout, retries=retries, concurrency=concurrency, batch_size=batch_size
    )
    notes = []
    if all(job.rate_for(ln) is None for ln in lines):
        notes.append(
            f"no published speaking rate for {to!r}: lines have no length budget (pass --rate, syllables per second "
            "of the target voice)"
        )
    for note in notes:
        click.echo(f"dubkit: warning: {note}", err=True)

    journal = None if translator.name == "table" else target.with_name(target.name + ".translation.partial.jsonl")
    bars: list[Any] = []  # opened at the first finished line: errors found while preparing come first

    def tick() -> None:
        if not bars:
            bars.append(progress_bar(len(lines), "translating", "line", enabled=not (quiet or as_json)))
        bars[0].update(1)

    try:
        translations = translate_lines(lines, translator, job, progress=tick, journal=journal)
    finally:
        for bar in bars:
            bar.close()
    problems = _problems(translations)
    extra = getattr(translator, "extra_ids", [])
    if extra:
        shown = ", ".join(extra[:20]) + (f" and {len(extra) - 20} more" if len(extra) > 20 else "")
        problems.insert(0, f"{table}: {len(extra)} row(s) match no line and are not used: ids {shown}")
    for p in problems:
        click.echo(f"dubkit: warning: {p}", err=True)
    failed = [t.id for t in translations if not t.ok]
    if failed:
        raise ConfigError(
            f"{target}: not written: {len(failed)} line(s) have no translation (ids {', '.join(failed[:20])})",
            hint=f"re-run to ask again; finished lines are kept in {journal}" if journal else None,
        )
    side = write_translation(target, translations, job, translator, source_script=str(source))
    if journal is not None:
        journal.unlink(missing_ok=True)

    record = json.loads(side.read_text(encoding="utf-8"))
    if as_json:
        click.echo(
            json.dumps(
                {
                    "output": str(target),
                    "sidecar": str(sidecar_path(target)),
                    "backend": record["backend"],
                    "model": record["model"],
                    "prompt_version": record["prompt_version"],
                    "summary": record["summary"],
                    "warnings": notes + problems,
                },
                ensure_ascii=False,
            )
        )
        return
    s = record["summary"]
    click.echo(
        f"{s['lines']} lines -> {target}  (revised {s['revised']}, shortened {s['shortened']}, "
        f"over budget {s['over_budget']}, glossary lost {s['glossary_lost']})"
    )
    click.echo(f"backend: {record['backend']}  model: {record['model']}  prompt: {record['prompt_version']}")
    click.echo(f"record: {side}")
