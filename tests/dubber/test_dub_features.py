"""`dubkit dub` with the optional stages: scene readings, the footage library, candidates, f5."""

import json

import pytest
from click.testing import CliRunner

from cli.main import main
from dubber.synth import SynthRequest
from evaluator.project import load_manifest


def run(*args):
    result = CliRunner().invoke(main, [*map(str, args)])
    assert result.exit_code == 0, result.output
    return result


def test_scene_readings_and_library_hits_per_line(demo_episode, tmp_path):
    lib = tmp_path / "lib"
    run("library", "build", demo_episode.video, "--subs", demo_episode.source_script, "-o", lib, "-q")
    out = tmp_path / "o.mp4"
    summary = json.loads(
        run(
            "dub",
            demo_episode.video,
            "--script",
            demo_episode.script,
            "--source-script",
            demo_episode.source_script,
            "--library",
            lib,
            "-o",
            out,
            "--json",
        ).stdout
    )
    manifest = load_manifest(summary["project"])
    for line in manifest.lines:
        # the CoT stage ran (heuristic by default) and its reading is stored with its model
        reading, hits = line.conditions.reading, line.conditions.hits
        assert reading.backend == "heuristic" and reading.format_ok is True
        assert reading.scene_type in ("dialogue", "narration", "monologue")
        # top-3 per modality, never the line's own span
        assert 3 <= len(hits) <= 9
        assert all(not (h.start < line.end and h.end > line.start) for h in hits)
        assert line.source_text and line.annotation_keys.keys() == {"scene_reading", "retrieved"}
    assert manifest.speakers["ANNA"].reference_transcript.startswith("Buenos días")
    # a second run reads and retrieves nothing again: every annotation is reused
    again = json.loads(
        run(
            "dub",
            demo_episode.video,
            "--script",
            demo_episode.script,
            "--source-script",
            demo_episode.source_script,
            "--library",
            lib,
            "-o",
            out,
            "--json",
        ).stdout
    )
    assert again["rendered"] == 0


def test_candidates_are_scored_and_the_best_is_kept(demo_episode, tmp_path):
    out = tmp_path / "c.mp4"
    summary = json.loads(
        run(
            "dub",
            demo_episode.video,
            "--script",
            demo_episode.script,
            "-o",
            out,
            "--cot",
            "none",
            "--candidates",
            "2",
            "--json",
        ).stdout
    )
    for line in load_manifest(summary["project"]).lines:
        assert len(line.candidates) == 2
        chosen = [c for c in line.candidates if c.chosen]
        assert len(chosen) == 1 and chosen[0].score == max(c.score for c in line.candidates)
        assert line.score.value == pytest.approx(chosen[0].score, abs=1e-4) and line.score.scorer == "proxy-v1"
        assert chosen[0].scores["spk_sim"]["backend"] == "resemblyzer"
        assert chosen[0].fit == line.fit and line.audio  # the kept candidate is the line's audio


def test_f5_tiny_model_end_to_end(demo_episode, tmp_path):
    pytest.importorskip("f5_tts")
    from dubber.synth.f5.tiny import write_tiny_f5

    paths = write_tiny_f5(tmp_path / "tiny")
    out = tmp_path / "f5.mp4"
    summary = json.loads(
        run(
            "dub",
            demo_episode.video,
            "--script",
            demo_episode.script,
            "--source-script",
            demo_episode.source_script,
            "--synth",
            "f5",
            "--f5-ckpt",
            paths.ckpt,
            "--f5-config",
            paths.config,
            "--vocoder",
            paths.vocoder,
            "--synth-opt",
            "steps=2",
            "--cot",
            "none",
            "-o",
            out,
            "--json",
        ).stdout
    )
    assert summary["synth"]["backend"] == "f5" and summary["lines"] == 3
    for f in summary["fit"]:
        assert 0.8 - 1e-3 <= f["ratio"] <= 1.25 + 1e-3
        assert f["overrun_ms"] == 0
    assert out.is_file()


def test_candidates_scored_by_a_dubscore_checkpoint(demo_episode, espeak, tmp_path):
    from evaluator.impairments import add_noise
    from evaluator.media import resample, write_wav

    sentences = ["Good morning to you.", "The port is closed.", "We leave at six.", "See you at the station."]
    rows = ["id,audio,text,lang,mos"]
    for i in range(8):
        speech = espeak.synthesize(SynthRequest(sentences[i % 4], "en"))
        snr = [40, 20, 8, 0][i // 2]
        write_wav(tmp_path / f"c{i}.wav", add_noise(resample(speech.audio, speech.sr, 16000), snr, seed=i), 16000)
        rows.append(f"c{i},c{i}.wav,{sentences[i % 4]},en,{1.5 + snr / 12:.3f}")
    (tmp_path / "clips.csv").write_text("\n".join(rows) + "\n")
    run(
        "train",
        "dubscore",
        "--data",
        tmp_path / "clips.csv",
        "--stage",
        "human",
        "--modalities",
        "A",
        "--folds",
        "2",
        "--epochs",
        "3",
        "--hidden",
        "16",
        "--no-ablation",
        "-o",
        tmp_path / "ds",
        "-q",
    )
    out = tmp_path / "d.mp4"
    summary = json.loads(
        run(
            "dub",
            demo_episode.video,
            "--script",
            demo_episode.script,
            "-o",
            out,
            "--cot",
            "none",
            "--lines",
            "1",
            "--candidates",
            "2",
            "--dubscore-model",
            tmp_path / "ds" / "dubscore.pt",
            "--json",
        ).stdout
    )
    line = load_manifest(summary["project"]).lines[0]
    assert line.score.scorer == "dubscore:dubscore.pt"
    chosen = [c for c in line.candidates if c.chosen]
    assert len(chosen) == 1 and chosen[0].score == max(c.score for c in line.candidates)
    assert 1.0 <= chosen[0].score <= 5.0 and "A" in chosen[0].scores["dubscore"]["relevance"]
