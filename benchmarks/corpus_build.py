"""Corpus build time per clip and per corpus, on the MELD and M2H2 fixture trees, and the full-size estimate.

    python benchmarks/corpus_build.py                      # both fixtures, the smoke backends
    python benchmarks/corpus_build.py --f5-rtf 0.15 --translate-s 0.7 --clip-s 3.6

Per dubbed clip it splits the wall time into synthesis (the synthesizer's own calls) and the rest
(probing, translation lookup, trimming, the Rubber Band stretch, writing the WAV, muxing the mp4), and
prints the corpus sizes (rows, bytes of media). The full-size estimate is

    clips x (rest + translate_s + f5_rtf x clip_s)       one GPU, one clip at a time
    the same / workers                                    a Ray cluster of that many GPU workers

with ``rest`` measured here, ``clip_s`` the mean clip length, ``f5_rtf`` F5's real-time factor and
``translate_s`` one LLM translation request: inputs you give (defaults: cited or assumed, see --help);
printed as an estimate, not a measurement.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


class TimedSynth:
    """The synthesizer, with the wall time of its calls added up (delegates everything)."""

    def __init__(self, synth) -> None:  # noqa: ANN001
        self.synth = synth
        self.seconds = 0.0

    def __getattr__(self, name: str):  # noqa: ANN204
        return getattr(self.synth, name)

    def synthesize(self, request):  # noqa: ANN001, ANN201
        t0 = time.perf_counter()
        try:
            return self.synth.synthesize(request)
        finally:
            self.seconds += time.perf_counter() - t0


def measure(dataset: str, target: str, voice: str, table: Path, work: Path) -> dict:
    from dubber import dataset_fixtures
    from dubber.corpus import CorpusSpec, build_clip, plan_corpus
    from dubber.corpus.task import ClipSkipped
    from dubber.synth import create_synthesizer
    from dubber.translate import create_translator
    from evaluator.corpus import CorpusFile

    root = getattr(dataset_fixtures, f"build_{dataset}_fixture")(work / dataset)
    spec = CorpusSpec(dataset=dataset, target_lang=target, originals=3)
    plan = plan_corpus(root, spec)
    synth = TimedSynth(create_synthesizer(voice))
    synth.synth.synthesize(__import__("dubber.synth", fromlist=["SynthRequest"]).SynthRequest("warm up", target))
    translator = create_translator("table", path=table)
    out = work / f"{dataset}-{target}"
    corpus = CorpusFile(out)
    totals, synth_s, clip_s, originals = [], [], [], []
    t_all = time.perf_counter()
    for task in plan.tasks:
        before = synth.seconds
        t0 = time.perf_counter()
        try:
            row = build_clip(task, out, spec, translator=translator, job=plan.job, synth=synth)
        except ClipSkipped:
            continue
        dt = time.perf_counter() - t0
        corpus.append(row)
        if task.kind == "original":
            originals.append(dt)
            continue
        totals.append(dt)
        synth_s.append(synth.seconds - before)
        clip_s.append(row.clip_duration)
    elapsed = time.perf_counter() - t_all
    media = sum(p.stat().st_size for p in (out / "media").rglob("*") if p.is_file())
    rest = [t - s for t, s in zip(totals, synth_s, strict=True)]
    return {
        "dataset": dataset,
        "voice": f"{synth.name} ({synth.model_id})",
        "dubbed": len(totals),
        "originals": len(originals),
        "per_clip_s": statistics.fmean(totals),
        "median_s": statistics.median(totals),
        "synth_s": statistics.fmean(synth_s),
        "rest_s": statistics.fmean(rest),
        "original_s": statistics.fmean(originals) if originals else 0.0,
        "clip_s": statistics.fmean(clip_s),
        "corpus_s": elapsed,
        "media_bytes": media,
        "jsonl_bytes": corpus.path.stat().st_size,
    }


def main(argv: Sequence[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--f5-rtf", type=float, default=0.15,
                   help="F5's real-time factor on the GPU (0.15: the F5-TTS paper, arXiv 2410.06885, RTX 3090, "
                        "32 NFE)")  # fmt: skip
    p.add_argument("--translate-s", type=float, default=0.7,
                   help="seconds per LLM translation request (assumed: ~60 output tokens of JSON at ~90 tokens/s "
                        "single stream for a 7B model; not measured)")  # fmt: skip
    p.add_argument(
        "--clip-s",
        type=float,
        default=3.59,
        help="mean clip length in seconds (3.59: MELD's mean utterance duration, Poria et al. 2019)",
    )
    p.add_argument("--dubs", type=int, default=10_000, help="dubbed clips of the full corpora (6k MELD + 4k M2H2)")
    p.add_argument("--originals", type=int, default=2_000, help="original clips of the full corpora")
    p.add_argument("--workers", type=int, default=8, help="GPU workers of the Ray cluster estimate")
    args = p.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        runs = [
            measure("meld", "hi", "espeak", EXAMPLES / "meld" / "translations.hi.csv", Path(tmp)),
            measure("m2h2", "en", "piper", EXAMPLES / "m2h2" / "translations.en.csv", Path(tmp)),
        ]
    for r in runs:
        print(
            f"{r['dataset']}: {r['dubbed']} dubbed + {r['originals']} original clips with {r['voice']}: "
            f"{r['per_clip_s']:.2f} s per dubbed clip (median {r['median_s']:.2f}; synthesis {r['synth_s']:.2f}, "
            f"the rest {r['rest_s']:.2f}), {r['original_s']:.2f} s per original, clips of {r['clip_s']:.2f} s; "
            f"corpus {r['corpus_s']:.1f} s; media {r['media_bytes'] / 1e3:.0f} kB, corpus.jsonl "
            f"{r['jsonl_bytes'] / 1e3:.1f} kB"
        )
    rest = statistics.fmean(r["rest_s"] for r in runs)
    original = statistics.fmean(r["original_s"] for r in runs)
    per_dub = rest + args.translate_s + args.f5_rtf * args.clip_s
    one_gpu = args.dubs * per_dub + args.originals * original
    print(
        f"estimate (not a measurement): {args.dubs} dubs x ({rest:.2f} s measured rest + {args.translate_s} s "
        f"translation + {args.f5_rtf} x {args.clip_s} s F5) + {args.originals} originals x {original:.2f} s "
        f"= {one_gpu / 3600:.1f} h on one GPU; {one_gpu / 3600 / args.workers:.1f} h on {args.workers} Ray GPU "
        f"workers (the translation server must keep up: {args.workers / args.translate_s:.0f} requests/s)"
    )


if __name__ == "__main__":
    main()
