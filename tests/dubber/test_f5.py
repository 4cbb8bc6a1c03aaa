"""The f5 backend with a tiny random F5 (real formats, real loading code), and its control branch."""

from __future__ import annotations

import numpy as np
import pytest
import torch

pytest.importorskip("f5_tts.model", reason="needs the f5 extra (scripts/setup_f5.sh)")

from dubber.synth import SYNTHESIZERS, Precomputed, SynthRequest, VoiceReference  # noqa: E402
from dubber.synth.f5 import F5Synthesizer  # noqa: E402
from dubber.synth.f5.control import ControlConfig, ControlledDiT, combine_guidance, guidance_levels  # noqa: E402
from dubber.synth.f5.tiny import write_tiny_f5  # noqa: E402
from evaluator.errors import ConfigError, ModelLoadError  # noqa: E402
from evaluator.media import write_wav  # noqa: E402
from evaluator.project import Conditions, Guidance, SceneReading  # noqa: E402

REF_TEXT = "The quick brown fox jumps over the lazy dog near the river bank."


def req(text, voice=None, duration=None, seed=0, lang="en", **kw):  # noqa: ANN001, ANN201
    return SynthRequest(text, lang, seed, duration, voice, **kw)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return write_tiny_f5(tmp_path_factory.mktemp("tiny_f5"))


@pytest.fixture(scope="module")
def reference(tmp_path_factory, espeak):
    speech = espeak.synthesize(SynthRequest(REF_TEXT, "en"))
    path = tmp_path_factory.mktemp("ref") / "ref.wav"
    write_wav(path, speech.audio, speech.sr)
    assert 3.0 <= speech.duration <= 10.0
    return VoiceReference(path=path, transcript=REF_TEXT)


@pytest.fixture(scope="module")
def f5(tiny):
    return SYNTHESIZERS.get("f5")(ckpt=tiny.ckpt, vocoder=tiny.vocoder, model_config=tiny.config, steps=4, batch=4)


def test_registered_and_lazy(tiny):
    synth = SYNTHESIZERS.get("f5")(ckpt="/nonexistent.safetensors", model_config=tiny.config)
    assert synth.controls_length and synth.clones_voice
    assert synth.model_id == "f5:F5TTS_tiny:nonexistent.safetensors"
    with pytest.raises(ModelLoadError, match="no such F5 checkpoint"):
        _ = synth.model


@pytest.mark.parametrize("duration", [0.9, 1.7, 2.35])
def test_output_length_equals_slot_to_the_frame(f5, reference, duration):
    speech = f5.synthesize(req("Hello there, how are you today?", reference, duration, seed=1))
    assert speech.sr == 24000
    assert speech.info["gen_frames"] == round(duration * 24000 / 256)
    assert len(speech.audio) == speech.info["gen_frames"] * 256
    assert abs(speech.duration - duration) <= 256 / 24000 / 2 + 1e-9
    assert speech.info["total_frames"] == speech.info["ref_frames"] + speech.info["gen_frames"]
    assert np.isfinite(speech.audio).all() and np.abs(speech.audio).max() > 0


def test_batched_lines_keep_their_seed_and_length(f5, reference):
    reqs = [req("Short one.", reference, 0.8, 5), req("A much longer line to say.", reference, 2.0, 7)]
    many = f5.synthesize_many(reqs)
    assert [len(s.audio) for s in many] == [round(0.8 * 93.75) * 256, round(2.0 * 93.75) * 256]
    assert [s.info["seed"] for s in many] == [5, 7]
    again = f5.synthesize(req("Short one.", reference, 0.8, 5))
    # the same in a batch of one as in a batch of two, up to float rounding of differently shaped matmuls
    np.testing.assert_allclose(again.audio, many[0].audio, atol=1e-3)
    np.testing.assert_array_equal(again.audio, f5.synthesize(req("Short one.", reference, 0.8, 5)).audio)
    other = f5.synthesize(req("Short one.", reference, 0.8, 6))
    assert np.abs(again.audio - other.audio).max() > 1e-2


