"""`dubkit score --list`: no INPUT needed, a readable table, `--json` for the raw specs."""

from __future__ import annotations

import json

from click.testing import CliRunner

from cli.main import main
from evaluator.metrics import list_metrics


def test_list_without_input_is_a_table_of_every_metric():
    res = CliRunner().invoke(main, ["score", "--list"])
    assert res.exit_code == 0, res.output
    lines = res.stdout.splitlines()
    assert lines[0].split() == ["metric", "backend", "inputs", "better", "range", "model"]
    rows = {ln.split()[0]: ln for ln in lines[1:]}
    assert list(rows) == list_metrics()
    assert "pocketsphinx" in rows["wer"] and "audio + text" in rows["wer"] and "lower" in rows["wer"]
    assert "[0, inf)" in rows["wer"] and "[-1, 1]" in rows["spk_sim"] and "closest to 1" in rows["stretch_ratio"]
    assert not res.stdout.lstrip().startswith("{")


def test_list_json_is_the_raw_specs_and_follows_metrics_and_profile():
    res = CliRunner().invoke(main, ["score", "--list", "--json", "--metrics", "wer,dnsmos_*", "--profile", "paper"])
    assert res.exit_code == 0, res.output
    specs = json.loads(res.stdout)
    assert list(specs) == ["wer", "dnsmos_sig", "dnsmos_bak", "dnsmos_ovrl", "dnsmos_p808"]
    assert specs["wer"]["backend"] == "faster-whisper" and specs["wer"]["range"] == [0.0, None]


def test_scoring_without_input_says_what_is_missing():
    res = CliRunner().invoke(main, ["score", "--metrics", "wer"])
    assert res.exit_code == 2 and "missing INPUT" in res.output
