import numpy as np
import pytest

from evaluator.errors import MediaError
from evaluator.media import load_audio, mux, probe, read_frames, write_wav


def test_probe_and_decode_demo(demo_episode):
    info = probe(demo_episode.video, count_frames=True)
    assert info.video.codec == "h264" and info.video.fps == pytest.approx(25.0)
    assert info.video.frames == round(info.duration * 25)
    assert info.audio.sample_rate == 48000
    audio = load_audio(demo_episode.video, 16000, start=1.0, end=2.0)
    assert audio.dtype == np.float32 and len(audio) == pytest.approx(16000, abs=400)
    stereo = load_audio(demo_episode.video, 16000, mono=False)
    assert stereo.ndim == 2 and stereo.shape[1] == 2
    frames = read_frames(demo_episode.video, fps=5, start=0, end=1.0, size=(64, 48))
    assert frames.shape == (5, 48, 64, 3)


def test_mux_stream_copies_and_keeps_duration(demo_episode, tmp_path):
    sr = 48000
    info = probe(demo_episode.video, count_frames=True)
    tone = (0.1 * np.sin(2 * np.pi * 440 * np.arange(int((info.duration + 2) * sr)) / sr)).astype(np.float32)
    write_wav(tmp_path / "a.wav", tone, sr)
    out = mux(demo_episode.video, [tmp_path / "a.wav", tmp_path / "a.wav"], tmp_path / "o.mp4", languages=["en", None])
    got = probe(out, count_frames=True)
    assert got.video.codec == info.video.codec and got.video.frames == info.video.frames
    assert abs(got.duration - info.duration) < 0.04
    assert len(got.audio_streams) == 2


def test_missing_and_corrupt_files_are_media_errors(tmp_path):
    with pytest.raises(MediaError, match="no such file"):
        probe(tmp_path / "nope.mp4")
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"\x00" * 2048)
    with pytest.raises(MediaError, match="not a readable media file"):
        probe(bad)


def test_atomic_write_leaves_nothing_on_failure(tmp_path):
    from evaluator.fileio import atomic_path

    target = tmp_path / "x.txt"
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []
