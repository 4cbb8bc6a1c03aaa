"""The dub pipeline's stages on the demo episode with a small real synthesizer: batching, reuse, hashing,
resume and the generate-score loop (fast: no neural model is loaded)."""

from __future__ import annotations

import dataclasses

import pytest
from tone_synth import PredictingToneSynthesizer, ToneSynthesizer

from dubber.config import DubConfig
from dubber.pipeline import Dubber
from dubber.scorers import slot_fit
from evaluator.errors import BackendError, ConfigError
from evaluator.project import load_manifest


class CountingScorer:
    """Scores candidates by slot fit, lowered for the first ``low`` calls (a weak first round)."""

    name = "counting"

    def __init__(self, low: int = 0) -> None:
        self.calls = 0
        self.low = low

    def score(self, text, slot, speech, **context):  # noqa: ANN001, ANN201
        self.calls += 1
        value = slot_fit(speech.duration, slot) * (0.3 if self.calls <= self.low else 1.0)
        return value, {"slot_fit": value, "context": sorted(context)}


def _cfg(demo_episode, tmp_path, **kw) -> DubConfig:
    return DubConfig(
        video=demo_episode.video,
        script=kw.pop("script", demo_episode.script),
        output=tmp_path / "out" / "ep.mp4",
        cot="none",
        **kw,
    )


def test_render_is_two_batched_passes_with_candidates(demo_episode, tmp_path):
    synth, scorer = ToneSynthesizer(), CountingScorer()
    result = Dubber(_cfg(demo_episode, tmp_path, candidates=4), synthesizer=synth, scorer=scorer).run()
    # pass one: every candidate of every line at its natural pace; pass two: the planned durations
    assert len(synth.batches) == 2
    natural, fitted = synth.batches
    assert len(natural) == 3 * 4 and all(d is None for _, d, _ in natural)
    assert 0 < len(fitted) <= 12 and all(d is not None for _, d, _ in fitted)
    assert scorer.calls == 12
    for line in result.manifest.lines:
        assert len(line.candidates) == 4 and [c.seed for c in line.candidates] == [line.plan.seed + k for k in range(4)]
        chosen = [c for c in line.candidates if c.chosen]
        assert len(chosen) == 1 and chosen[0].score == max(c.score for c in line.candidates)
        assert chosen[0].fit == line.fit and line.score.scorer == "counting" and line.score.rounds == 1
        assert line.takes[0].pace == "natural" and line.takes[0].info["seed"] == chosen[0].seed
        assert all((result.project / c.audio).is_file() for c in line.candidates)


def test_a_synthesizer_that_predicts_length_speaks_each_line_once(demo_episode, tmp_path):
    synth = PredictingToneSynthesizer()
    result = Dubber(_cfg(demo_episode, tmp_path), synthesizer=synth).run()
    # one batch of three requests, each at its planned duration; no natural-pace take
    assert len(synth.batches) == 1 and len(synth.batches[0]) == 3
    assert all(d is not None for _, d, _ in synth.batches[0])
    assert sorted(synth.predicted) == sorted(ln.text for ln in result.manifest.lines)
    for line, (text, requested, _) in zip(result.manifest.lines, synth.batches[0], strict=True):
        predicted = round(0.07 * len(line.text), 4)
        assert line.text == text and line.fit.raw_duration == pytest.approx(predicted, abs=1e-3)
        assert line.takes[0].pace == "natural" and line.takes[0].info == {"predicted": True}
        assert line.takes[1].requested == pytest.approx(requested, abs=1e-3)
        assert line.fit.duration == pytest.approx(requested, abs=2e-3)  # the ladder's plan, met


