"""The mix stage: the dialogue stem, the mix, the muxed video and the subtitle file, streamed.

Nothing holds the episode's audio. The output has the original's sample rate and channel layout
(else the background stem's, else mono at ``mix_sr``), and the timeline is processed in blocks of
:data:`dubber.mixing.MIX_BLOCK` samples. Three passes, each over what it needs:

1. the loudness target: only the cue spans of the original are decoded, measured in its layout;
2. the dialogue's loudness as it will sit in the output layout (the mono stem at full level in the
   layout's dialogue channels: the centre, else left and right): only the stretches around the
   placed lines are built; the gain that brings it to the target follows;
3. the mix: block by block, the placed lines (gained, true-peak limited) over the background
   (decoded block by block: the original ducked under the lines, or the user's stem converted by
   ffmpeg to the output's rate and layout), limited, measured, and piped into ffmpeg, which encodes
   it under the stream-copied picture. The dialogue stem is written beside it as it goes.

The mix is written once, as the output video's audio; the stem (``OUT.dub.wav``) is the only other
audio file. Every output is written atomically.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dubber import mixing
from dubber.limiter import TruePeakMeter, limit_stream
from dubber.loudness import LoudnessMeter
from dubber.stages.episode import Episode
from evaluator.fileio import atomic_path, write_json
from evaluator.media import StreamInfo, mux, probe
from evaluator.media.layout import Layout, layout_named, stream_layout
from evaluator.media.stream import PcmStream, stream_audio
from evaluator.project import Line
from evaluator.script import DEFAULT_SPEAKER, Cue, speaker_fits, write_script

log = logging.getLogger(__name__)

#: seconds around each placed line that the dialogue's loudness is measured over (gating blocks, filter ring)
_MARGIN_S = 0.5
#: AAC/Opus bitrate per channel of the mix
_KBPS_PER_CHANNEL = 96


@dataclass(frozen=True)
class OutputFormat:
    sr: int
    layout: Layout


def output_format(episode: Episode) -> OutputFormat:
    """The original's sample rate and channel layout; else the background stem's; else mono at mix_sr."""
    cfg = episode.config
    for path, audio in ((cfg.video, episode.info.audio), (cfg.background, _stem_audio(episode))):
        if audio is not None:
            layout = stream_layout(audio.channels, audio.channel_layout, where=str(path))
            return OutputFormat(sr=int(audio.sample_rate or cfg.mix_sr), layout=layout)
    return OutputFormat(sr=cfg.mix_sr, layout=layout_named("mono"))


def _stem_audio(episode: Episode) -> StreamInfo | None:
    background = episode.config.background
    return probe(background).audio if background is not None else None


def measure_target(episode: Episode, lines: Sequence[Line]) -> tuple[float, str]:
    """The dialogue loudness to match: the original's integrated loudness over the (merged) cue spans,
    measured in its own layout and decoded span by span; the default when there is none. Only the
    lines' cue times are read: it can be measured before they are rendered."""
    fmt = output_format(episode)
    if episode.info.audio is None:
        return mixing.DEFAULT_DIALOGUE_LUFS, "default (the video has no audio)"
    spans = mixing.merge_spans((ln.start, ln.end) for ln in lines)
    meter = LoudnessMeter(fmt.sr, fmt.layout.weights)
    for block in stream_audio(episode.config.video, fmt.sr, fmt.layout, spans=spans):
        meter.add(block)
    measured = meter.integrated()
    what = (
        f"original audio, {fmt.layout.describe()}, over {len(spans)} cue span(s) ({sum(e - s for s, e in spans):.1f} s)"
    )
    if np.isfinite(measured) and measured > -60:
        return measured, what
    return mixing.DEFAULT_DIALOGUE_LUFS, f"default (no dialogue measured: {what})"


def _placed(episode: Episode, lines: Sequence[Line]) -> list[tuple[float, Path]]:
    return [(ln.fit.placed_start, episode.project / ln.audio) for ln in lines]


