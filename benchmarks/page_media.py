"""Sizes and build times of self-contained pages with inline media (the page kit, evaluator/html).

Run: .venv/bin/python benchmarks/page_media.py [--minutes 22] [--lines 300] [--browser]

A synthetic episode: ``--lines`` Spanish lines (espeak, the demo's sentences) over the demo's music bed,
spread over ``--minutes`` minutes and stored as AAC (as an episode's sound usually is), and one English dub
line per cue (piper, 20 distinct sentences reused). Per line the page carries two spans, the original (the
cue's span of the episode) and the dub line, as the review page will. It prints:

- the default encoding (Opus in WebM, 32 kbit/s mono): media bytes, the page size with the media inline
  (base64) and the build time (encoding on all cores, rendering, writing);
- other encodings on a 40-line sample, as kbit/s and extrapolated to the whole episode;
- with ``--browser`` (Debian's chromium + chromedriver): the time Chromium takes to load the page, and
  whether every audio element's type is playable (``canPlayType``) and its duration loads;
- the listening test page (``dubkit ratings page``) for ``--rating-clips`` clips with a picture (4 s of
  ffmpeg's moving test pattern at 640x360: harder to compress than most footage) and as many audio-only
  clips, and the leaderboard page (``dubkit compare --html``) for 3 systems x 300 clips x 8 metrics.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

SR = 48000
DUB_SENTENCES = [
    "Good morning. Did you see the news this morning?",
    "Yes, it looks like the port will be closed all week.",
    "Then we will have to change the travel plan.",
    "Don't worry, I know another route through the mountains.",
    "Is it safe at this time of year?",
    "If we leave early, we will arrive before the snow.",
    "All right. I will get the coffee and the maps ready.",
    "Perfect. See you at the station at six.",
    "Nobody told me the meeting was moved.",
    "We should call your sister before it gets late.",
    "I can't find the keys anywhere.",
    "That was the best dinner we have had in months.",
    "Wait here, I will be right back.",
    "Are you sure this is the right address?",
    "The train leaves in ten minutes.",
    "I never said that, and you know it.",
    "Let's take the long way home tonight.",
    "Do you remember where we parked the car?",
    "Thank you for coming all this way.",
    "It is colder than they said it would be.",
]


def _episode(d: Path, minutes: float, n_lines: int) -> tuple[Path, list[tuple[float, float]]]:
    """episode.m4a: espeak Spanish lines over the music bed, written in one-minute blocks (bounded memory)."""
    from dubber.demo import LINES, VOICES, music_bed
    from dubber.synth import SynthRequest
    from dubber.synth.espeak import EspeakSynthesizer
    from evaluator.media import resample
    from evaluator.media.tools import binary

    voices = {name: EspeakSynthesizer(gender=gender) for name, gender in VOICES.items()}
    pool = []
    for speaker, es, _ in LINES:
        s = voices[speaker].synthesize(SynthRequest(es, "es"))
        pool.append(resample(s.audio, s.sr, SR) * 0.5)
    total = minutes * 60.0
    step = total / n_lines
    cues = []
    for i in range(n_lines):
        x = pool[i % len(pool)]
        start = i * step + 0.3
        cues.append((start, min(total, start + len(x) / SR + 0.1)))
    out = d / "episode.m4a"
    ff = subprocess.Popen(
        [binary("ffmpeg"), "-v", "error", "-y", "-f", "f32le", "-ar", str(SR), "-ac", "1", "-i", "pipe:0",
         "-c:a", "aac", "-b:a", "128k", str(out)],
        stdin=subprocess.PIPE,
    )  # fmt: skip
    block = 60.0
    for b0 in np.arange(0.0, total, block):
        b1 = min(total, b0 + block)
        buf = music_bed(b1 - b0, SR, seed=int(b0)).mean(axis=1)
        for i, (s, _) in enumerate(cues):
            x = pool[i % len(pool)]
            e = s + len(x) / SR
            if e <= b0 or s >= b1:
                continue
            i0, j0 = max(0, int((b0 - s) * SR)), max(0, int((s - b0) * SR))
            seg = x[i0 : i0 + len(buf) - j0]
            buf[j0 : j0 + len(seg)] += seg
        ff.stdin.write(np.clip(buf, -1, 1).astype(np.float32).tobytes())
    ff.stdin.close()
    if ff.wait() != 0:
        raise SystemExit("ffmpeg failed writing the episode")
    return out, cues


def _dub_lines(d: Path, n_lines: int) -> list[Path]:
    from dubber.synth import SYNTHESIZERS, SynthRequest
    from evaluator.media import write_wav

    piper = SYNTHESIZERS.get("piper")()
    paths = []
    for j, text in enumerate(DUB_SENTENCES):
        s = piper.synthesize(SynthRequest(text, "en"))
        write_wav(d / f"dub{j}.wav", s.audio, s.sr)
        paths.append(d / f"dub{j}.wav")
    return [paths[i % len(paths)] for i in range(n_lines)]


def _spans(episode: Path, cues, dubs) -> list:
    from evaluator.metrics.item import Source

    out = []
    for (s, e), dub in zip(cues, dubs, strict=True):
        out += [Source.of_file(episode, s, e), Source.of_file(dub)]
    return out


def _seconds(spans) -> float:
    import soundfile as sf

    total = 0.0
    for src in spans:
        total += (src.end - src.start) if src.end is not None else sf.info(str(src.path)).duration
    return total


def _page(d: Path, clips: list[dict], preload: str) -> Path:
    from evaluator.html import render_page, write_page

    tpl = d / "bench.html.j2"
    tpl.write_text(
        '{% extends "base.html.j2" %}{% block main %}<table class="data"><tbody>'
        "{% for c in clips %}<tr><td>{{ loop.index }}</td><td>"
        '<audio controls preload="{{ preload }}" aria-label="line {{ loop.index }}">'
        '<source src="{{ c.src }}" type="{{ c.type }}"></audio></td></tr>{% endfor %}'
        "</tbody></table>{% endblock %}"
    )
    page = d / f"page_{preload}.html"
    write_page(page, render_page(tpl, title="inline media", clips=clips, preload=preload))
    return page


def _browser(page: Path) -> dict:
    from evaluator.html.browser import headless_chromium

    with tempfile.TemporaryDirectory() as prof:
        drv = headless_chromium(prof)
        try:
            t0 = time.perf_counter()
            drv.get(page.as_uri())
            load = time.perf_counter() - t0
            nav = drv.execute_script("const n = performance.getEntriesByType('navigation')[0]; return n.loadEventEnd")
            # load every element's metadata (what a reviewer's clicks would do), then read the durations
            t1 = time.perf_counter()
            drv.execute_script("document.querySelectorAll('audio').forEach(a => { a.preload = 'metadata'; a.load(); })")
            for _ in range(600):
                ready = drv.execute_script(
                    "return [...document.querySelectorAll('audio')].every(a => a.readyState >= 1)"
                )
                if ready:
                    break
                time.sleep(0.1)
            meta = time.perf_counter() - t1
            r = drv.execute_script(
                "const a = [...document.querySelectorAll('audio')];"
                "return {n: a.length, playable: a.filter(x => x.canPlayType(x.querySelector('source').type)).length,"
                " loaded: a.filter(x => x.duration > 0).length,"
                " heap: performance.memory ? performance.memory.usedJSHeapSize : null};"
            )
        finally:
            drv.quit()
    return {"load_s": load, "load_event_ms": nav, "metadata_s": meta, **r}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=22.0)
    ap.add_argument("--lines", type=int, default=300)
    ap.add_argument("--sample", type=int, default=40, help="lines for the other encodings")
    ap.add_argument("--browser", action="store_true")
    ap.add_argument("--rating-clips", type=int, default=50)
    ap.add_argument("--only-pages", action="store_true", help="skip the episode, measure the two pages")
    args = ap.parse_args()
    if args.only_pages:
        _pages(args.rating_clips)
        return
    from evaluator.html import AUDIO, AUDIO_BATCH, MediaFormat, encode_audio, encode_audio_many, encode_many

    with tempfile.TemporaryDirectory(prefix="dubkit-pagebench-") as tmp:
        d = Path(tmp)
        t = time.perf_counter()
        episode, cues = _episode(d, args.minutes, args.lines)
        dubs = _dub_lines(d, args.lines)
        spans = _spans(episode, cues, dubs)
        secs = _seconds(spans)
        print(f"episode {args.minutes:g} min, {args.lines} lines: {len(spans)} spans, {secs / 60:.1f} min of audio "
              f"(made in {time.perf_counter() - t:.0f} s)")  # fmt: skip
        workers = os.cpu_count() or 1

        t = time.perf_counter()
        media = encode_audio_many(spans, workers=workers)
        t_enc = time.perf_counter() - t
        raw = sum(m.size for m in media)
        clips = [{"src": m.data_uri(), "type": m.mime} for m in media]
        t = time.perf_counter()
        page = _page(d, clips, "none")
        t_page = time.perf_counter() - t
        size = page.stat().st_size
        print(f"\n{AUDIO.name} ({' '.join(AUDIO.args[AUDIO.args.index('-b:a') : AUDIO.args.index('-b:a') + 2])}), "
              f"{workers} workers on this machine:")  # fmt: skip
        print(f"  media {raw / 1e6:.2f} MB ({raw * 8 / secs / 1000:.1f} kbit/s incl. container), "
              f"{raw / len(media) / 1000:.1f} kB per span")  # fmt: skip
        print(
            f"  inline page {size / 1e6:.2f} MB; in a folder beside the page: {raw / 1e6:.2f} MB in {len(media)} files"
        )
        print(f"  build: encode {t_enc:.1f} s ({t_enc / len(media) * 1000:.0f} ms per span, {AUDIO_BATCH} spans per "
              f"ffmpeg), render+write {t_page:.2f} s")  # fmt: skip

        variants = [
            MediaFormat("opus-webm-24k", "audio", AUDIO.mime, ".webm",
                        ("-vn", "-ac", "1", "-ar", "48000", "-c:a", "libopus", "-b:a", "24k", "-f", "webm")),
            MediaFormat("mp3-64k", "audio", "audio/mpeg", ".mp3",
                        ("-vn", "-ac", "1", "-ar", "44100", "-c:a", "libmp3lame", "-b:a", "64k", "-f", "mp3")),
            MediaFormat("aac-48k-mp4", "audio", 'audio/mp4; codecs="mp4a.40.2"', ".m4a",
                        ("-vn", "-ac", "1", "-ar", "48000", "-c:a", "aac", "-b:a", "48k", "-movflags", "+faststart",
                         "-f", "mp4")),
            MediaFormat("pcm16-wav-16k", "audio", "audio/wav", ".wav",
                        ("-vn", "-ac", "1", "-ar", "16000", "-c:a", "pcm_s16le", "-f", "wav")),
        ]  # fmt: skip
        sample = spans[: 2 * args.sample]
        s_secs = _seconds(sample)
        t = time.perf_counter()
        encode_many(encode_audio, sample, workers=workers)
        one = time.perf_counter() - t
        t = time.perf_counter()
        encode_audio_many(sample, workers=workers)
        batched = time.perf_counter() - t
        print(f"\nffmpeg start-up: {len(sample)} spans one process each {one / len(sample) * 1000:.0f} ms/span, "
              f"{AUDIO_BATCH} per process {batched / len(sample) * 1000:.0f} ms/span")  # fmt: skip
        print(
            f"\nother encodings on {len(sample)} spans ({s_secs:.0f} s), extrapolated to the episode (inline = x4/3):"
        )
        for fmt in [AUDIO, *variants]:
            t = time.perf_counter()
            ms = encode_audio_many(sample, fmt, workers=workers)
            dt = time.perf_counter() - t
            b = sum(m.size for m in ms)
            rate = b / s_secs
            kbps, mb = rate * 8 / 1000, rate * secs / 1e6
            print(f"  {fmt.name:<16} {kbps:6.1f} kbit/s  episode media {mb:6.2f} MB, inline {mb * 4 / 3:6.2f} MB, "
                  f"encode {dt / len(sample) * 1000:.0f} ms/span")  # fmt: skip

        if args.browser:
            r = _browser(page)
            print(f"\nChromium, the {size / 1e6:.1f} MB page with preload=none: opened in {r['load_s']:.2f} s "
                  f"(load event at {r['load_event_ms']:.0f} ms); metadata of all {r['n']} elements in "
                  f"{r['metadata_s']:.1f} s; {r['playable']} playable by canPlayType, {r['loaded']} with a duration; "
                  f"JS heap {r['heap'] / 1e6 if r['heap'] else float('nan'):.0f} MB")  # fmt: skip

        _pages(args.rating_clips)


def _pages(n: int) -> None:
    import json

    from dubber.synth import SYNTHESIZERS, SynthRequest
    from evaluator.dubscore.rating_page import build_rating_page
    from evaluator.media import write_wav
    from evaluator.media.tools import binary, run
    from evaluator.metrics.item import ScoreItem, Source
    from evaluator.scoring.compare import compare

    with tempfile.TemporaryDirectory(prefix="dubkit-pagebench-") as tmp:
        d = Path(tmp)
        run([binary("ffmpeg"), "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25",
             "-t", str(4 * n + 1), "-pix_fmt", "yuv420p", "-c:v", "libx264", "-preset", "ultrafast",
             str(d / "picture.mp4")], what="test picture")  # fmt: skip
        piper = SYNTHESIZERS.get("piper")()
        dubs = []
        for j, text in enumerate(DUB_SENTENCES):
            s = piper.synthesize(SynthRequest(text, "en"))
            write_wav(d / f"dub{j}.wav", s.audio, s.sr)
            dubs.append(d / f"dub{j}.wav")
        video_items = [
            ScoreItem(f"v{i}", audio_src=Source.of_file(dubs[i % len(dubs)]),
                      video=Source.of_file(d / "picture.mp4", 4.0 * i, 4.0 * i + 4.0))
            for i in range(n)
        ]  # fmt: skip
        audio_items = [ScoreItem(f"a{i}", audio_src=Source.of_file(dubs[i % len(dubs)])) for i in range(n)]
        for name, items in (("with video", video_items), ("audio only", audio_items)):
            r = build_rating_page(items, d / "test.html")
            print(f"\nlistening test page, {n} clips {name}: {r['bytes'] / 1e6:.2f} MB "
                  f"(media {r['media_bytes'] / 1e6:.2f} MB), built in {r['seconds']:.1f} s")  # fmt: skip

        rng = np.random.default_rng(0)
        metrics = ["wer", "cer", "spk_sim", "emo_sim", "dnsmos_ovrl", "mcd", "semantic_sim", "stretch_ratio"]
        for k, name in enumerate(("A", "B", "C")):
            sd = d / name
            sd.mkdir()

            def value(k: int = k) -> dict:
                return {"value": float(abs(rng.normal(k + 1, 1)) + 0.1), "backend": "b", "model_id": "m"}

            rows = [json.dumps({"id": f"c{i}", "kind": "clip", "metrics": {m: value() for m in metrics}})
                    for i in range(300)]  # fmt: skip
            (sd / "scores.jsonl").write_text("\n".join(rows) + "\n")
        t = time.perf_counter()
        compare({s: d / s for s in "ABC"}, d / "cmp", html=True)
        dt = time.perf_counter() - t
        size = (d / "cmp" / "leaderboard.html").stat().st_size
        print(f"leaderboard page, 3 systems x 300 clips x {len(metrics)} metrics: {size / 1e6:.2f} MB, "
              f"compare with --html in {dt:.1f} s (tests, plots and page)")  # fmt: skip


if __name__ == "__main__":
    main()
