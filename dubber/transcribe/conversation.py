"""Multi-speaker conversations with exact ground truth, built from recorded clips (for measuring
transcription and diarization; ``benchmarks/transcribe_quality.py`` and the tests use them).

A conversation is a list of turns: a piece of a clip (cut at a pause), its speaker, language and
text, and the silence before it. Pieces are placed whole (their own lead-in and tail, with whatever
noise the recording has, stay in). The ground-truth turn is the speech inside the piece, found by a
method independent of the VAD under test: where the English text is known, the span from the first
to the last word of pocketsphinx's forced alignment of that text; otherwise the first and last
frame within ``TRIM_TOP_DB`` (30 dB) of the piece's peak (``librosa.effects.split``, 512/128-sample
frames), ignoring bursts shorter than 80 ms (clicks). Energy trimming alone fails on noisy film
clips (noise floors 20-25 dB under the peak): such clips are used only where their text is known.
A faint noise floor (-60 dBFS, seeded) keeps the pauses from being digital silence.

Two conversations come from audio that ships in installed packages:

- ``RECORDED``: real recordings of seven speakers, English and Mandarin: CMU ARCTIC ``awb``
  (``pysptk``'s example audio), the two reference clips of the F5-TTS examples (a documentary voice in
  English, a film voice in Mandarin; transcripts in F5-TTS's ``basic.toml``), three of F5-TTS's story
  voices (``main``, ``town``, ``country``: their wording is not documented, so their turns count for
  diarization and boundaries, not WER) and a film line from Gradio's media assets whose words are
  known. Seven speakers, 12 turns, about 49 s.
- ``KOKORO``: pytest-audioeval's multilingual samples. They are NOT recordings: the package
  generated them with the Kokoro TTS (its ``scripts/generate_samples.py``: voices af_heart, ff_siwis,
  hf_alpha, jf_alpha, pf_dora...). Resemblyzer cannot tell ef_dora (es) from pf_dora (pt, pl): they
  are used as one speaker (pf_dora) speaking Portuguese and Polish.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from evaluator.errors import MissingDependencyError

SR = 16000
TRIM_TOP_DB = 30.0
MIN_BURST_S = 0.08
NOISE_DBFS = -60.0


@dataclass(frozen=True)
class Piece:
    """A cut of a clip: ``package`` data file ``path``, from ``start`` to ``end`` seconds (None = edge)."""

    package: str
    path: str
    speaker: str
    lang: str
    text: str | None = None
    start: float | None = None
    end: float | None = None
    gap_before: float = 0.6

    def file(self) -> Path:
        spec = importlib.util.find_spec(self.package)
        if spec is None or not spec.submodule_search_locations:
            raise MissingDependencyError(f"the {self.package} package (its audio samples)")
        return Path(next(iter(spec.submodule_search_locations))) / self.path


@dataclass(frozen=True)
class Turn:
    """A ground-truth turn: who speaks when (seconds in the conversation), in which language, what."""

    start: float
    end: float
    speaker: str
    lang: str
    text: str | None


@dataclass(frozen=True)
class Conversation:
    name: str
    audio: np.ndarray  # mono float32 at SR
    turns: tuple[Turn, ...]
    sources: tuple[str, ...]

    @property
    def duration(self) -> float:
        return len(self.audio) / SR

    @property
    def speakers(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(t.speaker for t in self.turns))

    def rttm(self, uri: str = "conversation") -> str:
        """The turns as RTTM lines (the NIST speaker-diarization reference format)."""
        return "".join(
            f"SPEAKER {uri} 1 {t.start:.3f} {t.end - t.start:.3f} <NA> <NA> {t.speaker} <NA> <NA>\n" for t in self.turns
        )


_F5 = "f5_tts"
_F5EN = "infer/examples/basic/basic_ref_en.wav"
_F5ZH = "infer/examples/basic/basic_ref_zh.wav"
_MULTI = "infer/examples/multi/"

RECORDED: tuple[Piece, ...] = (
    Piece(_F5, _F5EN, "nature", "en", "Some call me nature,", end=2.5, gap_before=0.5),
    Piece(_F5, _MULTI + "main.flac", "main", "en", None, end=2.75, gap_before=0.6),
    Piece(
        "pysptk",
        "example_audio_data/arctic_a0007.wav",
        "awb",
        "en",
        "And you always want to see it in the superlative degree.",
        gap_before=0.4,
    ),  # fmt: skip
    Piece(_F5, _F5EN, "nature", "en", "others call me mother nature.", start=2.5, gap_before=0.3),
    Piece(_F5, _F5ZH, "taiyi", "zh", "对，这就是我，", end=2.6, gap_before=0.5),
    Piece(_F5, _MULTI + "country.flac", "country", "en", None, end=3.05, gap_before=0.4),
    Piece(_F5, _MULTI + "main.flac", "main", "en", None, start=2.75, gap_before=0.3),
    Piece(
        "gradio",
        "media_assets/audio/heath_ledger.mp3",
        "heath",
        "en",
        "If you're good at something, never do it for free.",
        gap_before=0.5,
    ),  # fmt: skip
    Piece(_F5, _F5ZH, "taiyi", "zh", "万人敬仰的太乙真人。", start=2.6, gap_before=0.3),
    Piece(_F5, _MULTI + "country.flac", "country", "en", None, start=3.05, end=5.36, gap_before=0.4),
    Piece(_F5, _MULTI + "town.flac", "town", "en", None, gap_before=0.3),
    Piece(_F5, _MULTI + "country.flac", "country", "en", None, start=5.36, gap_before=0.5),
)

_KO = "pytest_audioeval"


def _k(path: str, speaker: str, lang: str, text: str, gap: float) -> Piece:
    return Piece(_KO, f"samples/audio/{path}", speaker, lang, text, gap_before=gap)


KOKORO: tuple[Piece, ...] = (
    _k("en/hello_world.wav", "af_heart", "en", "Hello world.", 0.5),
    _k("fr/bonjour_monde.wav", "ff_siwis", "fr", "Bonjour le monde.", 0.6),
    _k("en/quick_brown_fox.wav", "af_heart", "en", "The quick brown fox jumps over the lazy dog.", 0.8),
    _k("hi/namaste_duniya.wav", "hf_alpha", "hi", "नमस्ते दुनिया.", 0.5),
    _k("pt/ola_mundo.wav", "pf_dora", "pt", "Olá mundo.", 0.7),
    _k("ja/pangrama.wav", "jf_alpha", "ja", "いろはにほへと散りぬるを我が世誰ぞ常ならん。", 0.6),
    _k("fr/pangrama.wav", "ff_siwis", "fr", "Portez ce vieux whisky au juge blond qui fume.", 0.45),
    _k("en/counting.wav", "af_heart", "en", "One two three four five six seven eight nine ten.", 0.9),
    _k("pl/pangrama.wav", "pf_dora", "pl", "Pchnąć w tę łódź jeża lub ośm skrzyń fig.", 0.5),
    _k("hi/pangrama.wav", "hf_alpha", "hi", "ऊँट के मुँह में जीरा कहावत बहुत पुरानी और मशहूर है।", 0.7),
    _k("ja/kazoeru.wav", "jf_alpha", "ja", "一二三四五六七八九十。", 0.6),
    _k("pt/pangrama.wav", "pf_dora", "pt", "A rápida raposa marrom salta sobre o cachorro preguiçoso.", 0.8),
    _k("fr/comptage.wav", "ff_siwis", "fr", "Un deux trois quatre cinq six sept huit neuf dix.", 0.4),
    _k("hi/ginti.wav", "hf_alpha", "hi", "एक दो तीन चार पांच छह सात आठ नौ दस.", 0.6),
)

CONVERSATIONS = {"recorded": RECORDED, "kokoro": KOKORO}


def _speech_span(piece: Piece, clip: np.ndarray) -> tuple[float, float]:
    """Where the speech is inside the piece (seconds): forced alignment of known English text, else
    the energy trim (module docstring)."""
    import librosa

    if piece.text and piece.lang == "en":
        from evaluator.asr.sphinx import PocketSphinxASR

        aligned = PocketSphinxASR().align(clip, piece.text)
        if aligned is None:
            raise ValueError(f"{piece.path}: pocketsphinx cannot align its text {piece.text!r}")
        return aligned.words[0].start, aligned.words[-1].end
    loud = [(a, b) for a, b in librosa.effects.split(clip, top_db=TRIM_TOP_DB, frame_length=512, hop_length=128)
            if b - a >= MIN_BURST_S * SR]  # fmt: skip
    return loud[0][0] / SR, loud[-1][1] / SR


def build_conversation(
    name: str, pieces: Sequence[Piece] | None = None, *, seed: int = 0, tail_s: float = 0.8
) -> Conversation:
    """Assemble the named conversation (``recorded`` or ``kokoro``), or ``pieces`` under that name,
    with its exact turns."""
    pieces = CONVERSATIONS[name] if pieces is None else tuple(pieces)
    chunks: list[np.ndarray] = []
    turns = []
    t = 0
    for piece in pieces:
        from evaluator.media import load_audio

        gap = int(round(piece.gap_before * SR))
        chunks.append(np.zeros(gap, np.float32))
        t += gap
        clip = load_audio(piece.file(), SR, start=piece.start, end=piece.end)
        a, b = _speech_span(piece, clip)
        turns.append(Turn(t / SR + a, t / SR + b, piece.speaker, piece.lang, piece.text))
        chunks.append(clip)
        t += len(clip)
    chunks.append(np.zeros(int(tail_s * SR), np.float32))
    audio = np.concatenate(chunks)
    rng = np.random.default_rng(seed)
    audio = audio + (10 ** (NOISE_DBFS / 20)) * rng.standard_normal(len(audio)).astype(np.float32)
    sources = tuple(dict.fromkeys(f"{p.package}:{p.path}" for p in pieces))
    return Conversation(name, np.clip(audio, -1, 1).astype(np.float32), tuple(turns), sources)


def write_conversation_video(conv: Conversation, path: str | os.PathLike[str], *, fps: int = 4) -> Path:
    """Write the conversation as a small MP4 (a still frame, the speech as AAC): an episode to transcribe."""
    import subprocess
    import tempfile

    from evaluator.fileio import atomic_path
    from evaluator.media import write_wav
    from evaluator.media.tools import binary

    out = Path(path)
    with tempfile.TemporaryDirectory(prefix="dubkit-conv-") as tmp:
        wav = Path(tmp) / "speech.wav"
        write_wav(wav, conv.audio, SR)
        with atomic_path(out) as dest:
            subprocess.run(
                [binary("ffmpeg"), "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i",
                 f"color=c=gray:s=160x120:r={fps}", "-i", str(wav), "-shortest", "-c:v", "libx264",
                 "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "96k", str(dest)],
                check=True,
            )  # fmt: skip
    return out
