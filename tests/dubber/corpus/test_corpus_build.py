"""The corpus build on the MELD and M2H2 fixture trees (real formats, espeak speech): rows, media, fit,
skips with reasons, resume after an interruption, the same file from any order of work."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from dubber.corpus import ClipSkipped, CorpusSpec, build_clip, build_corpus, plan_corpus
from dubber.synth import create_synthesizer
from dubber.translate import create_translator
from evaluator.corpus import CorpusFile, read_corpus
from evaluator.errors import ConfigError
from evaluator.media import probe, read_wav

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
MELD_TABLE = EXAMPLES / "meld" / "translations.hi.csv"
M2H2_TABLE = EXAMPLES / "m2h2" / "translations.en.csv"


@pytest.fixture(scope="module")
def meld_root(tmp_path_factory):
    from dubber.dataset_fixtures import build_meld_fixture

    return build_meld_fixture(tmp_path_factory.mktemp("meld"))


@pytest.fixture(scope="module")
def espeak_synth():
    return create_synthesizer("espeak")


def build(root, out, synth, table=MELD_TABLE, **spec):
    spec = CorpusSpec(**{"dataset": "meld", "target_lang": "hi", **spec})
    plan = plan_corpus(root, spec)
    return plan, build_corpus(plan, out, translator=create_translator("table", path=table), synth=synth)


@pytest.fixture(scope="module")
def meld_corpus(meld_root, espeak_synth, tmp_path_factory):
    out = tmp_path_factory.mktemp("corpus") / "meld-hi"
    plan, result = build(meld_root, out, espeak_synth, originals=2)
    return out, plan, result


def test_rows_sorted_with_every_field(meld_corpus, meld_root) -> None:
    out, plan, result = meld_corpus
    rows = read_corpus(out)
    ids = [r.id for r in rows]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert result.rows == {"dubbed": 7, "original": 2} and result.written == 9 and result.resumed == 0
    dub = next(r for r in rows if r.id == "dev/dia0_utt0")
    assert (dub.kind, dub.dataset, dub.speaker, dub.emotion) == ("dubbed", "meld", "Maya", "joy")
    assert (dub.source_text, dub.source_lang, dub.target_lang) == ("Oh wow, she’s really here.", "en", "hi")
    assert dub.target_text == "अरे वाह, वह सच में यहाँ है।"
    assert dub.translation["backend"] == "table" and dub.translation["model"].startswith("table:translations.hi.csv")
    assert dub.synthesizer == {"backend": "espeak", "model": "espeak-ng:espeakng-loader"}
    assert dub.seed == plan.spec.clip_seed("dev/dia0_utt0")
    assert dub.utterance["sentiment"] == "positive" and dub.utterance["source_line"] == 2
    clip = meld_root / "dev_splits_complete" / "dia0_utt0.mp4"
    assert dub.original_audio == dub.original_video == str(clip.resolve())
    originals = [r for r in rows if r.kind == "original"]
    assert all(r.id.endswith("#original") and r.audio == r.original_audio and r.translation is None for r in originals)


def test_global_fit_lasts_the_clip_and_is_muxed_on_its_picture(meld_corpus) -> None:
    out, _, _ = meld_corpus
    for row in read_corpus(out):
        if row.kind != "dubbed":
            continue
        audio, sr = read_wav(row.path(out, "audio"))
        assert sr == 24000 and np.abs(audio).max() > 0.01
        # the paper's global stretch: exactly the clip's probed length, to the sample
        assert len(audio) == round(row.clip_duration * sr)
        assert row.fit["method"] == "global" and row.fit["capped"] is False and abs(row.fit["error_ms"]) < 1
        assert row.fit["stretch_ratio"] == pytest.approx(row.clip_duration / row.fit["raw_duration"], rel=2e-3)
        dubbed_video, source = probe(row.path(out, "video")), probe(row.original_video)
        assert dubbed_video.video.codec == source.video.codec == "h264"  # stream-copied, not re-encoded
        assert dubbed_video.video.width == source.video.width and len(dubbed_video.audio_streams) == 1


def test_unusable_utterances_are_reported_not_fatal(meld_corpus) -> None:
    out, _, result = meld_corpus
    report = json.loads((out / "build_report.json").read_text())
    build_skips = [e for e in report["skipped"] if e["stage"] == "build"]
    assert [e["id"] for e in build_skips] == ["dev/dia0_utt3"] == [s["id"] for s in result.skipped]
    assert "no clip" in build_skips[0]["reason"] and build_skips[0]["line"] == 5
    assert {e["line"] for e in report["skipped"] if e["stage"] == "read"} == {8, 9}  # the readers' bad rows
    assert report["counts"]["build_skipped"] == 1 and report["build"]["rows"] == {"dubbed": 7, "original": 2}
    assert report["config"]["synthesizer"]["backend"] == "espeak" and report["config"]["fit"] == "global"


def test_interrupted_build_resumes_to_the_same_file(meld_root, meld_corpus, espeak_synth, tmp_path) -> None:
    full, _, _ = meld_corpus
    out = tmp_path / "resumed"
    _, first = build(meld_root, out, espeak_synth, originals=2, limit=3)
    assert first.rows == {"dubbed": 3, "original": 2}  # originals are drawn from all utterances, whatever the limit
    with (out / "corpus.jsonl").open("a", encoding="utf-8") as f:
        f.write('{"schema": "dubkit.corpus_row", "id": "dev/dia1_ut')  # killed mid-append
    _, second = build(meld_root, out, espeak_synth, originals=2)
    assert second.repaired and second.resumed == 5 and second.written == 4
    # rows appended in another order (first 3, then the rest) and a torn line: the same rows as one run, in the
    # same order; only what espeak's lengths decide may differ (espeak-ng's output length varies by a few ms
    # between identical calls in one process)
    assert [strip(r) for r in read_corpus(out)] == [strip(r) for r in read_corpus(full)]
    _, third = build(meld_root, out, espeak_synth, originals=2)
    assert third.written == 0 and third.resumed == 9 and [s["id"] for s in third.skipped] == ["dev/dia0_utt3"]
    with pytest.raises(ConfigError, match="these differ: fit"):
        build(meld_root, out, espeak_synth, originals=2, fit="ladder")


def strip(row):
    d = row.to_dict()
    return {k: v for k, v in d.items() if k not in ("fit", "duration")}


def test_a_missing_translation_skips_that_clip(meld_root, espeak_synth, tmp_path) -> None:
    table = tmp_path / "partial.csv"
    lines = MELD_TABLE.read_text(encoding="utf-8").splitlines()
    table.write_text("\n".join(x for x in lines if not x.startswith("dev/dia0_utt1,")) + "\n", encoding="utf-8")
    _, result = build(meld_root, tmp_path / "c", espeak_synth, table=table, limit=3)
    assert result.written == 2
    [skip] = result.skipped
    assert skip["id"] == "dev/dia0_utt1" and "no translation" in skip["reason"]


def test_global_stretch_bound_and_ladder(meld_root, espeak_synth, tmp_path) -> None:
    spec = CorpusSpec(dataset="meld", target_lang="hi", max_global_factor=1.01)
    plan = plan_corpus(meld_root, spec)
    task = next(t for t in plan.tasks if t.row_id == "dev/dia1_utt1")
    kw = {"translator": create_translator("table", path=MELD_TABLE), "job": plan.job, "synth": espeak_synth}
    with pytest.raises(ClipSkipped, match="beyond max_global_factor 1.01"):
        build_clip(task, tmp_path, spec, **kw)
    capped = CorpusSpec(dataset="meld", target_lang="hi", max_global_factor=1.01, cap_global=True)
    row = build_clip(task, tmp_path, capped, **kw)
    assert row.fit["capped"] is True and row.fit["caps"] == [0.8, 1.25] and 0.8 <= row.fit["ratio"] <= 1.25
    ladder = build_clip(task, tmp_path, CorpusSpec(dataset="meld", target_lang="hi", fit="ladder"), **kw)
    assert ladder.fit["method"] == "ladder" and 0.8 - 1e-3 <= ladder.fit["ratio"] <= 1.25 + 1e-3
    assert ladder.fit["native_ratio"] != 1.0  # espeak was asked again at the planned length (rung 1)


def test_m2h2_audio_only_video_only_and_neither(tmp_path_factory, espeak_synth) -> None:
    from dubber.dataset_fixtures import build_m2h2_fixture

    root = build_m2h2_fixture(tmp_path_factory.mktemp("m2h2"))
    out = tmp_path_factory.mktemp("corpus") / "m2h2-en"
    spec = CorpusSpec(dataset="m2h2", target_lang="en", limit=4)  # 22/Scene_1: 1 (av), 2a (a), 2b (v), 3 (none)
    plan = plan_corpus(root, spec)
    result = build_corpus(plan, out, translator=create_translator("table", path=M2H2_TABLE), synth=espeak_synth)
    rows = {r.id: r for r in read_corpus(out)}
    assert sorted(rows) == ["22/Scene_1/1", "22/Scene_1/2a", "22/Scene_1/2b"]
    assert rows["22/Scene_1/2a"].video is None and rows["22/Scene_1/2a"].original_audio.endswith("2a.wav")
    assert rows["22/Scene_1/2b"].original_audio.endswith("2b.mp4") and rows["22/Scene_1/2b"].video.endswith(".mp4")
    assert rows["22/Scene_1/1"].original_audio.endswith("1.wav") and rows["22/Scene_1/1"].fit["slot_of"] == "video"
    assert rows["22/Scene_1/2b"].target_text == "What happened?" and rows["22/Scene_1/2b"].utterance["replied_to"]
    assert [(s["id"], "no clip" in s["reason"]) for s in result.skipped] == [("22/Scene_1/3", True)]
    assert CorpusFile(out).sort() is False
    shutil.rmtree(out)


def test_cli_build_and_its_refusals(meld_root, tmp_path) -> None:
    from click.testing import CliRunner

    from cli.main import main

    runner = CliRunner()
    base = ["corpus", "build", str(meld_root), "--dataset", "meld", "--to", "hi", "--synth", "espeak"]
    res = runner.invoke(main, [*base, "-o", str(tmp_path / "ok"), "--translations", str(MELD_TABLE), "--limit", "2",
                               "--json"])  # fmt: skip
    assert res.exit_code == 0, res.output
    summary = json.loads(res.output)
    assert summary["rows"] == {"dubbed": 2, "original": 0} and summary["timing"]["dubbed"]["n"] == 2
    res = runner.invoke(main, [*base, "-o", str(tmp_path / "a")])
    assert res.exit_code == 2 and "needs --translations CSV" in res.output
    res = runner.invoke(main, [*base[:-1], "piper", "-o", str(tmp_path / "b"), "--translations", str(MELD_TABLE)])
    assert res.exit_code == 2 and "cannot speak 'hi'" in res.output and not (tmp_path / "b").exists()
    other = tmp_path / "other.csv"
    other.write_text("id,text\nnot/an_id,कुछ\n", encoding="utf-8")
    res = runner.invoke(main, [*base, "-o", str(tmp_path / "c"), "--translations", str(other), "--limit", "2"])
    assert res.exit_code == 2 and "no clip could be built (2 skipped)" in res.output and "no translation" in res.output
    res = runner.invoke(main, [*base, "-o", str(tmp_path / "d"), "--translations", str(MELD_TABLE), "--fit", "fast"])
    assert res.exit_code == 2 and "--fit must be one of global, ladder" in res.output


def test_sample_draws_a_growing_subset(meld_root) -> None:
    def dubbed(**kw):
        plan = plan_corpus(meld_root, CorpusSpec(dataset="meld", target_lang="hi", **kw))
        return [t.row_id for t in plan.tasks if t.kind == "dubbed"]

    three, four = dubbed(sample=3), dubbed(sample=4)
    assert len(three) == 3 and three == sorted(three) and set(three) < set(four)
    assert dubbed(sample=3) == three and dubbed(sample=3, seed=1) != three  # the seed decides the draw
    assert dubbed(limit=3) == ["dev/dia0_utt0", "dev/dia0_utt1", "dev/dia0_utt2"]
    with pytest.raises(ConfigError, match="not both"):
        CorpusSpec(dataset="meld", target_lang="hi", limit=3, sample=3)