def test_lines_under_the_minimum_score_draw_a_second_batched_round(demo_episode, tmp_path):
    synth, scorer = ToneSynthesizer(), CountingScorer(low=6)  # round one scores 0.3 x slot fit
    cfg = _cfg(demo_episode, tmp_path, candidates=2, min_score=0.5)
    result = Dubber(cfg, synthesizer=synth, scorer=scorer).run()
    assert len(synth.batches) == 4  # two passes per round
    for line in result.manifest.lines:
        assert [c.round for c in line.candidates] == [0, 0, 1, 1]
        assert line.score.rounds == 2 and line.score.passed
        assert [c for c in line.candidates if c.chosen][0].round == 1
        assert [c.passed for c in line.candidates] == [False, False, True, True]


def test_rerun_reuses_every_line_and_an_edit_rerenders_only_its_line(demo_episode, tmp_path):
    first = Dubber(_cfg(demo_episode, tmp_path), synthesizer=ToneSynthesizer()).run()
    assert first.rendered == {1, 2, 3}
    synth = ToneSynthesizer()
    again = Dubber(_cfg(demo_episode, tmp_path), synthesizer=synth).run()
    assert again.rendered == set() and synth.batches == []
    assert [ln.to_dict() for ln in again.manifest.lines] == [ln.to_dict() for ln in first.manifest.lines]
    edited = tmp_path / "edited.srt"
    text = demo_episode.script.read_text(encoding="utf-8")
    edited.write_text(text.replace("Did you see the news this morning?", "Have you read the paper?"), encoding="utf-8")
    synth = ToneSynthesizer()
    one = Dubber(_cfg(demo_episode, tmp_path, script=edited), synthesizer=synth).run()
    assert one.rendered == {1} and [t for t, _, _ in synth.batches[0]] == ["Good morning. Have you read the paper?"]
    forced = _cfg(demo_episode, tmp_path, script=edited, force_lines=frozenset({2}))
    before = load_manifest(first.project).lines[1]
    again_2 = Dubber(forced, synthesizer=ToneSynthesizer()).run()
    assert again_2.rendered == {2}
    # a line sent back is a new take (the next retake's seed), not the same one rendered again
    after = again_2.manifest.lines[1]
    assert after.plan.retake == before.plan.retake + 1 and after.plan.seed != before.plan.seed
    assert after.takes[0].info["f0"] != before.takes[0].info["f0"]  # the tone synthesizer's voice follows the seed
    unforced = Dubber(_cfg(demo_episode, tmp_path, script=edited), synthesizer=ToneSynthesizer()).run()
    assert unforced.rendered == set() and unforced.manifest.lines[1].plan.retake == after.plan.retake
    reseeded = _cfg(demo_episode, tmp_path, script=edited, seed=5)  # the seed is part of every line's hash
    assert Dubber(reseeded, synthesizer=ToneSynthesizer()).run().rendered == {1, 2, 3}
    # line and candidate files of replaced renders are removed
    project = first.project
    names = {p.name for p in (project / "lines").glob("*.wav")}
    assert names == {f"{ln.plan.input_hash}.wav" for ln in load_manifest(project).lines}


