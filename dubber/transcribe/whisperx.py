"""``whisperx``: whisperx's own command, run in its own environment, its JSON output read back.

whisperx 3.8.6 pins torch~=2.8 (a CUDA build), torchaudio~=2.8, torchvision~=0.23, huggingface-hub<1
and pulls transformers 4.x and pyannote-audio 4; dubkit runs torch 2.13, transformers 5 and
huggingface-hub 1.x, so whisperx cannot be imported beside dubkit. It installs cleanly into a
separate virtual environment (``python -m venv wx && wx/bin/pip install whisperx==3.8.6``; about
5 GB with the CUDA wheels) and runs on CPU there; dubkit calls its command
(``whisperx_cmd=wx/bin/whisperx``):

    whisperx AUDIO.wav --model WHISPER_CT2_DIR --model_cache_only True --language LANG
        --device DEVICE --compute_type TYPE --batch_size N --vad_method pyannote --chunk_size 12
        --align_model WAV2VEC2_DIR            (or --no_align when no align_model is given)
        [--diarize --diarize_model PIPELINE_DIR --min_speakers N --max_speakers N]
        --output_format json --output_dir TMP --print_progress True --verbose False

Every model is a local directory (nothing is downloaded): a CTranslate2 Whisper conversion (as for
the faster-whisper backend), a wav2vec2 CTC model saved by transformers (``config.json``, weights,
``vocab.json``, ``preprocessor_config.json``) for the forced alignment, and optionally a pyannote
pipeline directory (``config.yaml`` naming local checkpoints) for whisperx's diarization; without
one, dubkit's offline diarizer (resemblyzer clustering) labels whisperx's segments. The VAD is the
pyannote segmentation model that ships inside the whisperx wheel. whisperx's alignment also needs
NLTK's ``punkt_tab`` sentence splitter and downloads it on first use when missing: install it into
that environment beforehand (``wx/bin/python -m nltk.downloader punkt_tab``) or alignment fails
offline.

The JSON (``whisperx/utils.py`` ``WriteJSON``: the result dict as it is) holds ``segments``
(``start``, ``end``, ``text``, ``avg_logprob`` before alignment; after it ``words`` with ``word``,
``start``, ``end``, ``score`` and, when diarized, ``speaker`` per segment and word), ``word_segments``
and ``language``. Words whisperx could not time (numerals, with interpolation off) have no times.
With ``--language`` unset whisperx 3.8.6 writes ``language: "en"`` whatever it detected, so dubkit
requires the language. Unaligned segments are VAD chunks merged up to ``--chunk_size`` seconds
(several speakers may share one); aligned segments are sentences, which dubkit further cuts where
the word speaker changes or the words pause longer than ``join_gap_s``.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from dubber.transcribe.base import (
    AUTO,
    SAMPLE_RATE,
    AudioInput,
    Progress,
    TranscribeOptions,
    Transcriber,
    no_progress,
)
from dubber.transcribe.diarize import SpeakerDiarizer
from dubber.transcribe.types import ModelIds, Transcript, Utterance, Word, number_utterances, speaker_name
from evaluator.errors import BackendError, ConfigError, MediaError, MissingDependencyError, ModelLoadError, ScriptError

logger = logging.getLogger(__name__)

UNKNOWN_SPEAKER = "UNKNOWN"
#: whisperx aligns these languages by character and joins their words without spaces
NO_SPACE_LANGUAGES = ("ja", "zh")
_PROGRESS = re.compile(r"Progress: ([0-9.]+)%")
_INSTALL = "python -m venv wx && wx/bin/pip install whisperx==3.8.6, then pass whisperx_cmd=wx/bin/whisperx"


@dataclass(frozen=True)
class WhisperXSegment:
    """One segment of whisperx's JSON: its words (timed ones), their speakers, the untimed-word count."""

    start: float
    end: float
    text: str
    speaker: str | None
    words: tuple[Word, ...] = ()
    word_speakers: tuple[str | None, ...] = ()
    unaligned_words: int = 0


@dataclass(frozen=True)
class WhisperXResult:
    segments: tuple[WhisperXSegment, ...]
    language: str | None


