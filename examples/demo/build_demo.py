"""Build the offline demo episode (used by `make demo`).

python examples/demo/build_demo.py --out build/demo
dubkit dub build/demo/demo.mp4 --script build/demo/demo.en.srt -o build/demo/demo.dubbed.mp4
"""

from __future__ import annotations

import argparse

from dubber.demo import build_demo


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="build/demo", help="output directory")
    parser.add_argument("--lines", type=int, default=8, help="number of dialogue lines")
    args = parser.parse_args()
    episode = build_demo(args.out, n_lines=args.lines)
    print(f"demo: {episode.video} ({episode.duration:.1f} s, {episode.lines} lines), script {episode.script}")


if __name__ == "__main__":
    main()
