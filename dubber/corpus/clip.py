"""One corpus clip from one utterance: :func:`build_clip`, a function of its inputs that writes one clip.

For a dubbed clip: probe the clip files (:mod:`dubber.corpus.media`), translate the line with its scene
neighbours as context (:func:`dubber.translate.translate_line`), speak it at the synthesizer's natural
pace with the utterance's own sound as the voice reference (cloning synthesizers; its transcript is the
source text), trim it, fit it onto the clip's length (``spec.fit``: the global stretch or the duration
ladder, :mod:`dubber.stages.fit`), write the dub as a WAV and mux it under the clip's picture (stream
copy) when there is one. An original clip is probed and described. Every file is written atomically;
the returned :class:`~evaluator.corpus.CorpusRow` is what the driver appends. A clip that cannot be made
raises :class:`~dubber.corpus.task.ClipSkipped` with the reason.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

from dubber.corpus.media import ClipMedia, clip_media
from dubber.corpus.spec import CorpusSpec
from dubber.corpus.task import ClipSkipped, ClipTask
from dubber.stages.fit import FittedTake, fit_global, fit_take, needs_native_take, plan_take, trim_silence
from dubber.synth.base import Speech, Synthesizer, SynthRequest, VoiceReference
from dubber.translate import SourceLine, Translation, TranslationJob, Translator, translate_line
from evaluator.corpus import CorpusRow
from evaluator.datasets import DatasetUtterance
from evaluator.fileio import stable_hash
from evaluator.media import mux, write_wav

MEDIA_DIR = "media"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def media_stem(row_id: str) -> str:
    """The corpus-relative path (without suffix) of a clip's files: ``media/dev/dia1_utt4``. An id with
    characters unsafe in a file name has them replaced and a hash of the id appended (two ids never share
    a file).

    >>> media_stem("22/Scene_1/3a"), media_stem("x/a b")
    ('media/22/Scene_1/3a', 'media/x/a_b-a8d3e684')
    """
    parts = [_UNSAFE.sub("_", p) for p in row_id.split("/") if p]
    parts = [p if p.strip(".") else p.replace(".", "_") for p in parts]  # no "." or ".." parts
    if "/".join(parts) != row_id:
        parts[-1] += "-" + stable_hash(row_id)[:8]
    return "/".join([MEDIA_DIR, *parts])


def source_line(u: DatasetUtterance) -> SourceLine:
    """An utterance as the translator reads it: text, times, speaker, the dataset's emotion label."""
    return SourceLine(id=u.id, text=u.text, start=u.start, end=u.end, speaker=u.speaker, emotion=u.emotion)


def build_clip(
    task: ClipTask,
    corpus_dir: str | Path,
    spec: CorpusSpec,
    *,
    translator: Translator | None = None,
    job: TranslationJob | None = None,
    synth: Synthesizer | None = None,
) -> CorpusRow:
    """Make the clip of ``task`` under ``corpus_dir`` and return its row (see the module docstring).

    ``translator``, ``job`` and ``synth`` are needed for dubbed clips only (a worker builds them once)."""
    u = task.utterance
    media = clip_media(u)
    if task.kind == "original":
        return original_row(task, media)
    if translator is None or job is None or synth is None:
        raise ValueError("a dubbed clip needs a translator, a translation job and a synthesizer")
    translation = translate(task, translator, job)
    seed = spec.clip_seed(u.id)
    voice = VoiceReference(path=media.audio, transcript=u.text) if synth.clones_voice else None
    request = SynthRequest(translation.target or "", spec.target_lang, seed, None, voice)
    natural = trim_silence(synth.synthesize(request), spec.trim_top_db)
    fitted = fit(natural, media, spec, synth, request)
    stem = media_stem(task.row_id)
    root = Path(corpus_dir)
    audio = f"{stem}.wav"
    write_wav(root / audio, fitted.audio, spec.sr)
    video = None
    if media.video is not None:
        video = f"{stem}.mp4"
        mux(media.video, [root / audio], root / video, languages=[spec.target_lang])
    return CorpusRow(
        id=task.row_id,
        kind="dubbed",
        dataset=u.dataset,
        utterance=u.to_dict(),
        source_text=u.text,
        source_lang=u.lang,
        target_text=translation.target,
        target_lang=spec.target_lang,
        speaker=u.speaker,
        emotion=u.emotion,
        audio=audio,
        video=video,
        original_audio=str(media.audio),
        original_video=str(media.video) if media.video else None,
        clip_duration=round(media.duration, 4),
        duration=fitted.fit.duration,
        translation=translation.to_dict(),
        synthesizer=synth.describe(),
        seed=seed,
        fit={**spec.fit_record(), "slot": round(media.duration, 4), "slot_of": media.duration_of,
             **dataclasses.asdict(fitted.fit)},
    )  # fmt: skip


def translate(task: ClipTask, translator: Translator, job: TranslationJob) -> Translation:
    """The utterance's translation, with its scene neighbours as dialogue context; skipped when there is none."""
    t = translate_line(
        source_line(task.utterance),
        translator,
        job,
        before=[source_line(x) for x in task.before],
        after=[source_line(x) for x in task.after],
    )
    if not t.ok or not (t.target or "").strip():
        raise ClipSkipped(f"no translation: {t.error or 'the translator returned an empty line'}")
    return t


def fit(natural: Speech, media: ClipMedia, spec: CorpusSpec, synth: Synthesizer, request: SynthRequest) -> FittedTake:
    """The take fitted onto the clip's length by ``spec.fit`` (see :mod:`dubber.corpus.spec`)."""
    slot = media.duration
    if natural.duration <= 0:
        raise ClipSkipped("the synthesizer produced no speech")
    if spec.fit == "global":
        factor = slot / natural.duration
        if not spec.cap_global and not 1 / spec.max_global_factor <= factor <= spec.max_global_factor:
            raise ClipSkipped(
                f"the take lasts {natural.duration:.2f} s: fitting it onto the {slot:.2f} s clip needs a "
                f"x{factor:.2f} stretch, beyond max_global_factor {spec.max_global_factor:g} (a mis-cut clip?)"
            )
        return fit_global(natural, slot, out_sr=spec.sr, caps=spec.caps if spec.cap_global else None)
    plan = plan_take(natural.duration, slot, 0.0, spec.caps, synth.controls_length)
    spoken = natural
    if needs_native_take(plan, synth.controls_length):
        spoken = trim_silence(synth.synthesize(request.at(plan.duration)), spec.trim_top_db)
    return fit_take(natural.duration, spoken, plan, start=0.0, room=0.0, out_sr=spec.sr)


def original_row(task: ClipTask, media: ClipMedia) -> CorpusRow:
    """The row of an original clip: the dataset's files as they are (its sound is its own voice)."""
    u = task.utterance
    return CorpusRow(
        id=task.row_id,
        kind="original",
        dataset=u.dataset,
        utterance=u.to_dict(),
        source_text=u.text,
        source_lang=u.lang,
        speaker=u.speaker,
        emotion=u.emotion,
        audio=str(media.audio),
        video=str(media.video) if media.video else None,
        original_audio=str(media.audio),
        original_video=str(media.video) if media.video else None,
        clip_duration=round(media.duration, 4),
        duration=round(media.audio_duration, 4),
    )


def describe_backends(translator: Translator, synth: Synthesizer) -> dict[str, Any]:
    """What the rows of one build share: translator and synthesizer identities (the build's config key)."""
    return {
        "translator": {
            "backend": translator.name,
            "model": translator.model_id,
            "prompt_version": translator.prompt_version,
        },
        "synthesizer": synth.describe(),
    }