def test_matches_f5_cfm_sample_exactly(f5, reference):
    from dubber.synth.f5.prep import prepare
    from dubber.synth.f5.sample import SampleOptions, sample

    p = prepare(f5.model, f5.mel, f5.device, 0, req("Matching F5 itself.", reference, 1.2, 11), f5.cfg_strength)
    ours, _ = sample(f5.model, [p.ref_mel], [p.tokens], [p.total], [11], SampleOptions(steps=4, guidance={"text": 2.0}))
    theirs, _ = f5.model.sample(
        p.ref_mel[None], [p.tokens], p.total, steps=4, cfg_strength=2.0, sway_sampling_coef=-1.0, seed=11
    )
    assert torch.equal(ours, theirs)


def test_untrained_control_branch_leaves_output_identical(tiny, reference):
    base = F5Synthesizer(ckpt=tiny.ckpt, vocoder=tiny.vocoder, model_config=tiny.config, steps=4)
    ctl = F5Synthesizer(ckpt=tiny.ckpt, vocoder=tiny.vocoder, model_config=tiny.config, steps=4)
    ctl.attach_control(ControlConfig(n_blocks=2, video_dim=16, graph_dim=8, reading_dim=8, heads=2))
    reading = SceneReading("dialogue", 2, True, "female", "adult", "anger", 0.9, "heuristic", "m")
    request = req(
        "Exactly the same.",
        reference,
        1.0,
        2,
        conditions=Conditions(reading=reading, guidance=Guidance(video=1.5, reading=2.0)),
        precomputed=Precomputed(
            video_features=np.random.default_rng(0).normal(size=(200, 16)),
            emotion_knowledge=(np.ones((3, 8)), np.ones((6, 8)), np.ones((8, 8))),
        ),
    )
    a = base.synthesize(request)
    b = ctl.synthesize(request)
    assert b.info["control"] and not a.info["control"]
    np.testing.assert_array_equal(a.audio, b.audio)
    # once the zero projections learn something, the conditions do change the output
    with torch.no_grad():
        for proj in ctl._control.control.zero_proj:
            proj.weight.normal_(0, 0.05)
    c = ctl.synthesize(request)
    assert not np.array_equal(a.audio, c.audio)


def test_controlled_dit_velocity_equals_base_and_dropout(f5):
    base = f5.model.transformer
    ctl = ControlledDiT(base, ControlConfig(n_blocks=1, video_dim=4, graph_dim=4, reading_dim=4, heads=2))
    x, cond = torch.randn(2, 30, 100), torch.randn(2, 30, 100)
    text = torch.randint(0, 50, (2, 12))
    time = torch.tensor([0.3, 0.7])
    from dubber.synth.f5.control import ControlConditions

    conds = ControlConditions(video=torch.randn(2, 30, 4), reading=torch.tensor([[1, 2, 3, 4], [0, 1, 0, 2]]))
    with torch.no_grad():
        ref = base(x=x, cond=cond, text=text, time=time)
        ctl.eval()
        out = ctl(x, cond, text, time, conds)
    assert torch.equal(ref, out)
    ctl.train()
    torch.manual_seed(0)
    keeps = torch.stack([ctl._draw_keep(10000, torch.device("cpu")) for _ in range(2)]).float().mean()
    assert 0.94 < float(keeps) < 0.96  # 5% dropout per condition


def test_guidance_combination_math():
    v = {"none": torch.tensor(1.0), "text": torch.tensor(3.0), "video": torch.tensor(4.0), "reading": torch.tensor(6.0)}
    # full + w_t (text - none) + w_v (video - text) + w_r (reading - video)
    assert float(combine_guidance(v, {"text": 2.0, "video": 0.5, "reading": 1.0})) == 6 + 2 * 2 + 0.5 * 1 + 1 * 2
    # text only: F5's pred + (pred - null) * cfg
    only = {"none": v["none"], "text": v["text"]}
    assert float(combine_guidance(only, {"text": 2.0})) == 3 + (3 - 1) * 2
    # no guidance: the fully conditioned velocity
    assert float(combine_guidance(v, {})) == 6.0
    # an absent condition drops out of the chain: reading follows text directly
    nv = {"none": v["none"], "text": v["text"], "reading": v["reading"]}
    assert float(combine_guidance(nv, {"text": 1.0, "reading": 1.0})) == 6 + 2 + 3
    assert guidance_levels({"text": 2.0}, set()) == ["none", "text"]
    assert guidance_levels({"text": 0.0}, set()) == ["text"]
    assert guidance_levels({"text": 2.0, "video": 1.0}, {"video", "reading"}) == ["none", "text", "video", "reading"]
    assert guidance_levels({"text": 0.0, "reading": 1.0}, {"video", "reading"}) == ["video", "reading"]
    with pytest.raises(ValueError, match="needs the 'none' velocity"):
        combine_guidance({"video": v["video"]}, {"video": 1.0})


