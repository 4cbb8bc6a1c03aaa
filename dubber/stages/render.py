"""The render stage: speak the lines in two batched passes, fit each take, keep the best candidate.

For a chunk of lines, every candidate of every line (one per line without the generate-score loop)
becomes a :class:`~dubber.synth.base.SynthRequest`:

1. pass one asks the synthesizer for all of them at their natural pace (``synthesize_many``);
2. each take is trimmed and planned onto its slot (the duration ladder); pass two asks a
   length-controlling synthesizer again, for the planned durations, in one batch.
   A synthesizer that ``predicts_length`` (piper) is asked for the natural durations only
   (``natural_durations``, no audio) in pass one, so each line is synthesized once, at its planned
   length; the fit's ``raw_duration`` is then that predicted natural duration;
3. each take is fitted (Rubber Band for what is left, pitch moved where asked) at the mix rate;
4. with candidates, each is scored (:mod:`dubber.scorers`), the best is kept, and lines whose best is
   under the minimum score draw another round (batched again).

Steps 3-4 of one chunk run on a worker thread while steps 1-2 of the next chunk run (unless lines
may draw another round: then chunk by chunk). Each finished line is written (its audio under
``lines/``, its candidates under ``candidates/``) and handed to ``on_done`` (the caller saves the
manifest per chunk, so an interrupted run resumes).
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

from dubber.candidates import MAX_ROUNDS, CandidateParams, candidate_plan
from dubber.fitting import FitPlan
from dubber.stages.episode import Episode
from dubber.stages.fit import FittedTake, fit_take, needs_native_take, plan_take, trim_silence
from dubber.stages.plan import voice_reference
from dubber.synth.base import Speech, Synthesizer, SynthRequest
from evaluator.media import write_wav
from evaluator.project import Candidate, Line, LineScore, Take


class LineScorer(Protocol):
    name: str

    def score(self, text: str, slot: float, speech: Speech, **context: Any) -> tuple[float, dict[str, Any]]: ...


@dataclass
class _Draw:
    """One candidate of one line on its way through the passes."""

    line: int  # position in the chunk
    params: CandidateParams
    request: SynthRequest
    natural: float = 0.0  # seconds, trimmed: measured on the natural take, or predicted
    natural_take: Speech | None = None  # None where the natural duration was predicted
    plan: FitPlan | None = None
    spoken: Speech | None = None
    fitted: FittedTake | None = None
    score: float | None = None
    details: dict[str, Any] | None = None


def render_lines(
    episode: Episode,
    lines: Sequence[Line],
    synth: Synthesizer,
    *,
    scorer: LineScorer | None = None,
    chunk: int = 8,
    on_done: Callable[[list[Line]], None] | None = None,
) -> list[Line]:
    """Render ``lines`` (planned, see :mod:`dubber.stages.plan`) in chunks; returns them rendered.

    Without retry rounds (one candidate per line, or no minimum score) the chunks run as a two-stage
    pipeline: a worker thread (at a lower priority) fits, scores and writes one chunk while the
    synthesizer speaks the next (Rubber Band and numpy leave the GIL: the render stage of
    ``benchmarks/dub_throughput.py`` took 16-18 s instead of 27 s here). ``on_done`` is called in the
    calling thread, in chunk order, as without the pipeline; the audio is the same. When speaking a
    chunk fails, the chunk before it is still finished and handed to ``on_done``."""
    if episode.config.candidates > 1 and scorer is None:
        raise ValueError("candidates > 1 needs a scorer")
    parts = [lines[i : i + max(1, chunk)] for i in range(0, len(lines), max(1, chunk))]
    out: list[Line] = []

    def finished(done: list[Line]) -> None:
        out.extend(done)
        if on_done is not None:
            on_done(done)

    if _has_rounds(episode):
        for part in parts:
            finished(render_chunk(episode, part, synth, scorer=scorer))
        return out
    with (
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="dubkit-fit", initializer=_lower_priority) as fitter,
        ThreadPoolExecutor(
            max_workers=os.cpu_count() or 1, thread_name_prefix="dubkit-fit-take", initializer=_lower_priority
        ) as takes,
    ):
        pending: Future[list[Line]] | None = None
        for part in parts:
            try:
                draws = _spoken_draws(episode, part, synth, round_index=0)
            except BaseException:  # the chunk already spoken is finished and kept: a resumed run skips it
                if pending is not None and pending.exception() is None:
                    finished(pending.result())
                raise
            if pending is not None:
                finished(pending.result())
            pending = fitter.submit(_fit_and_finish, episode, part, draws, synth, scorer, takes)
        if pending is not None:
            finished(pending.result())
    return out


def _lower_priority() -> None:
    """Run this thread at a low scheduling priority (Linux: a thread has its own nice value), so the
    synthesizer's threads keep the cores and the fit uses what they leave idle."""
    with contextlib.suppress(AttributeError, OSError):  # not Linux, or not allowed: same priority, still correct
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), os.getpriority(os.PRIO_PROCESS, 0) + 10)


