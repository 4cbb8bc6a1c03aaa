"""The one KEY=VALUE parser: typed against declared options; a misspelt key is exit 2 naming the valid ones."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from cli.main import main
from cli.options import parse_key_values
from evaluator.errors import ConfigError
from evaluator.options import Option

DECLARED = [Option("steps", int, 32), Option("device", str, "auto"), Option("fast", bool, False)]


def test_parse_types_values_and_last_repeat_wins():
    got = parse_key_values(["steps=16", "fast=yes", "device = cuda", "steps=8"], flag="--x", declared=DECLARED)
    assert got == {"steps": 8, "fast": True, "device": "cuda"}
    assert parse_key_values(["some-key=a=b"], flag="--x") == {"some_key": "a=b"}  # undeclared: strings, no check


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ("steps", "is not KEY=VALUE"),
        ("=3", "is not KEY=VALUE"),
        ("step=3", r"did you mean steps\? valid options: device, fast, steps"),
        ("steps=many", "'many' is not a valid int"),
        ("fast=maybe", "'maybe' is not a valid bool"),
    ],
)
def test_bad_items_are_usage_errors(item, message):
    with pytest.raises(click.BadParameter, match=message):
        parse_key_values([item], flag="--x", declared=DECLARED)


def test_misspelt_metric_option_is_exit_2_with_the_valid_names():
    res = CliRunner().invoke(main, ["score", "--list", "x.wav", "--metric-option", "syncnet_modle=/m/s.model"])
    assert res.exit_code == 2, res.output
    assert "did you mean syncnet_model?" in res.output and "faster_whisper_model" in res.output
    res = CliRunner().invoke(main, ["score", "--list", "x.wav", "--backend", "transcrpt=faster-whisper"])
    assert res.exit_code == 2 and "did you mean transcript?" in res.output
    ok = CliRunner().invoke(main, ["score", "--list", "x.wav", "--metrics", "wer", "--metric-option", "sbert-model=d"])
    assert ok.exit_code == 0, ok.output


def test_metric_options_reach_their_backend_and_unknown_ones_are_refused():
    from evaluator.metrics import create_metric, metric_options

    names = {o.name for o in metric_options()}
    assert {"utmos_model", "syncnet_model", "wavlm_sv_model", "speechbertscore_layer", "model"} <= names
    assert create_metric("utmos", utmos_model="/models/SpeechMOS").backend.model == "/models/SpeechMOS"
    fam = create_metric("av_sync_conf", mouth_envelope_detect_every="3")
    assert fam.backend.detect_every == 3  # typed by the declaration
    with pytest.raises(ConfigError, match="did you mean wavlm_sv_model"):
        create_metric("spk_sim", wavlm_sv_modle="/m")


def test_misspelt_encoder_model_is_exit_2_with_the_profile_cues():
    from evaluator.dubscore.features import build_cues

    res = CliRunner().invoke(
        main, ["train", "dubscore", "--data", "clips.csv", "--profile", "paper", "--encoder-model", "wav2vec=/m/w"]
    )
    assert res.exit_code == 2 and "did you mean wav2vec2?" in res.output and "sbert_script" in res.output
    with pytest.raises(ConfigError, match="unknown option 'voice' for the cue models"):
        build_cues("offline", models={"voice": "/m"})
