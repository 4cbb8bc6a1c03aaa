"""Metric cues are opt-in: by default the network sees encoder embeddings only, as the DubScore paper's does (in
stage 1 the label is a weighted sum of these metrics, so seeing them would show the network its own label)."""

from __future__ import annotations

from click.testing import CliRunner

from cli.main import main
from evaluator.dubscore.features import METRIC_CUES, PROFILES, build_cues


def test_profiles_hold_no_metric_cue_and_the_flag_adds_them() -> None:
    for profile, cues in PROFILES.items():
        assert not set(cues) & set(METRIC_CUES), profile
    default = [c.name for c in build_cues("offline")]
    assert "audio_metrics" not in default and "text_metrics" not in default
    opted = [c.name for c in build_cues("offline", metric_cues=True)]
    assert opted == [*default, "audio_metrics", "text_metrics"]
    assert [c.name for c in build_cues("offline", ("A",), metric_cues=True)][-1] == "audio_metrics"
    # an explicit list (a checkpoint's cues) is kept as it is: old checkpoints with metric cues still rebuild
    assert [c.name for c in build_cues("offline", names=["voice", "audio_metrics"])] == ["voice", "audio_metrics"]


def test_cli_offers_metric_cues() -> None:
    res = CliRunner().invoke(main, ["train", "dubscore", "--help"])
    assert res.exit_code == 0 and "--metric-cues" in res.output
