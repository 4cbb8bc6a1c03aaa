"""``dubkit dub`` (being written)."""

import click


@click.command()
def dub() -> None:
    """Dub a video from a target-language script."""
