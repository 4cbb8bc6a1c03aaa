"""Only user errors are exit 2: a bug inside a command surfaces as a failure (exit 1), not as a user error."""

from __future__ import annotations

from click.testing import CliRunner

from cli.main import main


def test_train_dubscore_lets_a_bug_fail_with_exit_1(monkeypatch, tmp_path):
    import evaluator.dubscore.api as api

    def bug(*_args, **_kwargs):
        raise ValueError("operands could not be broadcast together")  # a programming error, not bad input

    monkeypatch.setattr(api, "train_from_csv", bug)
    (tmp_path / "clips.csv").write_text("id,audio,mos\nc0,c0.wav,3\n")
    res = CliRunner().invoke(main, ["train", "dubscore", "--data", str(tmp_path / "clips.csv"), "-o", str(tmp_path)])
    assert res.exit_code == 1 and isinstance(res.exception, ValueError)
    assert "dubkit: error" not in res.output  # not dressed up as the user's mistake


def test_train_dubscore_user_error_is_still_one_line_exit_2(tmp_path):
    (tmp_path / "clips.csv").write_text("id,audio,mos\nc0,c0.wav,3\n")
    args = ["train", "dubscore", "--data", str(tmp_path / "clips.csv"), "--dropout", "1.5", "-o", str(tmp_path / "o")]
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 2 and "--dropout must be in [0, 1), got 1.5" in res.output
