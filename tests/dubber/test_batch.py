"""`dubkit batch dub JOBS.csv`: the columns are `dubkit dub`'s options (typed and defaulted as it does), an
unknown column is refused with the valid names, every bad row is reported before anything runs; in this
process a failing episode is reported while the other is dubbed, and the next run skips what is done."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.batch import job_columns, read_jobs
from cli.main import main
from evaluator.errors import ConfigError


def _csv(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "jobs.csv"
    path.write_text(text.strip() + "\n", encoding="utf-8")
    return path


def test_rows_become_dub_configs_as_dubkit_dub_parses_them(tmp_path):
    jobs = read_jobs(
        _csv(
            tmp_path,
            """
video,script,lang,output,min_stretch,keep_original_audio,synth,synth_opt,lines,cot
ep1/v.mp4,ep1/s.srt,en,out/ep1.mp4,0.9,yes,piper,use_cuda=false;config=v.json,3-4,none
/abs/ep2.mp4,/abs/ep2.srt,,,,,,,,
""",
        )
    )
    a, b = (j.config for j in jobs)
    assert a.video == tmp_path / "ep1" / "v.mp4" and a.script == tmp_path / "ep1" / "s.srt"  # beside the CSV
    assert a.output == tmp_path / "out" / "ep1.mp4" and a.resolved_project() == tmp_path / "out" / "ep1.dubkit"
    assert a.caps.min_ratio == 0.9 and a.caps.max_ratio == 1.25 and a.keep_original_audio is True
    assert a.synth_options == {"use_cuda": False, "config": "v.json"} and a.force_lines == {3, 4}
    assert a.cot == "none" and jobs[0].source == "jobs.csv row 2"
    assert b.video == Path("/abs/ep2.mp4") and b.lang == "en" and b.cot == "heuristic"  # empty cells: defaults
    assert b.output == Path("/abs/ep2.dubbed-en.mp4")  # `dubkit dub`'s default output
    assert jobs[0].fingerprint() != jobs[1].fingerprint()


def test_an_unknown_column_is_refused_with_the_valid_names(tmp_path):
    with pytest.raises(ConfigError, match="unknown column\\(s\\) speed") as info:
        read_jobs(_csv(tmp_path, "video,script,speed\na.mp4,a.srt,2\n"))
    assert "min_stretch" in str(info.value) and "source_script" in str(info.value)
    assert "video" in job_columns() and "json" not in job_columns() and "quiet" not in job_columns()


def test_every_bad_row_is_reported_before_anything_runs(tmp_path):
    path = _csv(
        tmp_path,
        """
video,script,source_script,translate,seed,lines
a.mp4,a.srt,,,1,
b.mp4,,,,x,
c.mp4,,c.es.srt,table,,
d.mp4,d.srt,,,,5-3
""",
    )
    with pytest.raises(ConfigError) as info:
        read_jobs(path)
    msg = str(info.value)
    assert msg.startswith(f"{path}: 3 row(s) cannot be dubbed")
    assert "row 3: " in msg and "'x' is not a valid integer" in msg
    assert "row 4: --translate table needs --translations CSV" in msg and "row 5: " in msg
    assert "the range ends before it starts" in msg and "row 2" not in msg


def test_two_rows_writing_one_output_are_refused(tmp_path):
    from dubber.batch import check_jobs

    jobs = read_jobs(_csv(tmp_path, "video,script,output\na.mp4,a.srt,x.mp4\nb.mp4,b.srt,x.mp4\n"))
    with pytest.raises(ConfigError, match="jobs.csv row 3 and jobs.csv row 2 both write"):
        check_jobs(jobs)


@pytest.mark.slow
def test_in_process_a_failing_episode_is_reported_the_other_dubbed_and_a_rerun_skips_it(tmp_path):
    from dubber.demo import build_demo

    build_demo(tmp_path / "ep1", n_lines=1, width=160)
    (tmp_path / "broken.mp4").write_bytes(b"not a video")
    path = _csv(tmp_path, "video,script,output,cot\nep1/demo.mp4,ep1/demo.en.srt,out/ep1.mp4,none\n"
                          "broken.mp4,ep1/demo.en.srt,out/broken.mp4,none\n")  # fmt: skip
    res = CliRunner().invoke(main, ["batch", "dub", str(path), "--json"])
    assert res.exit_code == 1, res.output  # some episode failed
    first = json.loads(res.stdout)
    assert [Path(d["output"]).name for d in first["dubbed"]] == ["ep1.mp4"] and first["rendered_lines"] == 1
    [failed] = first["failed"]
    assert failed["source"] == "jobs.csv row 3" and "broken.mp4" in failed["error"] and "MediaError" in failed["error"]
    res = CliRunner().invoke(main, ["batch", "dub", str(path), "--json"])
    again = json.loads(res.stdout)
    assert [Path(p).name for p in again["resumed"]] == ["ep1.mp4"] and again["rendered_lines"] == 0
    assert [Path(f["output"]).name for f in again["failed"]] == ["broken.mp4"]  # tried again, failed again
    rows = [json.loads(x) for x in (tmp_path / "jobs.batch" / "jobs.jsonl").read_text().splitlines()]
    assert [(Path(r["id"]).name, r["status"]) for r in rows] == [
        ("ep1.mp4", "done"),
        ("broken.mp4", "failed"),
        ("broken.mp4", "failed"),
    ]
