"""The streaming mix's parts: the block-by-block loudness meter (against pyloudnorm on whole arrays and
ffmpeg's ebur128), and the pieces that must give in blocks what they give on the whole timeline."""

from __future__ import annotations

import numpy as np
import pyloudnorm
import pytest
from ebur128 import ffmpeg_lufs

from dubber import mixing
from dubber.loudness import LoudnessMeter, loudness
from evaluator.media import write_wav
from evaluator.media.layout import layout_named, stream_layout


def _speechlike(sr: int, seconds: float, channels: int, seed: int = 0) -> np.ndarray:
    """Noise bursts with pauses and a level that moves (the gates have something to do)."""
    rng = np.random.default_rng(seed)
    n = int(seconds * sr)
    t = np.arange(n) / sr
    bursts = (np.sin(2 * np.pi * 0.35 * t) > -0.2) * (0.3 + 0.7 * np.abs(np.sin(2 * np.pi * 0.05 * t)))
    x = rng.standard_normal((n, channels)) * 0.08 * bursts[:, None]
    x[:, -1] *= 0.5  # channels differ
    return x.astype(np.float32)


@pytest.mark.parametrize(("sr", "channels"), [(48000, 1), (48000, 2), (44100, 2), (16000, 1)])
def test_block_by_block_loudness_equals_pyloudnorm_on_the_whole_array(sr, channels):
    x = _speechlike(sr, 9.3, channels)
    reference = pyloudnorm.Meter(sr).integrated_loudness(x.astype(np.float64))
    meter = LoudnessMeter(sr)
    cuts = np.sort(np.random.default_rng(1).choice(len(x), 23, replace=False))
    for piece in np.split(x, cuts):  # blocks of any size, some shorter than a gating block
        meter.add(piece)
    assert meter.integrated() == pytest.approx(reference, abs=0.01)
    assert meter.seconds == pytest.approx(len(x) / sr)


def test_loudness_agrees_with_ffmpeg_ebur128(tmp_path):
    sr = 48000
    for channels in (1, 2):
        x = _speechlike(sr, 8.0, channels, seed=channels)
        path = tmp_path / f"x{channels}.wav"
        write_wav(path, x, sr, subtype="FLOAT")
        assert loudness(x, sr) == pytest.approx(ffmpeg_lufs(path), abs=0.15)  # ffmpeg prints one decimal


def test_skipped_silence_measures_as_silence_fed_sample_by_sample():
    sr = 48000
    speech = _speechlike(sr, 3.0, 1)[:, 0]
    silence = 7 * sr + 1234  # not a whole number of 100 ms quarters
    fed, skipped = LoudnessMeter(sr), LoudnessMeter(sr)
    for meter, skip in ((fed, False), (skipped, True)):
        meter.add(speech)
        if skip:
            meter.skip(silence)
        else:
            meter.add(np.zeros(silence, dtype=np.float32))
        meter.add(speech[::-1])
    assert skipped.integrated() == pytest.approx(fed.integrated(), abs=1e-6)
    assert skipped.seconds == fed.seconds
    assert np.allclose(skipped.block_energies(), fed.block_energies(), atol=1e-15)
    assert LoudnessMeter(sr).integrated() == float("-inf")


def test_layout_weights_and_dialogue_channels():
    stereo, mono, surround = layout_named("stereo"), layout_named("mono"), layout_named("5.1(side)")
    assert stereo.dialogue_weight == 2.0 and mono.dialogue_weight == 1.0
    assert surround.channels == ("FL", "FR", "FC", "LFE", "SL", "SR")
    assert surround.weights == (1.0, 1.0, 1.0, 0.0, 1.41, 1.41)  # LFE out, surrounds 1.41 (BS.1770-4)
    assert surround.dialogue_channels == (2,)  # the centre
    assert stream_layout(2, None, where="x").name == "stereo"
    with pytest.raises(Exception, match="without a known channel layout"):
        stream_layout(6, None, where="x.wav")
    # a mono signal at full level in both channels of a stereo layout measures 10*log10(2) LU louder
    x = _speechlike(48000, 5.0, 1)[:, 0]
    both = loudness(np.stack([x, x], axis=1), 48000, stereo.weights)
    assert both - loudness(x, 48000) == pytest.approx(10 * np.log10(stereo.dialogue_weight), abs=1e-6)


def test_ducking_gain_of_any_stretch_is_the_whole_curves():
    sr, n = 8000, 8000 * 6
    spans = [(0.02, 0.9), (2.0, 3.1), (3.15, 4.0), (5.95, 6.0)]
    whole = mixing.duck_gain(n, sr, spans, duck_db=15.0)
    for a, b in mixing.blocks_of(0, n, 3001):
        assert np.array_equal(mixing.duck_gain(b - a, sr, spans, 15.0, start=a, total=n), whole[a:b])


def test_dialogue_track_builds_the_stem_block_by_block(tmp_path):
    sr = 16000
    rng = np.random.default_rng(0)
    clips = []
    for i, start in enumerate([0.5, 1.2, 4.0, 4.5]):  # overlapping lines, lines across block edges
        audio = (0.1 * rng.standard_normal(int(1.3 * sr))).astype(np.float32)
        write_wav(tmp_path / f"{i}.wav", audio, sr, subtype="FLOAT")
        clips.append((start, audio, tmp_path / f"{i}.wav"))
    n = 7 * sr
    whole = mixing.place(n, sr, [(s, a) for s, a, _ in clips])
    track = mixing.DialogueTrack([(s, p) for s, _, p in clips], sr)
    blocks = [track.block(a, b) for a, b in mixing.blocks_of(0, n, 5000)]
    assert np.allclose(np.concatenate(blocks), whole, atol=1e-7)
    assert track._active == []  # every line dropped once passed


def test_fixed_blocks_pads_and_cuts_a_decoders_blocks():
    source = [np.full((3, 2), i, dtype=np.float32) for i in range(4)]  # 12 frames in blocks of 3
    out = list(mixing.fixed_blocks(iter(source), mixing.blocks_of(0, 16, 5), 2))
    assert [len(b) for b in out] == [5, 5, 5, 1]
    joined = np.concatenate(out)[:, 0]
    assert list(joined[:12]) == [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3] and not joined[12:].any()
    short = list(mixing.fixed_blocks(iter(source), mixing.blocks_of(0, 4, 4), 2))
    assert len(short) == 1 and len(short[0]) == 4
