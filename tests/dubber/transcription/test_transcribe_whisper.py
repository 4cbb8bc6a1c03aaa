"""The faster-whisper backend end to end with a tiny random Whisper: a transformers ``WhisperConfig``
model converted by CTranslate2's own converter (``evaluator.asr.whisper_tiny``), loaded by faster-whisper
from the directory with nothing downloaded. Its text is letter salad; what is tested is the path:
language identification, per-utterance recognition with word timings placed inside the utterances,
the offline speakers, and the model ids recorded."""

from __future__ import annotations

from pathlib import Path

import pytest

from dubber.transcribe import AudioInput, TranscribeOptions, create_transcriber, write_transcript
from evaluator.errors import ConfigError, ModelLoadError
from evaluator.script import load_script


@pytest.fixture(scope="module")
def whisper(tiny_whisper):  # noqa: ANN001, ANN201
    # temperature 0 and a few tokens: a random model would otherwise decode to the length limit, six times
    return create_transcriber(
        "faster-whisper", model=str(tiny_whisper), device="cpu", compute_type="float32", beam_size=1,
        temperature=0.0, max_new_tokens=6,
    )  # fmt: skip


def test_full_path_with_a_tiny_random_whisper(short_video, whisper, tmp_path: Path) -> None:  # noqa: ANN001
    conv, _ = short_video
    options = TranscribeOptions(lang="auto", num_speakers=2)
    whisper.check(options)
    result = whisper.transcribe_audio(AudioInput(conv.audio, "short"), options)
    assert len(result.utterances) == 4 and result.speakers == ("SPEAKER 1", "SPEAKER 2")
    detected = result.lang_detection
    assert detected is not None and result.lang == result.to_dict()["lang"]
    assert detected["method"].startswith("whisper language identification") and 0 < detected["probability"] <= 1
    assert result.models.asr.startswith("whisper:tiny-ct2") and "word_timestamps" in result.models.aligner
    assert result.models.vad.startswith("silero") and result.models.diarizer.startswith("resemblyzer")
    assert any(u.words for u in result.utterances)
    for u in result.utterances:
        assert all(u.start <= w.start <= w.end <= u.end for w in u.words)
        assert all(w.score is not None and 0 <= w.score <= 1 for w in u.words)
    cues = load_script(write_transcript(result, tmp_path / "src.srt"))
    assert [c.speaker for c in cues] == [u.speaker for u in result.utterances]


def test_refuses_what_it_cannot_do(whisper, tmp_path: Path) -> None:  # noqa: ANN001
    with pytest.raises(ConfigError, match="does not know the language 'tlh'"):
        whisper.check(TranscribeOptions(lang="tlh"))
    (tmp_path / "t.txt").write_text("Hello.")
    with pytest.raises(ConfigError, match="transcript is aligned by the offline backend"):
        whisper.check(TranscribeOptions(lang="en", transcript=str(tmp_path / "t.txt")))
    bare = tmp_path / "no-tokenizer"
    bare.mkdir()
    (bare / "model.bin").write_bytes(b"")
    with pytest.raises(ModelLoadError, match="no tokenizer.json"):
        create_transcriber("faster-whisper", model=str(bare)).check(TranscribeOptions(lang="en"))
