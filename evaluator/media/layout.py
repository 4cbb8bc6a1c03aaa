"""Channel layouts: which channel is which, how much each counts in loudness, where dialogue goes.

Layouts are ffmpeg's (``ffmpeg -layouts`` is the one list of names and channel orders; it is read
once per process). Loudness weights follow ITU-R BS.1770-4 as ffmpeg's ``ebur128`` filter applies
them: 1.41 for side and back (surround) channels, 0 for the low-frequency channels, 1 otherwise.

>>> stereo = layout_named("stereo")
>>> stereo.channels, stereo.dialogue_channels, stereo.weights
(('FL', 'FR'), (0, 1), (1.0, 1.0))
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from evaluator.errors import MediaError
from evaluator.media.tools import binary, run

#: channels BS.1770-4 weights by 1.41 (surround: side and back positions)
SURROUND = frozenset({"BL", "BR", "BC", "SL", "SR", "TBL", "TBR", "TBC", "SDL", "SDR", "TSL", "TSR"})
#: channels BS.1770-4 leaves out (low-frequency effects)
LOW_FREQUENCY = frozenset({"LFE", "LFE2"})


@dataclass(frozen=True)
class Layout:
    """A channel layout: ffmpeg's name and its channels in stream order."""

    name: str
    channels: tuple[str, ...]

    @property
    def count(self) -> int:
        return len(self.channels)

    @property
    def weights(self) -> tuple[float, ...]:
        """BS.1770-4 channel weights, in channel order."""
        return tuple(0.0 if c in LOW_FREQUENCY else 1.41 if c in SURROUND else 1.0 for c in self.channels)

    @property
    def dialogue_channels(self) -> tuple[int, ...]:
        """Where a dub's (mono) dialogue is placed: the front centre when there is one (mono, 3.0, 5.1,
        ...), else front left and right, else every channel that counts in loudness."""
        if "FC" in self.channels:
            return (self.channels.index("FC"),)
        if "FL" in self.channels and "FR" in self.channels:
            return (self.channels.index("FL"), self.channels.index("FR"))
        return tuple(i for i, w in enumerate(self.weights) if w > 0)

    @property
    def dialogue_weight(self) -> float:
        """The sum of the dialogue channels' loudness weights: a mono signal placed at full level in
        those channels measures ``10 * log10(dialogue_weight)`` LU louder than it does alone."""
        w = self.weights
        return float(sum(w[i] for i in self.dialogue_channels))

    def describe(self) -> str:
        """``"stereo (FL+FR)"``."""
        return f"{self.name} ({'+'.join(self.channels)})"


@functools.cache
def _ffmpeg_layouts() -> dict[str, tuple[str, ...]]:
    proc = run([binary("ffmpeg"), "-hide_banner", "-layouts"], what="listing ffmpeg's channel layouts")
    layouts: dict[str, tuple[str, ...]] = {}
    section = False
    for line in proc.stdout.decode(errors="replace").splitlines():
        if line.startswith("Standard channel layouts"):
            section = True
            continue
        parts = line.split()
        if section and len(parts) == 2 and parts[0] != "NAME":
            layouts[parts[0]] = tuple(parts[1].split("+"))
    return layouts


def layout_named(name: str) -> Layout:
    """The ffmpeg layout of this name; ``MediaError`` for a name ffmpeg does not list."""
    channels = _ffmpeg_layouts().get(name)
    if channels is None:
        raise MediaError(f"unknown channel layout '{name}'", hint="ffmpeg -layouts lists the known ones")
    return Layout(name, channels)


def stream_layout(channels: int | None, layout: str | None, *, where: str) -> Layout:
    """The layout of an audio stream from what ffprobe says (``channels``, ``channel_layout``). A stream
    without a layout name is taken as mono or stereo by its channel count; a wider one is refused
    (which channel is the centre cannot be known)."""
    if layout and layout != "unknown":
        # ffprobe may print a name with a channel mask suffix ("5.1(side)") or a custom order
        try:
            found = layout_named(layout)
        except MediaError:
            found = None
        if found is not None and (channels is None or found.count == channels):
            return found
    count = channels or 1
    if count in (1, 2):
        return layout_named("mono" if count == 1 else "stereo")
    raise MediaError(
        f"{where}: {count} audio channels without a known channel layout ({layout or 'none'})",
        hint="re-export it with a standard layout, e.g. ffmpeg -i IN -c copy -channel_layout 5.1 OUT",
    )
