"""DubScore throughput: clips per second for cue extraction (offline profile) and for scoring from cached features.

Run: ``.venv/bin/python benchmarks/dubscore_throughput.py [--clips N]``. Clips are 3 s of espeak speech with
a still-photo video (matplotlib's sample photo). Extraction runs with an empty cache (every encoder
runs); scoring reads the cached table and runs the fusion network (with MC dropout intervals and
relevance), on CPU and, when available, on CUDA.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    import torch

    from dubber.demo import photo_path
    from dubber.synth import SYNTHESIZERS, SynthRequest
    from evaluator.dubscore.data import clip_features
    from evaluator.dubscore.relevance import modality_relevance
    from evaluator.dubscore.training import TrainConfig, fit, predict, tensors
    from evaluator.media import resample, write_wav
    from evaluator.media.tools import binary, run
    from evaluator.metrics.item import ScoreItem, Source

    ap = argparse.ArgumentParser()
    ap.add_argument("--clips", type=int, default=8)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp())
    tts = SYNTHESIZERS.get("espeak")()
    video = tmp / "v.mp4"
    run([binary("ffmpeg"), "-nostdin", "-v", "error", "-y", "-loop", "1", "-framerate", "25", "-i", str(photo_path()),
         "-t", "3", "-vf", "scale=320:-2,format=yuv420p", "-c:v", "libx264", "-preset", "ultrafast", str(video)],
        what="benchmark video")  # fmt: skip
    items = []
    for i in range(args.clips):
        s = tts.synthesize(SynthRequest(f"This is test sentence number {i} for the benchmark.", "en"))
        x = resample(s.audio, s.sr, 16000)[: 3 * 16000]
        write_wav(tmp / f"{i}.wav", x, 16000)
        items.append(ScoreItem(str(i), audio_src=Source.of_file(tmp / f"{i}.wav"), video=Source.of_file(video),
                               text="This is a test sentence.", lang="en"))  # fmt: skip
    t0 = time.perf_counter()
    table = clip_features(items, cache_dir=tmp / "cache")
    t_extract = time.perf_counter() - t0
    print(f"feature extraction (offline profile, {len(table.cues)} cues, CPU): {args.clips / t_extract:.2f} clips/s")
    big = table.subset(np.arange(len(table)).repeat(max(1, 256 // len(table))))
    y = 3 + np.random.default_rng(0).normal(size=len(big))
    cfg = TrainConfig(epochs=2, mc_samples=20)
    model = fit(big, y, cfg)
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    for dev in devices:
        model.to(dev)
        feats, present = tensors(big)
        feats = {k: v.to(dev) for k, v in feats.items()}
        present = {k: v.to(dev) for k, v in present.items()}
        t0 = time.perf_counter()
        if dev == "cpu":
            predict(model, big, cfg, cfg.mc_samples)
        modality_relevance(model, feats, present)
        dt = time.perf_counter() - t0
        print(f"scoring from cached features ({dev}, {len(big)} clips, MC dropout x{cfg.mc_samples} + relevance): "
              f"{len(big) / dt:.0f} clips/s")  # fmt: skip


if __name__ == "__main__":
    main()
