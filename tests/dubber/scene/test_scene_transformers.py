"""The ``transformers`` scene reader on a tiny random-initialised Qwen2-VL, loaded from a local directory.

Random weights cannot answer in the format, so the end-to-end test checks that the whole path runs
(video -> sampled frames -> chat template with images -> generate -> decode -> strict parser) and
that the broken answer is re-asked and then reported. A hand-fed well-formed answer, passed through
the real tokenizer, goes through the same parse path and is accepted.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import matplotlib
import numpy as np
import pytest
from tiny_qwen2vl import build_tiny_qwen2vl

from dubber.scene import SCENE_READERS, read_scenes
from dubber.scene.base import SceneClip
from dubber.scene.transformers_vlm import TransformersSceneReader
from evaluator.errors import ModelLoadError
from evaluator.script import Cue

PHOTO = Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg"
GOOD = (
    "<SUMMARY>Decide the scene of the line.</SUMMARY>\n"
    "<CAPTION>One woman in uniform faces the camera.</CAPTION>\n"
    "<REASONING>Step 1: one person. Step 2: her mouth moves. Step 3: monologue. "
    "Step 4: a senior woman, neutral.</REASONING>\n"
    '<CONCLUSION>{"scene_type": "monologue", "num_people": 1, "speaker_talking": true, "gender": "female", '
    '"age": "senior", "emotion": "neutral", "confidence": 0.7}</CONCLUSION>'
)


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_qwen2vl(tmp_path_factory.mktemp("tiny_qwen2vl"))


@pytest.fixture(scope="module")
def reader(model_dir: Path) -> TransformersSceneReader:
    r = SCENE_READERS.get("transformers")(model_dir=str(model_dir), max_new_tokens=24, retries=1, max_frames=2)
    yield r
    r.unload()


@pytest.fixture(scope="module")
def video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("video") / "hopper.mp4"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-loop", "1", "-i", str(PHOTO), "-t", "2", "-r", "10"]
        + ["-vf", "scale=160:-2", "-pix_fmt", "yuv420p", str(out)],
        check=True,
    )
    return out


def test_runs_end_to_end_and_reports_a_format_failure(reader: TransformersSceneReader, video: Path) -> None:
    cues = [Cue(index=3, start=0.2, end=1.8, text="We must keep going.")]
    (r,) = read_scenes(video, cues, reader)
    processor, model = reader._loaded
    assert type(model).__name__ == "Qwen2VLForConditionalGeneration"
    assert r.backend == "transformers" and r.model == f"transformers:{Path(reader.model_dir).name}"
    assert r.cue_index == 3 and (r.start, r.end) == (0.2, 1.8)
    # Random weights: both attempts (greedy, then sampled) broke the format; the line is reported, not dropped.
    assert not r.format_ok and r.attempts == 2 and r.error is not None and r.confidence == 0.0
    assert r.measurements["raw_response"]  # the model did generate text


def test_prompt_holds_the_frames_and_the_instruction(reader: TransformersSceneReader, video: Path) -> None:
    from dubber.scene.base import iter_clips

    (clip,) = iter_clips(video, [Cue(1, 0.2, 1.8, "We must keep going.")], fps=reader.fps, max_frames=2)
    processor, model = reader._loaded
    prompt = processor.apply_chat_template(reader.messages(clip), add_generation_prompt=True, tokenize=False)
    assert prompt.count("<|image_pad|>") == 2 and "We must keep going." in prompt and "<CONCLUSION>" in prompt
    from PIL import Image

    inputs = processor(text=[prompt], images=[Image.fromarray(f) for f in clip.frames], return_tensors="pt")
    n_image_tokens = int((inputs["input_ids"] == model.config.image_token_id).sum())
    merged = int(inputs["image_grid_thw"].prod(dim=1).sum()) // 4  # 2x2 patches merge into one token
    assert n_image_tokens == merged > 0
    text = reader.generate(clip, attempt=0)
    assert isinstance(text, str) and text == reader.generate(clip, attempt=0)  # greedy first attempt


def test_well_formed_answer_goes_through_the_same_parse_path(reader: TransformersSceneReader) -> None:
    processor, _ = reader._loaded
    ids = processor.tokenizer(GOOD, add_special_tokens=False)["input_ids"] + [processor.tokenizer.eos_token_id]
    decoded = processor.decode(ids, skip_special_tokens=True)  # what generate() returns for these tokens
    frames = np.zeros((1, 56, 56, 3), dtype=np.uint8)
    clip = SceneClip(cue=Cue(5, 1.0, 2.0, "x"), frames=frames, times=np.array([1.5]), audio=None)
    r = reader.read_with(clip, lambda c, attempt: decoded)
    assert r.format_ok and r.attempts == 1 and r.error is None
    assert (r.scene_type, r.num_people, r.gender, r.age, r.emotion) == ("monologue", 1, "female", "senior", "neutral")
    assert json.loads(r.conclusion)["confidence"] == 0.7 and r.reasoning.startswith("Step 1")
    answers = ["<SUMMARY>broken", decoded]
    r = reader.read_with(clip, lambda c, attempt: answers[attempt])
    assert not r.format_ok and r.attempts == 2 and r.scene_type == "monologue" and r.error is None


def test_missing_directory_is_a_model_load_error(tmp_path: Path) -> None:
    r = TransformersSceneReader(str(tmp_path / "nowhere"))
    clip = SceneClip(cue=Cue(1, 0.0, 1.0, ""), frames=np.zeros((1, 56, 56, 3), np.uint8), times=np.zeros(1), audio=None)
    with pytest.raises(ModelLoadError, match="no such scene-reading VLM file or directory"):
        r.read(clip)
    (tmp_path / "half").mkdir()
    (tmp_path / "half" / "config.json").write_text('{"model_type": "qwen2_vl"}')
    with pytest.raises(ModelLoadError, match="cannot load the VLM processor"):
        TransformersSceneReader(str(tmp_path / "half")).read(clip)
