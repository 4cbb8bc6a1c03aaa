"""The transcription library: record types and JSON, writers read back by the script reader, clustering
and joining rules, transcript alignment, and pocketsphinx word timings on real speech."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from dubber.transcribe import (
    UNTRANSCRIBED,
    AudioInput,
    ModelIds,
    TranscribeOptions,
    Transcript,
    Utterance,
    Word,
    read_transcript_json,
    to_cues,
    write_transcript,
)
from dubber.transcribe.align_text import distribute, split_units
from dubber.transcribe.diarize import DiarizationRules, cluster_speakers
from dubber.transcribe.segments import SegmentRules, join_same_speaker
from evaluator.errors import ConfigError, ScriptError
from evaluator.script import load_script


def _transcript() -> Transcript:
    u1 = Utterance(1, 0.5, 1.75, "SPEAKER 1", "good morning", (Word("good", 0.5, 0.9), Word("morning", 0.95, 1.7, 0.8)))
    u2 = Utterance(2, 2.0, 3.1, "SPEAKER 2", "")
    u3 = Utterance(3, 2.5, 4.0, "SPEAKER 1", "NOTE: overlapping speech is allowed")
    models = ModelIds(vad="silero", asr="pocketsphinx", aligner="pocketsphinx seg", diarizer="resemblyzer")
    return Transcript((u1, u2, u3), "en", "offline", models, "ep.mp4", 5.0, {"num_speakers": 2}, None, ("w",))


def test_json_round_trip_and_schema_checks(tmp_path: Path) -> None:
    t = _transcript()
    write_transcript(t, tmp_path / "t.json")
    back = read_transcript_json(tmp_path / "t.json")
    assert back == t
    d = t.to_dict()
    assert d["kind"] == "dubkit.transcript" and d["schema_version"] == 1
    assert d["speakers"] == ["SPEAKER 1", "SPEAKER 2"] and d["models"]["diarizer"] == "resemblyzer"
    assert d["utterances"][0]["words"][1] == {"text": "morning", "start": 0.95, "end": 1.7, "score": 0.8}
    with pytest.raises(ScriptError, match="schema_version 2"):
        Transcript.from_dict({**d, "schema_version": 2})
    with pytest.raises(ScriptError, match="not a dubkit transcript"):
        Transcript.from_dict({"segments": []})


@pytest.mark.parametrize("ext", [".srt", ".vtt", ".ass"])
def test_subtitles_load_back_with_the_same_cues_and_speakers(tmp_path: Path, ext: str) -> None:
    t = _transcript()
    path = write_transcript(t, tmp_path / f"src{ext}")
    cues = load_script(path)  # validates: no empty text, no same-speaker overlap
    assert [(c.index, c.speaker, c.text) for c in cues] == [(c.index, c.speaker, c.text) for c in to_cues(t)]
    assert [c.index for c in cues] == [u.index for u in t.utterances]
    assert [c.speaker for c in cues] == [u.speaker for u in t.utterances]
    assert [c.text for c in cues] == ["good morning", UNTRANSCRIBED, "NOTE: overlapping speech is allowed"]
    for c, u in zip(cues, t.utterances, strict=True):
        assert abs(c.start - u.start) <= 0.01 and abs(c.end - u.end) <= 0.01


def test_output_format_by_extension(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="output format"):
        write_transcript(_transcript(), tmp_path / "t.txt")
    assert not (tmp_path / "t.txt").exists()


def test_clustering_count_given_or_by_threshold() -> None:
    rng = np.random.default_rng(0)
    centres = np.eye(3, 16)
    emb = np.concatenate([c + 0.05 * rng.standard_normal((4, 16)) for c in centres])[[0, 4, 8, 1, 5, 9, 2, 6, 10]]
    durations = [2.0] * 9
    labels, info = cluster_speakers(emb, durations, num_speakers=3)
    assert labels.tolist() == [0, 1, 2] * 3 and info["selection"] == "given"
    labels, info = cluster_speakers(emb, durations)
    assert info["num_speakers"] == 3 and info["selection"] == "auto" and "0.3" in info["criterion"]
    merged, _ = cluster_speakers(emb, durations, rules=DiarizationRules(threshold=1.5))
    assert set(merged.tolist()) == {0}
    # an odd segment (cosine distance 0.36 from speaker 2) founds a speaker when it is long enough to
    # trust, and joins the nearest speaker when it is too short to embed well
    odd = np.concatenate([emb, centres[1:2] + 1.2 * np.eye(1, 16, 5)])
    _, info = cluster_speakers(odd, [*durations, 2.0])
    assert info["num_speakers"] == 4
    labels, info = cluster_speakers(odd, [*durations, 0.4])
    assert info["num_speakers"] == 3 and labels[-1] == 1
    with pytest.raises(ConfigError, match="at least 1"):
        cluster_speakers(emb, durations, num_speakers=0)


def test_same_speaker_neighbours_join_within_the_gap_and_length() -> None:
    rules = SegmentRules(join_gap_s=0.6, max_speech_s=5.0)
    segs = [(0.0, 1.0), (1.4, 2.0), (2.2, 3.0), (3.1, 4.0), (5.0, 6.0), (6.2, 9.0)]
    groups = join_same_speaker(segs, [0, 0, 1, 1, 1, 1], rules)
    # 0.4 s gap joins; a speaker change splits; a 1.0 s gap splits; 0.2 s joins (5.0-9.0 is 4 s)
    assert [(g.start, g.end, g.label) for g in groups] == [(0.0, 2.0, 0), (2.2, 4.0, 1), (5.0, 9.0, 1)]
    # ... unless the joined utterance would pass max_speech_s
    capped = join_same_speaker([(0.0, 3.0), (3.2, 6.0)], [0, 0], rules)
    assert len(capped) == 2


def test_transcript_units_follow_utterance_durations() -> None:
    units = split_units("Hello world. Bonjour le monde! 你好。再见")
    assert units == ["Hello world.", "Bonjour le monde!", "你好。", "再见"]
    assert distribute(["a b c.", "dddd.", "ee."], [1.0, 0.8, 0.5]) == ["a b c.", "dddd.", "ee."]
    assert distribute(["one.", "two two two two two."], [0.4, 2.0]) == ["one.", "two two two two two."]
    assert distribute(["a.", "b."], [1.0, 1.0, 1.0]).count("") == 1


def test_transcript_aligned_onto_a_multilingual_conversation(kokoro, offline, tmp_path: Path) -> None:  # noqa: ANN001
    """The conversation's own 14 lines (six languages, no speaker names) given as a transcript:
    measured 14 of 14 utterances get exactly their turn's text; bound 12."""
    txt = tmp_path / "script.txt"
    txt.write_text("\n".join(t.text or "" for t in kokoro.turns) + "\n", encoding="utf-8")
    opts = TranscribeOptions(lang="und", num_speakers=5, transcript=str(txt))
    result = offline.transcribe_audio(AudioInput(kokoro.audio, "kokoro"), opts)
    exact = sum(u.text == t.text for u, t in zip(result.utterances, kokoro.turns, strict=True))
    assert exact >= 12
    assert result.models.asr is None and result.models.aligner.startswith("dubkit-transcript-dp")


def test_pocketsphinx_word_timings_on_real_speech() -> None:
    """CMU ARCTIC awb (a real recording): decoder words and forced alignment, monotone, in the clip."""
    from dubber.transcribe.conversation import RECORDED
    from evaluator.asr.sphinx import PocketSphinxASR
    from evaluator.media import load_audio

    piece = RECORDED[2]
    audio = load_audio(piece.file(), 16000)
    asr = PocketSphinxASR()
    timed = asr.transcribe_timed(audio)
    assert timed.text.startswith("and you always want") and len(timed.words) >= 9
    aligned = asr.align(audio, piece.text or "")
    assert aligned is not None and [w.text for w in aligned.words] == asr.normalise(piece.text or "")
    for words in (timed.words, aligned.words):
        assert all(0 <= a.start < a.end <= b.start + 1e-9 for a, b in zip(words, words[1:], strict=False))
        assert words[-1].end <= len(audio) / 16000 + 0.01
    assert abs(aligned.words[0].start - timed.words[0].start) < 0.1
    assert asr.align(audio, "and you always xyzzyq") is None and asr.unknown_words("a xyzzyq") == ["xyzzyq"]
