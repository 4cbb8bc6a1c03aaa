"""Write the small MELD and M2H2 trees (real formats, every quirk the readers handle) and read them.

python examples/datasets/build_fixtures.py --out build/datasets

Prints each tree's read report (rows, utterances, skipped rows, missing clips).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from dubber.dataset_fixtures import build_m2h2_fixture, build_meld_fixture
from evaluator.datasets import DATASETS, BuildReport


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("build/datasets"), help="output directory")
    args = parser.parse_args()
    for name, build in (("meld", build_meld_fixture), ("m2h2", build_m2h2_fixture)):
        root = build(args.out / name)
        report = BuildReport()
        utterances = list(DATASETS.get(name)(root, report=report))
        report.write(root / "read_report.json")
        print(f"{name}: {root} ({report.summary()}; first id {utterances[0].id}; report {root / 'read_report.json'})")


if __name__ == "__main__":
    main()
