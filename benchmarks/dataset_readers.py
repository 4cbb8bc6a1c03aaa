"""Dataset readers: fixture build time and reading speed (rows per second, text repair included).

Without options: builds the MELD and M2H2 fixtures (espeak speech, ffmpeg clips) and times that,
then reads a synthetic MELD tree of 13,708 rows (MELD's size: the fixture's dev rows repeated under
new dialogue ids, so a quarter are its bad rows) and a synthetic M2H2 tree of 15 episodes of 400
rows, both without media. With ``--meld DIR`` / ``--m2h2 DIR``: reads those trees instead.

    .venv/bin/python benchmarks/dataset_readers.py
    .venv/bin/python benchmarks/dataset_readers.py --meld ~/data/MELD.Raw --m2h2 ~/data/M2H2/Main-Dataset

Prints one line per step.
"""

from __future__ import annotations

import argparse
import csv
import io
import tempfile
import time
from pathlib import Path

from dubber.dataset_fixtures import M2H2_ROWS, MELD_ROWS, build_m2h2_fixture, build_meld_fixture
from evaluator.datasets import DATASETS, BuildReport
from evaluator.datasets import m2h2 as m2h2_format
from evaluator.datasets import meld as meld_format


def synthetic_meld(root: Path, rows: int) -> Path:
    root.mkdir(parents=True)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(meld_format.COLUMNS)
    template = MELD_ROWS["dev"]
    for i in range(rows):
        cells = list(template[i % len(template)][:-1])
        cells[0], cells[5] = i + 1, i // len(template) * 2 + cells[5]
        writer.writerow(cells)
    (root / meld_format.csv_name("dev")).write_text(buf.getvalue(), encoding="utf-8")
    return root


def synthetic_m2h2(root: Path, episodes: int, rows: int) -> Path:
    folder = root / m2h2_format.TEXT_DIRS[0]
    folder.mkdir(parents=True)
    template = [r for r in M2H2_ROWS if r is not None]
    for episode in range(1, episodes + 1):
        lines = ["\t".join(m2h2_format.COLUMNS)]
        for i in range(rows):
            scene, _, start, end, text, label, speaker, _ = template[i % len(template)]
            lines.append("\t".join([f"Scene_{i // 20 + 1}", str(i + 1), start, end, text, label, speaker]))
            if i % 20 == 19:
                lines.append("\t" * 6)
        (folder / m2h2_format.episode_file(episode)).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


def timed_read(name: str, root: Path) -> None:
    report = BuildReport()
    t0 = time.perf_counter()
    n = sum(1 for _ in DATASETS.get(name)(root, report=report))
    dt = time.perf_counter() - t0
    print(f"read {name} {root}: {report.summary()}; {dt:.2f} s, {report.counts['rows'] / dt:,.0f} rows/s ({n} yielded)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--meld", type=Path, help="a real MELD tree to read")
    parser.add_argument("--m2h2", type=Path, help="a real M2H2 tree to read")
    args = parser.parse_args()
    if args.meld or args.m2h2:
        for name, root in (("meld", args.meld), ("m2h2", args.m2h2)):
            if root:
                timed_read(name, root)
        return
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        for name, build in (("meld", build_meld_fixture), ("m2h2", build_m2h2_fixture)):
            t0 = time.perf_counter()
            root = build(base / f"fixture_{name}")
            clips = sum(1 for p in root.rglob("*") if p.suffix in (".mp4", ".wav"))
            print(f"build {name} fixture: {time.perf_counter() - t0:.2f} s, {clips} media files")
            timed_read(name, root)
        timed_read("meld", synthetic_meld(base / "meld", rows=13_708))
        timed_read("m2h2", synthetic_m2h2(base / "m2h2", episodes=15, rows=400))


if __name__ == "__main__":
    main()
