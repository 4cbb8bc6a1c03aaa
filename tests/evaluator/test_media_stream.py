"""Raw PCM to and from ffmpeg in blocks: decoding whole streams and spans, muxing a computed track."""

from __future__ import annotations

import numpy as np
import pytest

from evaluator.errors import BackendError
from evaluator.media import load_audio, mux, probe
from evaluator.media.layout import layout_named
from evaluator.media.stream import PcmStream, read_spans, stream_audio


def test_stream_audio_decodes_what_load_audio_does(demo_episode):
    stereo = layout_named("stereo")
    blocks = list(stream_audio(demo_episode.video, 48000, stereo, block=10_000))
    assert all(b.shape[1] == 2 and len(b) <= 10_000 for b in blocks)
    assert np.array_equal(np.concatenate(blocks), load_audio(demo_episode.video, 48000, mono=False))
    mono = np.concatenate(list(stream_audio(demo_episode.video, 16000, layout_named("mono"))))
    assert mono.shape[1] == 1 and np.allclose(mono[:, 0], load_audio(demo_episode.video, 16000), atol=1e-6)


def test_spans_are_decoded_alone_at_their_exact_length(demo_episode):
    stereo = layout_named("stereo")
    spans = [(1.0, 2.5), (0.2, 0.7371), (6.0, 6.01), (3.3, 5.9)]  # any order, any length
    got = list(read_spans(demo_episode.video, 48000, stereo, spans))
    assert [len(a) for a in got] == [round((e - s) * 48000) for s, e in spans]
    for (s, e), audio in zip(spans, got, strict=True):
        alone = load_audio(demo_episode.video, 48000, mono=False, start=s, end=e)
        k = min(len(alone), len(audio))
        assert np.allclose(audio[:k], alone[:k], atol=1e-6)
    joined = np.concatenate(list(stream_audio(demo_episode.video, 48000, stereo, spans=spans)))
    assert np.array_equal(joined, np.concatenate(got))


def test_many_spans_in_time_order_are_read_straight_through_with_the_same_samples(demo_episode, monkeypatch):
    from evaluator.media import stream

    stereo = layout_named("stereo")
    spans = [(0.2, 0.7371), (1.0, 2.5), (3.3, 5.9), (6.0, 6.01), (12.3, 13.0)]  # the last one past the end
    seeked = list(read_spans(demo_episode.video, 48000, stereo, spans))
    decoded, real = [], stream._blocks

    def spy(args, *rest):  # noqa: ANN001, ANN002, ANN202 - records each ffmpeg command
        decoded.append(args)
        return real(args, *rest)

    monkeypatch.setattr(stream, "_blocks", spy)
    straight = np.concatenate(list(stream_audio(demo_episode.video, 48000, stereo, spans=spans)))
    assert len(decoded) == 1 and "-ss" not in decoded[0]  # one pass, no seeking (5 spans in 12.5 s)
    assert len(straight) == sum(len(a) for a in seeked) == sum(round((e - s) * 48000) for s, e in spans)
    assert np.allclose(straight, np.concatenate(seeked), atol=2e-3)  # AAC decoded from a seek point: preroll


def test_mux_encodes_a_streamed_track_and_leaves_nothing_when_it_fails(demo_episode, tmp_path):
    info = probe(demo_episode.video, count_frames=True)
    sr, n = 44100, int(round(info.duration * 44100))
    t = np.arange(n) / sr
    tone = (0.1 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)

    def blocks(fail_at: int | None = None):
        for k, a in enumerate(range(0, n, 30_000)):
            if k == fail_at:
                raise RuntimeError("computing the mix failed")
            yield np.stack([tone[a : a + 30_000]] * 2, axis=1)

    out = mux(demo_episode.video, [PcmStream(blocks(), sr, layout_named("stereo"))], tmp_path / "o.mp4")
    got = probe(out, count_frames=True)
    assert got.video.frames == info.video.frames and abs(got.duration - info.duration) < 0.04
    assert got.audio.sample_rate == sr and got.audio.channels == 2 and got.audio.channel_layout == "stereo"
    assert np.abs(load_audio(out, sr, mono=False)).max() == pytest.approx(0.1, abs=0.02)
    with pytest.raises(RuntimeError, match="computing the mix failed"):
        mux(demo_episode.video, [PcmStream(blocks(fail_at=3), sr, layout_named("stereo"))], tmp_path / "f.mp4")
    with pytest.raises(ValueError, match="1-channel track"):
        mux(demo_episode.video, [PcmStream(blocks(), sr, layout_named("mono"))], tmp_path / "g.mp4")
    with pytest.raises(BackendError, match="muxing"):  # ffmpeg refuses the options: its message comes back
        mux(demo_episode.video, [PcmStream(blocks(), sr, layout_named("stereo"))], tmp_path / "h.mp4", bitrate="x")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o.mp4"]


def test_a_track_longer_than_the_picture_is_cut_and_every_block_is_still_computed(demo_episode, tmp_path):
    info = probe(demo_episode.video)
    sr = 48000
    computed = []

    def blocks():  # twice the picture's length, in small blocks: ffmpeg stops reading half way
        for k in range(int(2 * info.duration * sr) // 4800):
            computed.append(k)
            yield np.full((4800, 2), 0.05, dtype=np.float32)

    out = mux(demo_episode.video, [PcmStream(blocks(), sr, layout_named("stereo"))], tmp_path / "o.mp4")
    assert len(computed) == int(2 * info.duration * sr) // 4800
    assert abs(probe(out).duration - info.duration) < 0.05
