"""The mix stage: the dialogue stem, the mix, the muxed video and the subtitle file.

The rendered lines are placed at their fitted times, the stem is matched to the loudness of the
original dialogue, mixed over the background (the user's stem, else the original audio ducked under
each line), muxed under the stream-copied picture, and written with the subtitles at the final
timings. Every output is written atomically.
"""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Sequence

import numpy as np

from dubber import mixing
from dubber.stages.episode import Episode
from evaluator.fileio import atomic_path, write_json
from evaluator.media import load_audio, mux, read_wav, write_wav
from evaluator.project import Line
from evaluator.script import write_srt


def mix_and_write(
    episode: Episode, lines: Sequence[Line], original: np.ndarray | None
) -> tuple[dict[str, str], dict[str, object]]:
    """Place the rendered lines, match loudness, mix over the background, mux, and write the outputs
    (video, dialogue stem, subtitles), each atomically. Returns the outputs and the mix report."""
    cfg, project = episode.config, episode.project
    sr = cfg.mix_sr
    n = int(round(episode.duration * sr))
    clips = []
    for line in lines:
        audio, _ = read_wav(project / line.audio)
        clips.append((line.fit.placed_start, audio))
    stem = mixing.place(n, sr, clips)
    spans = [(ln.start, ln.end) for ln in lines]
    target, source = mixing.DEFAULT_DIALOGUE_LUFS, "default (no dialogue measured in the original)"
    if original is not None:
        measured = mixing.loudness(mixing.spans_audio(original, sr, spans), sr)
        if np.isfinite(measured) and measured > -60:
            target, source = measured, "original dialogue (cue spans of the original audio)"
    stem, gain_db = mixing.match_loudness(stem, sr, target)
    if cfg.background is not None:
        background, kind = load_audio(cfg.background, sr, mono=False), f"stem:{cfg.background}"
    elif original is not None:
        background, kind = original, "original"
    else:
        background, kind = None, "none (the video has no audio)"
    placed = [(ln.fit.placed_start, ln.fit.placed_end) for ln in lines]
    mix = mixing.mix(
        stem,
        sr,
        background=background,
        background_kind="original" if kind == "original" else kind,
        line_spans=placed,
        duck_db=cfg.duck_db,
    )
    report = mixing.MixReport(
        target_lufs=target,
        target_source=source,
        dub_lufs=mixing.loudness(stem, sr),
        dub_gain_db=gain_db,
        mix_true_peak_dbtp=mixing.true_peak_dbtp(mix, sr),
        dub_true_peak_dbtp=mixing.true_peak_dbtp(stem, sr),
        background=kind,
    )
    write_wav(project / "dub.wav", stem, sr)
    write_wav(project / "mix.wav", mix, sr)
    tracks = [project / "mix.wav"]
    langs: list[str | None] = [cfg.lang]
    if cfg.keep_original_audio and original is not None:
        write_wav(project / "original.wav", original, sr)
        tracks.append(project / "original.wav")
        langs.append(None)
    mux(cfg.video, tracks, cfg.output, languages=langs)
    with atomic_path(cfg.dub_wav_path()) as tmp:
        shutil.copyfile(project / "dub.wav", tmp)
    write_srt(cfg.subtitles_path(), [(ln.fit.placed_start, ln.fit.placed_end, ln.text) for ln in lines])
    write_json(project / "fit.json", [{**dataclasses.asdict(ln.fit), "index": ln.index} for ln in lines])
    # absolute, so a scorer finds them from anywhere
    outputs = {
        "video": str(cfg.output.resolve()),
        "dub_wav": str(cfg.dub_wav_path().resolve()),
        "subtitles": str(cfg.subtitles_path().resolve()),
    }
    return outputs, report.to_dict()
