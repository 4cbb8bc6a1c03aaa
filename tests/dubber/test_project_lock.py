"""The project lock: two real `dubkit dub` processes into one project, a holder that died, a lock from
another host."""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from evaluator.project.lock import LOCK_NAME, STALE_AFTER_S, ProjectLock, ProjectLockedError

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def episode(tmp_path_factory):
    """A 40 s picture without audio and a 12-line script: a few seconds of work for espeak."""
    from evaluator.media.tools import binary, run

    d = tmp_path_factory.mktemp("lock")
    video = d / "v.mp4"
    run(
        [binary("ffmpeg"), "-nostdin", "-v", "error", "-f", "lavfi", "-i", "color=gray:s=64x64:r=5", "-t", "40"]
        + ["-c:v", "libx264", "-preset", "ultrafast", str(video)],
        what="test video",
    )
    cues = [
        f"{i + 1}\n00:00:{3 * i + 1:02d},000 --> 00:00:{3 * i + 3:02d},500\nANNA: Line number {i + 1}.\n"
        for i in range(12)
    ]
    script = d / "s.srt"
    script.write_text("\n".join(cues), encoding="utf-8")
    return video, script


def _command(episode, out: Path) -> list[str]:
    video, script = episode
    return [sys.executable, "-m", "cli.main", "dub", str(video), "--script", str(script), "-o", str(out)]


def _start_holding(episode, out: Path, *extra: str) -> subprocess.Popen:
    """A `dubkit dub` process, once it holds the project's lock (the lock file names its pid)."""
    for _ in range(3):
        proc = subprocess.Popen(
            [*_command(episode, out), "--synth", "espeak", "--cot", "none", "--quiet", *extra],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        lock = out.with_suffix(".dubkit") / LOCK_NAME
        deadline = time.monotonic() + 120
        while proc.poll() is None and time.monotonic() < deadline:
            try:
                if json.loads(lock.read_text() or "{}").get("pid") == proc.pid:
                    return proc
            except (OSError, ValueError):
                pass
            time.sleep(0.02)
        proc.kill()
        proc.wait()
    raise AssertionError("the dub process never held the lock")


def test_a_second_dub_is_refused_and_a_dead_holders_lock_is_taken_over(episode, tmp_path):
    out = tmp_path / "o.mp4"
    first = _start_holding(episode, out)
    os.kill(first.pid, signal.SIGSTOP)  # keep it in the middle of its run
    try:
        second = subprocess.run(
            [*_command(episode, out), "--synth", "espeak", "--cot", "none"], cwd=ROOT, capture_output=True, text=True
        )
    finally:
        os.kill(first.pid, signal.SIGCONT)
    assert second.returncode == 2, second.stderr
    message = second.stderr.strip().splitlines()
    assert len(message) == 1 and "is in use by" in message[0]
    assert f"pid {first.pid} on host {socket.gethostname()}" in message[0] and "Traceback" not in second.stderr
    assert first.wait(timeout=300) == 0, first.stderr.read()
    assert out.is_file() and not (out.with_suffix(".dubkit") / LOCK_NAME).exists()  # released at the end

    # a holder killed mid-run leaves its lock file; the next run finds its process gone and takes over
    # (--rebuild: a re-run with nothing changed holds the lock for a moment only, too short to catch)
    killed = _start_holding(episode, out, "--rebuild")
    killed.kill()
    killed.wait()
    assert json.loads((out.with_suffix(".dubkit") / LOCK_NAME).read_text())["pid"] == killed.pid
    third = subprocess.run(
        [*_command(episode, out), "--synth", "espeak", "--cot", "none", "--quiet", "--lines", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert third.returncode == 0, third.stderr
    assert "took over a stale lock" in third.stderr and f"pid {killed.pid}" in third.stderr
    assert "its process is not running" in third.stderr


def _fake_lock(project: Path, **holder) -> Path:
    project.mkdir(parents=True, exist_ok=True)
    path = project / LOCK_NAME
    path.write_text(json.dumps({"started": "2025-01-01 00:00:00 UTC", "command": "dubkit dub", **holder}))
    return path


def test_a_lock_from_another_host_is_judged_by_its_heartbeat(tmp_path, caplog):
    path = _fake_lock(tmp_path / "p", pid=4242, host="render-node-7")
    with pytest.raises(ProjectLockedError, match="pid 4242 on host render-node-7"):
        ProjectLock(tmp_path / "p").acquire()
    old = time.time() - STALE_AFTER_S - 60
    os.utime(path, (old, old))
    with caplog.at_level(logging.WARNING), ProjectLock(tmp_path / "p") as lock:
        assert lock.holder()["pid"] == os.getpid() and lock.holder()["host"] == socket.gethostname()
    assert "took over a stale lock held by pid 4242 on host render-node-7" in caplog.text
    assert "untouched for 11 min" in caplog.text
    assert not path.exists()


def test_a_live_process_named_by_a_lock_on_this_host_keeps_it(tmp_path):
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        _fake_lock(tmp_path / "p", pid=sleeper.pid, host=socket.gethostname())
        with pytest.raises(ProjectLockedError, match=f"pid {sleeper.pid}"):
            ProjectLock(tmp_path / "p").acquire()
    finally:
        sleeper.kill()
        sleeper.wait()
    # its process is gone now: stale; then held (flock) by this process's first lock
    with ProjectLock(tmp_path / "p"), pytest.raises(ProjectLockedError, match=f"pid {os.getpid()}"):
        ProjectLock(tmp_path / "p").acquire()
