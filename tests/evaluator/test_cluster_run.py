"""The runner in this process (no Ray): every item once, a failing item reported while the others complete,
progress with failures, Ctrl-C says how far it got; the ``--ray`` address and options are checked."""

from __future__ import annotations

import cluster_work as cw
import pytest
from click.testing import CliRunner

from cli.main import main
from evaluator.cluster import RaySession, RunInterrupted, Work, WorkItem, check_address, run_work
from evaluator.errors import ConfigError


def _items(n: int) -> list[WorkItem]:
    return [WorkItem(f"i{k}", k) for k in range(n)]


def test_each_item_once_in_order_a_failing_one_reported_and_the_rest_done():
    got, seen = [], []
    work = Work(cw.setup, cw.raises_on_two, unit="clip")
    report = run_work(work, _items(5), lambda it, r: got.append((it.key, r)), progress=lambda *a: seen.append(a))
    assert got == [("i0", 0), ("i1", 10), ("i3", 30), ("i4", 40)]
    assert [(f.key, f.error) for f in report.failed] == [("i2", "ValueError: item 2 is bad")]
    assert seen == [(1, 0, 5), (2, 0, 5), (3, 1, 5), (4, 1, 5), (5, 1, 5)]  # finished, failed, total
    assert report.done == 4 and report.describe() == "4 of 5 clips done, 1 failed"
    assert report.runner == {"backend": "in-process", "workers": 1}


def test_setup_runs_once_and_a_batch_counts_as_its_items():
    calls = []

    def setup():
        calls.append(1)
        return {}

    items = [WorkItem("a,b", 1, size=2), WorkItem("c", 2)]
    report = run_work(Work(setup, cw.times_ten), items, lambda it, r: None)
    assert calls == [1] and report.total == 3 and report.done == 3


def test_ctrl_c_stops_with_how_far_it_got_and_keeps_what_was_written():
    written = []

    def on_result(item, result):
        if len(written) == 2:  # Ctrl-C while the third item comes back
            raise KeyboardInterrupt
        written.append(item.key)

    with pytest.raises(RunInterrupted) as info:
        run_work(Work(cw.setup, cw.times_ten, unit="episode"), _items(5), on_result)
    assert written == ["i0", "i1"]
    assert str(info.value) == "2 of 5 episodes done" and info.value.report.interrupted
    assert isinstance(info.value, KeyboardInterrupt)  # the CLI's handler: exit status 130


@pytest.mark.parametrize("good", ["local", "auto", "10.0.0.5:6379", "ray://head.lan:10001", "head:6379"])
def test_addresses_accepted(good):
    assert check_address(good) == good


@pytest.mark.parametrize("bad", ["clips.csv", "head", "http://head:8265", ""])
def test_addresses_refused_with_what_to_give(bad):
    with pytest.raises(ConfigError, match="not local, auto, HOST:PORT"):
        check_address(bad)


def test_session_options_checked():
    with pytest.raises(ConfigError, match="workers must be at least 1"):
        RaySession("local", workers=0)
    s = RaySession("local", workers=3)
    s.resources = {"CPU": 2.0}
    assert s.workers(True) == 3 and s.actor_resources(3) == {"num_cpus": 2 / 3}  # every worker is placed
    s = RaySession("local")
    s.resources = {"CPU": 16.0, "GPU": 2.0}
    assert s.workers(True) == 2 and s.workers(False) == 16
    assert s.actor_resources(2) == {"num_cpus": 1.0, "num_gpus": 1.0}


def test_cli_refuses_a_bad_address_and_workers_without_ray(tmp_path):
    (tmp_path / "list.csv").write_text("audio\nx.wav\n")
    res = CliRunner().invoke(main, ["score", str(tmp_path / "list.csv"), "--workers", "2"])
    assert res.exit_code == 2 and "--workers applies to --ray" in res.output
    res = CliRunner().invoke(main, ["score", str(tmp_path / "list.csv"), "--one-model-at-a-time", "--ray"])
    assert res.exit_code == 2 and "each --ray worker holds its models" in res.output  # refused before Ray starts
    res = CliRunner().invoke(main, ["score", "--ray", str(tmp_path / "list.csv")])  # the list taken as the address
    assert res.exit_code == 2 and "not local, auto, HOST:PORT" in res.output and "--ray last" in res.output


def test_score_in_this_process_runs_on_threads_torch_threads_and_gives_them_back(tmp_path, monkeypatch):
    """--threads applies to the run in this process too (the Ray workers set their own): the scoring call sees
    that many torch threads, and the process has its own count again afterwards."""
    torch = pytest.importorskip("torch")
    import numpy as np

    import evaluator.scoring as scoring
    from evaluator.media import write_wav

    write_wav(tmp_path / "x.wav", np.zeros(16000, dtype=np.float32), 16000)
    (tmp_path / "list.csv").write_text("id,audio\nx,x.wav\n")
    seen: list[int] = []

    def score_seeing_threads(items, out_dir, config, **kw):  # the run itself is tested elsewhere
        seen.append(torch.get_num_threads())
        return {"summary": {}}

    monkeypatch.setattr(scoring, "score", score_seeing_threads)
    own = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        for threads in ("1", "0"):
            res = CliRunner().invoke(main, ["score", str(tmp_path / "list.csv"), "--metrics", "dnsmos_ovrl",
                                            "--threads", threads, "--json"])  # fmt: skip
            assert res.exit_code == 0, res.output
            assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(own)
    assert seen == [1, 2]  # --threads 1; 0 leaves torch's count as it was
