"""``dubkit transcribe``: outputs that load back, the JSON summary, and every refusal as one line, exit 2,
nothing written."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import main
from dubber.transcribe import read_transcript_json
from evaluator.script import load_script


def _run(*args: str):  # noqa: ANN202 - click Result
    return CliRunner().invoke(main, ["transcribe", *args])


def test_transcribes_to_srt_and_json_with_a_summary(short_video, tmp_path: Path) -> None:  # noqa: ANN001
    conv, video = short_video
    srt, js = tmp_path / "src.srt", tmp_path / "src.json"
    res = _run(str(video), "-o", str(srt), "-o", str(js), "--lang", "en", "--speakers", "2", "--json")
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)
    assert summary["outputs"] == [str(srt), str(js)] and summary["backend"] == "offline"
    assert summary["utterances"] == len(conv.turns) == 4 and summary["speakers"] == ["SPEAKER 1", "SPEAKER 2"]
    assert set(summary["models"]) == {"vad", "asr", "aligner", "diarizer"} and all(summary["models"].values())
    cues, transcript = load_script(srt), read_transcript_json(js)
    assert [c.speaker for c in cues] == [u.speaker for u in transcript.utterances] == [
        "SPEAKER 1", "SPEAKER 2", "SPEAKER 1", "SPEAKER 2"
    ]  # fmt: skip
    assert "quick brown fox" in cues[2].text and transcript.utterances[2].words


def test_progress_goes_to_stderr_and_quiet_silences_it(short_video, tmp_path: Path) -> None:  # noqa: ANN001
    _, video = short_video
    loud = _run(str(video), "-o", str(tmp_path / "a.srt"), "--lang", "und", "--speakers", "2")
    assert loud.exit_code == 0 and "finding speech" in loud.stderr and "speakers" in loud.stderr
    assert "no recogniser for 'und'" in loud.stderr and "4 utterance(s), 2 speaker(s)" in loud.stdout
    quiet = _run(str(video), "-o", str(tmp_path / "b.srt"), "--lang", "und", "-q")
    assert quiet.exit_code == 0 and "finding speech" not in quiet.stderr


@pytest.fixture(scope="module")
def silent_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from evaluator.media.tools import binary

    path = tmp_path_factory.mktemp("noaudio") / "picture.mp4"
    cmd = [binary("ffmpeg"), "-v", "error", "-f", "lavfi", "-i", "color=c=black:s=64x48:r=5", "-t", "1"]
    subprocess.run([*cmd, "-c:v", "libx264", "-pix_fmt", "yuv420p", str(path)], check=True)
    return path


def _refused(res, *needles: str) -> None:  # noqa: ANN001
    assert res.exit_code == 2, res.output
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("dubkit: error: "), res.stderr
    for n in needles:
        assert n in lines[0], lines[0]


def test_refusals(short_video, silent_video, tiny_whisper, tmp_path: Path) -> None:  # noqa: ANN001
    _, video = short_video
    out = tmp_path / "out.srt"
    _refused(_run(str(tmp_path / "missing.mp4"), "-o", str(out), "--lang", "en"), "no such file")
    _refused(_run(str(silent_video), "-o", str(out), "--lang", "en"), "has no audio stream")
    _refused(_run(str(video), "-o", str(out), "--lang", "en", "--speakers", "0"), "--speakers 0")
    _refused(_run(str(video), "-o", str(out), "--lang", "en", "--speakers", "two"), "--speakers 'two'")
    _refused(_run(str(video), "-o", str(out)), "cannot identify the language", "lang")
    _refused(_run(str(video), "-o", str(out), "--lang", "english!"), "not a language code")
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    _refused(_run(str(video), "-o", str(blocker / "out.srt"), "--lang", "en"), "is a file")
    _refused(_run(str(video), "-o", str(tmp_path / "out.txt"), "--lang", "en"), "output format")
    _refused(_run(str(video), "-o", str(out), "--lang", "en", "--model", "x"), "--model do(es) nothing")
    _refused(_run(str(video), "-o", str(out), "--lang", "en", "--transcript", str(tmp_path / "no.txt")), "no.txt")
    fw = ["--backend", "faster-whisper", "--lang", "en"]
    _refused(_run(str(video), "-o", str(out), *fw), "needs model")
    _refused(_run(str(video), "-o", str(out), *fw, "--model", str(tmp_path / "nowhere")), "no such Whisper model")
    _refused(_run(str(video), "-o", str(out), *fw, "--model", str(tmp_path)), "no model.bin")
    wx = ["--backend", "whisperx", "--lang", "en"]
    _refused(_run(str(video), "-o", str(out), *wx), "needs model")
    _refused(_run(str(video), "-o", str(out), *wx, "--model", str(tmp_path / "nowhere")), "no such CTranslate2")
    wx += ["--model", str(tiny_whisper)]
    _refused(_run(str(video), "-o", str(out), *wx), "whisperx_cmd")
    _refused(_run(str(video), "-o", str(out), *wx, "--whisperx-cmd", str(tmp_path / "wx")), "no such executable")
    _refused(_run(str(video), "-o", str(out), *wx, "--whisperx-cmd", "whisperx", "--lang", "auto"), "needs lang")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]  # nothing half-written


def test_whisper_language_it_does_not_know(short_video, tiny_whisper, tmp_path: Path) -> None:  # noqa: ANN001
    _, video = short_video
    out = tmp_path / "out.srt"
    res = _run(str(video), "-o", str(out), "--backend", "faster-whisper", "--model", str(tiny_whisper), "--lang", "xx")
    _refused(res, "does not know the language 'xx'")
    assert not out.exists()