def _has_rounds(episode: Episode) -> bool:
    """True when a chunk may draw more candidates after scoring (its lines cannot be finished early)."""
    cfg = episode.config
    return cfg.candidates > 1 and cfg.min_score is not None


def render_chunk(
    episode: Episode, lines: Sequence[Line], synth: Synthesizer, *, scorer: LineScorer | None = None
) -> list[Line]:
    """Render a few lines together (see the module docstring); every line gets the same audio in any chunk."""
    cfg = episode.config
    n = cfg.candidates
    draws: list[_Draw] = []
    todo = list(range(len(lines)))
    for round_index in range(MAX_ROUNDS if n > 1 else 1):
        new = _spoken_draws(episode, lines, synth, round_index=round_index, todo=todo)
        _fit_draws(episode, lines, new, synth)
        _score_draws(episode, lines, new, scorer)
        draws.extend(new)
        if n == 1 or cfg.min_score is None:
            break
        todo = [i for i in todo if max(d.score for d in draws if d.line == i) < cfg.min_score]
        if not todo:
            break
    return [_finish(episode, line, [d for d in draws if d.line == i], scorer) for i, line in enumerate(lines)]


def _spoken_draws(
    episode: Episode, lines: Sequence[Line], synth: Synthesizer, *, round_index: int, todo: Sequence[int] | None = None
) -> list[_Draw]:
    """The candidates of round ``round_index`` of the lines at positions ``todo`` (all by default), spoken
    (passes one and two), not yet fitted."""
    n = episode.config.candidates
    guidance = synth.guidance_options() if n > 1 else [{}]
    draws = [
        _Draw(i, p, _request(episode, lines[i], p, synth))
        for i in (range(len(lines)) if todo is None else todo)
        for p in candidate_plan(n, lines[i].plan.seed, guidance=guidance, round_index=round_index)
    ]
    _speak(episode, lines, draws, synth)
    return draws


def _fit_and_finish(
    episode: Episode,
    lines: Sequence[Line],
    draws: list[_Draw],
    synth: Synthesizer,
    scorer: LineScorer | None,
    pool: ThreadPoolExecutor,
) -> list[Line]:
    """The pipeline's second stage: fit every take (on ``pool``), score the candidates, keep the best of
    each line."""
    _fit_draws(episode, lines, draws, synth, pool)
    _score_draws(episode, lines, draws, scorer)
    return [_finish(episode, line, [d for d in draws if d.line == i], scorer) for i, line in enumerate(lines)]


def _score_draws(episode: Episode, lines: Sequence[Line], draws: list[_Draw], scorer: LineScorer | None) -> None:
    """Score each fitted candidate (the generate-score loop; nothing to do with one candidate per line)."""
    if episode.config.candidates > 1:
        for d in draws:
            d.score, d.details = _score(episode, lines[d.line], d, scorer)


def _request(episode: Episode, line: Line, params: CandidateParams, synth: Synthesizer) -> SynthRequest:
    conditions = dataclasses.replace(line.conditions, guidance=params.guidance)
    voice = voice_reference(episode, line) if synth.clones_voice else None
    pitch = line.plan.match_pitch_to if synth.controls_pitch else None
    return SynthRequest(
        line.text,
        episode.config.lang,
        params.seed,
        None,
        voice,
        conditions,
        speaker_voice=line.plan.voice,
        pitch_hz=pitch,
    )


