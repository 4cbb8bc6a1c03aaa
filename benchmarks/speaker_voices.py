"""Distinct offline voices per speaker: how far apart two speakers' dubs sound, and how close each is
to its own speaker, by speaker embeddings (resemblyzer, evaluator.metrics.speaker).

Builds the demo episode (ANNA: espeak's female Spanish voice, BEN: its male one; dubber/demo.py) and
dubs it with each synthesizer twice: with ``match_pitch=False`` (for piper that is the old default:
its one male voice for everyone; espeak keeps its per-speaker variants either way) and as now by
default (each speaker's voice moved toward their reference's pitch and formants). Prints, per run,
the cosine similarity between ANNA's and BEN's dubs (lower: more distinct) and of each dub to its
speaker's reference clip (higher: closer to the original voice).

    .venv/bin/python benchmarks/speaker_voices.py [--lines 16] [--synth piper --synth espeak]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=16)
    parser.add_argument("--synth", action="append", default=None, help="piper and/or espeak (default: both)")
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()

    from dubber.config import DubConfig
    from dubber.demo import build_demo
    from dubber.pipeline import Dubber
    from evaluator.metrics.speaker import ResemblyzerBackend, project_speaker_audio, speaker_separation

    work = args.workdir or Path(tempfile.mkdtemp(prefix="dubkit-voices-"))
    episode = build_demo(work, n_lines=args.lines, width=320)
    backend = ResemblyzerBackend()
    print(
        f"demo: {episode.lines} lines, ANNA (espeak female, Spanish) and BEN (espeak male); "
        f"embeddings: {backend.model_id}"
    )
    for synth in args.synth or ["piper", "espeak"]:
        for label, match in (("before (match_pitch=False)", False), ("now (default)", True)):
            cfg = DubConfig(
                video=episode.video,
                script=episode.script,
                output=work / f"{synth}-{match}" / "ep.mp4",
                synth=synth,
                source_script=episode.source_script,
                match_pitch=match,
                cot="heuristic",
            )
            t0 = time.perf_counter()
            result = Dubber(cfg).run()
            dubs, refs = project_speaker_audio(result.project)
            sep = speaker_separation(dubs, refs, backend)
            voices = {n: s.voice for n, s in result.manifest.speakers.items()}
            shifts = sorted({(ln.speaker, ln.fit.pitch_shift_semitones) for ln in result.manifest.lines})[:4]
            print(
                f"{synth:6s} {label:28s} ANNA|BEN {sep['between'].get('ANNA|BEN')}  "
                f"to reference: ANNA {sep['to_reference'].get('ANNA')} BEN {sep['to_reference'].get('BEN')}  "
                f"voices {voices}  ({time.perf_counter() - t0:.0f} s; pitch shifts e.g. {shifts})"
            )


if __name__ == "__main__":
    main()
