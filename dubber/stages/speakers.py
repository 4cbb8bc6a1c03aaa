"""The speakers stage: each speaker's reference clip from the original audio, kept in the project.

A speaker's clip is reused while what it is made from (the video, their cues' times and source
text) is unchanged; see :func:`dubber.speakers.pick_reference` for how a clip is chosen.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from dubber.speakers import SpanReader, pick_reference
from dubber.stages.episode import Episode
from evaluator.fileio import stable_hash
from evaluator.media import write_wav
from evaluator.media.layout import layout_named
from evaluator.media.stream import read_spans
from evaluator.project import Line, Speaker


def speaker_slug(name: str) -> str:
    """A file-name-safe form of a speaker's name."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_") or "speaker"


def original_reader(episode: Episode) -> SpanReader | None:
    """Spans of the episode's original audio, mono at the mix rate, decoded a batch at a time as they
    are asked for (the whole audio is never loaded); None when the video has no audio."""
    if episode.info.audio is None:
        return None
    video, sr, mono = episode.config.video, episode.config.mix_sr, layout_named("mono")
    return lambda spans: (a[:, 0] for a in read_spans(video, sr, mono, spans))


def speaker_references(episode: Episode, lines: Sequence[Line]) -> dict[str, Speaker]:
    """``{speaker: Speaker}`` with a reference clip under ``speakers/`` of the project for each speaker
    heard in the original audio (read span by span, mono at the mix rate: :func:`original_reader`);
    unchanged speakers keep their previous clip."""
    original = original_reader(episode)
    project, sr = episode.project, episode.config.mix_sr
    previous = episode.previous.speakers if episode.previous else {}
    cues = episode.cues
    source = {ln.index: ln.source_text for ln in lines if ln.source_text}
    speakers: dict[str, Speaker] = {}
    for name in sorted({ln.speaker for ln in lines}):
        own = [c for c in cues if c.speaker == name]
        key = stable_hash(
            {
                "video": episode.video_hash,
                "cues": [(c.start, c.end) for c in own],
                "source": [source.get(c.index) for c in own],
            }
        )
        old = previous.get(name)
        if old is not None and old.input_hash == key and (not old.reference or (project / old.reference).is_file()):
            speakers[name] = old
            continue
        clip = pick_reference(original, sr, cues, name) if original is not None else None
        if clip is None:
            speakers[name] = Speaker(name=name, input_hash=key, note="no speech found in the original audio")
            continue
        rel = f"speakers/{speaker_slug(name)}.wav"
        write_wav(project / rel, clip.audio, clip.sr)
        transcript = (
            " ".join(source[i] for i in clip.cues) if clip.cues and all(i in source for i in clip.cues) else None
        )
        speakers[name] = Speaker(
            name=name,
            reference=rel,
            reference_duration=round(clip.duration, 3),
            reference_segments=[list(s) for s in clip.segments],
            median_f0=round(clip.median_f0, 2) if clip.median_f0 else None,
            input_hash=key,
            note=clip.note,
            reference_transcript=transcript,
        )
    return speakers
