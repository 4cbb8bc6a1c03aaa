"""The ``dubkit`` command: the root group; each area's commands live in their own module."""

from __future__ import annotations

import logging
import warnings

import click

from cli.cot import cot
from cli.dub import dub
from cli.library import library
from cli.ratings import ratings
from cli.review import review
from cli.score import compare, score
from cli.train import train
from cli.translate import translate


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="dubkit")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
def main(verbose: int) -> None:
    """dubkit: generate and evaluate AI dubbing end to end."""
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    # pyworld imports pkg_resources, which warns on every run; nothing a user can act on
    warnings.filterwarnings("ignore", message="pkg_resources is deprecated", category=UserWarning)


main.add_command(dub)
main.add_command(score)
main.add_command(compare)
main.add_command(library)
main.add_command(cot)
main.add_command(train)
main.add_command(ratings)
main.add_command(translate)
main.add_command(review)

if __name__ == "__main__":
    main()
