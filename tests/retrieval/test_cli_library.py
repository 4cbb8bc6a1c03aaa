"""``dubkit library build|add|query|info`` on real clips: video + subtitles, a dubkit project, a CSV."""

from __future__ import annotations

import json

from click.testing import CliRunner

from cli.main import main
from evaluator.project import Line, Manifest, save_manifest
from retrieval import clips_from_project, clips_from_subtitles

SRT = """1
00:00:00,000 --> 00:00:01,400
ANNA: I'm so happy, we won!

2
00:00:01,500 --> 00:00:02,900
BEN: Get out of my house right now!
"""


def _json(result) -> dict:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_build_from_video_and_subtitles_then_add_a_project_then_query(clip_dir, tmp_path):
    video = clip_dir / "c_happy.mp4"
    subs = tmp_path / "ep.en.srt"
    subs.write_text(SRT, encoding="utf-8")
    lib = tmp_path / "lib"
    runner = CliRunner()

    out = _json(runner.invoke(main, ["library", "build", str(video), "--subs", str(subs), "-o", str(lib), "--json"]))
    assert out["added"] == 2 and out["skipped"] == [] and out["total"] == 2

    project = tmp_path / "proj"
    project.mkdir()
    m = Manifest(video=str(clip_dir / "c_sad.mp4"), script="x.srt", lang="en")
    m.lines.append(Line(index=1, start=0.2, end=2.8, text="He is gone.", source_text="Se ha ido.", speaker="ANNA"))
    save_manifest(project, m)
    out = _json(runner.invoke(main, ["library", "add", str(lib), str(project), "--json"]))
    assert out["added"] == 1 and out["total"] == 3

    args = ["library", "query", str(lib), "--video", str(clip_dir / "c_sad.mp4"), "--start", "0.2", "--end", "2.8"]
    out = _json(runner.invoke(main, [*args, "--text", "Se ha ido.", "-k", "2", "--json"]))
    assert out["k"] == 2 and len(out["hits"]) == 6
    firsts = {h["modality"]: h for h in out["hits"] if h["rank"] == 1}
    assert firsts["scene"]["id"].startswith("c_sad:1@") and firsts["text"]["id"] == firsts["scene"]["id"]
    assert out["encoders"]["audio"] == "dubkit-prosody-v1"

    text = runner.invoke(main, [*args, "--speaker", "BEN", "--same-speaker"])
    assert text.exit_code == 0 and "[BEN]" in text.output and "[ANNA]" not in text.output

    info = _json(runner.invoke(main, ["library", "info", str(lib), "--json"]))
    assert info["clips"] == 3 and info["speakers"] == {"ANNA": 2, "BEN": 1}
    human = runner.invoke(main, ["library", "info", str(lib)])
    assert human.exit_code == 0 and "136-d" in human.output
    assert "exact search (an approximate index is built once the library holds 50000 clips)" in human.output


def test_cli_errors_are_one_line_with_status_2(built_library, tmp_path):
    lib, _ = built_library
    runner = CliRunner()
    bad = runner.invoke(main, ["library", "build", str(tmp_path / "x.csv"), "-o", str(lib.path), "--profile", "paper"])
    assert bad.exit_code == 2 and "no such dataset manifest" in bad.output
    csv = tmp_path / "one.csv"
    csv.write_text("id,audio,text,speaker\na,a.wav,Hi.,X\n", encoding="utf-8")
    other = ["library", "build", str(csv), "-o", str(lib.path), "--profile", "paper", "--text-model", "my/model"]
    res = runner.invoke(main, other)
    assert res.exit_code == 2 and "built with" in res.output and "my/model" in res.output
    res = runner.invoke(main, ["library", "query", str(tmp_path), "--text", "hi"])
    assert res.exit_code == 2 and "not a footage library" in res.output
    res = runner.invoke(main, ["library", "build", str(lib.path / "library.json"), "-o", str(tmp_path / "l2")])
    assert res.exit_code == 2 and "--subs" in res.output


def test_clip_sources(clip_dir, tmp_path):
    subs = tmp_path / "a.srt"
    subs.write_text(SRT, encoding="utf-8")
    clips = clips_from_subtitles(clip_dir / "c_happy.mp4", subs)
    assert [(c.start, c.end) for c in clips] == [(0.0, 1.4), (1.5, 2.9)]
    assert clips[0].text == "ANNA: I'm so happy, we won!" and clips[0].speaker == "default"
    m = Manifest(video="ep.mp4", script="ep.srt", lang="en")
    m.lines.append(Line(index=3, start=1.0, end=2.0, text="Hi.", source_text="Hola.", speaker="B"))
    save_manifest(tmp_path, m)
    (clip,) = clips_from_project(tmp_path)
    assert (clip.id, clip.text, clip.speaker, clip.video) == ("ep:3", "Hola.", "B", str(tmp_path.resolve() / "ep.mp4"))
