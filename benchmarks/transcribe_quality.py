"""Quality of ``dubkit transcribe`` (offline backend) on conversations with exact ground truth.

Run: .venv/bin/python benchmarks/transcribe_quality.py [--conversation recorded|kokoro|all] [--sweep]
         [--transcript] [--json]

Each conversation (``dubber.transcribe.conversation``: ``recorded`` = real recordings of seven
speakers in English and Mandarin; ``kokoro`` = pytest-audioeval's Kokoro-TTS samples, five voices,
six languages) is written as an MP4 and transcribed by the offline backend with ``lang=en``, once
with the number of speakers given and once with it chosen automatically. Printed per run:

- DER (pyannote.metrics) at collar 0 and ±250 ms, with its parts (missed, false alarm, confusion);
- segment boundary error: mean |start| and |end| difference of one-to-one matched turns, in ms;
- WER (jiwer) over the English turns whose text is known, with the number of reference words;
- utterances and speakers found, and the models of every part.

``--sweep`` prints, for the automatic speaker count, the speakers found and the DER at each
clustering threshold (the calibration of ``dubber.transcribe.diarize.DEFAULT_THRESHOLD``).
``--transcript`` aligns each conversation's own transcript (its known texts, in order) instead of
recognising speech, and prints how many utterances got exactly their turn's text.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _run(video: Path, conv, num_speakers: int | None, lang: str = "en", transcript: Path | None = None) -> dict:  # noqa: ANN001
    from dubber.transcribe import TranscribeOptions, transcribe
    from dubber.transcribe.evaluation import score_transcript

    t0 = time.perf_counter()
    opts = TranscribeOptions(lang=lang, num_speakers=num_speakers, transcript=str(transcript) if transcript else None)
    result = transcribe(video, opts)
    seconds = time.perf_counter() - t0
    scores = score_transcript(conv.turns, result)
    return {"result": result, "scores": scores.to_dict(), "seconds": seconds}


def _sweep(conv, thresholds: list[float]) -> list[dict]:  # noqa: ANN001
    """Speakers found and DER per threshold, from one set of segments and embeddings."""
    from dubber.transcribe import ModelIds, SegmentRules, Transcript, Utterance, speaker_name
    from dubber.transcribe.diarize import DiarizationRules, SpeakerDiarizer, cluster_speakers
    from dubber.transcribe.evaluation import diarization_error
    from dubber.transcribe.segments import detect_speech, join_same_speaker
    from dubber.transcribe.types import number_utterances

    rules = SegmentRules()
    segments = detect_speech(conv.audio, 16000, rules.voice_activity())
    emb = SpeakerDiarizer().embed(conv.audio, 16000, segments)
    out = []
    for thr in thresholds:
        labels, info = cluster_speakers(emb, [e - s for s, e in segments], rules=DiarizationRules(threshold=thr))
        groups = join_same_speaker(segments, labels.tolist(), rules)
        utts = [Utterance(0, g.start, g.end, speaker_name(g.label)) for g in groups]
        t = Transcript(number_utterances(utts), "und", "offline", ModelIds(), conv.name, conv.duration)
        out.append({"threshold": thr, "speakers": info["num_speakers"], "der": diarization_error(conv.turns, t)["der"]})
    return out


def _fmt(s: dict) -> str:
    def ms(v: float | None) -> str:
        return "n/a" if v is None else f"{v:.0f}"

    wer = "n/a" if s["wer"] is None else f"{100 * s['wer']:.1f}% of {s['wer_words']} words"
    return (
        f"DER {100 * s['der']:.1f}% (collar ±{s['collar_s'] / 2 * 1000:.0f} ms: {100 * s['der_collar']:.1f}%; "
        f"missed {100 * s['missed']:.1f}%, false alarm {100 * s['false_alarm']:.1f}%, "
        f"confusion {100 * s['confusion']:.1f}%) | boundary |start| {ms(s['boundary_start_ms'])} ms, "
        f"|end| {ms(s['boundary_end_ms'])} ms over {s['matched']}/{s['reference_turns']} turns | "
        f"WER {wer} | {s['hypothesis_utterances']} utterances, {s['speakers_hypothesis']}/"
        f"{s['speakers_reference']} speakers"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--conversation", choices=["recorded", "kokoro", "all"], default="all")
    ap.add_argument("--sweep", action="store_true", help="speakers and DER per clustering threshold")
    ap.add_argument("--transcript", action="store_true", help="align the known transcript instead of ASR")
    ap.add_argument("--json", action="store_true", help="one JSON object instead of text")
    args = ap.parse_args()

    from dubber.transcribe.conversation import build_conversation, write_conversation_video

    names = ["recorded", "kokoro"] if args.conversation == "all" else [args.conversation]
    report: dict = {}
    with tempfile.TemporaryDirectory(prefix="dubkit-transcribe-bench-") as tmp:
        for name in names:
            conv = build_conversation(name)
            video = write_conversation_video(conv, Path(tmp) / f"{name}.mp4")
            entry: dict = {
                "duration_s": round(conv.duration, 2),
                "turns": len(conv.turns),
                "speakers": len(conv.speakers),
                "sources": list(conv.sources),
            }
            for label, n in (("given", len(conv.speakers)), ("auto", None)):
                run = _run(video, conv, n)
                entry[label] = {"scores": run["scores"], "seconds": round(run["seconds"], 1)}
                entry["models"] = run["result"].models.to_dict()
                entry[label]["diarization"] = {
                    k: v for k, v in run["result"].diarization.items() if k in ("num_speakers", "criterion")
                }
            if args.sweep:
                entry["sweep"] = _sweep(conv, [round(x, 3) for x in np.arange(0.15, 0.501, 0.025)])
            if args.transcript:
                texted = [t for t in conv.turns if t.text]
                if len(texted) == len(conv.turns):
                    txt = Path(tmp) / f"{name}.txt"
                    txt.write_text("\n".join(t.text or "" for t in conv.turns) + "\n", encoding="utf-8")
                    run = _run(video, conv, len(conv.speakers), lang="und", transcript=txt)
                    got = [u.text for u in run["result"].utterances]
                    want = [t.text for t in conv.turns]
                    exact = sum(1 for g, w in zip(got, want, strict=False) if g == w)
                    entry["transcript"] = {"exact": exact, "utterances": len(got), "turns": len(want)}
                else:
                    entry["transcript"] = {"skipped": f"only {len(texted)} of {len(conv.turns)} turns have text"}
            report[name] = entry
    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
        return
    for name, e in report.items():
        print(f"== {name}: {e['duration_s']} s, {e['turns']} turns, {e['speakers']} speakers")
        print(f"   models: {json.dumps(e['models'])}")
        for label in ("given", "auto"):
            r = e[label]
            print(f"   speakers {label:5s} ({r['seconds']} s on this machine): {_fmt(r['scores'])}")
        for row in e.get("sweep", []):
            print(f"   threshold {row['threshold']:.3f}: {row['speakers']} speakers, DER {100 * row['der']:.1f}%")
        if "transcript" in e:
            print(f"   transcript alignment: {e['transcript']}")


if __name__ == "__main__":
    main()
