"""The plan stage: how each line will be rendered, the hash of all it depends on, and reuse.

For each line: the silence it may borrow (the duration ladder's rung 2), its seed (a line sent back for
a new take, ``force_lines``, gets the next retake's seed: a deterministic synthesizer would otherwise
render the same take again), its voice (the
emotion-matched library prompt for cloning synthesizers, else the speaker's reference), its video
span, the pitch it is moved to, and ``plan.input_hash``. :func:`reuse_rendered` then carries the
render of every unchanged line over from the previous run (a line is re-rendered when its hash
changed, its audio is gone, or it is forced).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from dubber.config import DubConfig
from dubber.fitting import borrow_room
from dubber.stages.episode import Episode
from dubber.synth.base import Synthesizer, VoiceReference
from evaluator.fileio import stable_hash
from evaluator.project import Line, Plan, Speaker, VideoSpan

#: a retake's seeds are this far from the previous take's (candidates use +k and +1000 per round)
RETAKE_SEED_STRIDE = 100_003


def plan_lines(
    episode: Episode, lines: Sequence[Line], speakers: Mapping[str, Speaker], synth: Synthesizer
) -> list[Line]:
    """``lines`` with ``plan`` and ``conditions.video_span`` set."""
    cfg = episode.config
    starts = [ln.start for ln in lines]
    ends = [ln.end for ln in lines]
    before = {ln.index: ln.plan for ln in episode.previous.lines if ln.plan} if episode.previous else {}
    out = []
    for i, line in enumerate(lines):
        retake = before[line.index].retake if line.index in before else 0
        if line.index in cfg.force_lines:
            retake += 1
        room = borrow_room(starts, ends, i, cfg.caps.max_borrow, media_end=episode.duration)
        speaker = speakers.get(line.speaker)
        path, transcript = _voice(episode, line, speaker, synth)
        conditions = dataclasses.replace(line.conditions, video_span=VideoSpan(str(cfg.video), line.start, line.end))
        line = dataclasses.replace(line, conditions=conditions)
        match_to = speaker.median_f0 if (cfg.match_pitch and not synth.clones_voice and speaker) else None
        plan = Plan(
            input_hash="",
            seed=cfg.seed + line.index + RETAKE_SEED_STRIDE * retake,
            room=round(room, 4),
            synth=synth.describe(),
            reference=path,
            reference_transcript=transcript,
            match_pitch_to=match_to,
            candidates=cfg.candidates,
            min_score=cfg.min_score,
            retake=retake,
        )
        plan.input_hash = input_hash(cfg, line, plan, speaker, synth)
        out.append(dataclasses.replace(line, plan=plan))
    return out


def _voice(episode: Episode, line: Line, speaker: Speaker | None, synth: Synthesizer) -> tuple[str | None, str | None]:
    """The line's voice reference (path relative to the project) and its transcript."""
    prompt = line.conditions.voice_prompt
    if prompt is not None and synth.clones_voice:
        rel = f"prompts/{stable_hash(prompt.to_dict())}.wav"
        dest = episode.project / rel
        if not dest.is_file():
            prompt.write_wav(dest)
        return rel, prompt.text or None
    if speaker is not None and speaker.reference:
        return speaker.reference, speaker.reference_transcript
    return None, None


def input_hash(cfg: DubConfig, line: Line, plan: Plan, speaker: Speaker | None, synth: Synthesizer) -> str:
    """Hash of everything the line's audio depends on: text, timing, room, synthesizer and options,
    seed, the voice it imitates, and the conditions the synthesizer reads (the scene reading's style
    for a plain voice; every condition for a synthesizer with a control branch)."""
    uses_reference = synth.clones_voice or cfg.match_pitch
    style = line.conditions.style
    return stable_hash(
        {
            "text": line.text,
            "lang": cfg.lang,
            "slot": round(line.slot, 4),
            "room": plan.room,
            "start": round(line.start, 4),
            "params": cfg.line_params(),
            "model": synth.model_id,
            "seed": plan.seed,
            "style": dataclasses.asdict(style),
            "candidates": {"n": cfg.candidates, "min_score": cfg.min_score} if cfg.candidates > 1 else None,
            "reference": [plan.reference, plan.reference_transcript] if uses_reference else None,
            "speaker": speaker.input_hash if (speaker and uses_reference) else None,
            "conditions": dict(sorted(line.annotation_keys.items())) if synth.reads_conditions else None,
        }
    )


def reuse_rendered(
    episode: Episode, lines: Sequence[Line], force: Collection[int] = ()
) -> tuple[list[Line], list[int]]:
    """``lines`` with the render of unchanged lines carried over, and the positions of those to render."""
    previous: dict[str, Line] = {}
    for old in episode.previous.lines if episode.previous else []:
        if old.status == "done" and old.plan is not None and old.audio:
            previous[old.plan.input_hash] = old
    out: list[Line] = []
    todo: list[int] = []
    for i, line in enumerate(lines):
        old = previous.get(line.plan.input_hash) if line.plan else None
        if old is None or line.index in force or not (episode.project / old.audio).is_file():
            out.append(line)
            todo.append(i)
            continue
        out.append(dataclasses.replace(line, **_rendered(old)))
    return out, todo


def _rendered(old: Line) -> dict[str, Any]:
    """The render results of a line (what a re-run carries over when the line is unchanged; its notes come
    with the line record from :func:`dubber.stages.episode.script_lines`, rendered again or not)."""
    return {
        "takes": old.takes,
        "fit": old.fit,
        "audio": old.audio,
        "candidates": old.candidates,
        "score": old.score,
        "status": old.status,
        "error": old.error,
    }


def voice_reference(episode: Episode, line: Line) -> VoiceReference | None:
    """The planned voice of a line as a synthesizer takes it."""
    plan = line.plan
    if plan is None or plan.reference is None:
        return None
    return VoiceReference(
        path=episode.project / plan.reference, transcript=plan.reference_transcript, median_f0=plan.match_pitch_to
    )