def test_a_rerun_with_nothing_changed_verifies_and_exits(demo_episode, tmp_path, monkeypatch):
    import os

    import dubber.pipeline as pipeline

    cfg = _cfg(demo_episode, tmp_path)
    first = Dubber(cfg, synthesizer=ToneSynthesizer()).run()
    stamp = load_manifest(first.project).run
    assert stamp is not None and {f.path for f in stamp.files} == set(first.outputs.values())

    def must_not_run(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise AssertionError("a no-op re-run decoded or mixed the episode")

    with monkeypatch.context() as m:
        for name in ("speaker_references", "mix_and_write", "read_scenes"):
            m.setattr(pipeline, name, must_not_run)
        again = Dubber(cfg, synthesizer=ToneSynthesizer()).run()
    assert again.rendered == set() and again.outputs == first.outputs
    # an output touched since (or an option changed) is not a no-op: mixed again, no line rendered
    video = cfg.output
    st = video.stat()
    os.utime(video, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    mixed = []
    real_mix = pipeline.mix_and_write
    monkeypatch.setattr(pipeline, "mix_and_write", lambda *a, **k: mixed.append(1) or real_mix(*a, **k))
    synth = ToneSynthesizer()
    assert Dubber(cfg, synthesizer=synth).run().rendered == set() and mixed == [1] and synth.batches == []
    assert Dubber(dataclasses.replace(cfg, duck_db=9.0), synthesizer=synth).run().rendered == set()
    assert mixed == [1, 1]
    assert Dubber(dataclasses.replace(cfg, duck_db=9.0), synthesizer=synth).run().rendered == set()
    assert mixed == [1, 1]  # and that run, unchanged, is verified again


def test_an_interrupted_run_resumes_with_the_unrendered_lines(demo_episode, tmp_path):
    cfg = _cfg(demo_episode, tmp_path, chunk=1)
    with pytest.raises(BackendError, match="failing on purpose"):
        Dubber(cfg, synthesizer=ToneSynthesizer(fail_after=2)).run()  # one chunk (two passes), then fails
    saved = load_manifest(cfg.resolved_project())
    assert [ln.status for ln in saved.lines] == ["done", "pending", "pending"]
    assert saved.lines[1].plan is not None  # planned, not rendered
    synth = ToneSynthesizer()
    resumed = Dubber(cfg, synthesizer=synth).run()
    assert resumed.rendered == {2, 3} and cfg.output.is_file()
    assert {t for batch in synth.batches for t, _, _ in batch} == {ln.text for ln in resumed.manifest.lines[1:]}


def test_a_line_renders_the_same_in_any_chunk(demo_episode, tmp_path):
    together = Dubber(_cfg(demo_episode, tmp_path / "a", chunk=8), synthesizer=ToneSynthesizer()).run()
    alone = Dubber(_cfg(demo_episode, tmp_path / "b", chunk=1), synthesizer=ToneSynthesizer()).run()
    for a, b in zip(together.manifest.lines, alone.manifest.lines, strict=True):
        assert a.plan.input_hash == b.plan.input_hash and a.fit == b.fit and a.takes == b.takes


def test_config_refuses_what_it_cannot_do(demo_episode, tmp_path):
    with pytest.raises(ConfigError, match="candidates must be at least 1"):
        _cfg(demo_episode, tmp_path, candidates=0)
    with pytest.raises(ConfigError, match="min_score re-draws weak candidates"):
        _cfg(demo_episode, tmp_path, min_score=0.5)
    with pytest.raises(ConfigError, match="force_lines names cue\\(s\\) 0, 99"):
        Dubber(_cfg(demo_episode, tmp_path, force_lines=frozenset({0, 2, 99})), synthesizer=ToneSynthesizer()).run()
    cfg = _cfg(demo_episode, tmp_path)
    assert dataclasses.replace(cfg, chunk=3).chunk == 3


def test_the_fit_runs_beside_the_next_chunks_synthesis_and_its_failure_keeps_what_was_finished(
    demo_episode, tmp_path, monkeypatch
):
    import threading

    import dubber.stages.render as render

    real_fit, fitted_in = render.fit_take, []

    def fit_take(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202 - the real fit, recording its thread
        fitted_in.append(threading.current_thread().name)
        if len(fitted_in) == 3:
            raise BackendError("the third fit fails on purpose")
        return real_fit(*args, **kwargs)

    monkeypatch.setattr(render, "fit_take", fit_take)
    cfg = _cfg(demo_episode, tmp_path, chunk=1)
    with pytest.raises(BackendError, match="third fit"):  # raised in the worker, surfaces in the run
        Dubber(cfg, synthesizer=ToneSynthesizer()).run()
    assert all(name.startswith("dubkit-fit") for name in fitted_in)
    saved = load_manifest(cfg.resolved_project())
    assert [ln.status for ln in saved.lines] == ["done", "done", "pending"]  # finished chunks were saved
    monkeypatch.setattr(render, "fit_take", real_fit)
    resumed = Dubber(cfg, synthesizer=ToneSynthesizer()).run()
    assert resumed.rendered == {3}
