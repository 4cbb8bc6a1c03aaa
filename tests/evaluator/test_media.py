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


def _stream_tags(path) -> list[dict]:
    import json
    import subprocess

    from evaluator.media.tools import binary

    cmd = [binary("ffprobe"), "-v", "error", "-select_streams", "a", "-show_entries", "stream_tags", "-of", "json"]
    out = subprocess.run([*cmd, str(path)], capture_output=True, check=True, text=True).stdout
    return [{k.lower(): v for k, v in s.get("tags", {}).items()} for s in json.loads(out)["streams"]]


@pytest.mark.parametrize("suffix,german", [(".mp4", "deu"), (".mkv", "ger")])
def test_mux_tags_each_audio_track_with_its_language_and_title(tmp_path, suffix, german):
    import subprocess

    from evaluator.media.tools import binary

    video = tmp_path / "v.mp4"
    lavfi = ["-f", "lavfi", "-i", "color=c=gray:s=64x64:d=1:r=10"]
    subprocess.run([binary("ffmpeg"), "-v", "error", *lavfi, "-c:v", "libx264", "-preset", "ultrafast", str(video)])
    sr = 16000
    write_wav(tmp_path / "a.wav", np.zeros(sr, np.float32), sr)
    tracks = [tmp_path / "a.wav"] * 3
    out = mux(
        video, tracks, tmp_path / f"o{suffix}", languages=["en", "de", None], titles=["English (dub)", "Original", None]
    )
    tags = _stream_tags(out)
    assert [t.get("language") for t in tags[:2]] == ["eng", german]
    titles = [t.get("title" if suffix == ".mkv" else "handler_name") for t in tags]
    assert titles[:2] == ["English (dub)", "Original"] and titles[2] in (None, "SoundHandler")
    assert tags[2].get("language") in (None, "und")


def test_mux_refuses_an_unknown_language_before_writing(tmp_path):
    from evaluator.errors import ConfigError

    with pytest.raises(ConfigError, match="'xx' is not a known language tag"):
        mux(tmp_path / "v.mp4", [tmp_path / "a.wav"], tmp_path / "o.mp4", languages=["xx"])
    assert not (tmp_path / "o.mp4").exists()


def test_iter_frames_in_gray_are_the_luma_of_the_colour_frames(demo_episode):
    import cv2

    from evaluator.media import iter_frames

    colour = list(iter_frames(demo_episode.video, fps=2, start=0.5, end=3.0, size=(160, 192)))
    gray = list(iter_frames(demo_episode.video, fps=2, start=0.5, end=3.0, size=(160, 192), gray=True))
    assert len(gray) == len(colour) == 5 and gray[0].shape == (192, 160) and gray[0].dtype == np.uint8
    for g, c in zip(gray, colour, strict=True):
        # ffmpeg's luma against OpenCV's weighting of ffmpeg's RGB: the same picture within a few levels
        assert np.mean(np.abs(g.astype(float) - cv2.cvtColor(c, cv2.COLOR_RGB2GRAY).astype(float))) < 3.0
