"""The mix stage on real files: loudness matched in the output's channel layout (checked by ffmpeg's
ebur128), background stems up-mixed to the source's layout, short stems refused, memory bounded."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
from click.testing import CliRunner
from ebur128 import ffmpeg_lufs
from tone_synth import ToneSynthesizer

from cli.main import main
from dubber.config import DubConfig
from dubber.pipeline import Dubber
from evaluator.errors import MediaError
from evaluator.media import probe, write_wav
from evaluator.media.tools import binary, run
from evaluator.script import read_script


def _ffmpeg(*args) -> None:
    run([binary("ffmpeg"), "-nostdin", "-v", "error", "-y", *map(str, args)], what="test media")


@pytest.fixture(scope="module")
def sources(demo_episode, tmp_path_factory):
    """The demo (stereo source), a mono copy of it, and silent stems: stereo, mono, and 2 s short."""
    d = tmp_path_factory.mktemp("sources")
    mono = d / "mono.mp4"
    _ffmpeg("-i", demo_episode.video, "-c:v", "copy", "-ac", "1", "-c:a", "aac", mono)
    n = int(round(probe(demo_episode.video).duration * 48000))
    write_wav(d / "silent2.wav", np.zeros((n, 2), dtype=np.float32), 48000)
    write_wav(d / "silent1.wav", np.zeros(n, dtype=np.float32), 48000)
    write_wav(d / "short.wav", np.zeros((n - 2 * 48000, 2), dtype=np.float32), 48000)
    return {"stereo": demo_episode.video, "mono": mono, "dir": d}


def _dub(video, script, out, **kw):
    cfg = DubConfig(video=video, script=script, output=out, cot="none", **kw)
    return Dubber(cfg, synthesizer=ToneSynthesizer()).run()


@pytest.mark.parametrize("source", ["stereo", "mono"])
def test_dialogue_in_the_final_mix_meets_the_target_in_its_layout(demo_episode, sources, tmp_path, source):
    video = sources[source]
    cues = read_script(demo_episode.script)
    target = ffmpeg_lufs(video, [(c.start, c.end) for c in cues])
    # over a silent stem the mix is the dialogue alone, as the listener gets it (the old mix put a stem
    # matched as mono into both channels of a stereo mix: 3 LU over the target)
    result = _dub(video, demo_episode.script, tmp_path / "o.mp4", background=sources["dir"] / "silent2.wav")
    mix = result.manifest.mix
    assert abs(ffmpeg_lufs(tmp_path / "o.mp4") - target) < 1.0
    assert probe(tmp_path / "o.mp4").audio.channels == (2 if source == "stereo" else 1)
    assert mix["layout"] == ("stereo (FL+FR)" if source == "stereo" else "mono (FC)")
    assert mix["target_lufs"] == pytest.approx(target, abs=0.2)
    assert abs(mix["dub_lufs"] - target) < 0.5 and f"{len(cues)} cue span(s)" in mix["target_source"]
    # the usual mix, over the original ducked under the lines: the mix over the lines still meets it
    ducked = _dub(video, demo_episode.script, tmp_path / "d.mp4")
    spans = [(f.placed_start, f.placed_end) for f in (ln.fit for ln in ducked.manifest.lines)]
    assert abs(ffmpeg_lufs(tmp_path / "d.mp4", spans) - target) < 1.0
    assert ducked.manifest.mix["mix_dialogue_lufs"] == pytest.approx(ffmpeg_lufs(tmp_path / "d.mp4", spans), abs=0.3)
    assert ducked.manifest.mix["background"].startswith("original")


def test_a_mono_stem_under_a_stereo_source_is_up_mixed(demo_episode, sources, tmp_path):
    result = _dub(
        demo_episode.video, demo_episode.script, tmp_path / "o.mp4", background=sources["dir"] / "silent1.wav"
    )
    assert probe(tmp_path / "o.mp4").audio.channels == 2  # it was mono before
    assert "up-mixed to stereo" in result.manifest.mix["background"]


def test_a_short_background_stem_is_refused_unless_padding_is_asked_for(demo_episode, sources, tmp_path):
    short = sources["dir"] / "short.wav"
    with pytest.raises(MediaError, match="background_pad") as err:
        _dub(demo_episode.video, demo_episode.script, tmp_path / "o.mp4", background=short)
    video_s, stem_s = probe(demo_episode.video).duration, probe(short).duration
    assert f"lasts {stem_s:.2f} s, the video {video_s:.2f} s" in str(err.value)
    res = CliRunner().invoke(
        main,
        ["dub", str(demo_episode.video), "--script", str(demo_episode.script), "-o", str(tmp_path / "c.mp4")]
        + ["--background", str(short), "--cot", "none"],
    )
    assert res.exit_code == 2 and "--background-pad" in res.stderr and "Traceback" not in res.output
    assert not (tmp_path / "c.mp4").exists()
    padded = _dub(demo_episode.video, demo_episode.script, tmp_path / "p.mp4", background=short, background_pad=True)
    assert "padded with 2.00 s of silence" in padded.manifest.mix["background"]
    assert abs(probe(tmp_path / "p.mp4").duration - demo_episode.duration) < 0.05


def test_mixing_a_long_episode_holds_blocks_not_the_episode(demo_episode, tmp_path):
    """Three minutes of silent stereo audio at 48 kHz is 69 MB as float32; the old stage held the
    original, the stem and the mix at once (over 200 MB). Python's allocations are traced (numpy's
    included) while a re-run mixes the whole timeline."""
    video = tmp_path / "long.mp4"
    _ffmpeg(
        *["-f", "lavfi", "-i", "color=black:s=64x64:r=2", "-f", "lavfi", "-i", "anullsrc=r=48000:cl=stereo"],
        *["-t", "180", "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-b:a", "32k", video],
    )
    script = tmp_path / "s.srt"
    script.write_text(
        "1\n00:00:05,000 --> 00:00:07,000\nANNA: Hello there.\n\n"
        "2\n00:01:30,000 --> 00:01:32,500\nBEN: Good to see you.\n\n"
        "3\n00:02:50,000 --> 00:02:52,000\nANNA: Goodbye.\n",
        encoding="utf-8",
    )
    _dub(video, script, tmp_path / "o.mp4")  # renders the lines (and loads what the run imports)
    tracemalloc.start()
    try:
        result = _dub(video, script, tmp_path / "o.mp4")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(result.rendered) == 0 and abs(probe(tmp_path / "o.mp4").duration - 180) < 0.1
    assert peak < 40e6, f"peak {peak / 1e6:.0f} MB of Python allocations"
