"""Size and build time of the review page (``dubkit review``) and its preview video, on dubbed demo episodes.

Run: .venv/bin/python benchmarks/review_page.py [--lines 8] [--lines 360] [--preview] [--browser] [--work DIR]

For each ``--lines N``: builds the demo episode with N lines (dubber/demo.py: espeak Spanish over the music
bed, a still photo at 640 px; 360 lines make a 22-minute episode), dubs it (piper, no scene reading), then
times ``dubkit review`` as a user runs it (a fresh process: imports included) and prints the page size, the
inline audio it holds and the seconds; with ``--preview`` also ``dubkit review --preview``; with ``--browser``
the seconds headless Chromium (Debian's) takes to open the page until its timeline is drawn. Episodes and dubs
are kept under ``--work`` (default: a temporary folder) and reused when the same N is asked again.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def dubkit(*args: object) -> tuple[dict, float]:
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "cli.main", *map(str, args)], cwd=ROOT, capture_output=True, text=True, check=False
    )
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"dubkit {' '.join(map(str, args))} failed:\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout), seconds


def episode(work: Path, n_lines: int) -> tuple[Path, float, float]:
    """The dubbed project of an N-line demo episode (built and dubbed unless already there)."""
    from dubber.demo import build_demo

    d = work / f"demo{n_lines}"
    project = d / "out" / "ep.dubkit"
    if (project / "manifest.json").is_file() and (d / "out" / "ep.mp4").is_file():
        info = json.loads((d / "episode.json").read_text())
        return project, info["duration"], info["dub_seconds"]
    demo = build_demo(d, n_lines=n_lines)
    _, dub_seconds = dubkit("dub", demo.video, "--script", demo.script, "--source-script", demo.source_script,
                            "-o", d / "out" / "ep.mp4", "--cot", "none", "--json", "--quiet")  # fmt: skip
    (d / "episode.json").write_text(json.dumps({"duration": demo.duration, "dub_seconds": dub_seconds}))
    return project, demo.duration, dub_seconds


def open_seconds(page: Path, profile: Path) -> float:
    """Seconds from navigating headless Chromium to the page until its script has drawn the timeline."""
    from evaluator.html.browser import headless_chromium

    driver = headless_chromium(profile)
    try:
        t0 = time.perf_counter()
        driver.get(page.resolve().as_uri())  # returns at the load event
        while not driver.execute_script("return !!document.querySelector('#timeline svg')"):
            time.sleep(0.01)
        return time.perf_counter() - t0
    finally:
        driver.quit()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, action="append", help="lines of a demo episode (repeatable; default 8, 360)")
    ap.add_argument("--preview", action="store_true", help="also time the preview video")
    ap.add_argument("--browser", action="store_true", help="also time opening the page in headless Chromium")
    ap.add_argument("--work", type=Path, help="where episodes are built and kept")
    args = ap.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="dubkit-review-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    for n in args.lines or [8, 360]:
        project, duration, dub_seconds = episode(work, n)
        page = project.parent / "review.html"
        built, seconds = dubkit("review", project, "-o", page, "--json")
        print(
            f"{n} lines, {duration / 60:.1f} min episode (dubbed in {dub_seconds:.0f} s): "
            f"page {built['bytes'] / 1e6:.2f} MB "
            f"({built['audio_players']} players, {built['media_bytes'] / 1e6:.2f} MB of {built['audio_format']} before "
            f"base64), dubkit review {seconds:.1f} s wall ({built['seconds']:.1f} s inside build_review_page)"
        )
        if args.browser:
            print(f"    opens in headless Chromium in {open_seconds(page, work / 'chromium-profile'):.2f} s")
        if args.preview:
            built, seconds = dubkit("review", project, "-o", page, "--preview", "--json")
            p = built["preview"]
            print(
                f"    --preview: {p['width']}x{p['height']} at {p['fps']:g} fps, {p['frames']} frames, "
                f"{p['bytes'] / 1e6:.2f} MB in {p['seconds']:.1f} s (whole command {seconds:.1f} s)"
            )
    print(f"(episodes kept in {work})")


if __name__ == "__main__":
    main()
