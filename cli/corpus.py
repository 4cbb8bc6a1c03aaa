"""``dubkit corpus build``: a dubbed corpus from a dataset (MELD, M2H2), one clip per utterance.

    dubkit corpus build DATASET_DIR --dataset meld|m2h2 --to LANG -o CORPUS_DIR
        [--translate table|vllm|transformers] [--translations CSV] [--url URL] [--model NAME|DIR]
        [--synth piper|espeak|f5] [--synth-opt K=V] [--f5-ckpt ...] [--fit global|ladder]
        [--originals N] [--limit N] [--seed S] [--json] [-q]

Writes CORPUS_DIR/corpus.jsonl (one row per clip), the clips under CORPUS_DIR/media/, and
CORPUS_DIR/build_report.json. Re-running the same command resumes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from cli.chat import chat_client_options
from cli.cluster import ray_options, ray_session, run_bar
from cli.dub import config_default, synth_options
from cli.errors import handle_errors

P = click.Path(path_type=Path)
#: the build's options that name files its workers read
FILE_OPTIONS = ("translations", "piper_model", "f5_ckpt", "f5_vocab")


def _context_default() -> int:
    """The translation job's dialogue window (its one home: ``TranslationJob``)."""
    import dataclasses

    from dubber.translate.run import TranslationJob

    return next(f.default for f in dataclasses.fields(TranslationJob) if f.name == "context_before")


@click.group()
def corpus() -> None:
    """Dubbed corpora for DubScore: build them from a dataset, then `dubkit score CORPUS_DIR`."""


@corpus.command("build")
@click.argument("dataset_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--dataset", required=True, help="Dataset format: meld or m2h2.")
@click.option("--to", "target_lang", required=True, help="Language of the dubs (e.g. hi for MELD, en for M2H2).")
@click.option("-o", "--out", required=True, type=P, help="Corpus directory (created; re-run to resume).")
@click.option("--translate", "backend", default="table", show_default=True,
              help="table (--translations CSV), vllm (--url, --model) or transformers (--model DIR).")  # fmt: skip
@click.option("--translations", type=P, help="id,text CSV keyed by dataset id (dev/dia1_utt4, 22/Scene_1/3a).")
@click.option("--url", help="vLLM server base URL (…/v1), for --translate vllm.")
@click.option("--model", help="Served model name (vllm) or local model directory (transformers).")
@chat_client_options
@click.option("--batch-size", type=int, default=None, help="Lines per batch (--translate transformers).")
@click.option("--context", type=int, default=None,
              help=f"Scene lines before and after each line (vllm) [default: {_context_default()}].")  # fmt: skip
@click.option("--synth", default=config_default("synth"), show_default=True, help="Synthesizer: piper, espeak, f5.")
@click.option("--synth-opt", "synth_opts", multiple=True, metavar="KEY=VALUE", help="Synthesizer option.")
@click.option("--piper-model", type=P, help="A piper voice .onnx (default: joe, en-US).")
@click.option("--f5-ckpt", type=P, help="F5-TTS checkpoint (.pt/.safetensors), for --synth f5.")
@click.option("--vocoder", help="Vocos vocoder: a local directory or a hub id, for --synth f5.")
@click.option("--f5-config", help="F5 model config name or YAML (default F5TTS_v1_Base).")
@click.option("--f5-vocab", type=P, help="Vocabulary of a multilingual F5 checkpoint (with --synth-opt languages=...).")
@click.option("--fit", "fit", default="global", show_default=True,
              help="global: one stretch of the take onto the clip (the paper's); ladder: the dubber's.")  # fmt: skip
@click.option("--cap-global", is_flag=True, help="Clamp the global stretch to --min-stretch/--max-stretch.")
@click.option("--min-stretch", "min_ratio", type=float, default=config_default("min_ratio"), show_default=True,
              help="Smallest duration ratio (ladder, --cap-global).")  # fmt: skip
@click.option("--max-stretch", "max_ratio", type=float, default=config_default("max_ratio"), show_default=True,
              help="Largest duration ratio (ladder, --cap-global).")  # fmt: skip
