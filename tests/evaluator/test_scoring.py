"""`dubkit score` and `dubkit compare` end to end: a dubbed project, a media file with a script, lists, resume."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from metric_helpers import SENTENCE, SR

from cli.main import main
from evaluator.media import write_wav

FAST = "wer,spk_sim,dnsmos_ovrl,slot_error_ms,stretch_ratio,mcd"


def _run(*args: str) -> tuple[int, str]:
    res = CliRunner().invoke(main, list(args))
    return res.exit_code, res.stdout if res.exit_code == 0 else res.output


@pytest.fixture(scope="module")
def dubbed(demo_episode, tmp_path_factory):
    """`dubkit dub` on the 3-line demo episode."""
    d = tmp_path_factory.mktemp("dubbed")
    project = d / "proj"
    code, out = _run(
        "dub", str(demo_episode.video), "--script", str(demo_episode.script), "-o", str(d / "dub.mp4"),
        "--project", str(project), "--quiet",
    )  # fmt: skip
    assert code == 0, out
    return project


def test_score_a_dubbed_project_per_line_and_per_clip(dubbed, tmp_path):
    out = tmp_path / "scores"
    code, stdout = _run("score", str(dubbed), "--metrics", FAST, "--out", str(out), "--json")
    assert code == 0, stdout
    summary = json.loads(stdout)
    assert summary["items"] == {"clip": 1, "line": 3}
    rows = [json.loads(x) for x in (out / "scores.jsonl").read_text().splitlines()]
    lines = [r for r in rows if r["kind"] == "line"]
    assert len(lines) == 3 and all(r["parent"] == "proj" for r in lines)
    for r in lines:
        m = r["metrics"]
        assert m["wer"]["value"] is not None and m["wer"]["backend"] == "pocketsphinx" and m["wer"]["sample_rate"]
        assert -1.0 <= m["spk_sim"]["value"] <= 1.0 and "resemblyzer" in m["spk_sim"]["model_id"]
        assert m["stretch_ratio"]["value"] > 0 and m["slot_error_ms"]["value"] >= 0
        assert m["mcd"]["value"] is None and m["mcd"]["skipped"] == "missing input: reference"
    clip = next(r for r in rows if r["kind"] == "clip")
    assert clip["metrics"]["dnsmos_ovrl"]["value"] > 1.0
    assert clip["metrics"]["slot_error_ms"]["skipped"] == "missing input: fit"
    line_summary = summary["summary"]["line"]["wer"]
    assert line_summary["n"] == 3 and line_summary["ci95"][0] <= line_summary["mean"] <= line_summary["ci95"][1]
    csv_text = (out / "summary.csv").read_text()
    assert csv_text.startswith("kind,metric,n,mean,std,ci95_low,ci95_high") and "line,wer,3," in csv_text


def test_resume_keeps_rows_and_one_model_at_a_time_matches(dubbed, tmp_path):
    out = tmp_path / "scores"
    assert _run("score", str(dubbed), "--metrics", "wer,dnsmos_ovrl", "--out", str(out), "-q")[0] == 0
    first = (out / "scores.jsonl").read_text()
    code, stdout = _run("score", str(dubbed), "--metrics", "wer,dnsmos_ovrl", "--out", str(out), "--resume", "--json")
    assert code == 0 and (out / "scores.jsonl").read_text() == first
    assert json.loads(stdout)["seconds_per_family"]["transcript"] < 0.05  # nothing recomputed
    out2 = tmp_path / "one"
    assert (
        _run("score", str(dubbed), "--metrics", "wer,dnsmos_ovrl", "--out", str(out2), "--one-model-at-a-time")[0] == 0
    )
    a = {json.loads(x)["id"]: json.loads(x)["metrics"] for x in first.splitlines()}
    b = {json.loads(x)["id"]: json.loads(x)["metrics"] for x in (out2 / "scores.jsonl").read_text().splitlines()}
    assert a == b


def test_media_file_with_script_and_reference(speech, tmp_path):
    import numpy as np

    audio = np.concatenate([np.zeros(SR // 2, np.float32), speech, np.zeros(SR // 2, np.float32)])
    write_wav(tmp_path / "dub.wav", audio, SR)
    end = 0.5 + len(speech) / SR
    stamp = f"00:00:{end + 0.1:06.3f}".replace(".", ",")
    (tmp_path / "s.srt").write_text(f"1\n00:00:00,400 --> {stamp}\nANNA: {SENTENCE}\n")
    code, stdout = _run(
        "score", str(tmp_path / "dub.wav"), "--script", str(tmp_path / "s.srt"), "--reference",
        str(tmp_path / "dub.wav"), "--metrics", "wer,mcd", "--out", str(tmp_path / "o"), "--json",
    )  # fmt: skip
    assert code == 0, stdout
    rows = [json.loads(x) for x in (tmp_path / "o" / "scores.jsonl").read_text().splitlines()]
    line = next(r for r in rows if r["kind"] == "line")
    assert line["inputs"]["text"] == SENTENCE  # speaker prefix dropped
    assert line["metrics"]["wer"]["value"] <= 0.15
    assert line["metrics"]["mcd"]["value"] == pytest.approx(0.0, abs=1e-6)


def test_list_input_records_missing_inputs_and_bad_input_is_one_line(speech, tmp_path):
    write_wav(tmp_path / "a.wav", speech, SR)
    (tmp_path / "list.jsonl").write_text(json.dumps({"id": "a", "audio": "a.wav"}) + "\n")
    code, stdout = _run("score", str(tmp_path / "list.jsonl"), "--metrics", "wer,spk_sim", "--out", str(tmp_path / "o"))
    assert code == 0, stdout
    row = json.loads((tmp_path / "o" / "scores.jsonl").read_text())
    assert row["metrics"]["wer"]["skipped"] == "missing input: text"
    assert row["metrics"]["spk_sim"]["skipped"] == "missing input: reference or voice"
    code, out = _run("score", str(tmp_path / "list.jsonl"), "--metrics", "wer,spk_sims")
    assert code == 2 and "unknown metric 'spk_sims'" in out and "spk_sim" in out
    code, out = _run("score", str(tmp_path / "missing.wav"))
    assert code == 2 and "no such file" in out


def _system(d, offset: float, n: int = 8):
    d.mkdir()
    rows = []
    for i in range(n):
        metrics = {
            "wer": {"value": 0.1 + offset + 0.01 * i, "backend": "pocketsphinx", "model_id": "m", "sample_rate": 16000},
            "dnsmos_ovrl": {"value": 3.0 - offset + 0.02 * i, "backend": "b", "model_id": "m", "sample_rate": 16000},
        }
        rows.append(json.dumps({"id": f"c{i}", "kind": "clip", "metrics": metrics}))
    (d / "scores.jsonl").write_text("\n".join(rows) + "\n")
    specs = {"wer": {"higher_is_better": False, "model_id": "m"}, "dnsmos_ovrl": {"higher_is_better": True}}
    (d / "summary.json").write_text(json.dumps({"specs": specs}))
    return d


def test_compare_leaderboard_with_paired_test_and_plots(tmp_path):
    a, b = _system(tmp_path / "good", 0.0), _system(tmp_path / "bad", 0.3)
    (tmp_path / "systems.yaml").write_text(f"good: {a}\nbad: {b}\n")
    out = tmp_path / "cmp"
    code, stdout = _run("compare", str(tmp_path / "systems.yaml"), "--out", str(out), "--json")
    assert code == 0, stdout
    table = json.loads(stdout)
    assert table["metrics"]["wer"]["best"] == "good" and table["metrics"]["dnsmos_ovrl"]["best"] == "good"
    bad = table["metrics"]["wer"]["cells"]["bad"]
    assert bad["pairs"] == 8 and bad["p_vs_best"] < 0.01
    md = (out / "leaderboard.md").read_text()
    assert "| wer ↓ | **0.135" in md and "p=0.008" in md
    for png in ("boxplots.png", "radar.png"):
        assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (out / "leaderboard.csv").read_text().startswith("metric,system,n,mean")
    code, out_text = _run("compare", str(a), "--out", str(out))
    assert code == 2 and "at least two systems" in out_text


def test_a_dubbed_video_is_transcribed_from_its_dialogue_stem_and_says_so(dubbed, demo_episode, tmp_path):
    import shutil

    video = dubbed.parent / "dub.mp4"  # `dubkit dub -o dub.mp4` wrote dub.dub.wav beside it
    args = ["--script", str(demo_episode.script), "--metrics", "wer", "--json"]
    assert _run("score", str(video), *args, "--out", str(tmp_path / "stem"))[0] == 0
    alone = tmp_path / "elsewhere" / "dub.mp4"
    alone.parent.mkdir()
    shutil.copy(video, alone)  # the same mix without its stem
    code, stdout = _run("score", str(alone), *args, "--out", str(tmp_path / "mix"))
    assert code == 0, stdout
    rows = {}
    for run in ("stem", "mix"):
        rows[run] = {
            json.loads(x)["id"]: json.loads(x) for x in (tmp_path / run / "scores.jsonl").read_text().splitlines()
        }
    clip = rows["stem"]["dub"]
    assert clip["inputs"]["speech"]["path"] == str(dubbed.parent / "dub.dub.wav")
    assert clip["metrics"]["wer"]["notes"] == ["transcribed the dialogue stem"]
    assert clip["metrics"]["wer"]["details"]["transcribed"] == "speech"
    line = rows["stem"]["dub#2"]
    assert line["inputs"]["speech"]["start"] == line["inputs"]["audio"]["start"]  # the same span of the stem
    mixed = rows["mix"]["dub"]
    assert "speech" not in mixed["inputs"]
    assert mixed["metrics"]["wer"]["notes"] == ["transcribed the mix (no dialogue stem found beside the video)"]
    # the demo's mix has music under the dialogue: the recogniser does worse on it than on the stem
    assert clip["metrics"]["wer"]["value"] < mixed["metrics"]["wer"]["value"]
    summary = json.loads(stdout)["summary"]["line"]["wer"]
    assert summary["notes"] == {"transcribed the mix (no dialogue stem found beside the video)": 3}


def test_confidence_intervals_stay_inside_the_metric_range():
    from evaluator.scoring.summary import summarize

    rows = [{"kind": "line", "metrics": {"wer": {"value": v}}} for v in (0.0, 0.0, 0.1, 1.9)]
    specs = {"wer": {"higher_is_better": False, "range": [0.0, None]}}
    lo, hi = summarize(rows, specs)["line"]["wer"]["ci95"]
    assert lo == 0.0 and hi > 1.0  # the t interval alone goes below 0 (-0.98 here)
    rows = [{"kind": "clip", "metrics": {"spk_sim": {"value": v}}} for v in (0.99, 0.2, 0.98)]
    lo, hi = summarize(rows, {"spk_sim": {"higher_is_better": True, "range": [-1.0, 1.0]}})["clip"]["spk_sim"]["ci95"]
    assert lo >= -1.0 and hi == 1.0


def _compare_json(a, b, out) -> dict:
    res = CliRunner().invoke(main, ["compare", str(a), str(b), "--out", str(out), "--json"])
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def test_compare_warns_when_systems_share_no_items_or_only_some(tmp_path):
    a, b = _system(tmp_path / "a", 0.0), _system(tmp_path / "b", 0.1)
    c = tmp_path / "c"
    shutil_copy = __import__("shutil").copytree
    shutil_copy(b, c)
    (c / "scores.jsonl").write_text((b / "scores.jsonl").read_text().replace('"id": "c', '"id": "other'))
    res = CliRunner().invoke(main, ["compare", str(a), str(c), "--out", str(tmp_path / "none"), "--json"])
    assert res.exit_code == 0, res.output
    table = json.loads(res.stdout)
    assert table["warnings"] == [
        "the systems share no clip items (a: 8, c: 8): each mean is over different items, so the table does not "
        "compare the systems on the same material, and no paired test can run"
    ]
    assert res.stderr.startswith("dubkit: warning: the systems share no clip items")
    assert "**Warning:** the systems share no clip items" in (tmp_path / "none" / "leaderboard.md").read_text()
    some = tmp_path / "d"
    shutil_copy(b, some)
    lines = (b / "scores.jsonl").read_text().splitlines()
    (some / "scores.jsonl").write_text("\n".join(lines[:5]) + "\n")
    table = json.loads(
        CliRunner().invoke(main, ["compare", str(a), str(some), "--out", str(tmp_path / "s"), "--json"]).stdout
    )
    assert table["warnings"] == [
        "the systems share 5 of 8 clip items (a: 8, d: 5): means are over each system's own items; paired tests use "
        "the 5 shared ones"
    ]
    assert table["metrics"]["wer"]["cells"]["d"]["pairs"] == 5
    same = json.loads(
        CliRunner().invoke(main, ["compare", str(a), str(b), "--out", str(tmp_path / "x"), "--json"]).stdout
    )
    assert same["warnings"] == []
