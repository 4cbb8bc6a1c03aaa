"""The page kit: the shell (escaping, inline assets), colour contrast, media encodings, and the kit in a browser."""

from __future__ import annotations

import re

import numpy as np
import pytest

from evaluator.errors import ConfigError, MediaError
from evaluator.html import AUDIO, VIDEO, encode_audio, encode_many, encode_video, render_page, write_page
from evaluator.html.page import ASSETS
from evaluator.metrics.item import Source


def _luminance(hex_colour: str) -> float:
    rgb = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a: str, b: str) -> float:
    """WCAG 2.1 contrast ratio of two #rrggbb colours."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _palettes() -> dict[str, dict[str, str]]:
    css = (ASSETS / "kit.css").read_text()
    light = re.search(r":root \{(.*?)\}", css, re.S).group(1)
    dark = re.search(r"prefers-color-scheme: dark\) \{\s*:root \{(.*?)\}", css, re.S).group(1)
    return {name: dict(re.findall(r"--([\w-]+):\s*(#[0-9a-f]{6});", block)) for name, block in
            (("light", light), ("dark", dark))}  # fmt: skip


def test_contrast_of_text_and_controls_reaches_wcag_aa_in_both_schemes() -> None:
    assert contrast("#ffffff", "#000000") == pytest.approx(21.0)
    for scheme, c in _palettes().items():
        for fg in ("fg", "muted", "accent", "good", "bad", "warn"):
            for bg in ("bg", "panel", "best-bg"):
                assert contrast(c[fg], c[bg]) >= 4.5, (scheme, fg, bg)
        assert contrast(c["bg"], c["accent"]) >= 4.5, scheme  # primary buttons: page colour on accent
        assert contrast(c["border"], c["bg"]) >= 3.0 and contrast(c["focus"], c["bg"]) >= 3.0, scheme


def test_shell_escapes_text_keeps_data_inert_and_refuses_an_asset_that_would_close_its_block(tmp_path) -> None:
    html = render_page(None, title="<i>A & B</i>", data={"t": "</script><script>alert(1)</script>", "n": 1})
    assert "<title>&lt;i&gt;A &amp; B&lt;/i&gt; · dubkit</title>" in html
    assert "</script><script>alert" not in html and "\\u003c/script\\u003e" in html
    assert html.count("<script") == 2 and "window.dk = dk" in html and "@media print" in html
    bad = tmp_path / "bad.js"
    bad.write_text("const s = '</script>';")
    with pytest.raises(ConfigError, match="bad.js: contains '</script'"):
        render_page(None, title="x", scripts=[bad])
    assert write_page(tmp_path / "p.html", html) == len(html.encode())


def _probe(data: bytes, suffix: str, tmp_path) -> dict:
    from evaluator.media import probe

    p = tmp_path / f"m{suffix}"
    p.write_bytes(data)
    info = probe(p)
    return {"duration": info.duration, **{s.kind: s for s in info.streams}}


def _decode(data: bytes, tmp_path) -> np.ndarray:
    from evaluator.media import load_audio

    (tmp_path / "d.webm").write_bytes(data)
    return load_audio(tmp_path / "d.webm", 16000)


def test_audio_encodes_to_mono_opus_in_webm_from_a_file_span_and_an_array(tmp_path) -> None:
    from evaluator.media import write_wav

    sr = 22050
    t = np.arange(sr * 4) / sr
    write_wav(tmp_path / "tone.wav", 0.3 * np.stack([np.sin(2 * np.pi * 220 * t)] * 2, axis=1), sr)
    span = encode_audio(Source.of_file(tmp_path / "tone.wav", 1.0, 2.5))
    info = _probe(span.data, ".webm", tmp_path)
    assert info["audio"].codec == "opus" and info["audio"].channels == 1 and info["audio"].sample_rate == 48000
    assert info["duration"] == pytest.approx(1.5, abs=0.03) and span.mime == AUDIO.mime
    arr = encode_audio(Source.of_array(0.3 * np.sin(2 * np.pi * 220 * t[: sr * 2]).astype(np.float32), sr))
    assert _probe(arr.data, ".webm", tmp_path)["duration"] == pytest.approx(2.0, abs=0.03)
    assert 4000 < arr.size < 16000  # about 32 kbit/s
    assert arr.data_uri().startswith("data:audio/webm;base64,GkXf")  # the EBML magic
    with pytest.raises(MediaError, match="missing.wav: no such file"):
        encode_audio(Source.of_file(tmp_path / "missing.wav"))
    with pytest.raises(ConfigError, match="span 2.000-1.000 s is empty"):
        encode_audio(Source.of_file(tmp_path / "tone.wav", 2.0, 1.0))


def test_video_is_h264_main_at_most_360_lines_with_the_dub_as_its_sound(tmp_path) -> None:
    from evaluator.media.tools import binary, run

    run([binary("ffmpeg"), "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=854x480:rate=25", "-t", "3",
         "-pix_fmt", "yuv420p", str(tmp_path / "hd.mp4")], what="test video")  # fmt: skip
    dub = Source.of_array(0.2 * np.sin(np.linspace(0, 2000, 48000 * 4)).astype(np.float32), 48000)
    m = encode_video(Source.of_file(tmp_path / "hd.mp4", 0.5, 2.5), dub)
    info = _probe(m.data, ".mp4", tmp_path)
    assert info["video"].codec == "h264" and (info["video"].width, info["video"].height) == (640, 360)
    assert info["audio"].codec == "aac" and info["duration"] == pytest.approx(2.0, abs=0.1)
    assert m.mime == VIDEO.mime and m.data[4:8] == b"ftyp"
    silent = encode_video(Source.of_file(tmp_path / "hd.mp4"), max_height=120)
    info = _probe(silent.data, ".mp4", tmp_path)
    assert info["video"].height == 120 and "audio" not in info  # no sound to carry: none invented


def test_encode_many_keeps_order_and_raises_the_first_error() -> None:
    seen = []
    assert encode_many(lambda x: x * 2, range(6), workers=3, progress=seen.append) == [0, 2, 4, 6, 8, 10]
    assert len(seen) == 6

    def boom(x: int) -> int:
        if x == 3:
            raise MediaError("clip 3: cannot encode")
        return x

    with pytest.raises(MediaError, match="clip 3"):
        encode_many(boom, range(6), workers=2)


@pytest.mark.browser
def test_kit_helpers_and_both_media_formats_in_chromium(chromium, tmp_path) -> None:
    from evaluator.media import write_wav

    sr = 16000
    write_wav(tmp_path / "a.wav", 0.3 * np.sin(2 * np.pi * 300 * np.arange(sr * 2) / sr), sr)
    a = encode_audio(Source.of_file(tmp_path / "a.wav"))
    from evaluator.media.tools import binary, run

    run([binary("ffmpeg"), "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-t", "1.5",
         "-pix_fmt", "yuv420p", str(tmp_path / "v.mp4")], what="test video")  # fmt: skip
    v = encode_video(Source.of_file(tmp_path / "v.mp4"), Source.of_file(tmp_path / "a.wav"))
    page = tmp_path / "kit.html"
    write_page(page, render_page(None, title="kit", data={"media": [
        {"kind": "audio", "src": a.data_uri(), "type": a.mime}, {"kind": "video", "src": v.data_uri(), "type": v.mime}
    ]}))  # fmt: skip
    chromium.open(page, tmp_path / "dl")
    chromium.js("for (const m of dk.data().media) document.body.append(dk.media(m.kind, m.src, m.type))")
    chromium.wait(lambda: all(r["ready"] >= 1 for r in chromium.media_report()), what="metadata")
    report = chromium.media_report()
    assert [(r["kind"], r["can"]) for r in report] == [("audio", "probably"), ("video", "probably")]
    assert report[0]["duration"] == pytest.approx(2.0, abs=0.05)
    assert report[1]["duration"] == pytest.approx(1.5, abs=0.1)  # the picture's length, not the 2 s sound's
    got = chromium.js("""
        const r1 = dk.rng('page:alice'), r2 = dk.rng('page:alice'), r3 = dk.rng('page:bob');
        const items = Array.from({length: 10}, (_, i) => i);
        return {
          same: JSON.stringify(dk.shuffle(items, r1)) === JSON.stringify(dk.shuffle(items, r2)),
          other: JSON.stringify(dk.shuffle(items, dk.rng('page:alice'))) !== JSON.stringify(dk.shuffle(items, r3)),
          kept: dk.shuffle(items, r3).sort((a, b) => a - b).join(),
          csv: dk.csv(['a', 'b'], [{a: 'x,y', b: 'say "hi"'}, {a: null, b: 3}]),
          hash: dk.hash('abc'),
        };""")  # fmt: skip
    assert got["same"] and got["other"] and got["kept"] == "0,1,2,3,4,5,6,7,8,9"
    assert got["csv"] == 'a,b\n"x,y","say ""hi"""\n,3\n'
    assert got["hash"] == 0x1A47E90B  # FNV-1a 32 of "abc"


