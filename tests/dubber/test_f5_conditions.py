"""The f5 control branch's conditions from a line's video span and retrieved footage, end to end.

Tiny random F5 and CLIP (built from configs, saved, loaded by the real code), the offline footage
encoders, a control branch trained for two steps on utterances with video spans and library hits.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
from pathlib import Path

import matplotlib
import numpy as np
import pytest
import torch

pytest.importorskip("f5_tts.model", reason="needs the f5 extra (scripts/setup_f5.sh)")

from dubber.synth import SynthRequest, VoiceReference  # noqa: E402
from dubber.synth.f5 import F5Synthesizer  # noqa: E402
from dubber.synth.f5.conditions import batch_conditions, graph_spec  # noqa: E402
from dubber.synth.f5.prep import prepare  # noqa: E402
from dubber.synth.f5.tiny import write_tiny_f5  # noqa: E402
from dubber.synth.f5.train import SynthTrainConfig, SynthTrainer  # noqa: E402
from evaluator.errors import ConfigError  # noqa: E402
from evaluator.media import write_wav  # noqa: E402
from evaluator.project import Conditions, Hit, VideoSpan  # noqa: E402

REF_TEXT = "The quick brown fox jumps over the lazy dog near the river bank."
LINES = ["I never said that.", "Get out of here, now!"]
CLIP_DIM = 32


def _ffmpeg(out: Path, *inputs: str, vf: str) -> Path:
    cmd = ["ffmpeg", "-v", "error", "-y", *inputs, "-t", "3", "-r", "10", "-vf", vf, "-pix_fmt", "yuv420p", str(out)]
    subprocess.run(cmd, check=True)
    return out


@pytest.fixture(scope="module")
def media(tmp_path_factory, espeak):
    """Two videos (a face, a test pattern), two utterances, a voice reference, a tiny F5 and CLIP."""
    from transformers import CLIPVisionConfig, CLIPVisionModel

    d = tmp_path_factory.mktemp("f5cond")
    photo = Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg"
    face = _ffmpeg(d / "face.mp4", "-loop", "1", "-i", str(photo), vf="scale=256:320,rotate=0.2*t")
    pattern = _ffmpeg(d / "pattern.mp4", "-f", "lavfi", "-i", "testsrc=size=256x320:rate=10", vf="hue=h=40*t")
    for i, text in enumerate([*LINES, REF_TEXT]):
        s = espeak.synthesize(SynthRequest(text, "en"))
        write_wav(d / f"u{i}.wav", s.audio, s.sr)
    torch.manual_seed(0)
    cfg = CLIPVisionConfig(hidden_size=CLIP_DIM, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2,
                           image_size=32, patch_size=8)  # fmt: skip
    CLIPVisionModel(cfg).save_pretrained(d / "clip")
    return {"dir": d, "face": face, "pattern": pattern, "tiny": write_tiny_f5(d / "tiny"), "clip": d / "clip"}


def _hits(media) -> list[Hit]:
    """Library hits: clip c1 found by scene and by text, c2 by face."""
    from evaluator.encoders.audio_emotion import ProsodyEmotionEncoder
    from evaluator.media import load_audio

    enc = graph_spec("offline")["encoders"]
    audio = ProsodyEmotionEncoder().encode(load_audio(media["dir"] / "u1.wav", 16000), 16000)
    common = {"metric": "cosine", "speaker": "BEN", "emotion": None, "audio_encoder": enc["audio"]}
    c1 = {"id": "c1", "text": LINES[1], "video": str(media["pattern"]), "audio": str(media["pattern"]), "start": 0.0}
    c1 |= {"end": 1.5, "audio_vector": tuple(float(x) for x in audio)}
    c2 = {"id": "c2", "text": "Hello.", "video": str(media["face"]), "audio": None, "start": 1.0, "end": 2.0}
    c2 |= {"audio_vector": None}
    return [
        Hit(modality="scene", rank=1, score=0.9, encoder=enc["scene"], **c1, **common),
        Hit(modality="text", rank=1, score=0.8, encoder=enc["text"], **c1, **common),
        Hit(modality="face", rank=1, score=0.7, encoder=enc["face"], **c2, **common),
    ]


@pytest.fixture(scope="module")
def trained(media, tmp_path_factory):
    """A control branch trained two steps with CLIP video features and the emotion graph."""
    d = media["dir"]
    hits = [h.to_dict() for h in _hits(media)]
    rows = [
        {"audio": "u0.wav", "text": LINES[0], "video": "face.mp4", "start": 0.0, "end": 1.5, "retrieved": hits},
        {"audio": "u1.wav", "text": LINES[1], "video": "pattern.mp4", "start": 1.0, "end": 2.5},
    ]
    (d / "train.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    tiny = media["tiny"]
    cfg = SynthTrainConfig(
        data=d / "train.jsonl",
        out=tmp_path_factory.mktemp("run"),
        ckpt=str(tiny.ckpt),
        model_config=str(tiny.config),
        steps=2,
        lr=3e-3,
        batch_size=2,
        clip=str(media["clip"]),
        graph_profile="offline",
        control={"n_blocks": 1, "graph_dim": 8, "reading_dim": 8, "heads": 2},
    )
    trainer = SynthTrainer(cfg)
    for _ in range(2):
        trainer.step()
    return trainer, trainer.save()


def test_training_records_clip_and_graph_and_saves_the_graph_encoder(trained, media):
    trainer, path = trained
    # the first utterance's graphs: target scene, face, text; c1 by scene and text, c2 by face; c1's audio
    assert [g.num_nodes for g in trainer._graphs[0].stages] == [3, 6, 7]
    assert [g.num_nodes for g in trainer._graphs[1].stages] == [2, 2, 2]  # a test pattern has no face
    assert trainer._video[0].shape[1] == CLIP_DIM
    state = torch.load(path, weights_only=True)
    assert state["control_config"]["clip"] == str(media["clip"])
    assert state["control_config"]["graph"]["dims"] == {"scene": 24, "face": 136, "text": 7, "audio": 16}
    graph_keys = [k for k in state["control"] if k.startswith("graph.")]
    assert graph_keys and any(k.startswith("graph.stages.2.") for k in graph_keys)
    # the graph encoder learned something in two steps (its weights are not the fresh ones)
    assert state["control"]["graph.proj.audio.weight"].abs().sum() > 0


def test_conditions_reach_the_branch_and_change_the_output(trained, media):
    _, path = trained
    tiny = media["tiny"]
    ref = VoiceReference(path=media["dir"] / "u2.wav", transcript=REF_TEXT)
    opts = {"ckpt": tiny.ckpt, "vocoder": tiny.vocoder, "model_config": tiny.config, "steps": 2}
    base = F5Synthesizer(**opts)
    ctl = F5Synthesizer(**opts, control=path)
    hits = tuple(_hits(media))
    conditions = Conditions(hits=hits, video_span=VideoSpan(str(media["face"]), 0.0, 1.5))

    def request(c: Conditions) -> SynthRequest:
        return SynthRequest(LINES[0], "en", 3, 0.6, ref, c)

    p = prepare(ctl.model, ctl.mel, ctl.device, 0, request(conditions), ctl.cfg_strength)
    conds = batch_conditions([p], ctl._control, ctl._featurizer, ctl.device)
    gen = round(0.6 * 24000 / 256)
    assert conds.video.shape == (1, p.total, CLIP_DIM)
    assert torch.count_nonzero(conds.video[0, : p.ref_frames]) == 0  # no video over the reference prompt
    assert bool(conds.video[0, p.ref_frames : p.ref_frames + gen].abs().sum(-1).gt(0).all())
    assert [int(m.sum()) for _, m in conds.knowledge] == [3, 6, 7]
    assert all(n.shape[-1] == 8 for n, _ in conds.knowledge)

    a = base.synthesize(request(conditions))
    b = ctl.synthesize(request(conditions))
    assert len(a.audio) == len(b.audio) == gen * 256
    assert b.info["control"] and b.info["clip"] == str(media["clip"])
    assert not np.array_equal(a.audio, b.audio)
    # another video span changes the output; so do other retrieved clips
    other = dataclasses.replace(conditions, video_span=VideoSpan(str(media["pattern"]), 0.0, 1.5))
    c = ctl.synthesize(request(other))
    assert not np.array_equal(b.audio, c.audio)
    e = ctl.synthesize(request(dataclasses.replace(conditions, hits=hits[:1])))
    assert not np.array_equal(b.audio, e.audio)
    # the same line again: identical (features are cached per span, nothing random)
    np.testing.assert_array_equal(b.audio, ctl.synthesize(request(conditions)).audio)


def test_hits_are_checked_and_carried_vectors_used(trained, media):
    trainer, _ = trained
    feat = trainer.featurizer
    hits = _hits(media)
    wrong = dataclasses.replace(hits[0], encoder="some-other-scene-encoder")
    with pytest.raises(ConfigError, match="some-other-scene-encoder"):
        feat.graphs(None, LINES[0], [wrong])
    with pytest.raises(ConfigError, match="modality 'audio'"):
        feat.graphs(None, LINES[0], [dataclasses.replace(hits[0], modality="audio")])
    # a hit carrying its own vector is used as is (no media needed); the base graph is text only here
    carried = dataclasses.replace(hits[0], vector=(0.5,) * 24, video="/nonexistent.mp4")
    g = feat.graphs(None, LINES[0], [carried])
    assert [s.num_nodes for s in g.stages] == [1, 2, 3]
    assert torch.equal(g.stages[1].x[1, :24], torch.full((24,), 0.5))


def test_base_f5_computes_no_conditions(media):
    """Without a control branch the line's video span and hits are never read (they may be bogus)."""
    tiny = media["tiny"]
    ref = VoiceReference(path=media["dir"] / "u2.wav", transcript=REF_TEXT)
    base = F5Synthesizer(ckpt=tiny.ckpt, vocoder=tiny.vocoder, model_config=tiny.config, steps=2)
    bogus = Conditions(
        hits=(Hit(modality="nonsense", rank=1, id="x", score=0.0),), video_span=VideoSpan("/nonexistent.mp4", 0, 1)
    )
    a = base.synthesize(SynthRequest(LINES[1], "en", 1, 0.5, ref, bogus))
    b = base.synthesize(SynthRequest(LINES[1], "en", 1, 0.5, ref))
    np.testing.assert_array_equal(a.audio, b.audio)
    assert base._featurizer is None and "clip" not in a.info
