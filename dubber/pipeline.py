"""The ``Dubber`` façade: one episode, from video and target script to dubbed video.

``Dubber.run()`` is the list of stages (:mod:`dubber.stages`), each a function with explicit inputs
and outputs over the line record (:class:`evaluator.project.Line`):

    transcribe? -> open the episode -> script lines -> speakers -> read scenes -> translate?
    -> retrieve -> plan (reuse) -> render (batched takes, fit, candidates) -> mix and write

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
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from dubber.config import DubConfig
from dubber.scorers import DubScoreScorer, ProxyScorer
from dubber.stages.episode import Episode, open_episode, previous_manifest, script_lines, start_afresh
from dubber.stages.mix import measure_target, mix_and_write
from dubber.stages.plan import assign_voices, plan_lines, reuse_rendered
from dubber.stages.render import LineScorer, render_lines
from dubber.stages.retrieve import retrieve
from dubber.stages.scene import read_scenes
from dubber.stages.speakers import speaker_references
from dubber.stages.transcribe import refuse_untranscribed, transcribe_source, words_by_cue
from dubber.stages.translate import TARGET, TRANSLATION_DIR, translate
from dubber.stages.unchanged import previous_if_unchanged, run_key, stamp_run
from dubber.synth import Synthesizer, create_synthesizer
from dubber.synth.scripts import check_speakable
from evaluator.malloc import cap_arenas
from evaluator.project import Line, Manifest, Speaker, save_manifest
from evaluator.project.lock import ProjectLock

#: progress(stage, done, total) with stage in "transcribe:<part>", "scene", "translate", "render" (lines),
#: "mix" (seconds of the timeline)
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
    def translator(self) -> Any:
        from dubber.translate import create_translator

        return create_translator(self.config.translate, **self.config.translate_options)

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
        cap_arenas()  # the run's worker threads would otherwise each keep their own freed memory
        report = progress or (lambda stage, done, total: None)
        if cfg.translate is not None:
            _ = self.translator  # a missing table or model fails before any long work
        # the inputs are checked before the lock is taken (a mistake leaves nothing behind); a transcribed
        # episode's script does not exist yet, so it is opened after transcription, under the lock
        episode = open_episode(cfg, self.synth) if cfg.transcribe is None else None
        with ProjectLock(cfg.resolved_project()):  # held for the whole run: a second run is refused
            if cfg.rebuild:
                start_afresh(cfg)
            transcription = None
            if cfg.transcribe is not None:  # the source script from the episode's speech
                source, transcription = transcribe_source(
                    cfg,
                    cfg.resolved_project(),
                    progress=lambda part, done, total: report(f"transcribe:{part}", done, total),
                )
                target = None if cfg.translate is not None else source
                if target is not None:
                    refuse_untranscribed(source)
                cfg = dataclasses.replace(cfg, transcribe=None, source_script=source, script=target)
                episode = open_episode(cfg, self.synth)
            assert episode is not None
            # read under the lock: what the last run left, not what a run in progress was writing
            episode = dataclasses.replace(episode, previous=None if cfg.rebuild else previous_manifest(episode.project))
            return self._run(episode, transcription, report, t0)

    def _run(self, episode: Episode, transcription: dict[str, Any] | None, report: ProgressFn, t0: float) -> DubResult:
        cfg, synth = episode.config, self.synth
        key = run_key(episode, synth)
        unchanged = previous_if_unchanged(episode, key)
        if unchanged is not None:  # nothing changed since the last run: verified, nothing to do
            return DubResult(cfg.output, episode.project, unchanged, set(), time.perf_counter() - t0, unchanged.outputs)
        lines = script_lines(episode)
        if transcription is not None:
            words = words_by_cue(episode.project)
            lines = [dataclasses.replace(ln, source_words=words.get(ln.index, [])) for ln in lines]
        check_speakable(lines, cfg.lang, synth.name)
        if cfg.voices:  # refuse a bad voice before the episode is decoded
            synth.assign_voices(dict.fromkeys(ln.speaker for ln in lines), cfg.voices)
        # the speakers' references, the synthesizer's model and the original's dialogue loudness are made
        # while the scenes are read (decoding, Silero, Harvest, ONNX Runtime and the face detector leave
        # the GIL: they share the cores)
        with ThreadPoolExecutor(max_workers=2, thread_name_prefix="dubkit-prepare") as pool:
            references = pool.submit(speaker_references, episode, lines)
            loaded = pool.submit(synth.load)
            target = pool.submit(measure_target, episode, lines)  # the original's dialogue loudness
            if cfg.cot != "none":
                lines = read_scenes(episode, lines, cfg.cot, cfg.cot_options, progress=_counter(report, "scene", lines))
            speakers = references.result()
            loaded.result()
            loudness_target = target.result()
        if cfg.translate is not None:
            lines = translate(episode, lines, self.translator, progress=_counter(report, "translate", lines))
        if cfg.library is not None:
            lines = retrieve(
                episode,
                lines,
                cfg.library,
                k=cfg.library_k,
                same_speaker=cfg.same_speaker,
                voice_prompts=synth.clones_voice,
            )
        speakers = assign_voices(episode, lines, speakers, synth)
        lines = plan_lines(episode, lines, speakers, synth)
        lines, todo = reuse_rendered(episode, lines, cfg.force_lines)
        manifest = new_manifest(episode, synth, speakers, lines)
        if transcription is not None:
            manifest.inputs["transcription"] = transcription
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
        manifest.outputs, manifest.mix = mix_and_write(episode, manifest.lines, progress=mixed, target=loudness_target)
        remove_stale_files(episode.project, manifest.lines)
        made = [episode.project / TRANSLATION_DIR / TARGET] if cfg.translate is not None else []
        manifest.run = stamp_run(key, [*manifest.outputs.values(), *made])  # a hand edit of made files counts
        save_manifest(episode.project, manifest)
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
        script=str(cfg.script if cfg.script is not None else cfg.source_script),
        lang=cfg.lang,
        inputs={
            "video_sha256": episode.video_hash,
            "script_sha256": episode.script_hash,
            "source_script": str(cfg.source_script) if cfg.source_script else None,
            "background": str(cfg.background) if cfg.background else None,
            "library": str(cfg.library) if cfg.library else None,
            "video_duration": episode.duration,
            "translation": _translation_input(episode, lines),
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


def _translation_input(episode: Episode, lines: list[Line]) -> dict[str, Any] | None:
    """What made the target text, when the translate stage did: backend, model, prompt, the target script."""
    made = [ln.translation for ln in lines if ln.translation is not None]
    if not made:
        return None
    first = made[0]
    return {
        "backend": first.backend,
        "model": first.model,
        "prompt_version": first.prompt_version,
        "source_lang": first.source_lang,
        "target_lang": first.target_lang,
        "target_script": str(episode.project / TRANSLATION_DIR / TARGET),
        "edited_lines": [ln.index for ln in lines if ln.translation is not None and ln.translation.edited],
    }


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
