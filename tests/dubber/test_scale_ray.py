"""`dubkit batch dub` and `dubkit corpus build` on a real local Ray (2 CPUs, 2 workers; one Ray for the module):
both episodes dubbed and a re-run renders nothing; the corpus built on Ray is the corpus built in one process.

Slow: Ray's start-up alone takes 10-20 s on the shared 2-core machine, and each episode is a real dub."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import main
from evaluator.corpus import read_corpus

pytestmark = pytest.mark.slow

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _invoke(*args: str) -> dict:
    res = CliRunner().invoke(main, [*args, "--json"])
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


@pytest.fixture(scope="module")
def two_episodes(tmp_path_factory) -> Path:
    from dubber.demo import build_demo

    d = tmp_path_factory.mktemp("season")
    for name in ("ep1", "ep2"):
        build_demo(d / name, n_lines=2, width=160)
    jobs = d / "jobs.csv"
    jobs.write_text(
        "video,script,lang,output,cot,seed\n"
        "ep1/demo.mp4,ep1/demo.en.srt,en,out/ep1.mp4,none,1\n"
        "ep2/demo.mp4,ep2/demo.en.srt,en,out/ep2.mp4,none,2\n"
    )
    return jobs


def test_batch_dub_on_two_workers_makes_both_episodes_and_a_rerun_renders_nothing(local_ray, two_episodes):
    out = two_episodes.parent / "out"
    first = _invoke("batch", "dub", str(two_episodes), "--ray", "--workers", "2")
    assert first["runner"]["backend"] == "ray" and first["runner"]["workers"] == 2 and not first["failed"]
    assert sorted(Path(d["output"]).name for d in first["dubbed"]) == ["ep1.mp4", "ep2.mp4"]
    assert first["rendered_lines"] == 4
    for ep in ("ep1", "ep2"):
        assert (out / f"{ep}.mp4").stat().st_size > 0 and (out / f"{ep}.dubkit" / "manifest.json").is_file()
    made = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    log = (two_episodes.parent / "jobs.batch" / "jobs.jsonl").read_text()
    assert [json.loads(x)["status"] for x in log.splitlines()] == ["done", "done"]
    again = _invoke("batch", "dub", str(two_episodes), "--ray", "--workers", "2")
    assert again["dubbed"] == [] and again["rendered_lines"] == 0 and len(again["resumed"]) == 2
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()} == made  # nothing written again
    assert (two_episodes.parent / "jobs.batch" / "jobs.jsonl").read_text() == log


def _strip(row):
    """A row without what espeak's take length decides (it varies by a few ms between identical calls)."""
    return {k: v for k, v in row.to_dict().items() if k not in ("fit", "duration")}


def test_a_corpus_built_on_ray_is_the_corpus_built_in_one_process(local_ray, tmp_path_factory, monkeypatch):
    from dubber.dataset_fixtures import build_meld_fixture

    root = build_meld_fixture(tmp_path_factory.mktemp("meld"))
    d = tmp_path_factory.mktemp("corpora")
    monkeypatch.chdir(d)  # -o and the table relative to a folder that is not the workers' (theirs: where Ray started)
    shutil.copy(EXAMPLES / "meld" / "translations.hi.csv", d / "table.csv")
    base = ["corpus", "build", str(root), "--dataset", "meld", "--to", "hi", "--synth", "espeak", "--translations",
            "table.csv", "--limit", "4", "--originals", "2"]  # fmt: skip
    here = _invoke(*base, "-o", "here")
    on_ray = _invoke(*base, "-o", "ray", "--ray", "--workers", "2")
    assert on_ray["runner"]["backend"] == "ray" and here["runner"]["backend"] == "in-process"
    assert on_ray["rows"] == here["rows"] == {"dubbed": 3, "original": 2}
    assert on_ray["skipped"] == here["skipped"] and [s["id"] for s in here["skipped"]] == ["dev/dia0_utt3"]
    a, b = read_corpus(d / "here"), read_corpus(d / "ray")
    assert [r.id for r in b] == sorted(r.id for r in b)  # appended as they came back, sorted once at the end
    assert [_strip(r) for r in a] == [_strip(r) for r in b]
    for r in b:
        if r.kind == "dubbed":
            assert r.path(d / "ray", "audio").stat().st_size > 0 and r.path(d / "ray", "video").stat().st_size > 0