def _segment(seg: dict[str, Any]) -> WhisperXSegment:
    words, speakers, unaligned = [], [], 0
    for w in seg.get("words", ()):
        if "start" in w and "end" in w:
            score = w.get("score")
            words.append(
                Word(
                    str(w["word"]).strip(), float(w["start"]), float(w["end"]), None if score is None else float(score)
                )
            )
            speakers.append(w.get("speaker"))
        else:
            unaligned += 1
    return WhisperXSegment(
        float(seg["start"]),
        float(seg["end"]),
        str(seg.get("text", "")).strip(),
        seg.get("speaker"),
        tuple(words),
        tuple(speakers),
        unaligned,
    )


def read_whisperx_json(path: str | os.PathLike[str]) -> WhisperXResult:
    """Read whisperx's JSON output (the format in the module docstring); ``ScriptError`` when malformed."""
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
        segments = tuple(_segment(seg) for seg in data["segments"])
    except FileNotFoundError:
        raise ScriptError(str(p), ["whisperx wrote no JSON output"]) from None
    except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise ScriptError(str(p), [f"not a whisperx JSON result ({type(exc).__name__}: {exc})"]) from None
    return WhisperXResult(segments, data.get("language"))


def split_segment(seg: WhisperXSegment, max_gap_s: float, joiner: str = " ") -> list[WhisperXSegment]:
    """``seg`` cut where the word speaker changes or words pause longer than ``max_gap_s``.

    Only when every word is timed (an untimed numeral could not be placed): else ``[seg]``.
    """
    if not seg.words or seg.unaligned_words:
        return [seg]
    runs: list[list[int]] = [[0]]
    for i in range(1, len(seg.words)):
        gap = seg.words[i].start - seg.words[i - 1].end
        if gap > max_gap_s or seg.word_speakers[i] != seg.word_speakers[i - 1]:
            runs.append([])
        runs[-1].append(i)
    if len(runs) == 1:
        return [seg]
    out = []
    for run in runs:
        words = tuple(seg.words[i] for i in run)
        who = seg.word_speakers[run[0]]
        out.append(
            WhisperXSegment(
                words[0].start,
                words[-1].end,
                joiner.join(w.text for w in words),
                who,
                words,
                tuple(seg.word_speakers[i] for i in run),
            )  # fmt: skip
        )
    return out


def _check_dir(path: str | None, what: str, parameter: str, needs: tuple[str, ...]) -> Path | None:
    if path is None:
        return None
    p = Path(path)
    if not p.is_dir():
        raise ModelLoadError(
            f"{p}: no such {what} directory ({parameter})", hint="nothing is downloaded: give a local directory"
        )
    missing = [n for n in needs if not (p / n).is_file()]
    if missing:
        raise ModelLoadError(f"{p}: not a {what} directory (no {', '.join(missing)})", hint=f"check {parameter}")
    return p


