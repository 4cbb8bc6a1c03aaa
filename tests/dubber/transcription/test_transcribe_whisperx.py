"""The whisperx backend: its JSON read back (a file whisperx 3.8.6's own code wrote, see
``tests/data/whisperx/README.md``), segments turned into utterances and speakers, the refusals before
anything runs, and (where ``DUBKIT_WHISPERX_CMD`` names a whisperx command) the whole command path."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dubber.transcribe import AudioInput, TranscribeOptions, create_transcriber
from dubber.transcribe.whisperx import (
    WhisperXResult,
    WhisperXSegment,
    WhisperXTranscriber,
    read_whisperx_json,
    split_segment,
)
from evaluator.errors import ConfigError, MissingDependencyError, ModelLoadError, ScriptError

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "whisperx" / "whisperx_3.8.6_diarized.json"


def test_reads_whisperx_json() -> None:
    result = read_whisperx_json(SAMPLE)
    assert result.language == "en" and len(result.segments) == 4
    first, second = result.segments[:2]
    assert (first.start, first.end, first.text, first.speaker) == (0.5, 0.746, "Hello world.", "SPEAKER_01")
    assert [w.text for w in first.words] == ["Hello", "world."] and first.words[1].score == 0.032
    assert second.speaker == "SPEAKER_00" and second.word_speakers == ("SPEAKER_00",) * 3
    assert sum(len(s.words) for s in result.segments) == 19 and all(s.unaligned_words == 0 for s in result.segments)


def test_malformed_json_is_a_script_error(tmp_path: Path) -> None:
    bad = tmp_path / "audio.json"
    bad.write_text('{"segments": [{"text": "no times"}]}')
    with pytest.raises(ScriptError, match="not a whisperx JSON result"):
        read_whisperx_json(bad)
    with pytest.raises(ScriptError, match="wrote no JSON"):
        read_whisperx_json(tmp_path / "missing.json")


def test_diarized_result_becomes_utterances(kokoro) -> None:  # noqa: ANN001
    wx = WhisperXTranscriber("whisperx", "whisper-ct2", align_model="w2v2", diarize_model="pyannote-pipeline")
    media = AudioInput(kokoro.audio[: 12 * 16000], "k12.wav")
    t = wx.to_transcript(read_whisperx_json(SAMPLE), media, TranscribeOptions(lang="en"))
    assert [u.speaker for u in t.utterances] == ["SPEAKER 1", "SPEAKER 2", "SPEAKER 1", "SPEAKER 1"]
    assert [u.text for u in t.utterances][:2] == ["Hello world.", "Bonjour le monde."]
    assert t.utterances[2].words[0].text == "The" and t.models.aligner.startswith("wav2vec2 CTC forced alignment: w2v2")
    assert t.models.diarizer.startswith("pyannote pipeline") and t.diarization["num_speakers"] == 2


def test_segments_split_at_speaker_changes_and_pauses() -> None:
    from dubber.transcribe import Word

    words = (Word("a", 0.0, 0.3), Word("b", 0.35, 0.6), Word("c", 0.7, 1.0), Word("d", 2.0, 2.4))
    seg = WhisperXSegment(0.0, 2.4, "a b c d", "S0", words, ("S0", "S0", "S1", "S1"))
    parts = split_segment(seg, max_gap_s=0.6)
    assert [(p.start, p.end, p.text, p.speaker) for p in parts] == [
        (0.0, 0.6, "a b", "S0"), (0.7, 1.0, "c", "S1"), (2.0, 2.4, "d", "S1")
    ]  # fmt: skip
    assert split_segment(WhisperXSegment(0.0, 2.4, "a b 10 c d", "S0", words, ("S0",) * 4, 1), 0.6)[0].text == (
        "a b 10 c d"
    )  # an untimed numeral: the segment stays whole


def test_undiarized_segments_get_the_offline_speakers(kokoro) -> None:  # noqa: ANN001
    """Without whisperx's diarization, the offline diarizer labels the segments: on the Kokoro turns
    (as whisperx would return them, without words) it finds the five voices."""
    segments = tuple(WhisperXSegment(t.start, t.end, t.text or "", None) for t in kokoro.turns)
    wx = WhisperXTranscriber("whisperx", "whisper-ct2")
    t = wx.to_transcript(WhisperXResult(segments, "en"), AudioInput(kokoro.audio, "k"), TranscribeOptions(lang="en"))
    truth = {}
    for u, turn in zip(t.utterances, kokoro.turns, strict=True):
        assert truth.setdefault(turn.speaker, u.speaker) == u.speaker
    assert len(set(truth.values())) == 5 and t.models.aligner is None
    assert any("no align_model" in w for w in t.warnings)


def test_refusals_before_running(tmp_path: Path) -> None:
    opts = TranscribeOptions(lang="en")
    with pytest.raises(ConfigError, match="needs lang"):
        WhisperXTranscriber("whisperx", "m").check(TranscribeOptions(lang="auto"))
    with pytest.raises(ModelLoadError, match="needs model"):
        WhisperXTranscriber("whisperx").check(opts)
    with pytest.raises(ModelLoadError, match="no such CTranslate2 Whisper model directory"):
        WhisperXTranscriber("whisperx", str(tmp_path / "nowhere")).check(opts)
    model = tmp_path / "ct2"
    model.mkdir()
    (model / "model.bin").write_bytes(b"")
    (model / "tokenizer.json").write_text("{}")
    with pytest.raises(ModelLoadError, match="no config.json, vocab.json"):
        WhisperXTranscriber("whisperx", str(model), align_model=str(tmp_path)).check(opts)
    with pytest.raises(MissingDependencyError, match="whisperx_cmd"):
        WhisperXTranscriber(None, str(model)).check(opts)
    with pytest.raises(MissingDependencyError, match="no such executable"):
        WhisperXTranscriber(str(tmp_path / "bin" / "whisperx"), str(model)).check(opts)
    with pytest.raises(MissingDependencyError, match="its --version said"):
        WhisperXTranscriber("true", str(model)).check(opts)


@pytest.mark.skipif(not os.environ.get("DUBKIT_WHISPERX_CMD"), reason="DUBKIT_WHISPERX_CMD names no whisperx command")
def test_whisperx_command_end_to_end(short_video) -> None:  # noqa: ANN001
    """The real whisperx command in its own environment, with local models named by DUBKIT_WHISPERX_MODEL
    (CTranslate2 Whisper) and DUBKIT_WHISPERX_ALIGN_MODEL (wav2vec2 CTC)."""
    conv, video = short_video
    wx = create_transcriber(
        "whisperx",
        whisperx_cmd=os.environ["DUBKIT_WHISPERX_CMD"],
        model=os.environ["DUBKIT_WHISPERX_MODEL"],
        align_model=os.environ.get("DUBKIT_WHISPERX_ALIGN_MODEL"),
        compute_type="float32",
    )
    stages = []
    opts = TranscribeOptions(lang="en", num_speakers=2)
    wx.check(opts)
    t = wx.transcribe_audio(AudioInput(conv.audio, str(video)), opts, progress=lambda s, d, n: stages.append(s))
    assert t.utterances and "asr" in stages and t.models.asr.startswith("whisper:")
    assert t.models.vad.startswith("pyannote segmentation (whisperx wheel, whisperx 3.8.6)")