def test_reference_needs_transcript_and_language(f5, reference):
    with pytest.raises(ConfigError, match="no transcript"):
        f5.synthesize(req("Hi.", VoiceReference(path=reference.path), 1.0))
    with pytest.raises(ConfigError, match="needs a speaker reference"):
        f5.synthesize(req("Hi.", None, 1.0))
    with pytest.raises(ConfigError, match="does not speak 'hi'"):
        f5.synthesize(req("Hi.", reference, 1.0, lang="hi"))


def test_long_reference_is_clipped_with_its_transcript(f5, reference, tmp_path):
    from evaluator.media import load_audio

    audio = load_audio(reference.path, 24000)
    long = tmp_path / "long.wav"
    write_wav(long, np.concatenate([audio, audio, audio]), 24000)
    ref = VoiceReference(path=long, transcript=" ".join([REF_TEXT] * 3))
    speech = f5.synthesize(req("Clip me.", ref, 1.0, 0))
    assert speech.info["reference_clipped"] is True
    assert speech.info["ref_frames"] <= 10 * 24000 // 256 + 1
    from dubber.synth.f5.prep import clip_transcript

    assert clip_transcript("one two three four", 0.5) == "one two"


def test_pt_checkpoint_format_loads(tmp_path, reference):
    tiny = write_tiny_f5(tmp_path, fmt="pt")
    synth = F5Synthesizer(ckpt=tiny.ckpt, vocoder=tiny.vocoder, model_config=tiny.config, steps=2)
    assert len(synth.synthesize(req("Trainer format.", reference, 0.5)).audio) == 47 * 256
    bad = F5Synthesizer(ckpt=tiny.ckpt, vocoder=tiny.vocoder, model_config="F5TTS_v1_Base")
    with pytest.raises(ModelLoadError, match="not a checkpoint of F5TTS_v1_Base"):
        _ = bad.model


def test_every_label_the_scene_readers_emit_has_its_own_reading_id():
    # the branch's vocabulary is the readers' label sets: joy, anger, sadness, senior ... each get their
    # own id (an earlier vocabulary said happy/angry/sad/elderly, so those all became the one "other" id)
    from dubber.scene.labels import LABEL_SETS
    from dubber.synth.f5.control import READING_VOCAB, reading_ids

    assert READING_VOCAB.keys() == LABEL_SETS.keys()
    for pos, (field, labels) in enumerate(LABEL_SETS.items()):
        other = len(labels) + 1
        ids = [reading_ids({field: label})[pos] for label in labels]
        assert ids == list(range(1, len(labels) + 1)), field  # distinct, none is "other" or "absent"
        assert reading_ids({field: "robot"})[pos] == other and reading_ids({})[pos] == 0
    reading = SceneReading("monologue", 1, True, "female", "senior", "sadness", 0.9, "heuristic", "m")
    assert reading_ids(reading) == [3, 2, 4, 5]


def test_a_branch_trained_on_the_old_vocabulary_is_refused(f5, tmp_path):
    from dubber.synth.f5 import load_control

    ctl = ControlledDiT(f5.model.transformer, ControlConfig(n_blocks=1, video_dim=4, graph_dim=4, reading_dim=4))
    cfg = ctl.cfg.to_dict()
    del cfg["reading_vocab"]  # as saved before the vocabulary came from the label sets
    torch.save({"control_config": cfg, "control": ctl.control.state_dict()}, tmp_path / "old.pt")
    with pytest.raises(ModelLoadError, match="earlier reading vocabulary"):
        load_control(tmp_path / "old.pt", f5.model.transformer, torch.device("cpu"))


