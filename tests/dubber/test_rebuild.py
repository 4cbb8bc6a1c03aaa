"""A corrupt manifest: the error says how to recover, and `--rebuild` starts afresh keeping the inputs."""

from __future__ import annotations

import dataclasses
import shutil

from click.testing import CliRunner
from tone_synth import ToneSynthesizer

from cli.main import main
from dubber.config import DubConfig
from dubber.pipeline import Dubber
from evaluator.fileio import file_sha256
from evaluator.project import load_manifest


def test_a_corrupt_manifest_suggests_rebuild_which_moves_the_old_project_aside(demo_episode, tmp_path):
    project = tmp_path / "proj"
    project.mkdir()
    video = shutil.copy(demo_episode.video, project / "episode.mp4")  # an input inside the project
    before = file_sha256(video)
    cfg = DubConfig(video=video, script=demo_episode.script, output=tmp_path / "o.mp4", project=project, cot="none")
    Dubber(cfg, synthesizer=ToneSynthesizer()).run()
    (project / "manifest.json").write_text('{"kind": "dubkit.project", "lines": [', encoding="utf-8")
    args = ["dub", str(video), "--script", str(demo_episode.script), "-o", str(tmp_path / "o.mp4")]
    args += ["--project", str(project), "--cot", "none"]
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 2 and "Traceback" not in res.output
    assert "not valid JSON" in res.stderr and "start the project afresh with --rebuild" in res.stderr

    rebuilt = Dubber(dataclasses.replace(cfg, rebuild=True), synthesizer=ToneSynthesizer()).run()
    assert len(rebuilt.rendered) == 3  # afresh: nothing reused
    aside = [p for p in tmp_path.iterdir() if p.name.startswith("proj.replaced-")]
    assert len(aside) == 1 and (aside[0] / "manifest.json").read_text().endswith("[")  # moved, not deleted
    assert (aside[0] / "lines").is_dir() and not (aside[0] / "episode.mp4").exists()
    assert file_sha256(video) == before and video.parent == project  # the input stayed where it was
    assert len(load_manifest(project).lines) == 3