class WhisperXTranscriber(Transcriber):
    name = "whisperx"

    def __init__(
        self,
        whisperx_cmd: str | None = None,
        model: str | None = None,
        *,
        align_model: str | None = None,
        diarize_model: str | None = None,
        device: str = "cpu",
        compute_type: str = "default",
        batch_size: int = 8,
        timeout_s: float | None = None,
    ) -> None:
        self.whisperx_cmd = whisperx_cmd
        self.model = model
        self.align_model = align_model
        self.diarize_model = diarize_model
        self.device = device
        self.compute_type = compute_type
        self.batch_size = int(batch_size)
        self.timeout_s = timeout_s
        self._version: str | None = None

    def _command(self) -> str:
        if not self.whisperx_cmd:
            raise MissingDependencyError(
                "the whisperx backend needs whisperx_cmd: the whisperx command", install=_INSTALL
            )
        found = shutil.which(self.whisperx_cmd)
        if found is None:
            raise MissingDependencyError(f"whisperx_cmd {self.whisperx_cmd!r} (no such executable)", install=_INSTALL)
        return found

    def check(self, options: TranscribeOptions) -> None:
        super().check(options)
        if options.lang == AUTO:
            raise ConfigError(
                "the whisperx backend needs lang: whisperx 3.8.6 writes 'en' in its JSON whatever language it detected",
                hint="give the episode's language",
            )
        if options.transcript is not None:
            raise ConfigError(
                "the whisperx backend recognises the speech: a transcript is aligned by the offline backend"
            )
        if not self.model:
            raise ModelLoadError("the whisperx backend needs model: a local CTranslate2 Whisper model directory")
        _check_dir(self.model, "CTranslate2 Whisper model", "model", ("model.bin", "tokenizer.json"))
        _check_dir(self.align_model, "wav2vec2 alignment model", "align_model", ("config.json", "vocab.json"))
        _check_dir(self.diarize_model, "pyannote pipeline", "diarize_model", ("config.yaml",))
        cmd = self._command()
        try:
            proc = subprocess.run([cmd, "--version"], capture_output=True, text=True, timeout=300, check=False)
        except OSError as exc:
            raise MissingDependencyError(f"whisperx_cmd {cmd!r} ({exc.strerror})", install=_INSTALL) from None
        if proc.returncode != 0 or "whisperx" not in proc.stdout.lower():
            said = (proc.stdout + proc.stderr).strip().splitlines()[-1:] or ["nothing"]
            raise MissingDependencyError(f"whisperx at {cmd} (its --version said: {said[0][:200]})", install=_INSTALL)
        self._version = proc.stdout.strip()

    def arguments(self, audio_path: Path, out_dir: Path, options: TranscribeOptions) -> list[str]:
        """The whisperx command line (module docstring)."""
        args = [
            self._command(), str(audio_path), "--model", str(self.model), "--model_cache_only", "True",
            "--language", options.lang.split("-")[0].lower(), "--device", self.device,
            "--compute_type", self.compute_type, "--batch_size", str(self.batch_size), "--vad_method", "pyannote",
            "--chunk_size", str(int(options.segments.max_speech_s)), "--output_format", "json",
            "--output_dir", str(out_dir), "--print_progress", "True", "--verbose", "False",
        ]  # fmt: skip
        args += ["--align_model", str(self.align_model)] if self.align_model else ["--no_align"]
        if self.diarize_model:
            args += ["--diarize", "--diarize_model", str(self.diarize_model)]
            if options.num_speakers is not None:
                args += ["--min_speakers", str(options.num_speakers), "--max_speakers", str(options.num_speakers)]
        return args

    def run(self, audio: np.ndarray, options: TranscribeOptions, progress: Progress) -> WhisperXResult:
        """Run whisperx on ``audio`` (16 kHz mono) and read its JSON."""
        from evaluator.media import write_wav

        with tempfile.TemporaryDirectory(prefix="dubkit-whisperx-") as tmp:
            wav = Path(tmp) / "audio.wav"
            write_wav(wav, audio, SAMPLE_RATE)
            args = self.arguments(wav, Path(tmp), options)
            logger.info("running %s", " ".join(args))
            stderr_path = Path(tmp) / "stderr.txt"
            with open(stderr_path, "w", encoding="utf-8") as err:  # a file: a full stderr pipe would block it
                proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=err, text=True)
                timer = threading.Timer(self.timeout_s, proc.kill) if self.timeout_s else None
                if timer is not None:
                    timer.start()
                try:
                    self._follow(proc.stdout or (), progress)
                    proc.wait()
                finally:
                    if timer is not None:
                        timer.cancel()
            stderr = stderr_path.read_text(encoding="utf-8", errors="replace")
            if timer is not None and not timer.is_alive() and proc.returncode < 0:
                raise BackendError(f"whisperx ran over {self.timeout_s} s and was stopped")
            if proc.returncode == 2 and "error:" in stderr:  # argparse: an option whisperx refuses
                raise ConfigError(f"whisperx refused the request: {stderr.strip().splitlines()[-1]}")
            if proc.returncode != 0:
                tail = " | ".join(stderr.strip().splitlines()[-3:])
                raise BackendError(f"whisperx failed (exit {proc.returncode}): {tail}")
            return read_whisperx_json(Path(tmp) / "audio.json")

    @staticmethod
    def _follow(lines: Any, progress: Progress) -> None:
        """Report whisperx's ``Progress: N%`` lines (one pass for recognition, one for alignment)."""
        stage, last = "asr", 0.0
        for line in lines:
            m = _PROGRESS.search(line)
            if m:
                pct = float(m.group(1))
                if pct < last:  # whisperx restarts at 0 % for the alignment pass
                    progress(stage, 100, 100)
                    stage = "words"
                progress(stage, pct, 100)
                last = pct

    def transcribe_audio(
        self, media: AudioInput, options: TranscribeOptions, *, progress: Progress = no_progress
    ) -> Transcript:
        return self.to_transcript(self.run(media.audio, options, progress), media, options, progress=progress)

    def to_transcript(
        self,
        result: WhisperXResult,
        media: AudioInput,
        options: TranscribeOptions,
        *,
        progress: Progress = no_progress,
    ) -> Transcript:
        """The transcript of whisperx's ``result`` for ``media``: segments cut (``split_segment``) into
        utterances, speakers from whisperx's diarization (``diarize_model``) or the offline diarizer."""
        joiner = "" if options.lang.split("-")[0].lower() in NO_SPACE_LANGUAGES else " "
        segments = [
            piece
            for seg in result.segments
            for piece in split_segment(seg, options.segments.join_gap_s, joiner)
            if piece.end > piece.start
        ]
        if not segments:
            raise MediaError(f"{media.source}: whisperx found no speech", hint="check that the audio has dialogue")
        warnings = []
        if self.diarize_model:
            raw = [s.speaker or UNKNOWN_SPEAKER for s in segments]
            order = {who: i for i, who in enumerate(dict.fromkeys(w for w in raw if w != UNKNOWN_SPEAKER))}
            speakers = [UNKNOWN_SPEAKER if w == UNKNOWN_SPEAKER else speaker_name(order[w]) for w in raw]
            if UNKNOWN_SPEAKER in speakers:
                warnings.append(
                    f"{speakers.count(UNKNOWN_SPEAKER)} segment(s) overlap no diarized speaker: {UNKNOWN_SPEAKER}"
                )
            diarizer_id = f"pyannote pipeline {Path(self.diarize_model).name} (whisperx)"
            diarization: dict[str, Any] = {
                "selection": "given" if options.num_speakers else "auto",
                "criterion": "pyannote pipeline (whisperx)",
                "num_speakers": len(order),
            }
        else:
            diarizer = SpeakerDiarizer(options.diarization)
            spans = [(s.start, s.end) for s in segments]
            embeddings = diarizer.embed(media.audio, SAMPLE_RATE, spans, progress=lambda: None)
            labels, diarization = diarizer.assign(embeddings, spans, options.num_speakers)
            speakers = [speaker_name(int(i)) for i in labels]
            diarizer_id = diarizer.model_id
        progress("speakers", len(segments), len(segments))
        if not self.align_model:
            warnings.append(
                "no align_model: whisperx's segments are VAD chunks of up to "
                f"{int(options.segments.max_speech_s)} s without word timings; one cue may hold several speakers"
            )
        unaligned = sum(s.unaligned_words for s in segments)
        if unaligned:
            warnings.append(f"{unaligned} word(s) whisperx could not align (numerals, symbols): no timings")
        utterances = [
            Utterance(0, s.start, s.end, who, s.text, s.words) for s, who in zip(segments, speakers, strict=True)
        ]
        version = self._version or "whisperx"
        vad_id = f"pyannote segmentation (whisperx wheel, {version})"
        return Transcript(
            utterances=number_utterances(utterances),
            lang=options.lang,
            backend=self.name,
            models=ModelIds(
                vad=vad_id,
                asr=f"whisper:{Path(str(self.model)).name} (faster-whisper via {version})",
                aligner=f"wav2vec2 CTC forced alignment: {Path(self.align_model).name} ({version})"
                if self.align_model
                else None,
                diarizer=diarizer_id,
            ),
            source=media.source,
            duration=media.duration,
            diarization={**diarization, "segments": len(segments)},
            warnings=tuple(warnings),
        )
