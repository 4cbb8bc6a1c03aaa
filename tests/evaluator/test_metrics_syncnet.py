"""SyncNet (LSE-D / LSE-C) paper backend of av_sync: the real network random-initialised, saved as a
syncnet_python state dict and loaded through the loader; run on a short talking-face video made here."""

from __future__ import annotations

import numpy as np
import pytest
from metric_helpers import SR, item, talking_face

from evaluator.errors import ModelLoadError
from evaluator.metrics import create_metric
from evaluator.metrics.syncnet import VSHIFT, crop_face, load_syncnet, mfcc, offset_search

NAMES = ["av_sync_offset_ms", "av_sync_conf", "lse_d"]


@pytest.fixture(scope="module")
def weights(tmp_path_factory):
    """A random-initialised S network saved the way syncnet_v2.model is: a plain state dict."""
    import torch

    from evaluator.metrics.syncnet_arch import SyncNetS

    torch.manual_seed(0)
    net = SyncNetS()
    state = {k: v for k, v in net.state_dict().items() if not k.endswith("num_batches_tracked")}  # as the 2016 file
    path = tmp_path_factory.mktemp("syncnet") / "syncnet_v2.model"
    torch.save(state, path)
    return path


@pytest.fixture(scope="module")
def short_video(speech, tmp_path_factory):
    """About 2.2 s of the photo talking (1.2 s of speech with 0.5 s of silence either side)."""
    return talking_face(speech[: int(1.2 * SR)], tmp_path_factory.mktemp("sn") / "talk.mp4")


def test_official_parameter_names_and_shapes_load(weights):
    import torch

    state = torch.load(weights, weights_only=True)
    assert "netcnnaud.0.weight" in state and "netcnnlip.18.weight" in state and "netfclip.3.bias" in state
    assert tuple(state["netcnnlip.0.weight"].shape) == (96, 3, 5, 7, 7)
    assert tuple(state["netcnnaud.18.weight"].shape) == (512, 256, 5, 4)
    net = load_syncnet(weights)
    assert not net.training
    assert torch.equal(net.state_dict()["netfcaud.3.weight"], state["netfcaud.3.weight"])
    with torch.inference_mode():
        assert net.forward_lip(torch.zeros(2, 3, 5, 224, 224)).shape == (2, 1024)
        assert net.forward_aud(torch.zeros(3, 1, 13, 20)).shape == (3, 1024)


def test_missing_or_wrong_weights_raise_model_load_error_naming_the_option(tmp_path, short_video):
    with pytest.raises(ModelLoadError, match="syncnet_model=PATH"):
        load_syncnet(tmp_path / "nope.model")
    with pytest.raises(ModelLoadError, match="syncnet_model=PATH"):
        load_syncnet(None)
    import torch

    torch.save({"conv.weight": torch.zeros(3)}, tmp_path / "other.pt")
    with pytest.raises(ModelLoadError, match="not syncnet_python S weights"):
        load_syncnet(tmp_path / "other.pt")
    # through the metric family: recorded as a skip reason, not raised
    fam = create_metric("av_sync_conf", profile="paper")
    assert fam.backend_name == "syncnet"
    x = np.zeros(2 * 16000, np.float32)
    res = fam.score(item(x, 16000, video=str(short_video)), ["av_sync_conf"])["av_sync_conf"]
    assert res.value is None and "syncnet_model=PATH" in res.skipped


def test_offset_search_finds_a_known_shift_within_15_frames():
    rng = np.random.default_rng(1)
    video = rng.standard_normal((60, 32)).astype(np.float32)
    audio = np.roll(video, 6, axis=0)  # audio six frames late
    audio[:6] = rng.standard_normal((6, 32))
    res = offset_search(video, audio)
    assert res.offset_frames == 6 and res.offset_ms == 240.0
    assert res.mean_dists.shape == (2 * VSHIFT + 1,)
    assert res.lse_d == pytest.approx(res.mean_dists.min()) and res.lse_c > 1.0
    early = offset_search(video, np.roll(video, -20, axis=0))  # beyond the search range: still an in-range answer
    assert -VSHIFT <= early.offset_frames <= VSHIFT


def test_mfcc_and_crop_follow_syncnet_conventions():
    coeffs = mfcc(np.random.default_rng(0).standard_normal(16000).astype(np.float32) * 0.1)
    assert coeffs.shape[0] == 13 and abs(coeffs.shape[1] - 100) <= 2  # 13 coefficients at 100 Hz
    frame = np.zeros((100, 80, 3), np.uint8)
    frame[..., 0] = 255  # red in RGB
    crop = crop_face(frame, 40.0, 50.0, 30.0)
    assert crop.shape == (224, 224, 3)
    assert crop[112, 112].tolist() == [0, 0, 255]  # BGR order, as cv2.imread gives syncnet_python
    assert crop[0, 0].tolist() == [110, 110, 110]  # outside the picture: syncnet_python's grey padding


def test_syncnet_backend_on_a_talking_face_video(weights, short_video):
    from evaluator.media import load_audio

    fam = create_metric("av_sync_offset_ms", profile="auto", syncnet_model=str(weights), syncnet_batch_size=8)
    assert fam.backend_name == "syncnet"  # auto: the weights are here
    res = fam.score(item(load_audio(short_video, 16000), 16000, video=str(short_video)), NAMES)
    off, conf, lse_d = (res[n] for n in NAMES)
    assert conf.value >= 0.0 and lse_d.value > 0.0
    d = off.details
    if abs(d["offset_frames_syncnet"]) == 15:  # a random network finds no sync: no offset, the reason instead
        assert off.value is None and "no sync found: the best lag is the edge" in off.skipped
    else:
        assert off.skipped is None and 0.0 <= off.value < 600.0 and off.value % 40.0 == 0.0
    assert d["lse_d"] == pytest.approx(lse_d.value, abs=1e-3) and d["lse_c"] == pytest.approx(conf.value, abs=1e-3)
    assert d["offset_frames_syncnet"] * -40.0 == d["offset_ms_signed"] and d["face_coverage"] >= 0.9
    assert d["windows"] == min(d["frames"], int(2.2 * 16000) // 640) - 5
    assert off.backend == "syncnet" and off.model_id.startswith("syncnet:syncnet_v2.model sha256:")
    fam.unload()


def test_offline_backend_skips_lse_d_with_the_reason(families, short_video):
    from evaluator.media import load_audio

    res = families["av_sync"].score(item(load_audio(short_video, 16000), 16000, video=str(short_video)), ["lse_d"])
    assert res["lse_d"].value is None and "syncnet" in res["lse_d"].skipped
