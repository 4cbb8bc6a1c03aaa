"""Build the synthetic DubScore stand-in corpus: dubbed lines from ``dubkit dub``, impaired at graded severities.

SYNTHETIC: no human rated any of these clips. The "true quality" is a formula over the impairments
applied (below), and the "human" ratings are simulated from it. Correlations measured on this corpus
say whether the machinery works, not how DubScore agrees with people; for that, rate your own clips.

Steps: (1) build the offline demo episode (dubber.demo) and dub it with two synthesizers (piper and
espeak, cot="none") through ``dubber.pipeline.Dubber``; (2) take every dubbed line (fitted audio,
its text, its speaker's reference voice, its video span) as a base clip; (3) draw impaired variants
per base clip with ``evaluator.impairments`` (noise, clipping, time stretch, A/V offset, another
speaker, wrong words) plus a visual blur, each at severity 0-3; (4) write ``clips.csv`` (the inputs,
as ``dubkit score`` and ``dubkit train dubscore`` read them) and ``truth.csv`` (the hidden quality).

Hidden quality: ``1 + 4 * prod_k (1 - a_k * s_k / 3)`` over impairments k with severity s_k in 0..3
and the weights ``IMPACT`` below: multiplicative, so one severe defect ruins a clip.

Run: ``.venv/bin/python benchmarks/dubscore_corpus.py --out /tmp/dubscore_corpus --variants 20``
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

#: fraction of the quality range lost at the highest severity of each impairment
IMPACT = {
    "noise": 0.55,
    "clipping": 0.4,
    "stretch": 0.35,
    "av_offset": 0.3,
    "other_speaker": 0.45,
    "wrong_text": 0.7,
    "blur": 0.35,
}
P_ACTIVE = 0.3
NOISE_SNR = {1: 25.0, 2: 12.0, 3: 3.0}
CLIP_CEIL = {1: 0.5, 2: 0.2, 3: 0.05}
STRETCH = {1: 1.12, 2: 1.3, 3: 1.55}
OFFSET_S = {1: 0.1, 2: 0.25, 3: 0.5}
BLUR_SIGMA = {1: 2.0, 2: 5.0, 3: 12.0}


def hidden_quality(sev: dict[str, int]) -> float:
    q = 1.0
    for k, a in IMPACT.items():
        q *= 1.0 - a * sev.get(k, 0) / 3.0
    return 1.0 + 4.0 * q


def dub_demo(root: Path) -> list[dict]:
    """Dub the demo episode with piper and espeak; one base record per dubbed line."""
    from dubber.config import DubConfig
    from dubber.demo import build_demo
    from dubber.pipeline import Dubber
    from evaluator.media import load_audio

    ep = build_demo(root / "demo", n_lines=8)
    bases = []
    for synth in ("piper", "espeak"):
        out = root / f"dub_{synth}.mp4"
        cfg = DubConfig(video=ep.video, script=ep.script, output=out, synth=synth, cot="none")
        res = Dubber(cfg).run()
        project = res.project
        for line in res.manifest.lines:
            audio = load_audio(project / line.audio, 16000)
            voice = res.manifest.speakers[line.speaker].reference if line.speaker in res.manifest.speakers else None
            bases.append(
                {
                    "key": f"{synth}{line.index:02d}",
                    "synth": synth,
                    "index": line.index,
                    "text": line.text,
                    "speaker": line.speaker,
                    "audio": audio,
                    "voice": str(project / voice) if voice and not Path(voice).is_absolute() else voice,
                    "video": str(out),
                    "start": float(line.fit.placed_start),
                    "end": float(line.fit.placed_end),
                }
            )
    return bases


def video_span(src: str, start: float, duration: float, sigma: float, out: Path) -> None:
    from evaluator.fileio import atomic_path
    from evaluator.media.tools import binary, run

    vf = "scale=320:-2"
    if sigma > 0:
        vf += f",gblur=sigma={sigma}"
    vf += f",tpad=stop_mode=clone:stop_duration={duration + 1:.2f}"
    with atomic_path(out, suffix=".mp4") as tmp:
        run(
            [binary("ffmpeg"), "-nostdin", "-v", "error", "-y", "-ss", f"{start:.3f}", "-i", src, "-t",
             f"{duration:.3f}", "-vf", vf, "-an", "-r", "25", "-c:v", "libx264", "-preset", "ultrafast",
             "-pix_fmt", "yuv420p", str(tmp)],
            what="cutting a corpus clip",
        )  # fmt: skip


def make_variants(bases: list[dict], root: Path, variants: int, seed: int) -> list[dict]:
    from evaluator import impairments as imp
    from evaluator.media import write_wav

    rng = np.random.default_rng(seed)
    clips_dir = root / "clips"
    refs_dir = root / "refs"
    clips_dir.mkdir(parents=True, exist_ok=True)
    refs_dir.mkdir(parents=True, exist_ok=True)
    by_key = {b["key"]: b for b in bases}
    rows = []
    for b in bases:
        ref = refs_dir / f"{b['key']}.wav"
        write_wav(ref, b["audio"], 16000)
        for v in range(variants):
            sev = {k: 0 for k in IMPACT}
            if v > 0:  # variant 0 of every line is the clean dub
                for k in IMPACT:
                    if rng.random() < P_ACTIVE:
                        sev[k] = int(rng.integers(1, 4))
            x = b["audio"].copy()
            if sev["wrong_text"]:  # the dub says another line of the same synthesizer
                others = [o for o in bases if o["synth"] == b["synth"] and o["text"] != b["text"]]
                x = others[int(rng.integers(len(others)))]["audio"].copy()
                sev["wrong_text"] = 3
            if sev["other_speaker"]:  # the same line by the other synthesizer (another voice)
                other = by_key[("espeak" if b["synth"] == "piper" else "piper") + b["key"][-2:]]
                x = imp.other_speaker(x, np.pad(other["audio"], (0, max(0, len(x) - len(other["audio"])))))
                sev["other_speaker"] = 3
            if sev["stretch"]:
                x = imp.time_stretch(x, 16000, STRETCH[sev["stretch"]])
            if sev["av_offset"]:
                x = imp.shift_audio(x, 16000, OFFSET_S[sev["av_offset"]])
            if sev["clipping"]:
                peak = float(np.max(np.abs(x))) or 1.0
                x = imp.clip_audio(x, CLIP_CEIL[sev["clipping"]] * peak, gain=1.0)
            if sev["noise"]:
                x = imp.add_noise(x, NOISE_SNR[sev["noise"]], seed=int(rng.integers(1 << 30)))
            x = np.clip(x, -1.0, 1.0).astype(np.float32)
            cid = f"{b['key']}_{v:02d}"
            wav = clips_dir / f"{cid}.wav"
            mp4 = clips_dir / f"{cid}.mp4"
            write_wav(wav, x, 16000)
            video_span(b["video"], b["start"], len(x) / 16000, BLUR_SIGMA.get(sev["blur"], 0.0), mp4)
            rows.append(
                {
                    "id": cid, "audio": f"clips/{cid}.wav", "video": f"clips/{cid}.mp4", "text": b["text"],
                    "reference": f"refs/{b['key']}.wav", "voice": b["voice"], "lang": "en",
                    "speaker": f"{b['synth']}:{b['speaker']}", "base": b["key"], "duration": round(len(x) / 16000, 3),
                    "severity": sev, "quality": hidden_quality(sev),
                }
            )  # fmt: skip
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=Path("/tmp/dubscore_corpus"))
    ap.add_argument("--variants", type=int, default=20)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    root = args.out
    root.mkdir(parents=True, exist_ok=True)
    bases = dub_demo(root)
    print(f"{len(bases)} dubbed base lines", flush=True)
    rows = make_variants(bases, root, args.variants, args.seed)
    cols = ["id", "audio", "video", "text", "reference", "voice", "lang", "speaker", "duration"]
    with open(root / "clips.csv", "w", newline="") as fh:
        w = csv.DictWriter(fh, cols, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    with open(root / "truth.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "quality", "base", "speaker", *IMPACT])
        for r in rows:
            w.writerow([r["id"], f"{r['quality']:.4f}", r["base"], r["speaker"], *(r["severity"][k] for k in IMPACT)])
    print(json.dumps({"clips": len(rows), "out": str(root)}), flush=True)


if __name__ == "__main__":
    main()