def _speak(episode: Episode, lines: Sequence[Line], draws: list[_Draw], synth: Synthesizer) -> None:
    """Pass one (natural pace, or its predicted length), the fit plan, pass two (planned durations)."""
    cfg = episode.config
    top_db = cfg.trim_top_db
    native = synth.controls_length
    if synth.predicts_length:
        for d, natural in zip(draws, synth.natural_durations([d.request for d in draws]), strict=True):
            d.natural = natural
        second = draws
    else:
        for d, speech in zip(draws, synth.synthesize_many([d.request for d in draws]), strict=True):
            d.natural_take = d.spoken = trim_silence(speech, top_db)
            d.natural = d.natural_take.duration
    for d in draws:
        line = lines[d.line]
        d.plan = plan_take(d.natural, line.slot, line.plan.room, cfg.caps, native)
    if not synth.predicts_length:
        second = [d for d in draws if needs_native_take(d.plan, native)]
    if second:
        requests = [d.request.at(d.plan.duration) for d in second]
        for d, speech in zip(second, synth.synthesize_many(requests), strict=True):
            d.spoken = trim_silence(speech, top_db)


def _fit_draws(
    episode: Episode,
    lines: Sequence[Line],
    draws: list[_Draw],
    synth: Synthesizer,
    pool: ThreadPoolExecutor | None = None,
) -> None:
    """The fit of every spoken take (see :func:`dubber.stages.fit.fit_take`), on ``pool``'s threads
    when given (takes are fitted independently)."""
    cfg = episode.config

    def fit(d: _Draw) -> None:
        line = lines[d.line]
        d.fitted = fit_take(
            d.natural,
            d.spoken,
            d.plan,
            start=line.start,
            room=line.plan.room,
            out_sr=cfg.mix_sr,
            match_pitch_to=None if synth.controls_pitch else line.plan.match_pitch_to,
        )

    for _ in pool.map(fit, draws) if pool is not None else map(fit, draws):
        pass


def _score(episode: Episode, line: Line, d: _Draw, scorer: LineScorer) -> tuple[float, dict[str, Any]]:
    voice = episode.project / line.plan.reference if line.plan.reference else None
    speech = Speech(audio=d.fitted.audio, sr=episode.config.mix_sr)
    return scorer.score(
        line.text, line.slot, speech, voice=voice, lang=episode.config.lang, video_span=line.conditions.video_span
    )


def _takes(d: _Draw) -> list[Take]:
    if d.natural_take is not None:
        natural = Take(pace="natural", duration=round(d.natural, 4), info=dict(d.natural_take.info))
    else:
        natural = Take(pace="natural", duration=round(d.natural, 4), info={"predicted": True})
    takes = [natural]
    if d.spoken is not d.natural_take:
        takes.append(
            Take(
                pace="fitted",
                duration=round(d.spoken.duration, 4),
                requested=round(d.plan.duration, 4),
                info=dict(d.spoken.info),
            )
        )
    return takes


def _finish(episode: Episode, line: Line, draws: list[_Draw], scorer: LineScorer | None) -> Line:
    """Write the kept take and the candidates; the line record with its takes, fit, candidates and score."""
    cfg = episode.config
    project, key = episode.project, line.plan.input_hash
    best = max(draws, key=lambda d: d.score) if len(draws) > 1 else draws[0]
    rel = f"lines/{key}.wav"
    write_wav(project / rel, best.fitted.audio, cfg.mix_sr, subtype="FLOAT")
    candidates: list[Candidate] = []
    score = None
    if len(draws) > 1:
        for k, d in enumerate(draws):
            audio = f"candidates/{key}-{k}.wav"
            write_wav(project / audio, d.fitted.audio, cfg.mix_sr, subtype="FLOAT")
            candidates.append(
                Candidate(
                    seed=d.params.seed,
                    round=d.params.round,
                    guidance=d.params.guidance,
                    score=d.score,
                    scores=d.details or {},
                    chosen=d is best,
                    passed=None if cfg.min_score is None else d.score >= cfg.min_score,
                    audio=audio,
                    fit=d.fitted.fit,
                )
            )
        score = LineScore(
            value=round(best.score, 4),
            scorer=scorer.name,
            passed=cfg.min_score is None or best.score >= cfg.min_score,
            rounds=1 + max(d.params.round for d in draws),
            details=best.details or {},
        )
    return dataclasses.replace(
        line,
        takes=_takes(best),
        fit=best.fitted.fit,
        audio=rel,
        candidates=candidates,
        score=score,
        status="done",
        error=None,
    )
