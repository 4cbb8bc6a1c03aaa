"""The transcription stage (when the episode comes without a source script): speech, speakers and word
timings of the episode, as the project's source script.

It runs before the episode is opened, once per episode: the transcript (``source/transcript.json``)
and the script made from it (``source/source.ass``: speakers in the ASS Name field) are kept in the
project with the key of what they were made from (the video's content, the backend and its options,
the language and the number of speakers). A re-run with the same key reads them back.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from dubber.config import DubConfig
from evaluator.fileio import file_sha256, stable_hash, write_text

log = logging.getLogger(__name__)

SOURCE_DIR = "source"
TRANSCRIPT = "transcript.json"
SOURCE_SCRIPT = "source.ass"
KEY_FILE = "transcript.key"


def transcription_key(config: DubConfig, video_hash: str) -> str:
    return stable_hash(
        {
            "video": video_hash,
            "backend": config.transcribe,
            "options": {k: str(v) for k, v in sorted(config.transcribe_options.items())},
            "lang": config.source_lang,
            "speakers": config.speakers,
        }
    )


def transcribe_source(
    config: DubConfig, project: Path, progress: Callable[[str, int, int], None] | None = None
) -> tuple[Path, dict[str, Any]]:
    """The project's source script made from the episode's speech, and the transcript's provenance
    (backend, models, language, diarization) for the manifest. Reused when nothing it depends on changed."""
    from dubber.transcribe import AUTO, TranscribeOptions, read_transcript_json, transcribe, write_transcript

    folder = project / SOURCE_DIR
    key = transcription_key(config, file_sha256(config.video))
    script, record = folder / SOURCE_SCRIPT, folder / TRANSCRIPT
    key_file = folder / KEY_FILE
    if key_file.is_file() and key_file.read_text(encoding="utf-8").strip() == key and script.is_file():
        log.info("transcription: reusing %s", record)
        transcript = read_transcript_json(record)
    else:
        options = TranscribeOptions(lang=config.source_lang or AUTO, num_speakers=config.speakers)
        transcript = transcribe(
            config.video, options, config.transcribe or "offline", progress=progress, **config.transcribe_options
        )
        write_transcript(transcript, record)
        write_transcript(transcript, script)
        write_text(key_file, key + "\n")
    provenance = {
        "backend": transcript.backend,
        "models": transcript.models.to_dict(),
        "lang": transcript.lang,
        "lang_detection": transcript.lang_detection,
        "diarization": dict(transcript.diarization),
        "transcript": str(record),
        "warnings": list(transcript.warnings),
    }
    return script, json.loads(json.dumps(provenance, default=str))


def refuse_untranscribed(script: Path) -> None:
    """Dubbing the transcript as it is: every cue needs its text (a language without ASR leaves none)."""
    from dubber.transcribe import UNTRANSCRIBED
    from evaluator.errors import ConfigError
    from evaluator.script import load_script

    blank = [c.name for c in load_script(script) if c.text == UNTRANSCRIBED]
    if blank:
        raise ConfigError(
            f"{script}: cue(s) {', '.join(blank[:20])} have no text (no speech recognition for the language)",
            hint="translate them (translate with a table of one translation per cue) or give a transcript",
        )


def words_by_cue(project: Path) -> dict[int, list[dict[str, Any]]]:
    """The word timings of each utterance of the project's transcript, by cue number (empty: none)."""
    from dubber.transcribe import read_transcript_json

    record = project / SOURCE_DIR / TRANSCRIPT
    if not record.is_file():
        return {}
    transcript = read_transcript_json(record)
    return {u.index: [dataclasses.asdict(w) for w in u.words] for u in transcript.utterances}