def dialogue_loudness(episode: Episode, lines: Sequence[Line], fmt: OutputFormat, n: int) -> float:
    """The stem's loudness as placed in the output layout, built only around the placed lines."""
    sr = fmt.sr
    meter = LoudnessMeter(sr, [fmt.layout.dialogue_weight])
    track = mixing.DialogueTrack(_placed(episode, lines), sr)
    pos = 0
    regions = mixing.merge_spans((ln.fit.placed_start - _MARGIN_S, ln.fit.placed_end + _MARGIN_S) for ln in lines)
    for s, e in regions:
        a, b = max(pos, int(s * sr)), min(n, int(e * sr))
        if a >= b:
            continue
        meter.skip(a - pos)
        for x, y in mixing.blocks_of(a, b):
            meter.add(track.block(x, y))
        pos = b
    return meter.integrated()


def _background(episode: Episode, fmt: OutputFormat) -> tuple[Iterator[np.ndarray] | None, str, bool]:
    """The background's blocks, its description, and whether it is ducked under the lines."""
    cfg = episode.config
    if cfg.background is not None:
        audio = _stem_audio(episode)
        own = stream_layout(audio.channels, audio.channel_layout, where=str(cfg.background))
        notes = [own.describe()]
        if own.name != fmt.layout.name:
            notes.append(f"{'up' if own.count < fmt.layout.count else 'down'}-mixed to {fmt.layout.name} by ffmpeg")
        if audio.sample_rate and audio.sample_rate != fmt.sr:
            notes.append(f"resampled from {audio.sample_rate} Hz")
        short = episode.duration - probe(cfg.background).duration
        if short > 0.001:
            notes.append(f"padded with {short:.2f} s of silence")
        blocks = stream_audio(cfg.background, fmt.sr, fmt.layout)
        return blocks, f"stem:{cfg.background} ({'; '.join(notes)})", False
    if episode.info.audio is not None:
        blocks = stream_audio(cfg.video, fmt.sr, fmt.layout)
        return blocks, f"original ({fmt.layout.describe()}), ducked {cfg.duck_db:g} dB under each line", True
    return None, "none (the video has no audio)", False


