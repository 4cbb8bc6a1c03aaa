"""`dubkit dub` from the source side: a source script translated in the project (table backend, offline),
and an episode transcribed then translated; each stage's output kept and reused, hand edits respected."""

from __future__ import annotations

import csv
import json

import pysubs2
import pytest
from click.testing import CliRunner

from cli.main import main
from evaluator.project import load_manifest
from evaluator.script import load_script


def dub(*args):
    return CliRunner().invoke(main, ["dub", *map(str, args)])


@pytest.fixture(scope="module")
def table(demo_episode, tmp_path_factory):
    """Translations made elsewhere: the demo's English lines by cue number."""
    path = tmp_path_factory.mktemp("tr") / "translations.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["id", "text"])
        for cue in load_script(demo_episode.script):
            w.writerow([cue.index, cue.text])
    return path


def _fresh(result):
    assert result.exit_code == 0, result.output
    return [f["index"] for f in json.loads(result.stdout)["fit"] if f["rendered"]]


def test_a_source_script_is_translated_in_the_project_and_hand_edits_rerender_one_line(demo_episode, table, tmp_path):
    out = tmp_path / "o.mp4"
    args = [demo_episode.video, "--source-script", demo_episode.source_script, "--source-lang", "es"]
    args += ["--translate", "table", "--translations", table, "--lang", "en", "--cot", "none", "-o", out, "--json"]
    assert _fresh(dub(*args)) == [1, 2, 3]
    project = out.with_suffix(".dubkit")
    m = load_manifest(project)
    first = m.lines[0]
    assert first.text == "Good morning. Did you see the news this morning?"
    assert first.source_text.startswith("Buenos días") and first.speaker == "ANNA"
    assert first.translation.backend == "table" and first.translation.target_lang == "en"
    assert first.translation.length["fits"] is True  # the budget from the slot and the English speaking rate
    assert m.inputs["translation"]["target_script"].endswith("translation/target.ass")
    # a re-run asks nothing again and renders nothing
    assert _fresh(dub(*args)) == []
    # a reviewer rewords line 2 in the project's target script: only that line is rendered again
    target = project / "translation" / "target.ass"
    subs = pysubs2.load(str(target))
    subs.events[1].plaintext = "Yes, the port is closed for a week."
    subs.save(str(target))
    assert _fresh(dub(*args)) == [2]
    line = load_manifest(project).lines[1]
    assert line.text == "Yes, the port is closed for a week." and line.translation.edited
    assert line.translation.first_wording == "Yes, it looks like the port will be closed all week."
    assert load_manifest(project).inputs["translation"]["edited_lines"] == [2]
    assert _fresh(dub(*args)) == []  # the edit is kept, not translated over


def test_an_episode_is_transcribed_then_translated(demo_episode, table, tmp_path):
    out = tmp_path / "t.mp4"
    args = [demo_episode.video, "--transcribe", "offline", "--source-lang", "es", "--speakers", "2"]
    args += ["--translate", "table", "--translations", table, "--lang", "en", "--cot", "none", "-o", out, "--json"]
    assert _fresh(dub(*args)) == [1, 2, 3]
    m = load_manifest(out.with_suffix(".dubkit"))
    # silero-vad found the three lines and the speaker embeddings the two voices (ANNA, BEN, ANNA)
    assert [ln.speaker for ln in m.lines] == ["SPEAKER 1", "SPEAKER 2", "SPEAKER 1"]
    # the demo's cues start where each espeak take starts, and a take opens with up to ~0.45 s of silence
    for ln, cue in zip(m.lines, load_script(demo_episode.source_script), strict=True):
        assert -0.1 < ln.start - cue.start < 0.6 and abs(ln.end - cue.end) < 0.4
    assert m.inputs["transcription"]["backend"] == "offline" and m.inputs["transcription"]["lang"] == "es"
    assert m.lines[0].text.startswith("Good morning")
    record = out.with_suffix(".dubkit") / "source" / "transcript.json"
    stamp = record.stat().st_mtime_ns
    assert _fresh(dub(*args)) == []  # nothing twice: the transcript is read back, no line rendered
    assert record.stat().st_mtime_ns == stamp


def test_source_side_refusals(demo_episode, table, tmp_path):
    out = tmp_path / "r.mp4"
    base = [demo_episode.video, "-o", out, "--cot", "none", "--lang", "en"]
    both = dub(*base, "--script", demo_episode.script, "--source-script", demo_episode.source_script,
               "--translate", "table", "--translations", table)  # fmt: skip
    assert both.exit_code == 2 and "give --script or --translate, not both" in both.output
    no_url = dub(*base, "--source-script", demo_episode.source_script, "--translate", "vllm")
    assert no_url.exit_code == 2 and "--translate vllm needs --translate-url" in no_url.output
    assert dub(*base, "--script", demo_episode.script, "--translations", table).exit_code == 2
    gap = tmp_path / "gap.csv"
    gap.write_text("id,text\n1,Hello.\n", encoding="utf-8")
    missing = dub(*base, "--source-script", demo_episode.source_script, "--translate", "table", "--translations", gap)
    assert missing.exit_code == 2 and "2, 3" in missing.output and "Traceback" not in missing.output
    assert not out.exists()
    unknown = dub(*base, "--source-script", demo_episode.source_script, "--translate", "tabel")
    assert unknown.exit_code == 2 and "did you mean table" in unknown.output