def test_many_spans_batched_per_process_match_one_by_one_and_a_bad_span_is_named(tmp_path) -> None:
    from evaluator.html import encode_audio_many
    from evaluator.media import write_wav

    sr = 16000
    t = np.arange(sr * 6) / sr
    write_wav(tmp_path / "long.wav", 0.3 * np.sin(2 * np.pi * 200 * t), sr)
    srcs = [Source.of_file(tmp_path / "long.wav", k, k + 0.5 + 0.25 * k) for k in range(5)]
    srcs.insert(2, Source.of_array(0.2 * np.ones(sr, np.float32), sr))
    seen: list[int] = []
    many = encode_audio_many(srcs, workers=2, batch=2, progress=seen.append)
    assert sum(seen) == 6
    lengths = [_probe(m.data, ".webm", tmp_path)["duration"] for m in many]
    assert lengths == pytest.approx([0.5, 0.75, 1.0, 1.0, 1.25, 1.5], abs=0.03)  # in order, the array in its place
    for m, src in zip(many, srcs, strict=True):  # the same sound as one process per span
        assert np.allclose(_decode(m.data, tmp_path), _decode(encode_audio(src).data, tmp_path), atol=1e-3)
    with pytest.raises(MediaError, match=r"long.wav: span starts at 9.000 s, after the end \(6.000 s\)"):
        encode_audio_many([srcs[0], Source.of_file(tmp_path / "long.wav", 9.0, 10.0)])
