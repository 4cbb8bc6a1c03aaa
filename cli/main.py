"""The ``dubkit`` command: the root group; each area's commands live in their own module."""

from __future__ import annotations

import logging
import os
import warnings
from pathlib import Path

import click

from cli.batch import batch
from cli.corpus import corpus
from cli.cot import cot
from cli.dub import dub
from cli.library import library
from cli.ratings import ratings
from cli.review import review
from cli.score import compare, score
from cli.train import train
from cli.transcribe import transcribe_cmd
from cli.translate import translate

#: third-party loggers whose warnings nobody running dubkit can act on (bitsandbytes: its CUDA library
#: selection); shown with --verbose
CHATTY_LOGGERS = ("bitsandbytes",)


def quiet_third_parties(verbose: int) -> None:
    """The one place dubkit silences third-party chatter; ``-v`` shows it again.

    - ai-edge-litert's "INFO: Created TensorFlow Lite XNNPACK delegate" comes from C++ on fd 2; the face
      encoder routes it into the ``ai_edge_litert`` logger (:mod:`evaluator.native_log`), so the log
      level below decides: shown from ``-v`` on.
    - transformers' weight-loading bars and its own logger (it installs its own handler, so Python
      logging levels do not reach it) follow environment variables read when it is imported, which the
      commands do inside their bodies, after this runs; values the user set are kept.
    - bitsandbytes' warnings (its logger and Python warnings) and pyworld's pkg_resources warning.
    """
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    # pyworld imports pkg_resources, which warns on every run; nothing a user can act on
    warnings.filterwarnings("ignore", message="pkg_resources is deprecated", category=UserWarning)
    for name in CHATTY_LOGGERS:
        logging.getLogger(name).setLevel(logging.NOTSET if verbose else logging.ERROR)
    if verbose:
        return
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")  # transformers' "Loading weights" bars
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    warnings.filterwarnings("ignore", module=r"bitsandbytes(\.|$)")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="dubkit")
@click.option("-v", "--verbose", count=True, help="More log output, third-party messages included (-vv for debug).")
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Model and feature cache (default $DUBKIT_CACHE, else ~/.cache/dubkit).",
)
@click.option("--offline", is_flag=True, help="Never download models: use local paths and the cache only.")
def main(verbose: int, cache_dir: Path | None, offline: bool) -> None:
    """dubkit: generate and evaluate AI dubbing end to end."""
    from evaluator.models import set_cache_dir, set_offline

    quiet_third_parties(verbose)
    if cache_dir is not None:
        set_cache_dir(cache_dir)
    if offline:  # before any command imports a hub library (they read the switch at import)
        set_offline(True)


main.add_command(dub)
main.add_command(score)
main.add_command(compare)
main.add_command(library)
main.add_command(cot)
main.add_command(train)
main.add_command(ratings)
main.add_command(translate)
main.add_command(transcribe_cmd)
main.add_command(corpus)
main.add_command(review)
main.add_command(batch)

if __name__ == "__main__":
    main()