def mix_and_write(
    episode: Episode,
    lines: Sequence[Line],
    progress: Callable[[int, int], None] | None = None,
    *,
    target: tuple[float, str] | None = None,
) -> tuple[dict[str, str], dict[str, object]]:
    """Place the rendered lines, match their loudness in the output layout, mix over the background,
    mux, and write the outputs (video, dialogue stem, subtitles), each atomically (see the module
    docstring). ``progress(done, total)`` counts seconds of the timeline mixed; ``target`` is what
    :func:`measure_target` returned, when the caller measured it already (the run does, while it reads
    the scenes). Returns the outputs and the mix report."""
    import soundfile as sf

    cfg = episode.config
    fmt = output_format(episode)
    sr, layout = fmt.sr, fmt.layout
    n = int(round(episode.duration * sr))
    target, target_source = target if target is not None else measure_target(episode, lines)
    before = dialogue_loudness(episode, lines, fmt, n)
    gain_db = target - before if np.isfinite(before) else 0.0
    gain = np.float32(10 ** (gain_db / 20))

    bounds = mixing.blocks_of(0, n)
    duck_spans = [(ln.fit.placed_start, ln.fit.placed_end) for ln in lines]  # seconds
    spans = [(a, b) for a, b in _merge_samples([(int(s * sr), int(np.ceil(e * sr))) for s, e in duck_spans]) if a < n]
    track = mixing.DialogueTrack(_placed(episode, lines), sr)
    stem_peak, mix_peak = TruePeakMeter(), TruePeakMeter()
    dub_meter = LoudnessMeter(sr, [layout.dialogue_weight])
    mix_meter = LoudnessMeter(sr, layout.weights)
    background, background_note, ducked = _background(episode, fmt)
    bg_blocks = mixing.fixed_blocks(background, bounds, layout.count) if background is not None else None
    dialogue = list(layout.dialogue_channels)

    def mixed(stem_file: sf.SoundFile) -> Iterator[np.ndarray]:
        stems = stem_peak.watch(limit_stream((track.block(a, b) * gain for a, b in bounds), sr))
        for (a, b), stem in zip(bounds, stems, strict=True):
            stem_file.write(np.clip(stem, -1.0, 1.0))
            dub_meter.add(stem)
            out = next(bg_blocks) if bg_blocks is not None else np.zeros((b - a, layout.count), dtype=np.float32)
            if ducked and _near(spans, a, b, int(0.2 * sr)):
                out = out * mixing.duck_gain(b - a, sr, duck_spans, cfg.duck_db, start=a, total=n)[:, None]
            out[:, dialogue] += stem[:, None]
            yield out

    def measured(blocks: Iterator[np.ndarray]) -> Iterator[np.ndarray]:
        for (a, b), block in zip(bounds, blocks, strict=True):
            for s, e in spans:
                if s < b and e > a:
                    mix_meter.add(block[max(s, a) - a : min(e, b) - a])
            if progress is not None:
                progress(round(b / sr), round(n / sr))
            yield block

    tracks: list[object] = []
    langs: list[str | None] = [cfg.lang]
    titles: list[str | None] = [f"Dub ({cfg.lang})"]
    if cfg.keep_original_audio and episode.info.audio is not None:
        tracks.append(cfg.video)
        langs.append(cfg.source_lang)  # None (untagged) when the source's language was not given
        titles.append("Original")
    bitrate = f"{_KBPS_PER_CHANNEL * max(2, layout.count)}k"
    with (
        atomic_path(cfg.dub_wav_path()) as stem_tmp,
        sf.SoundFile(stem_tmp, "w", samplerate=sr, channels=1, subtype="PCM_16", format="WAV") as stem_file,
    ):
        final = measured(mix_peak.watch(limit_stream(mixed(stem_file), sr)))
        mux(
            cfg.video,
            [PcmStream(final, sr, layout), *tracks],
            cfg.output,
            languages=langs,
            titles=titles,
            bitrate=bitrate,
        )

    report = mixing.MixReport(
        layout=layout.describe(),
        sample_rate=sr,
        target_lufs=target,
        target_source=target_source,
        dub_lufs=dub_meter.integrated(),
        dub_placement=f"mono stem at full level in {'+'.join(layout.channels[i] for i in dialogue)}",
        dub_gain_db=gain_db,
        mix_dialogue_lufs=mix_meter.integrated(),
        mix_dialogue_spans=f"the final mix over the {len(spans)} placed line span(s) ({mix_meter.seconds:.1f} s)",
        mix_true_peak_dbtp=mix_peak.dbtp,
        dub_true_peak_dbtp=stem_peak.dbtp,
        background=background_note,
    )
    write_subtitles(episode, lines)
    write_json(episode.project / "fit.json", [{**dataclasses.asdict(ln.fit), "index": ln.index} for ln in lines])
    # absolute, so a scorer finds them from anywhere
    outputs = {
        "video": str(cfg.output.resolve()),
        "dub_wav": str(cfg.dub_wav_path().resolve()),
        "subtitles": str(cfg.subtitles_path().resolve()),
    }
    return outputs, report.to_dict()


def _merge_samples(spans: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    return [(int(a), int(b)) for a, b in mixing.merge_spans(spans)]


def _near(spans: Sequence[tuple[int, int]], a: int, b: int, margin: int) -> bool:
    return any(s < b + margin and e > a - margin for s, e in spans)


def write_subtitles(episode: Episode, lines: Sequence[Line]) -> None:
    """The subtitles at the final timings, with each line's speaker (a ``NAME:`` prefix in SRT); a
    speaker such a prefix cannot carry (not upper case) is left out of the file, with a note."""
    path = episode.config.subtitles_path()
    cues, left_out = [], set()
    for ln in lines:
        speaker = ln.speaker
        if not speaker_fits(path, speaker):
            left_out.add(speaker)
            speaker = DEFAULT_SPEAKER
        cues.append(Cue(ln.index, ln.fit.placed_start, ln.fit.placed_end, ln.text, speaker))
    if left_out:
        log.warning(
            "%s: speaker(s) %s written without a NAME: prefix (SRT prefixes are upper case); the manifest keeps them",
            path,
            ", ".join(sorted(left_out)),
        )
    write_script(path, cues)
