"""End to end: `dubkit dub` on a real (offline-built) episode with the packaged piper voice."""

import json

import numpy as np
import pytest
from click.testing import CliRunner
from ebur128 import ffmpeg_lufs

from cli.main import main
from evaluator.media import load_audio, probe
from evaluator.script import read_script


def dub(*args):
    result = CliRunner().invoke(main, ["dub", *map(str, args)])
    return result


@pytest.fixture(scope="module")
def first_run(demo_episode, tmp_path_factory):
    out = tmp_path_factory.mktemp("dub") / "ep.dubbed.mp4"
    result = dub(demo_episode.video, "--script", demo_episode.script, "-o", out, "--json")
    assert result.exit_code == 0, result.output
    return out, json.loads(result.stdout)


def test_end_to_end_dub(demo_episode, first_run):
    out, summary = first_run
    src = probe(demo_episode.video, count_frames=True)
    got = probe(out, count_frames=True)
    # picture stream-copied: same codec, same frame count; duration kept
    assert got.video.codec == src.video.codec and got.video.frames == src.video.frames
    assert abs(got.duration - src.duration) < 0.04
    assert got.audio_streams[0].codec == "aac" and len(got.audio_streams) == 1
    cues = read_script(demo_episode.script)
    assert summary["lines"] == len(cues) == len(summary["fit"])  # no line missing
    assert {f["index"] for f in summary["fit"]} == {c.index for c in cues}
    assert summary["synth"] == {"backend": "piper", "model": "piper:en_US-joe-medium"}
    for f in summary["fit"]:
        assert f["rendered"] is True
        assert 0.8 - 1e-3 <= f["ratio"] <= 1.25 + 1e-3
        assert f["duration"] == pytest.approx(f["raw_duration"] * f["ratio"], abs=2e-3)
        inside = f["placed_end"] <= f["end"] + f["borrow_ms"] / 1000 + 1e-3
        assert inside or f["overrun_ms"] > 0
        assert f["placed_start"] == pytest.approx(f["start"])
    # the dialogue as placed in the stereo mix (the mono stem in both channels) within 1 LU of the
    # original over the cue spans, both measured by ffmpeg's ebur128
    target = ffmpeg_lufs(demo_episode.video, [(c.start, c.end) for c in cues])
    assert abs(ffmpeg_lufs(out.with_suffix(".dub.wav"), pan="stereo|c0=c0|c1=c0") - target) < 1.0
    assert summary["mix"]["layout"] == "stereo (FL+FR)" and "stereo" in summary["mix"]["target_source"]
    mixed = load_audio(out, 48000, mono=False)
    assert np.abs(mixed).max() < 0.95  # no clipping; true-peak ceiling -1 dBTP before AAC
    srt = read_script(out.with_suffix(".srt"))
    assert [round(c.start, 2) for c in srt] == [round(f["placed_start"], 2) for f in summary["fit"]]
    assert [c.speaker for c in srt] == [c.speaker for c in cues] and cues[0].speaker == "ANNA"  # names kept
    assert (out.with_suffix(".dubkit") / "manifest.json").is_file()


def test_second_run_renders_nothing_and_edits_rerender_one_line(demo_episode, first_run, tmp_path):
    out, _ = first_run
    again = dub(demo_episode.video, "--script", demo_episode.script, "-o", out, "--json")
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["rendered"] == 0
    edited = tmp_path / "edited.srt"
    text = demo_episode.script.read_text(encoding="utf-8")
    edited.write_text(text.replace("Did you see the news this morning?", "Have you read the paper?"), encoding="utf-8")
    summary = json.loads(dub(demo_episode.video, "--script", edited, "-o", out, "--json").stdout)
    assert [f["index"] for f in summary["fit"] if f["rendered"]] == [1]
    forced = json.loads(dub(demo_episode.video, "--script", edited, "-o", out, "--json", "--lines", "2,3").stdout)
    assert [f["index"] for f in forced["fit"] if f["rendered"]] == [2, 3]


