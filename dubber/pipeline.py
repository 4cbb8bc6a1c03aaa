"""The ``Dubber`` façade: one episode, from video and target script to dubbed video.

``Dubber.run()`` is the list of stages (:mod:`dubber.stages`), each a function with explicit inputs
and outputs over the line record (:class:`evaluator.project.Line`):

    open the episode -> script lines -> speakers -> read scenes -> retrieve -> plan (reuse)
    -> render (batched takes, fit, candidates) -> mix and write

The façade holds the configuration and the loaded parts (synthesizer, candidate scorer); it keeps
no state between stages. The project's lock is held for the whole run. The manifest is saved after
every rendered chunk, so an interrupted run resumes, and a re-run renders only the lines whose inputs
changed.
"""

from __future__ import annotations

import dataclasses
import functools
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from dubber.config import DubConfig
from dubber.scorers import DubScoreScorer, ProxyScorer
from dubber.stages.episode import Episode, open_episode, previous_manifest, script_lines, start_afresh
from dubber.stages.mix import mix_and_write
from dubber.stages.plan import plan_lines, reuse_rendered
from dubber.stages.render import LineScorer, render_lines
from dubber.stages.retrieve import retrieve
from dubber.stages.scene import read_scenes
from dubber.stages.speakers import speaker_references
from dubber.synth import Synthesizer, create_synthesizer
from evaluator.project import Line, Manifest, Speaker, save_manifest
from evaluator.project.lock import ProjectLock

#: progress(stage, done, total) with stage in "scene", "render" (lines), "mix" (seconds of the timeline)
ProgressFn = Callable[[str, int, int], None]


@dataclass
class DubResult:
    output: Path
    project: Path
    manifest: Manifest
    rendered: set[int]
    elapsed: float
    outputs: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        fit = []
        for line in self.manifest.lines:
            f = line.fit
            if f is None:
                continue
            fit.append(
                {
                    "index": line.index,
                    "speaker": line.speaker,
                    "start": line.start,
                    "end": line.end,
                    "placed_start": f.placed_start,
                    "placed_end": f.placed_end,
                    "raw_duration": f.raw_duration,
                    "duration": f.duration,
                    "ratio": f.ratio,
                    "error_ms": f.error_ms,
                    "borrow_ms": f.borrow_ms,
                    "overrun_ms": f.overrun_ms,
                    "rendered": line.index in self.rendered,
                }
            )
        return {
            "output": str(self.output),
            "project": str(self.project),
            "lines": len(fit),
            "rendered": len(self.rendered),
            "overruns": [x["index"] for x in fit if x["overrun_ms"] > 0],
            "fit": fit,
            "synth": self.manifest.config.get("synth"),
            "mix": self.manifest.mix,
            "outputs": self.outputs,
            "elapsed_s": round(self.elapsed, 2),
        }


