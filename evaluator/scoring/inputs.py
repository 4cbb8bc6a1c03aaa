"""Turn ``dubkit score INPUT`` into score items.

INPUT is one of:

- a dubkit project directory (``manifest.json``): one clip item for the whole dub and one line item
  per manifest line (the fitted line audio, its text, its speaker's reference voice, the video span
  where it was placed, its fit record);
- a corpus directory (``corpus.jsonl``, :mod:`evaluator.corpus`) or its ``corpus.jsonl``: one clip item
  per row: the dub (or the original clip's audio), the original clip's audio as the voice (an original
  clip is its own voice), the clip's video, the text spoken and its language, and the fit record. The
  original audio is not given as ``reference``: a dub says other words in another language, so the
  same-words metrics (``mcd``, ...) are skipped with that reason;
- a CSV (header row) or JSONL list of clips with the columns/keys ``audio`` (required), and optional
  ``id``, ``reference``, ``voice``, ``video``, ``reference_video`` (the source footage, for full-reference
  video features), ``text``, ``lang``, ``start``, ``end``; relative paths
  are relative to the list file;
- a media file (audio, or video whose audio is the dub). With ``script``, each cue is also scored as a
  line item (that span of the audio, the cue's text; the same span of the reference when it covers it).

What ASR-based metrics (wer, cer, semantic_sim) transcribe: a dubbed video's audio is the MIX (dialogue
over music and effects), and a recogniser hears the music too (the demo's WER was 1.04 on the mix and
0.42 on the dialogue). When the media file is a dubkit output with a dialogue stem (the project's
manifest beside it, ``OUT.dubkit/manifest.json``, naming it as its video and giving its ``dub_wav``; or
``OUT.dub.wav`` beside ``OUT.mp4``; either only when its length is the video's within 0.5 s, the same
timeline), ASR transcribes that stem over the same span, and each value says
"transcribed the dialogue stem"; otherwise each value says the mix (or the file as given) was
transcribed. A project's clip transcribes its dialogue stem; its lines, their own audio.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import os
from pathlib import Path
from typing import Any

from evaluator.errors import ConfigError, MediaError
from evaluator.metrics.item import ScoreItem, Source

LIST_SUFFIXES = {".csv", ".jsonl"}


def _rel(base: Path, value: str | None) -> str | None:
    if value is None or str(value).strip() == "":
        return None
    p = Path(value)
    return str(p if p.is_absolute() else base / p)


def _in_project(project: Path, value: str | None) -> str | None:
    """A path the manifest records relative to the project directory (line audio, speaker references)."""
    if value is None or str(value).strip() == "":
        return None
    p = Path(value)
    return str(p if p.is_absolute() else project / p)


def _output(project: Path, value: str | None) -> str | None:
    """An output path from the manifest's ``outputs`` (absolute since `dubkit dub` writes them so).

    Relative to the project directory first, so a project moved to another machine or folder together
    with its outputs still finds them: a file of that name inside the project directory, then beside it
    (where `dubkit dub` writes them by default); else the recorded path itself. A relative value (older
    manifests) is taken relative to the project directory.
    """
    if value is None or str(value).strip() == "":
        return None
    p = Path(value)
    if not p.is_absolute():
        return str(project / p)
    for cand in (project / p.name, project.parent / p.name):
        if cand.is_file():
            return str(cand)
    return str(p)


def _existing(path: str | None, param: str) -> str | None:
    if path is not None and not Path(path).is_file():
        raise MediaError(f"{path}: no such file ({param})", hint="check the path", param=param)
    return path


def _has_video(path: str) -> bool:
    from evaluator.media import probe

    return probe(path).video is not None


def resolve_input(
    input_path: str | os.PathLike[str],
    *,
    reference: str | None = None,
    voice: str | None = None,
    text: str | None = None,
    script: str | None = None,
    lang: str | None = None,
) -> list[ScoreItem]:
    """Score items for INPUT (see the module docstring); clips first, then their lines."""
    p = Path(input_path)
    reference = _existing(reference, "reference")
    voice = _existing(voice, "voice")
    from evaluator.corpus import is_corpus

    if is_corpus(p):
        return _corpus_items(p)
    if p.is_dir():
        from evaluator.project import manifest_path

        if not manifest_path(p).is_file():
            raise ConfigError(
                f"{p}: a directory without manifest.json", hint="pass a dubkit project, a media file or a list"
            )
        return _project_items(p, reference=reference, voice=voice, lang=lang)
    if not p.is_file():
        raise MediaError(f"{p}: no such file or directory", hint="check the path")
    if p.suffix.lower() in LIST_SUFFIXES:
        return _list_items(p, lang=lang)
    return _media_items(p, reference=reference, voice=voice, text=text, script=script, lang=lang)


STEM_NOTE = "transcribed the dialogue stem"
MIX_NOTE = "transcribed the mix (no dialogue stem found beside the video)"
AS_GIVEN_NOTE = "transcribed the audio file as given (no dialogue stem found beside it)"
#: a dialogue stem whose length differs from the mix by more than this is not the same timeline
STEM_TOLERANCE_S = 0.5


def dialogue_stem(media: Path) -> Path | None:
    """The dialogue stem of a dubkit output ``media`` (see the module docstring), or None.

    The project's ``manifest.json`` is read as plain JSON for its ``outputs`` only (any schema version
    records them the same way); an unreadable one is passed over.
    """
    candidates = []
    project = media.with_suffix(".dubkit")
    try:
        outputs = json.loads((project / "manifest.json").read_text(encoding="utf-8")).get("outputs")
    except (OSError, ValueError, AttributeError):
        outputs = None
    outputs = outputs if isinstance(outputs, dict) else {}
    video, stem = outputs.get("video"), outputs.get("dub_wav")
    if (
        isinstance(video, str)
        and isinstance(stem, str)
        and Path(_output(project, video) or "").resolve() == media.resolve()
    ):
        candidates.append(Path(_output(project, stem) or ""))
    candidates.append(media.with_suffix(".dub.wav"))
    mix = _duration(str(media))
    for found in candidates:
        if not found.is_file() or found.resolve() == media.resolve():
            continue
        speech = _duration(str(found))
        if mix is None or speech is None or abs(mix - speech) <= STEM_TOLERANCE_S:
            return found
    return None


def _media_items(
    p: Path, *, reference: str | None, voice: str | None, text: str | None, script: str | None, lang: str | None
) -> list[ScoreItem]:
    video = Source.of_file(p) if _has_video(str(p)) else None
    stem = dialogue_stem(p)
    note = STEM_NOTE if stem is not None else (MIX_NOTE if video is not None else AS_GIVEN_NOTE)
    cues = []
    if script is not None:
        from evaluator.script import load_script

        cues = load_script(script)
        if text is None:
            text = " ".join(c.text for c in cues)
    clip = ScoreItem(
        id=p.stem,
        audio_src=Source.of_file(p),
        reference_src=Source.of_file(reference) if reference else None,
        voice_src=Source.of_file(voice) if voice else None,
        video=video,
        text=text,
        lang=lang,
        speech_src=Source.of_file(stem) if stem else None,
        speech_note=note,
    )
    items = [clip]
    ref_duration = _duration(reference) if reference else None
    for c in cues:
        ref_src = None
        if reference and ref_duration is not None and ref_duration >= c.end - 0.01:
            ref_src = Source.of_file(reference, c.start, c.end)
        items.append(
            ScoreItem(
                id=f"{p.stem}#{c.index}",
                audio_src=Source.of_file(p, c.start, c.end),
                reference_src=ref_src,
                voice_src=Source.of_file(voice) if voice else None,
                video=Source.of_file(p, c.start, c.end) if video else None,
                text=c.text,
                kind="line",
                parent=clip.id,
                lang=lang,
                speech_src=Source.of_file(stem, c.start, c.end) if stem else None,
                speech_note=note,
            )
        )
    return items


def _duration(path: str) -> float | None:
    from evaluator.media import probe

    return probe(path).duration


def _project_items(project: Path, *, reference: str | None, voice: str | None, lang: str | None) -> list[ScoreItem]:
    from evaluator.project import load_manifest

    m = load_manifest(project)
    outputs = {k: _output(project, v) for k, v in m.outputs.items() if isinstance(v, str)}
    dub_audio = outputs.get("dub_wav") or outputs.get("video")
    dub_video = outputs.get("video") if outputs.get("video") and Path(outputs["video"]).is_file() else None
    if dub_video is None and m.video and Path(m.video).is_file():
        dub_video = m.video  # the source video, as given to `dubkit dub` (same pictures, same timing)
    clip_id = project.name
    items: list[ScoreItem] = []
    has_stem = bool(outputs.get("dub_wav")) and dub_audio == outputs.get("dub_wav")
    if dub_audio and Path(dub_audio).is_file():
        items.append(
            ScoreItem(
                id=clip_id,
                audio_src=Source.of_file(dub_audio),
                reference_src=Source.of_file(reference) if reference else None,
                voice_src=Source.of_file(voice) if voice else None,
                video=Source.of_file(dub_video) if dub_video and _has_video(dub_video) else None,
                text=" ".join(line.text for line in m.lines),
                lang=lang or m.lang,
                speech_note=STEM_NOTE if has_stem else "transcribed the mix (the project's dialogue stem is missing)",
            )
        )
    for line in m.lines:
        audio = _in_project(project, line.audio)
        if audio is None or not Path(audio).is_file():
            continue  # not rendered (failed or pending): nothing to score
        speaker = m.speakers.get(line.speaker)
        spk_ref = _in_project(project, speaker.reference) if speaker and speaker.reference else None
        spk_ref = spk_ref if spk_ref and Path(spk_ref).is_file() else None
        start, end = (line.fit.placed_start, line.fit.placed_end) if line.fit else (line.start, line.end)
        items.append(
            ScoreItem(
                id=f"{clip_id}#{line.index}",
                audio_src=Source.of_file(audio),
                voice_src=Source.of_file(voice or spk_ref) if (voice or spk_ref) else None,
                video=Source.of_file(dub_video, start, end) if dub_video else None,
                text=line.text,
                fit=dataclasses.asdict(line.fit) if line.fit else None,
                kind="line",
                parent=clip_id if items and items[0].kind == "clip" else None,
                lang=line.lang or lang or m.lang,
            )
        )
    if not items:
        raise ConfigError(f"{project}: the project has no rendered audio to score", hint="run `dubkit dub` first")
    return items


def _corpus_items(path: Path) -> list[ScoreItem]:
    from evaluator.corpus import corpus_file, read_corpus

    base = corpus_file(path).parent
    items = []
    for row in read_corpus(path):
        where = f"corpus row {row.id}"
        audio = _existing(str(row.path(base, "audio")), where)
        video = row.path(base, "video")
        voice = row.path(base, "original_audio") if row.kind == "dubbed" else None
        voice = _existing(str(voice or audio), f"{where}, original audio")
        items.append(
            ScoreItem(
                id=row.id,
                audio_src=Source.of_file(audio),
                voice_src=Source.of_file(voice),
                video=Source.of_file(_existing(str(video), where)) if video else None,
                text=row.text,
                fit=dict(row.fit) if row.fit else None,
                lang=row.lang,
            )
        )
    if not items:
        raise ConfigError(f"{path}: the corpus has no rows yet", hint="run `dubkit corpus build` first")
    return items


def _read_rows(path: Path) -> list[dict[str, Any]]:
    if path.suffix.lower() == ".csv":
        with path.open(newline="", encoding="utf-8") as f:
            return list(csv.DictReader(f))
    rows = []
    for n, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if raw.strip():
            try:
                rows.append(json.loads(raw))
            except json.JSONDecodeError as exc:
                raise ConfigError(f"{path}:{n}: not valid JSON ({exc.msg})") from None
    return rows


def _list_items(path: Path, *, lang: str | None) -> list[ScoreItem]:
    base = path.parent
    items = []
    seen: set[str] = set()
    for n, row in enumerate(_read_rows(path), 1):
        audio = _rel(base, row.get("audio"))
        if audio is None:
            raise ConfigError(f"{path}: row {n} has no 'audio'", hint="every row needs an audio (or video) path")
        _existing(audio, f"{path} row {n}")
        start = float(row["start"]) if row.get("start") not in (None, "") else None
        end = float(row["end"]) if row.get("end") not in (None, "") else None
        item_id = str(row.get("id") or Path(audio).stem)
        if item_id in seen:
            raise ConfigError(f"{path}: row {n}: duplicate id {item_id!r}", hint="give each row a unique id")
        seen.add(item_id)
        ref, vo, video = (_existing(_rel(base, row.get(k)), f"{path} row {n}") for k in ("reference", "voice", "video"))
        if video is None and _has_video(audio):
            video = audio
        ref_video = _existing(_rel(base, row.get("reference_video")), f"{path} row {n}")
        items.append(
            ScoreItem(
                id=item_id,
                audio_src=Source.of_file(audio, start, end),
                reference_src=Source.of_file(ref) if ref else None,
                voice_src=Source.of_file(vo) if vo else None,
                video=Source.of_file(video, start, end) if video else None,
                reference_video=Source.of_file(ref_video, start, end) if ref_video else None,
                text=row.get("text") or None,
                lang=row.get("lang") or lang,
            )
        )
    if not items:
        raise ConfigError(f"{path}: the list is empty")
    return items
