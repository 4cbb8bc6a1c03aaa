"""FootageLibrary on real clips (offline profile): build report, determinism, self-retrieval, filters."""

from __future__ import annotations

import json

import numpy as np
import pytest
from retrieval_media import CLIPS

from evaluator.errors import ConfigError, ManifestError
from retrieval import FootageLibrary, QueryVectors, pick_voice_prompt, read_dataset, retrieve_for_line
from retrieval.profiles import MODALITIES, OFFLINE_DIMS, QUERY_MODALITIES


def test_build_adds_good_clips_and_reports_the_bad_ones(built_library):
    lib, report = built_library
    assert report.added == 4 and report.total == 4
    reasons = {s["id"]: s["reason"] for s in report.skipped}
    assert set(reasons) == {"c_broken", "c_missing"}
    assert "broken.mp4" in reasons["c_broken"] and "MediaError" in reasons["c_broken"]
    assert "nowhere.mp4" in reasons["c_missing"]
    saved = json.loads((lib.path / "build_report.json").read_text())
    assert {s["id"] for s in saved["skipped"]} == {"c_broken", "c_missing"}
    info = lib.info()
    assert info["clips"] == 4 and info["speakers"] == {"ANNA": 2, "BEN": 2}
    assert {m: v["dim"] for m, v in info["vectors"].items()} == OFFLINE_DIMS
    assert all(v["clips"] == 4 for v in info["vectors"].values())  # every clip shows a face and has speech
    assert info["vectors"]["audio"]["encoder"] == "dubkit-prosody-v1"


def test_vectors_are_deterministic_and_stored_as_encoded(built_library, clip_dir):
    lib, _ = built_library
    clip = read_dataset(clip_dir / "clips.csv")[0]
    a, b = lib.encode_clip(clip), lib.encode_clip(clip)
    stored = next(r for r in lib.rows() if r["id"] == clip.keyed().id)
    for m in MODALITIES:
        assert a[m].shape == (OFFLINE_DIMS[m],)
        np.testing.assert_array_equal(a[m], b[m])
        np.testing.assert_allclose(stored[f"{m}_vec"], a[m], rtol=1e-6)


@pytest.mark.parametrize("cid", [c[0] for c in CLIPS])
def test_a_clip_retrieves_itself_first_in_every_modality(built_library, clip_dir, cid):
    lib, _ = built_library
    spec = next(c for c in CLIPS if c[0] == cid)
    hits = retrieve_for_line(lib, clip_dir / f"{cid}.mp4", 0.0, 3.0, spec[2], k=3)
    by_mod = {m: [h for h in hits if h.modality == m] for m in QUERY_MODALITIES}
    for m, mh in by_mod.items():
        assert len(mh) == 3, m
        assert mh[0].id.startswith(f"{cid}@") and mh[0].rank == 1, (m, [h.id for h in mh])
        assert mh[0].score == pytest.approx(1.0, abs=1e-5)
        assert mh[0].score >= mh[1].score >= mh[2].score
    d = hits[0].to_dict()
    assert len(d["audio_vector"]) == OFFLINE_DIMS["audio"] and d["audio_encoder"] == "dubkit-prosody-v1"
    assert d["audio"].endswith(f"{cid}.mp4") and d["metric"] == "cosine"


def test_same_speaker_filter_and_metrics(built_library, clip_dir):
    lib, _ = built_library
    target = lib.encode_target(clip_dir / "c_angry.mp4", 0.0, 3.0, CLIPS[1][2])
    anyone = lib.query(target, k=4)
    assert {h.speaker for h in anyone} == {"ANNA", "BEN"}
    anna = lib.query(target, k=4, speaker="ANNA", same_speaker=True)
    assert anna and {h.speaker for h in anna} == {"ANNA"}
    assert len([h for h in anna if h.modality == "text"]) == 2  # ANNA has two clips
    euclid = lib.query(target, k=2, metric="euclidean")
    first = [h for h in euclid if h.rank == 1]
    assert all(h.id.startswith("c_angry@") and h.score == pytest.approx(0.0, abs=1e-4) for h in first)
    with pytest.raises(ConfigError, match="same_speaker needs the target line.s speaker"):
        lib.query(target, same_speaker=True)
    with pytest.raises(ConfigError, match="unknown metric"):
        lib.query(target, metric="manhattan")


def test_vectors_from_another_encoder_are_refused(built_library):
    lib, _ = built_library
    vec = np.full(OFFLINE_DIMS["text"], 1 / 7, np.float32)
    foreign = QueryVectors(vectors={"text": vec}, encoders={"text": "text-emotion-transformers / some/model"})
    with pytest.raises(ConfigError, match="built with") as err:
        lib.query(foreign)
    assert "some/model" in str(err.value) and "rebuild" in str(err.value)
    with pytest.raises(ConfigError, match="built with"):
        FootageLibrary.create(lib.path, profile="paper", options={"text_model": "some/model"})
    # same encoders: accepted
    ok = QueryVectors(vectors={"text": vec}, encoders={"text": lib.encoder_ids["text"]})
    assert len(lib.query(ok, k=2)) == 2


def test_incremental_add_skips_present_clips(built_library, clip_dir, tmp_path):
    lib, _ = built_library
    again = FootageLibrary.open(lib.path).add(read_dataset(clip_dir / "clips.csv")[:4])
    assert again.added == 0 and again.present == 4 and again.total == 4


def test_voice_prompt_is_the_speakers_closest_clip(built_library, clip_dir):
    lib, _ = built_library
    target = lib.encode_target(clip_dir / "c_sad.mp4", 0.0, 3.0, "I miss him so much, I cannot stop crying.")
    prompt = pick_voice_prompt(lib, target, "ANNA")
    assert prompt is not None and prompt.clip_id.startswith("c_sad@") and prompt.path.endswith("c_sad.mp4")
    assert (prompt.start, prompt.end) == (0.0, 3.0) and set(prompt.modalities) == set(QUERY_MODALITIES)
    ben = pick_voice_prompt(lib, target, "BEN")
    assert ben is not None and ben.clip_id.split("@")[0] in {"c_angry", "c_plain"} and ben.score < prompt.score
    assert pick_voice_prompt(lib, target, "NOBODY") is None


def test_open_refuses_a_folder_that_is_not_a_library(tmp_path):
    with pytest.raises(ManifestError, match="not a footage library"):
        FootageLibrary.open(tmp_path)
    (tmp_path / "x.txt").write_text("hi")
    with pytest.raises(ConfigError, match="not a footage library"):
        FootageLibrary.create(tmp_path)