def test_duration_predictor_trains_the_generator_and_sets_the_length_at_inference(tiny, reference):
    from f5_tts.model.utils import convert_char_to_pinyin, list_str_to_idx

    synth = F5Synthesizer(ckpt=tiny.ckpt, vocoder=tiny.vocoder, model_config=tiny.config, steps=2)
    natural = synth.synthesize(req("Say it at your own pace.", reference))
    assert natural.info["duration_source"] == "reference rate"  # base F5: its own estimate
    ctl = synth.attach_control(ControlConfig(n_blocks=1, video_dim=4, graph_dim=4, reading_dim=8, heads=2))
    branch = ctl.control
    branch.train()
    text = list_str_to_idx(convert_char_to_pinyin(["Say it at your own pace."]), synth.model.vocab_char_map)
    loss = (branch.log_frames(text, torch.tensor([[1, 2, 3, 4]])) - torch.tensor([4.0])).abs().mean()
    loss.backward()
    # the duration loss reaches the generator's own trained parameters (the reading embeddings the
    # condition embedder uses), not only a side head
    assert all(emb.weight.grad is not None and emb.weight.grad.abs().sum() > 0 for emb in branch.embed.reading_embed)
    assert branch.duration.mlp[-1].weight.grad.abs().sum() > 0
    branch.eval()
    n_chars = float(np.log1p((text >= 0).sum().item()))  # the predictor adds log(1 + chars) to its output
    with torch.no_grad():  # make the predictor say 50 frames for this line
        branch.duration.mlp[-1].weight.zero_()
        branch.duration.mlp[-1].bias.fill_(float(np.log(50.0)) - n_chars)
    speech = synth.synthesize(req("Say it at your own pace.", reference))
    assert speech.info["duration_source"] == "duration predictor" and speech.info["gen_frames"] == 50
    timed = synth.synthesize(req("Say it at your own pace.", reference, 1.0))
    assert timed.info["duration_source"] == "requested" and timed.info["gen_frames"] == round(93.75)


def test_condition_guidance_defaults_to_non_zero_scales_with_a_control_branch(tiny, reference):
    """With a control branch the video and reading groups are guided by default (CONDITION_GUIDANCE); without one
    only F5's text scale applies; a request's own Guidance overrides the defaults, and so do the options."""
    from dubber.synth.f5.control import CONDITION_GUIDANCE

    kw = {"ckpt": tiny.ckpt, "vocoder": tiny.vocoder, "model_config": tiny.config, "steps": 2}
    cfg = ControlConfig(n_blocks=1, video_dim=16, graph_dim=8, reading_dim=8, heads=2)
    reading = SceneReading("dialogue", 2, True, "female", "adult", "joy", 0.9, "heuristic", "m")
    pre = Precomputed(video_features=np.zeros((200, 16)))

    def line(guidance=None):  # noqa: ANN001, ANN202
        conditions = Conditions(reading=reading, guidance=guidance or Guidance())
        return req("Guided by default.", reference, 0.8, 3, conditions=conditions, precomputed=pre)

    assert CONDITION_GUIDANCE["video"] > 0 and CONDITION_GUIDANCE["reading"] > 0
    assert F5Synthesizer(**kw).synthesize(line()).info["guidance"] == {"text": 2.0}
    ctl = F5Synthesizer(**kw)
    ctl.attach_control(cfg)
    assert ctl.synthesize(line()).info["guidance"] == {"text": 2.0, **CONDITION_GUIDANCE}
    assert ctl.synthesize(line(Guidance(video=0.5))).info["guidance"] == {"text": 2.0, "video": 0.5, "reading": 1.0}
    off = F5Synthesizer(**kw, video_guidance=0.0, reading_guidance=0.0)
    off.attach_control(cfg)
    assert off.condition_guidance() == {"video": 0.0, "reading": 0.0}
    assert {o.name for o in F5Synthesizer.options} >= {"video_guidance", "reading_guidance"}
