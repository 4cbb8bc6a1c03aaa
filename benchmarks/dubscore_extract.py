"""Extract once, for the synthetic study: the metric suite (``dubkit score`` rows) and the offline DubScore cues.

Run after ``benchmarks/dubscore_corpus.py``:
``.venv/bin/python benchmarks/dubscore_extract.py --corpus /tmp/dubscore_corpus``
With ``--part K/N --threads 1`` it only fills the feature cache for every N-th clip (run N workers, then
once without ``--part`` to assemble from the cache). Writes ``CORPUS/scores/`` (scores.jsonl, summary.json;
resumable) and ``CORPUS/features.npz`` (no metric cues: the study builds them from the score rows); the cue
vectors are also in the on-disk cache ``CORPUS/cache`` (keyed by file content and encoder id).
av_sync is left out: the picture is a still photo (no mouth motion to sync) and it costs ~5 s a clip here.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

CUES = ("voice", "prosody", "quality", "expression", "face_motion", "scene", "script", "transcript")
METRICS = ("wer", "cer", "semantic_sim", "spk_sim", "emo_sim", "mcd", "log_f0_rmse", "dnsmos_*")


def main() -> None:
    from evaluator.dubscore.data import clip_features, load_clips
    from evaluator.scoring import ScoreConfig, score

    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", type=Path, default=Path("/tmp/dubscore_corpus"))
    ap.add_argument(
        "--part", default="", help="K/N: fill the feature cache for every N-th clip from K (parallel workers)"
    )
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    args = ap.parse_args()
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    items, _ = load_clips(args.corpus / "clips.csv")
    if args.part:
        k, n = (int(x) for x in args.part.split("/"))
        sub = items[k::n]
        t0 = time.perf_counter()
        clip_features(
            sub,
            cache_dir=args.corpus / "cache",
            cue_names=CUES,
            progress=lambda i: (
                None
                if i % 10
                else print(f"part {args.part}: features {i}/{len(sub)} {time.perf_counter() - t0:.0f} s", flush=True)
            ),
        )
        print(f"part {args.part} done: {len(sub)} clips in {time.perf_counter() - t0:.0f} s", flush=True)
        return
    t0 = time.perf_counter()
    done = {"n": 0}

    def tick(_: int) -> None:
        done["n"] += 1
        if done["n"] % 20 == 0:
            print(f"metrics {done['n']}/{len(items)} {time.perf_counter() - t0:.0f} s", flush=True)

    score(items, args.corpus / "scores", ScoreConfig(metrics=METRICS, resume=True), source="corpus", progress=tick)
    t_metrics = time.perf_counter() - t0
    t1 = time.perf_counter()

    def tick2(i: int) -> None:
        if i % 20 == 0:
            print(f"features {i}/{len(items)} {time.perf_counter() - t1:.0f} s", flush=True)

    table = clip_features(items, cache_dir=args.corpus / "cache", cue_names=CUES, progress=tick2)
    table.save(args.corpus / "features.npz")
    t_feat = time.perf_counter() - t1
    print(f"done: {len(items)} clips; metrics {t_metrics:.0f} s, features {t_feat:.0f} s", flush=True)


if __name__ == "__main__":
    main()
