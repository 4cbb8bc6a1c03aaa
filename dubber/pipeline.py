"""The ``Dubber`` façade: one episode, from video and target script to dubbed video.

``Dubber.run()`` lists the stages in order: check inputs, read the script, load the original
audio, pick speaker references, render each line (reusing unchanged ones), mix, mux, write
outputs. The project manifest is saved after every line, so an interrupted run resumes.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from dubber import annotate
from dubber.annotate import match_source_text
from dubber.config import DubConfig
from dubber.fitting import borrow_room
from dubber.outputs import mix_and_write
from dubber.render import RenderedLine, render_line
from dubber.speakers import pick_reference
from dubber.synth import SYNTHESIZERS, Speech, Synthesizer, VoiceReference
from evaluator.errors import ConfigError, MediaError, OutputError
from evaluator.fileio import file_sha256, stable_hash
from evaluator.manifest import MANIFEST_NAME, Candidate, Line, Manifest, Speaker, load_manifest, save_manifest
from evaluator.media import load_audio, probe, write_wav
from evaluator.media.mux import _AUDIO_CODECS
from evaluator.script import Cue, load_script

log = logging.getLogger(__name__)

#: progress(stage, done, total) with stage in "scene", "retrieval", "render"
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
        overruns = [x["index"] for x in fit if x["overrun_ms"] > 0]
        return {
            "output": str(self.output),
            "project": str(self.project),
            "lines": len(fit),
            "rendered": len(self.rendered),
            "overruns": overruns,
            "fit": fit,
            "synth": self.manifest.config.get("synth"),
            "mix": self.manifest.mix,
            "outputs": self.outputs,
            "elapsed_s": round(self.elapsed, 2),
        }


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_") or "speaker"


class Dubber:
    """Dubs one episode. ``synthesizer`` may be passed in (tests, the generate-score loop)."""

    def __init__(self, config: DubConfig, synthesizer: Synthesizer | None = None) -> None:
        self.config = config
        self._synth = synthesizer
        self._metrics: dict[str, Any] = {}  # evaluator metrics shared by the candidate scorers
        self._conditioned = False  # the synthesizer has a trained control branch (reads conditions)

    @property
    def synth(self) -> Synthesizer:
        if self._synth is None:
            self._synth = SYNTHESIZERS.get(self.config.synth)(**self.config.synth_options)
        return self._synth

    # -- stages ---------------------------------------------------------------------------------
    def check_inputs(self) -> tuple[Any, list[Cue]]:
        cfg = self.config
        info = probe(cfg.video)
        if info.video is None:
            raise MediaError(f"{cfg.video}: has no video stream", hint="dubkit dubs video files")
        out = cfg.output
        if out.suffix.lower() not in _AUDIO_CODECS:
            raise OutputError(
                f"{out}: unsupported output container '{out.suffix}'",
                hint=f"use one of {', '.join(sorted(_AUDIO_CODECS))}",
            )
        if out.resolve() == cfg.video.resolve():
            raise OutputError(f"{out}: the output would overwrite the input video", hint="choose another -o path")
        _check_writable(out.parent)
        _check_writable(cfg.resolved_project().parent)
        if cfg.background is not None and probe(cfg.background).audio is None:
            raise MediaError(f"{cfg.background}: has no audio stream to use as background")
        cues = load_script(cfg.script, info.duration)
        if not self.synth.supports(cfg.lang):
            raise ConfigError(
                f"the {self.synth.name} synthesizer cannot speak '{cfg.lang}'",
                hint="pass --lang with a language it speaks, or choose another --synth",
            )
        return info, cues

    def open_manifest(self, project: Path) -> Manifest | None:
        if (project / MANIFEST_NAME).is_file():
            return load_manifest(project)
        return None

    def speaker_references(
        self,
        project: Path,
        cues: list[Cue],
        original: np.ndarray | None,
        sr: int,
        video_hash: str,
        previous: Manifest | None,
        source_text: dict[int, str],
    ) -> dict[str, Speaker]:
        speakers: dict[str, Speaker] = {}
        for name in sorted({c.speaker for c in cues}):
            own = [c for c in cues if c.speaker == name]
            key = stable_hash(
                {
                    "video": video_hash,
                    "cues": [(c.start, c.end) for c in own],
                    "source": [source_text.get(c.index) for c in own],
                }
            )
            old = previous.speakers.get(name) if previous else None
            if old is not None and old.input_hash == key and (not old.reference or (project / old.reference).is_file()):
                speakers[name] = old
                continue
            clip = pick_reference(original, sr, cues, name) if original is not None else None
            if clip is None:
                speakers[name] = Speaker(name=name, input_hash=key, note="no speech found in the original audio")
                continue
            rel = f"speakers/{_slug(name)}.wav"
            write_wav(project / rel, clip.audio, clip.sr)
            speakers[name] = Speaker(
                name=name,
                reference=rel,
                reference_duration=round(clip.duration, 3),
                reference_segments=[list(s) for s in clip.segments],
                median_f0=round(clip.median_f0, 2) if clip.median_f0 else None,
                input_hash=key,
                note=clip.note,
                reference_transcript=_transcript(clip.cues, source_text),
            )
        return speakers

    def run(self, progress: ProgressFn | None = None) -> DubResult:
        t0 = time.perf_counter()
        cfg = self.config
        info, cues = self.check_inputs()
        source_text: dict[int, str] = {}
        if cfg.source_script is not None:
            source_text = match_source_text(cues, load_script(cfg.source_script, info.duration))
        project = cfg.resolved_project()
        project.mkdir(parents=True, exist_ok=True)
        previous = self.open_manifest(project)
        video_hash = file_sha256(cfg.video)
        sr = cfg.mix_sr
        report = progress or (lambda stage, done, total: None)

        original = None
        if info.audio is not None:
            original = load_audio(cfg.video, sr, mono=False)
        mono = original.mean(axis=1) if original is not None else None
        speakers = self.speaker_references(project, cues, mono, sr, video_hash, previous, source_text)
        ordered = sorted(cues, key=lambda c: (c.start, c.index))

        readings: dict[int, tuple[str, dict[str, Any]]] = {}
        if cfg.cot != "none":
            done = iter(range(1, len(ordered) + 1))
            readings = annotate.scene_readings(
                cfg.video,
                video_hash,
                ordered,
                cfg.cot,
                cfg.cot_options,
                previous,
                progress=lambda: report("scene", next(done), len(ordered)),
            )
        retrieved: dict[int, tuple[str, dict[str, Any]]] = {}
        if cfg.library is not None:
            retrieved = annotate.retrievals(
                cfg.library,
                cfg.video,
                video_hash,
                ordered,
                source_text,
                k=cfg.library_k,
                same_speaker=cfg.same_speaker,
                voice_prompts=self.synth.clones_voice,
                previous=previous,
            )

        manifest = Manifest(
            video=str(cfg.video),
            script=str(cfg.script),
            lang=cfg.lang,
            inputs={
                "video_sha256": video_hash,
                "script_sha256": file_sha256(cfg.script),
                "source_script": str(cfg.source_script) if cfg.source_script else None,
                "background": str(cfg.background) if cfg.background else None,
                "library": str(cfg.library) if cfg.library else None,
                "video_duration": info.duration,
            },
            config={
                **cfg.line_params(),
                "synth": self.synth.describe(),
                "seed": cfg.seed,
                "duck_db": cfg.duck_db,
                "cot": {"backend": cfg.cot, **{k: str(v) for k, v in cfg.cot_options.items()}},
            },
            speakers=speakers,
        )
        reusable = {ln.input_hash: ln for ln in (previous.lines if previous else []) if ln.status == "done"}
        starts = [c.start for c in ordered]
        ends = [c.end for c in ordered]
        rendered: set[int] = set()
        self._conditioned = bool(getattr(self.synth, "control_path", None))
        work = []
        for i, cue in enumerate(ordered):
            room = borrow_room(starts, ends, i, cfg.caps.max_borrow, media_end=info.duration)
            notes = _Annotations(source_text.get(cue.index), readings.get(cue.index), retrieved.get(cue.index))
            work.append((cue, notes, self._plan(project, cue, room, speakers.get(cue.speaker), notes)))
        self._prefetch([(c, p) for c, _, p in work if self._reusable(project, c, p, reusable) is None])
        for i, (cue, notes, plan) in enumerate(work):
            line, did_render = self._line(project, cue, plan, speakers.get(cue.speaker), reusable, notes)
            manifest.lines.append(line)
            if did_render:
                rendered.add(cue.index)
            save_manifest(project, manifest)  # progress survives an interruption
            report("render", i + 1, len(ordered))

        outputs = mix_and_write(cfg, project, manifest, info, original)
        manifest.outputs = outputs
        save_manifest(project, manifest)
        _remove_stale_lines(project, manifest)
        return DubResult(
            output=cfg.output,
            project=project,
            manifest=manifest,
            rendered=rendered,
            elapsed=time.perf_counter() - t0,
            outputs=outputs,
        )

    def _voice(self, project: Path, speaker: Speaker | None, notes: _Annotations) -> VoiceReference | None:
        """The voice prompt of a line: the emotion-matched library clip when there is one, else the
        speaker's reference from the original audio."""
        prompt = notes.retrieved[1].get("prompt") if notes.retrieved else None
        if prompt and self.synth.clones_voice:
            from retrieval.prompts import VoicePrompt

            dest = project / "prompts" / f"{stable_hash(prompt)}.wav"
            if not dest.is_file():
                VoicePrompt(**{**prompt, "modalities": tuple(prompt.get("modalities", ()))}).write_wav(dest)
            return VoiceReference(path=dest, transcript=prompt.get("text") or None)
        if speaker is not None and speaker.reference:
            return VoiceReference(
                path=project / speaker.reference, transcript=speaker.reference_transcript, median_f0=speaker.median_f0
            )
        return None

    def _plan(self, project: Path, cue: Cue, room: float, speaker: Speaker | None, notes: _Annotations) -> _LinePlan:
        """Everything a line's audio depends on, and its input hash (the reuse key)."""
        cfg = self.config
        synth = self.synth
        reference = self._voice(project, speaker, notes)
        style: dict[str, Any] = {}
        if notes.reading is not None:
            from dubber.scene import SceneReading, style_from_reading

            style = style_from_reading(SceneReading.from_dict(notes.reading[1]))
        uses_reference = synth.clones_voice or cfg.match_pitch
        seed = cfg.seed + cue.index
        annotation_keys = {
            k: v[0] for k, v in (("scene_reading", notes.reading), ("retrieved", notes.retrieved)) if v is not None
        }
        key = stable_hash(
            {
                "text": cue.text,
                "lang": cfg.lang,
                "slot": round(cue.duration, 4),
                "room": round(room, 4),
                "start": round(cue.start, 4),
                "params": cfg.line_params(),
                "model": synth.model_id,
                "seed": seed,
                "style": style,
                "candidates": {"n": cfg.candidates, "min_score": cfg.min_score} if cfg.candidates > 1 else None,
                "reference": [str(reference.path.name), reference.transcript]
                if (reference and uses_reference)
                else None,
                "speaker": speaker.input_hash if (speaker and uses_reference) else None,
                # a trained control branch reads the readings and the retrieved footage
                "conditions": annotation_keys if self._conditioned else None,
            }
        )
        # conditions for backends that take them (f5's control branch): the whole scene reading, the
        # line's span of the video (visual features), and the retrieved footage (emotion graph)
        synth_style: dict[str, Any] = {**style, "video_span": (str(cfg.video), cue.start, cue.end)}
        if notes.reading:
            synth_style["scene_reading"] = notes.reading[1]
        if notes.retrieved:
            synth_style["retrieved"] = notes.retrieved[1]["retrieved"]
        match_to = None
        if cfg.match_pitch and not synth.clones_voice and speaker is not None:
            match_to = speaker.median_f0
        return _LinePlan(
            key=key,
            room=room,
            seed=seed,
            style=style,
            synth_style=synth_style,
            reference=reference,
            match_to=match_to,
            annotation_keys=annotation_keys,
        )

    def _prefetch(self, jobs: list[tuple[Cue, _LinePlan]]) -> None:
        """Batch the synthesis of the lines to render, for backends that batch (f5 on a GPU)."""
        if not jobs or not hasattr(self.synth, "synthesize_many") or self.config.candidates > 1:
            return
        from dubber.batch_render import LineJob, PrefetchingSynthesizer

        if not isinstance(self._synth, PrefetchingSynthesizer):
            self._synth = PrefetchingSynthesizer(self.synth)
        cfg = self.config
        self._synth.prefetch(
            [
                LineJob(
                    cue.text,
                    cfg.lang,
                    cue.duration,
                    plan.room,
                    plan.reference if self.synth.clones_voice else None,
                    plan.seed,
                    plan.synth_style,
                )
                for cue, plan in jobs
            ],
            cfg.caps,
            cfg.trim_top_db,
        )

    def _line(
        self,
        project: Path,
        cue: Cue,
        plan: _LinePlan,
        speaker: Speaker | None,
        reusable: dict[str | None, Line],
        notes: _Annotations,
    ) -> tuple[Line, bool]:
        cfg = self.config
        synth = self.synth
        key, reference = plan.key, plan.reference
        annotation_keys = plan.annotation_keys
        old = self._reusable(project, cue, plan, reusable)
        if old is not None:
            # the audio is unchanged; annotations that do not affect it (e.g. retrieval for a
            # non-cloning voice) may have been added since
            old.index = cue.index
            old.source_text = notes.source_text
            old.scene_reading = notes.reading[1] if notes.reading else None
            old.retrieved = notes.retrieved[1]["retrieved"] if notes.retrieved else None
            old.annotation_keys = annotation_keys or None
            return old, False
        rendered, candidates, scores = self._render(
            project,
            cue,
            key,
            plan.room,
            plan.seed,
            plan.synth_style,
            reference if synth.clones_voice else None,
            plan.match_to,
            speaker,
        )
        rel = f"lines/{key}.wav"
        write_wav(project / rel, rendered.audio, cfg.mix_sr, subtype="FLOAT")
        params = _jsonable(rendered.info)
        if plan.style:
            params["style"] = plan.style
        if notes.retrieved and notes.retrieved[1].get("prompt"):
            params["voice_prompt"] = notes.retrieved[1]["prompt"]
        line = Line(
            candidates=candidates,
            scores=scores,
            index=cue.index,
            start=cue.start,
            end=cue.end,
            text=cue.text,
            speaker=cue.speaker,
            lang=cfg.lang,
            source_text=notes.source_text,
            input_hash=key,
            synth=synth.describe(),
            params=params,
            seed=plan.seed,
            audio=rel,
            fit=rendered.fit,
            reference=str(reference.path.relative_to(project)) if reference else None,
            scene_reading=notes.reading[1] if notes.reading else None,
            retrieved=notes.retrieved[1]["retrieved"] if notes.retrieved else None,
            annotation_keys=annotation_keys or None,
            status="done",
        )
        return line, True

    def _reusable(self, project: Path, cue: Cue, plan: _LinePlan, reusable: dict[str | None, Line]) -> Line | None:
        old = reusable.get(plan.key)
        if old is None or cue.index in self.config.force_lines or not old.audio:
            return None
        return old if (project / old.audio).is_file() else None

    def _render(
        self,
        project: Path,
        cue: Cue,
        key: str,
        room: float,
        seed: int,
        style: dict[str, Any],
        reference: VoiceReference | None,
        match_to: float | None,
        speaker: Speaker | None,
    ) -> tuple[RenderedLine, list[Candidate] | None, dict[str, Any] | None]:
        """Render a line once, or (``--candidates N``) draw N candidates, score each and keep the best."""
        cfg = self.config

        def draw(draw_seed: int, draw_style: dict[str, Any]) -> RenderedLine:
            return render_line(
                self.synth,
                cue.text,
                cfg.lang,
                start=cue.start,
                slot=cue.duration,
                room=room,
                caps=cfg.caps,
                out_sr=cfg.mix_sr,
                reference=reference,
                match_pitch_to=match_to,
                seed=draw_seed,
                style=draw_style,
                trim_top_db=cfg.trim_top_db,
            )

        if cfg.candidates <= 1:
            return draw(seed, style), None, None
        from dubber.candidates import ProxyScorer, generate_and_score

        drawn: dict[int, RenderedLine] = {}

        def generate(p: Any) -> Speech:
            r = draw(p.seed, {**style, "guidance": p.guidance} if p.guidance else style)
            drawn[p.seed] = r
            return Speech(audio=r.audio, sr=cfg.mix_sr, info={"seed": p.seed})

        def save(k: int, d: Any) -> str:
            rel = f"candidates/{key}-{k}.wav"
            write_wav(project / rel, d.speech.audio, cfg.mix_sr, subtype="FLOAT")
            return rel

        voice = project / speaker.reference if speaker is not None and speaker.reference else None
        if cfg.dubscore_model is not None:
            from dubber.candidates import DubScoreScorer

            scorer: Any = DubScoreScorer(
                cfg.dubscore_model,
                cue.text,
                video_span=(str(cfg.video), cue.start, cue.end),
                reference=voice,
                lang=cfg.lang,
                cache_dir=project / "features",
            )
        else:
            scorer = ProxyScorer(cue.text, cue.duration, reference=voice, lang=cfg.lang, metrics=self._metrics)
        result = generate_and_score(
            generate,
            scorer,
            n=cfg.candidates,
            base_seed=seed,
            guidance=self.synth_guidance(),
            min_score=cfg.min_score,
            save=save,
        )
        best = drawn[result.best.params.seed]
        scores = {
            "candidate_score": round(result.best.score, 4),
            "scorer": f"dubscore:{Path(cfg.dubscore_model).name}" if cfg.dubscore_model else "proxy-v1",
            "passed": result.passed,
            "rounds": result.rounds,
            **_jsonable_tree(result.best.details),
        }
        return best, result.candidates, scores

    def synth_guidance(self) -> list[dict[str, float]]:
        """Guidance settings the candidates cycle through (F5: the text CFG scale; others: none)."""
        if self.synth.name == "f5":
            base = float(self.config.synth_options.get("cfg_strength", 2.0))
            return [{"text": base}, {"text": base + 0.5}, {"text": max(0.5, base - 0.5)}]
        return [{}]