@click.option("--originals", type=int, default=0, show_default=True, help="Original clips added as ground truth.")
@click.option("--limit", type=int, default=None, help="Dub only the first N utterances (sorted by id).")
@click.option("--sample", type=int, default=None, help="Dub N utterances drawn with --seed (a representative subset).")
@click.option("--seed", type=int, default=0, show_default=True, help="Base seed (each clip's: from it and its id).")
@ray_options
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (rows, written, skipped, timing).")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
@handle_errors
def build(dataset_dir: Path, **opts: Any) -> None:
    """Dub every utterance of DATASET_DIR into --to LANG, fitted onto its clip; add original clips."""
    from cli.translate import translator_args
    from dubber.corpus import CorpusBackends, CorpusSpec, build_corpus, plan_corpus
    from dubber.fitting import FitCaps
    from evaluator.datasets import DATASETS
    from evaluator.errors import ConfigError

    DATASETS.get(opts["dataset"])  # an unknown name: the registry's error suggests close ones
    for name in FILE_OPTIONS:  # absolute: a Ray worker's working folder is its node's Ray's, not this command's
        if opts[name] is not None:
            opts[name] = opts[name].resolve()
    backend = opts["backend"]
    if backend == "table" and opts["translations"] is None:
        raise ConfigError("the table translator needs --translations CSV (columns id,text, ids of the dataset)")
    caps = FitCaps(min_ratio=opts["min_ratio"], max_ratio=opts["max_ratio"])
    spec = CorpusSpec(
        dataset=opts["dataset"], target_lang=opts["target_lang"], fit=opts["fit"], cap_global=opts["cap_global"],
        caps=caps, originals=opts["originals"], limit=opts["limit"], sample=opts["sample"], seed=opts["seed"],
        context=opts["context"],
    )  # fmt: skip
    synth_name = opts["synth"]
    name, options = translator_args(
        backend, opts["translations"], opts["url"], opts["model"], timeout=opts["timeout"], retries=opts["retries"],
        concurrency=opts["concurrency"], batch_size=opts["batch_size"],
    )  # fmt: skip
    backends = CorpusBackends(name, synth_name, options, synth_options(synth_name, opts, opts["synth_opts"]))
    translator, synth = backends.build()
    plan = plan_corpus(dataset_dir, spec)
    quiet, as_json = opts["quiet"], opts["as_json"]
    with (
        ray_session(opts["ray"], opts["workers"]) as session,
        run_bar("dubbing", "clip", enabled=not (quiet or as_json)) as bar,
    ):
        result = build_corpus(
            plan, opts["out"], translator=translator, synth=synth, session=session, backends=backends,
            progress=lambda done, total, written, skipped: bar(done, skipped, total),
        )  # fmt: skip
        runner = session.describe() if session is not None else {"backend": "in-process", "workers": 1}
        where = session.summary_line() if session is not None else ""
    summary = {**result.to_dict(), "report": str(opts["out"] / "build_report.json"), "readers": plan.report.summary(),
               "runner": runner}  # fmt: skip
    if result.attempted and not result.written:
        first = result.skipped[0]
        raise ConfigError(
            f"no clip could be built ({len(result.skipped)} skipped); the first, {first['id']}: {first['reason']}",
            hint=f"every reason is in {summary['report']}",
        )
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False))
        return
    _print_summary(summary, synth.describe(), translator)
    if where:
        click.echo(f"built {where}")


def _print_summary(s: dict[str, Any], synth: dict[str, Any], translator: Any) -> None:
    rows, t = s["rows"], s["timing"]
    click.echo(
        f"{s['corpus']}: {rows.get('dubbed', 0)} dubbed and {rows.get('original', 0)} original clips "
        f"({s['written']} written now, {s['resumed']} already there, {len(s['skipped'])} skipped)"
    )
    click.echo(f"readers: {s['readers']}")
    if "dubbed" in t:
        click.echo(f"time per dubbed clip: mean {t['dubbed']['mean_s']:.2f} s, median {t['dubbed']['median_s']:.2f} s "
                   f"({t['elapsed_s']:.1f} s in all)")  # fmt: skip
    click.echo(
        f"translator: {translator.name} ({translator.model_id}); synthesizer: {synth['backend']} ({synth['model']})"
    )
    for entry in s["skipped"][:10]:
        click.echo(f"skipped {entry['id']}: {entry['reason']}")
    if len(s["skipped"]) > 10:
        click.echo(f"... and {len(s['skipped']) - 10} more")
    click.echo(f"report: {s['report']}")


@corpus.command("merge")
@click.argument("corpora", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("-o", "--out", required=True, type=P, help="Directory of the merged corpus.jsonl.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@handle_errors
def merge(corpora: tuple[Path, ...], out: Path, as_json: bool) -> None:
    """Join CORPORA (e.g. meld-hi and m2h2-en) into one corpus.jsonl in OUT; the media stay where they are."""
    from evaluator.corpus import merge_corpora
    from evaluator.errors import ConfigError

    if out.resolve() in {c.resolve() for c in corpora}:
        raise ConfigError(f"{out}: the merged corpus would overwrite one of its sources", hint="choose another -o")
    rows = merge_corpora(corpora, out)
    counts = {kind: sum(r.kind == kind for r in rows) for kind in ("dubbed", "original")}
    if as_json:
        click.echo(json.dumps({"corpus": str(out), "rows": counts, "sources": [str(c) for c in corpora]}))
        return
    click.echo(f"{out}: {counts['dubbed']} dubbed and {counts['original']} original clips from {len(corpora)} corpora")
