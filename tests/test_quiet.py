"""Third-party chatter: silent without -v, shown with -v (real commands in subprocesses, stderr captured)."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import main
from evaluator.native_log import native_stderr_as_log

ROOT = Path(__file__).resolve().parents[1]
XNNPACK = "Created TensorFlow Lite XNNPACK delegate"
BARS = "Loading weights"


def _dubkit(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("HF_HUB_DISABLE_PROGRESS_BARS", "TRANSFORMERS_VERBOSITY")}
    res = subprocess.run(
        [sys.executable, "-m", "cli.main", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    assert res.returncode == 0, res.stderr
    return res


def test_native_stderr_becomes_log_records(capfd, caplog):
    with caplog.at_level(logging.INFO, logger="native.test"), native_stderr_as_log("native.test"):
        os.write(2, b"INFO: Created a delegate.\nERROR: something broke\nplain line\n")
    assert capfd.readouterr().err == ""
    got = [(r.levelno, r.getMessage()) for r in caplog.records if r.name == "native.test"]
    assert got == [(logging.INFO, "Created a delegate."), (logging.ERROR, "something broke"), (30, "plain line")]


def test_the_litert_xnnpack_line_is_a_log_record_not_stderr():
    """In a fresh process (TFLite prints the line once per process): the face encoder's interpreter."""
    code = "from evaluator.encoders.face import FaceAnalyzer; FaceAnalyzer('haar')._expression"
    quiet = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert quiet.returncode == 0, quiet.stderr
    assert XNNPACK not in quiet.stderr
    shown = "import logging; logging.basicConfig(level=logging.INFO); " + code
    loud = subprocess.run([sys.executable, "-c", shown], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert f"INFO:ai_edge_litert:{XNNPACK}" in loud.stderr  # the trigger is real: the line was there to silence


def test_bitsandbytes_warnings_follow_verbose(capsys):
    """bitsandbytes warns from its CUDA library selection, which never runs on a CPU-only torch: this checks the
    CLI's setting of its logger (the message itself cannot be triggered here)."""
    bnb = logging.getLogger("bitsandbytes.cextension")

    @main.command("_probe_bnb")
    def _probe() -> None:
        bnb.warning("No prebuilt binary for CUDA 12.9")

    try:
        assert CliRunner().invoke(main, ["_probe_bnb"]).exit_code == 0
        assert logging.getLogger("bitsandbytes").getEffectiveLevel() == logging.ERROR
        assert CliRunner().invoke(main, ["-v", "_probe_bnb"]).exit_code == 0
        assert bnb.isEnabledFor(logging.WARNING)
    finally:
        main.commands.pop("_probe_bnb")
        logging.getLogger("bitsandbytes").setLevel(logging.NOTSET)


@pytest.mark.slow
def test_library_build_and_score_print_no_third_party_lines_without_verbose(demo_episode, tmp_path):
    video, subs = str(demo_episode.video), str(demo_episode.source_script)
    build = ["library", "build", video, "--subs", subs, "-q"]
    quiet = _dubkit(*build, "-o", str(tmp_path / "lib1"))
    assert XNNPACK not in quiet.stderr and BARS not in quiet.stderr and quiet.stderr.strip() == ""
    loud = _dubkit("-v", *build, "-o", str(tmp_path / "lib2"))
    assert XNNPACK in loud.stderr and BARS in loud.stderr  # the same command with -v shows both
    score = ["score", video, "--script", str(demo_episode.script), "--metrics", "semantic_sim", "-q"]
    quiet = _dubkit(*score, "-o", str(tmp_path / "s1"))
    assert BARS not in quiet.stderr and quiet.stderr.strip() == ""
    assert BARS in _dubkit("-v", *score, "-o", str(tmp_path / "s2")).stderr