@dataclass(frozen=True)
class _Annotations:
    """What is known about a line before rendering (each with its cache key)."""

    source_text: str | None
    reading: tuple[str, dict[str, Any]] | None
    retrieved: tuple[str, dict[str, Any]] | None


@dataclass(frozen=True)
class _LinePlan:
    """How a line will be rendered, and the hash of all it depends on."""

    key: str
    room: float
    seed: int
    style: dict[str, Any]  # the scene reading's style (recorded in the manifest)
    synth_style: dict[str, Any]  # style plus conditions, as passed to the synthesizer
    reference: VoiceReference | None
    match_to: float | None
    annotation_keys: dict[str, str]


def _transcript(cue_indices: list[int], source_text: dict[int, str]) -> str | None:
    """The reference clip's transcript when every cue it is made of has source text."""
    if cue_indices and all(i in source_text for i in cue_indices):
        return " ".join(source_text[i] for i in cue_indices)
    return None


def _jsonable_tree(value: Any) -> Any:
    """Nested scores as plain JSON values (numpy scalars to floats)."""
    if isinstance(value, dict):
        return {str(k): _jsonable_tree(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable_tree(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def _jsonable(info: dict[str, Any]) -> dict[str, Any]:
    return {
        k: (float(v) if isinstance(v, (np.floating, float)) else v)
        for k, v in info.items()
        if isinstance(v, (int, float, str, bool, np.floating))
    }


def _check_writable(directory: Path) -> None:
    d = directory.resolve()
    while not d.exists():
        d = d.parent
    if not d.is_dir():
        raise OutputError(f"{directory}: cannot create it, {d} is a file", hint="choose another output path")
    if not os.access(d, os.W_OK):
        raise OutputError(f"{directory}: not writable", hint="choose an output path in a writable directory")


def _remove_stale_lines(project: Path, manifest: Manifest) -> None:
    keep = {ln.audio for ln in manifest.lines}
    for path in (project / "lines").glob("*.wav"):
        if f"lines/{path.name}" not in keep:
            path.unlink(missing_ok=True)
