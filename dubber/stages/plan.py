"""The plan stage: how each line will be rendered, the hash of all it depends on, and reuse.

For each line: the silence it may borrow (the duration ladder's rung 2), its seed (a line sent back for
a new take, ``force_lines``, gets the next retake's seed: a deterministic synthesizer would otherwise
render the same take again), its voice (the
emotion-matched library prompt for cloning synthesizers, else the speaker's reference), its video
span, the pitch it is moved to, and ``plan.input_hash``. :func:`reuse_rendered` then carries the
render of every unchanged line over from the previous run (a line is re-rendered when its hash
changed, its audio is gone, or it is forced).

Voices of a synthesizer that does not clone (piper, espeak): :func:`assign_voices` gives each
speaker one of the synthesizer's own voices (the user's, else the synthesizer's pick by the
speaker's gender), and with ``match_pitch`` (the default) each line is moved toward its speaker:
to the median F0 of the speaker's reference clip (formants by a share of it, see
:mod:`dubber.stages.fit`). The reference wins over a scene reading's gender; only a speaker without
a measured F0 is moved to the typical F0 of the gender and age their line's reading gives.
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

#: F0 (Hz) a voice is moved to for a speaker with no measured F0 whose reading gives gender and age:
#: the middle of the ranges evaluator.encoders.voice classifies by (men 85-155, women 165-255,
#: children above 250)
TYPICAL_F0_HZ = {"male": 120.0, "female": 210.0, "child": 300.0}


def speaker_genders(lines: Sequence[Line], speakers: Mapping[str, Speaker]) -> dict[str, str | None]:
    """Each speaker's gender: from their reference's median F0, else their lines' readings (the
    majority), else None."""
    from evaluator.encoders.voice import classify_gender

    out: dict[str, str | None] = {}
    for name in sorted({ln.speaker for ln in lines}):
        speaker = speakers.get(name)
        if speaker is not None and speaker.median_f0:
            out[name] = classify_gender(speaker.median_f0)[0]
            continue
        said = [ln.conditions.reading.gender for ln in lines if ln.speaker == name and ln.conditions.reading]
        out[name] = max(sorted(set(said)), key=said.count) if said else None
    return out


def assign_voices(
    episode: Episode, lines: Sequence[Line], speakers: Mapping[str, Speaker], synth: Synthesizer
) -> dict[str, Speaker]:
    """``speakers`` with each one's voice among the synthesizer's own (``Speaker.voice``)."""
    references = {n: episode.project / s.reference for n, s in speakers.items() if s.reference}
    genders = speaker_genders(lines, speakers)
    voices = synth.assign_voices(genders, episode.config.voices, references=references, lang=episode.config.lang)
    out = dict(speakers)
    for name, voice in voices.items():
        out[name] = dataclasses.replace(speakers.get(name) or Speaker(name=name), voice=voice)
    return out


def pitch_target(cfg: DubConfig, line: Line, speaker: Speaker | None, synth: Synthesizer) -> float | None:
    """The F0 (Hz) a non-cloning voice is moved to for this line (see the module docstring)."""
    if not cfg.match_pitch or synth.clones_voice:
        return None
    if speaker is not None and speaker.median_f0:
        return speaker.median_f0
    style = line.conditions.style
    if style.age == "child":
        return TYPICAL_F0_HZ["child"]
    return TYPICAL_F0_HZ.get(style.gender or "")


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
        match_to = pitch_target(cfg, line, speaker, synth)
        plan = Plan(
            input_hash="",
            seed=cfg.seed + line.index + RETAKE_SEED_STRIDE * retake,
            room=round(room, 4),
            synth=synth.describe(),
            reference=path,
            reference_transcript=transcript,
            match_pitch_to=match_to,
            voice=speaker.voice if speaker is not None else None,
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
            "voice": plan.voice,
            "pitch_to": plan.match_pitch_to,
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