def test_keep_original_audio_background_stem_and_espeak(demo_episode, tmp_path):
    out = tmp_path / "two.mkv"
    result = dub(
        demo_episode.video,
        "--script",
        demo_episode.script,
        "-o",
        out,
        "--keep-original-audio",
        "--background",
        demo_episode.music,
        "--synth",
        "espeak",
        "--match-pitch",
        "--json",
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert len(probe(out).audio_streams) == 2
    tags = _audio_tags(out)
    assert [t.get("language") for t in tags] == ["eng", None]  # the original's language was not given
    assert [t.get("title") for t in tags] == ["Dub (en)", "Original"]
    assert summary["mix"]["background"].startswith("stem:")
    assert summary["synth"]["backend"] == "espeak"


def _audio_tags(path):
    from evaluator.media.tools import binary, run

    out = run([binary("ffprobe"), "-v", "error", "-select_streams", "a", "-show_entries", "stream_tags",
               "-of", "json", str(path)], what="probe")  # fmt: skip
    return [s.get("tags", {}) for s in json.loads(out.stdout)["streams"]]


def test_video_without_audio_is_fine(demo_episode, tmp_path):
    from evaluator.media.tools import binary, run

    silent = tmp_path / "silent.mp4"
    run([binary("ffmpeg"), "-v", "error", "-i", str(demo_episode.video), "-an", "-c:v", "copy", str(silent)], what="t")
    result = dub(silent, "--script", demo_episode.script, "-o", tmp_path / "o.mp4", "--json", "--lines", "1")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["mix"]["background"].startswith("none")


def _assert_user_error(result, out, *needles):
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("dubkit: error:")
    for needle in needles:
        assert needle in lines[0]
    assert not out.exists()
    assert not out.with_suffix(".dub.wav").exists() and not out.with_suffix(".srt").exists()


def test_bad_inputs_exit_2_with_one_line_and_no_output(demo_episode, tmp_path):
    out = tmp_path / "o.mp4"
    _assert_user_error(dub(tmp_path / "missing.mp4", "--script", demo_episode.script, "-o", out), out, "no such file")
    corrupt = tmp_path / "corrupt.mp4"
    corrupt.write_bytes(b"\x00\x01" * 5000)
    _assert_user_error(dub(corrupt, "--script", demo_episode.script, "-o", out), out, "corrupt.mp4")
    bad = tmp_path / "bad.srt"
    bad.write_text("1\n00:00:01,000 --> 00:00:02,000\nANNA: a\n\n2\n00:00:01,500 --> 00:09:00,000\nANNA: b\n")
    _assert_user_error(dub(demo_episode.video, "--script", bad, "-o", out), out, "cue 2", "beyond the video")
    _assert_user_error(
        dub(demo_episode.video, "--script", demo_episode.script, "-o", out, "--lang", "hi"), out, "cannot speak 'hi'"
    )
    _assert_user_error(
        dub(demo_episode.video, "--script", demo_episode.script, "-o", out, "--synth", "espeak", "--lang", "zz"),
        out,
        "cannot speak 'zz'",
    )
    a_file = tmp_path / "a_file"
    a_file.write_text("x")
    _assert_user_error(
        dub(demo_episode.video, "--script", demo_episode.script, "-o", a_file / "o.mp4"),
        a_file / "o.mp4",
        "cannot create it",
    )
    _assert_user_error(
        dub(demo_episode.video, "--script", demo_episode.script, "-o", tmp_path / "o.avi"),
        tmp_path / "o.avi",
        "unsupported output container",
    )


def test_text_in_a_script_the_voice_cannot_speak_is_refused(demo_episode, tmp_path):
    """Japanese text to the English piper voice was spoken anyway (noises over the next line)."""
    out = tmp_path / "o.mp4"
    script = tmp_path / "mixed.srt"
    text = demo_episode.script.read_text(encoding="utf-8")
    japanese = "おはよう。今朝のニュースを見た?"
    script.write_text(text.replace("Good morning. Did you see the news this morning?", japanese), encoding="utf-8")
    result = dub(demo_episode.video, "--script", script, "-o", out)
    _assert_user_error(result, out, "1 cue(s) in a writing system", "cue 1 (Hani, Hira", "in 'en'", "--lang")
    # a stray letter of another script passes (the Greek mu of a unit)
    from dubber.synth.scripts import check_speakable
    from evaluator.project import Line

    check_speakable([Line(index=4, start=0.0, end=1.0, text="A gap of 5 μm.")], "en", "piper")


def test_option_errors_name_the_flag_and_the_valid_options(demo_episode, tmp_path):
    out = tmp_path / "o.mp4"
    base = [demo_episode.video, "--script", demo_episode.script, "-o", out, "--cot", "none"]
    # the example of the old --help ended in a TypeError traceback (exit 1)
    _assert_user_error(dub(*base, "--synth-opt", "steps=16"), out, "unknown option 'steps' for the piper synthesizer")
    res = dub(*base, "--synth", "espeak", "--piper-model", "x.onnx")
    assert (
        res.exit_code == 2 and "--piper-model applies to --synth piper" in res.output and "Traceback" not in res.output
    )
    _assert_user_error(dub(*base, "--min-stretch", "1.2"), out, "--min-stretch <= 1")
    _assert_user_error(dub(*base, "--max-borrow", "-1"), out, "--max-borrow must be >= 0")
    _assert_user_error(dub(*base, "--candidates", "0"), out, "--candidates must be at least 1")
    _assert_user_error(dub(*base, "--lines", "0,99"), out, "--lines names cue(s) 0, 99")
    res = dub(*base, "--lines", "2-1")
    assert res.exit_code == 2 and "the range ends before it starts" in res.output
    a_dir = tmp_path / "a_dir.mp4"
    a_dir.mkdir()
    _assert_user_error(dub(*base[:3], "-o", a_dir, "--cot", "none"), a_dir / "x", "is a directory")
    # per-speaker voices: checked before anything is rendered, named by the flag
    _assert_user_error(dub(*base, "--voice", f"ANNA={tmp_path / 'none.onnx'}"), out, "--voice: ANNA=", "no such file")
    _assert_user_error(dub(*base, "--voice", "ZED=f1", "--synth", "espeak"), out, "--voice names speaker(s) ZED")
    _assert_user_error(dub(*base, "--voice", "ANNA=f9", "--synth", "espeak"), out, "'f9' is not an espeak variant")
    res = dub(*base, "--voice", "ANNA")
    assert res.exit_code == 2 and "expected SPEAKER=VOICE" in res.output