class Dubber:
    """Dubs one episode; ``synthesizer`` and ``scorer`` may be passed in (tests, a shared GPU model)."""

    def __init__(
        self, config: DubConfig, synthesizer: Synthesizer | None = None, scorer: LineScorer | None = None
    ) -> None:
        self.config = config
        if synthesizer is not None:
            self.__dict__["synth"] = synthesizer
        if scorer is not None:
            self.__dict__["scorer"] = scorer

    @cached_property
    def synth(self) -> Synthesizer:
        return create_synthesizer(self.config.synth, self.config.synth_options)

    @cached_property
    def scorer(self) -> LineScorer | None:
        cfg = self.config
        if cfg.candidates <= 1:
            return None
        if cfg.dubscore_model is not None:
            return DubScoreScorer(cfg.dubscore_model, cache_dir=cfg.resolved_project() / "features")
        return ProxyScorer()

    def run(self, progress: ProgressFn | None = None) -> DubResult:
        t0 = time.perf_counter()
        cfg = self.config
        episode = open_episode(cfg, self.synth)
        with ProjectLock(episode.project):  # held for the whole run: a second run is refused
            if cfg.rebuild:
                start_afresh(episode)
            # read under the lock: what the last run left, not what a run in progress was writing
            episode = dataclasses.replace(episode, previous=None if cfg.rebuild else previous_manifest(episode.project))
            return self._run(episode, progress, t0)

    def _run(self, episode: Episode, progress: ProgressFn | None, t0: float) -> DubResult:
        cfg, synth = self.config, self.synth
        report = progress or (lambda stage, done, total: None)
        lines = script_lines(episode)
        speakers = speaker_references(episode, lines)
        if cfg.cot != "none":
            lines = read_scenes(episode, lines, cfg.cot, cfg.cot_options, progress=_counter(report, "scene", lines))
        if cfg.library is not None:
            lines = retrieve(
                episode,
                lines,
                cfg.library,
                k=cfg.library_k,
                same_speaker=cfg.same_speaker,
                voice_prompts=synth.clones_voice,
            )
        lines = plan_lines(episode, lines, speakers, synth)
        lines, todo = reuse_rendered(episode, lines, cfg.force_lines)
        manifest = new_manifest(episode, synth, speakers, lines)
        save_manifest(episode.project, manifest)
        position = {lines[i].index: i for i in todo}
        rendered: set[int] = set()

        def done(chunk: list[Line]) -> None:
            for line in chunk:
                manifest.lines[position[line.index]] = line
                rendered.add(line.index)
            save_manifest(episode.project, manifest)  # progress survives an interruption
            report("render", len(rendered), len(todo))

        chunk = max(cfg.chunk, int(getattr(synth, "batch", 1)))
        render_lines(episode, [lines[i] for i in todo], synth, scorer=self.scorer, chunk=chunk, on_done=done)
        mixed = functools.partial(report, "mix")  # seconds of the timeline mixed
        manifest.outputs, manifest.mix = mix_and_write(episode, manifest.lines, progress=mixed)
        save_manifest(episode.project, manifest)
        remove_stale_files(episode.project, manifest.lines)
        return DubResult(
            output=cfg.output,
            project=episode.project,
            manifest=manifest,
            rendered=rendered,
            elapsed=time.perf_counter() - t0,
            outputs=manifest.outputs,
        )


def new_manifest(episode: Episode, synth: Synthesizer, speakers: dict[str, Speaker], lines: list[Line]) -> Manifest:
    """The run's manifest: its inputs, configuration, speakers and line records."""
    cfg = episode.config
    return Manifest(
        video=str(cfg.video),
        script=str(cfg.script),
        lang=cfg.lang,
        inputs={
            "video_sha256": episode.video_hash,
            "script_sha256": episode.script_hash,
            "source_script": str(cfg.source_script) if cfg.source_script else None,
            "background": str(cfg.background) if cfg.background else None,
            "library": str(cfg.library) if cfg.library else None,
            "video_duration": episode.duration,
        },
        config={
            **cfg.line_params(),
            "synth": synth.describe(),
            "seed": cfg.seed,
            "duck_db": cfg.duck_db,
            "candidates": cfg.candidates,
            "cot": {"backend": cfg.cot, **{k: str(v) for k, v in cfg.cot_options.items()}},
        },
        speakers=speakers,
        lines=list(lines),
    )


def remove_stale_files(project: Path, lines: Sequence[Line]) -> None:
    """Delete line and candidate audio no line record names (left by edited or re-rendered lines)."""
    keep = {ln.audio for ln in lines} | {c.audio for ln in lines for c in ln.candidates}
    for folder in ("lines", "candidates"):
        for path in (project / folder).glob("*.wav"):
            if f"{folder}/{path.name}" not in keep:
                path.unlink(missing_ok=True)


def _counter(report: ProgressFn, stage: str, items: Sequence[Any]) -> Callable[[], None]:
    count = iter(range(1, len(items) + 1))
    return lambda: report(stage, next(count), len(items))
