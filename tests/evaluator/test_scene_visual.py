"""Scene statistics on synthetic frames and on a real ffmpeg-made clip of the matplotlib photo."""

from __future__ import annotations

import numpy as np
import pytest

from evaluator.encoders.scene_visual import SCENE_DIM, SCENE_FEATURE_NAMES, SceneVisualEncoder, scene_statistics
from evaluator.errors import MediaError
from evaluator.media.tools import binary, run

F = {name: i for i, name in enumerate(SCENE_FEATURE_NAMES)}


def _solid(rgb: tuple[int, int, int], n: int = 3) -> np.ndarray:
    return np.tile(np.array(rgb, np.uint8), (n, 36, 64, 1))


def test_colour_and_lightness_entries():
    red, blue = scene_statistics(_solid((220, 20, 20))), scene_statistics(_solid((20, 20, 220)))
    assert red.shape == (SCENE_DIM,) == (24,) and red.dtype == np.float32
    assert red[F["hue_00"]] == pytest.approx(1.0) and red[F["warm_ratio"]] == pytest.approx(1.0)
    assert blue[F["hue_08"]] == pytest.approx(1.0) and blue[F["warm_ratio"]] == pytest.approx(0.0)
    assert red[F["saturation_mean"]] > 0.8 and red[F["colorfulness"]] > 0.5
    dark, bright = scene_statistics(_solid((10, 10, 10))), scene_statistics(_solid((245, 245, 245)))
    assert dark[F["dark_fraction"]] == 1.0 and bright[F["bright_fraction"]] == 1.0
    assert dark[F["lightness_mean"]] < 0.1 < 0.9 < bright[F["lightness_mean"]]
    assert dark[:12].sum() == 0.0  # gray frames have no hue


def test_motion_and_edges():
    still = _solid((120, 80, 60), n=4)
    rng = np.random.default_rng(0)
    moving = rng.integers(0, 256, size=(4, 36, 64, 3), dtype=np.uint8)
    s, m = scene_statistics(still), scene_statistics(moving)
    assert s[F["motion_mean"]] == 0.0 and s[F["edge_density"]] == 0.0
    assert m[F["motion_mean"]] > 1.0 and m[F["edge_density"]] > 0.1
    assert scene_statistics(still[:1])[F["motion_mean"]] == 0.0
    with pytest.raises(ValueError, match="uint8 RGB frames"):
        scene_statistics(np.zeros((36, 64, 3), np.uint8))


def test_real_clip_is_deterministic_and_spans_differ(tmp_path):
    import matplotlib

    photo = f"{matplotlib.get_data_path()}/sample_data/grace_hopper.jpg"
    video = tmp_path / "v.mp4"
    # 2 s of the photo, then 2 s of it darkened and drifting (crop moving right)
    vf = "scale=320:384,eq=brightness='if(lt(t,2),0,-0.3)':eval=frame,crop=280:384:x='if(lt(t,2),0,(t-2)*20)':y=0"
    vf += ",scale=320:384,format=yuv420p"
    args = [binary("ffmpeg"), "-nostdin", "-v", "error", "-loop", "1", "-framerate", "12", "-t", "4", "-i", photo]
    run([*args, "-vf", vf, "-c:v", "libx264", "-preset", "ultrafast", str(video)], what="test clip")
    enc = SceneVisualEncoder()
    a, b = enc.encode(video, 0.0, 1.9), enc.encode(video, 0.0, 1.9)
    np.testing.assert_array_equal(a, b)
    later = enc.encode(video, 2.2, 3.9)
    assert later[F["lightness_mean"]] < a[F["lightness_mean"]] - 0.1
    assert later[F["motion_mean"]] > a[F["motion_mean"]]
    assert enc.encode(video, 1.0, 1.1).shape == (24,)  # shorter than a frame period: one frame
    with pytest.raises(MediaError):
        enc.encode(tmp_path / "missing.mp4")
