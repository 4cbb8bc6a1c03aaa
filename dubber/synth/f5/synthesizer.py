"""The ``f5`` synthesizer: F5-TTS (flow-matching DiT) voice cloning, generated to each line's slot.

Needs the ``f5`` extra (``pip install 'dubkit[f5]'``, on CPU-only hosts via ``scripts/setup_f5.sh``);
weights load on first use (:mod:`dubber.synth.f5.loading`), the constructor touches nothing.

Timing: F5's duration is the TOTAL of reference and generated frames, so a line of ``duration``
seconds is sampled at ``ref_frames + round(duration * sr / hop)`` frames and the generated part is
exactly ``round(duration * sr / hop) * hop`` samples. References are clipped to 10 s (the transcript
is cut in proportion, at a word boundary) and should be at least 3 s. The transcript of the
reference must be given (source script, ASR backend or user); nothing here transcribes.

Batching: ``synthesize_many`` samples requests of equal guidance and similar length together, with
one seed per request (a line sounds the same in any batch).

Control (``control=`` a branch trained by ``dubkit train synth``): each request's conditions drive the
branch: the scene reading, the CLIP features of the video span (CLIP model recorded in the branch, or
``clip=``) and the emotion graph of the retrieved hits plus the line's own vectors
(:mod:`dubber.synth.f5.conditions`). Without a control branch none of that is computed and the output
is base F5's.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from dubber.synth.base import Speech, Synthesizer, SynthRequest
from dubber.synth.f5.control import CONDITION_GUIDANCE, ControlConfig, ControlledDiT
from dubber.synth.f5.loading import DEFAULT_CKPTS, DEFAULT_VOCODER, TARGET_RMS, load_cfm, load_f5_config, load_vocoder
from dubber.synth.f5.prep import Prepared, prepare
from evaluator.errors import ConfigError, ModelLoadError
from evaluator.options import Option

log = logging.getLogger(__name__)


class F5Synthesizer(Synthesizer):
    """F5-TTS backend (``--synth f5``); see the module docstring."""

    name = "f5"
    controls_length = True
    clones_voice = True
    options = (
        Option("ckpt", str, None, "F5 checkpoint (.safetensors/.pt, or hf://owner/repo/path)"),
        Option("vocoder", str, DEFAULT_VOCODER, "Vocos vocoder: a local directory or a hub id"),
        Option("model_config", str, "F5TTS_v1_Base", "F5 model config name or YAML path"),
        Option("vocab", str, None, "vocabulary file of a multilingual checkpoint (default: F5's en/zh)"),
        Option("languages", str, "en,zh", "comma-separated languages the checkpoint speaks"),
        Option("control", str, None, "trained control branch (dubkit train synth)"),
        Option("clip", str, None, "CLIP vision model for the control branch's video condition"),
        Option("device", str, "auto", "auto, cpu, cuda or cuda:N"),
        Option("steps", int, 32, "flow-matching sampling steps (NFE)"),
        Option("cfg_strength", float, 2.0, "text classifier-free guidance scale"),
        Option(
            "video_guidance",
            float,
            CONDITION_GUIDANCE["video"],
            "video condition guidance scale (with a control branch)",
        ),
        Option(
            "reading_guidance",
            float,
            CONDITION_GUIDANCE["reading"],
            "scene-reading condition guidance scale (with a control branch)",
        ),
        Option("sway_sampling_coef", float, -1.0, "sway sampling coefficient"),
        Option("batch", int, 8, "requests sampled together"),
        Option("use_ema", bool, True, "load the checkpoint's EMA weights"),
    )

    def __init__(
        self,
        *,
        ckpt: str | Path | None = None,
        vocoder: str | Path | None = None,
        model_config: str | Path = "F5TTS_v1_Base",
        vocab: str | Path | None = None,
        languages: str | Sequence[str] = "en,zh",
        control: str | Path | None = None,
        clip: str | Path | None = None,
        device: str = "auto",
        steps: int = 32,
        cfg_strength: float = 2.0,
        video_guidance: float = CONDITION_GUIDANCE["video"],
        reading_guidance: float = CONDITION_GUIDANCE["reading"],
        sway_sampling_coef: float = -1.0,
        batch: int = 8,
        use_ema: bool = True,
    ) -> None:
        self.ckpt = str(ckpt) if ckpt is not None else None
        self.vocoder_spec = str(vocoder) if vocoder is not None else DEFAULT_VOCODER
        self.model_config = str(model_config)
        self.vocab = str(vocab) if vocab is not None else None
        langs = languages.split(",") if isinstance(languages, str) else list(languages)
        self._languages = [x.strip() for x in langs if x.strip()]
        self.control_path = str(control) if control is not None else None
        self.clip = str(clip) if clip is not None else None
        self.device_spec = device
        self.steps = int(steps)
        self.cfg_strength = float(cfg_strength)
        self.video_guidance = float(video_guidance)
        self.reading_guidance = float(reading_guidance)
        self.sway_sampling_coef = float(sway_sampling_coef)
        self.batch = int(batch)
        self.use_ema = use_ema
        if self.steps < 1:
            raise ConfigError(f"f5 steps must be >= 1, got {self.steps}", param="steps")
        if self.batch < 1:
            raise ConfigError(f"f5 batch must be >= 1, got {self.batch}", param="batch")
        if not self._languages:
            raise ConfigError("f5 languages must name at least one language", param="languages")
        self._model = None
        self._cfg: dict[str, Any] | None = None
        self._vocoder = None
        self._control: ControlledDiT | None = None
        self._featurizer = None

    # -- identity -------------------------------------------------------------------------------
    @property
    def model_id(self) -> str:
        ckpt = Path(self.ckpt).name if self.ckpt else DEFAULT_CKPTS.get(Path(self.model_config).stem, "?")
        control = f"+control:{Path(self.control_path).name}" if self.control_path else ""
        return f"f5:{Path(self.model_config).stem}:{ckpt}{control}"

    def languages(self) -> list[str]:
        return list(self._languages)

    def describe(self) -> dict[str, Any]:
        return {
            **super().describe(),
            "vocoder": self.vocoder_spec,
            "steps": self.steps,
            "cfg_strength": self.cfg_strength,
            "video_guidance": self.video_guidance,
            "reading_guidance": self.reading_guidance,
            "sway_sampling_coef": self.sway_sampling_coef,
        }

    def guidance_options(self) -> list[dict[str, float]]:
        """Candidates cycle through the text guidance scale and half a step either side of it."""
        base = self.cfg_strength
        return [{"text": base}, {"text": base + 0.5}, {"text": max(0.5, base - 0.5)}]

    @property
    def reads_conditions(self) -> bool:
        """True when a control branch reads the lines' conditions."""
        return self.control_path is not None or self._control is not None

    # -- loading --------------------------------------------------------------------------------
    @property
    def device(self) -> torch.device:
        if self.device_spec == "auto":
            return torch.device("cuda" if torch.cuda.is_available() else "cpu")
        return torch.device(self.device_spec)

    @property
    def mel(self) -> dict[str, Any]:
        if self._cfg is None:
            self._cfg = load_f5_config(self.model_config)
        return self._cfg["mel_spec"]

    @property
    def model(self) -> Any:
        """F5's ``CFM`` with the checkpoint loaded (loads on first use)."""
        if self._model is None:
            self._model, self._cfg = load_cfm(self.model_config, self.ckpt, self.vocab, self.device, self.use_ema)
            if self.control_path is not None:
                self.attach_control(load_control(self.control_path, self._model.transformer, self.device))
        return self._model

    @property
    def vocoder(self) -> Any:
        if self._vocoder is None:
            self._vocoder = load_vocoder(self.vocoder_spec, self.mel["mel_spec_type"], self.device)
        return self._vocoder

    def attach_control(self, control: ControlledDiT | ControlConfig) -> ControlledDiT:
        """Use a control branch (a trained module, or a fresh untrained one from a config).

        Its conditions (CLIP features of the video span, the emotion graph of the hits) are computed per
        request from then on, with the CLIP model of the branch's config or ``clip``.
        """
        from dubber.synth.f5.conditions import ConditionFeaturizer

        if isinstance(control, ControlConfig):
            control = ControlledDiT(self.model.transformer, control)
        self._control = control.to(self.device).eval()
        self._featurizer = ConditionFeaturizer(control.cfg, clip=self.clip, device=self.device)
        return self._control

    def unload(self) -> None:
        if self._featurizer is not None:
            self._featurizer.unload()
        self._model = self._vocoder = self._control = self._featurizer = None
        if torch.cuda.is_available():
            torch.cuda.empty_cache()

    # -- synthesis ------------------------------------------------------------------------------
    def synthesize_many(self, requests: Sequence[SynthRequest]) -> list[Speech]:
        """Generate every request, batching those of equal guidance and similar length together."""
        if not requests:
            return []
        for req in requests:
            if not self.supports(req.lang):
                raise ConfigError(
                    f"f5 ({Path(self.model_config).stem}) does not speak {req.lang!r}; it speaks "
                    f"{', '.join(self.languages())}",
                    hint=f"a checkpoint trained on {req.lang!r} brings its own vocabulary: give it as vocab, and "
                    f"languages={req.lang},...",
                    param="languages",
                )
        model, mel = self.model, self.mel
        predict = self.predict_frames if self._control is not None else None
        cond = self.condition_guidance()
        prepared = [prepare(model, mel, self.device, i, r, self.cfg_strength, predict, cond)
                    for i, r in enumerate(requests)]  # fmt: skip
        order = sorted(prepared, key=lambda p: (p.guidance, p.total))
        results: list[Speech | None] = [None] * len(requests)
        start = 0
        while start < len(order):
            group = [order[start]]
            while (
                len(group) < self.batch
                and start + len(group) < len(order)
                and order[start + len(group)].guidance == group[0].guidance
            ):
                group.append(order[start + len(group)])
            start += len(group)
            for p, speech in zip(group, self._run_batch(group), strict=True):
                results[p.index] = speech
        return [s for s in results if s is not None]

    def condition_guidance(self) -> dict[str, float] | None:
        """The video and reading guidance scales when a control branch reads the conditions, else None."""
        if self._control is None:
            return None
        return {"video": self.video_guidance, "reading": self.reading_guidance}

    def predict_frames(self, text: str, reading: Any) -> int:
        """Generated frames of ``text`` from the control branch's trained duration predictor."""
        from f5_tts.model.utils import convert_char_to_pinyin, list_str_to_idx

        from dubber.synth.f5.control import reading_ids

        ctl = self._control
        if ctl is None:
            raise ConfigError("the duration predictor is part of a control branch; none is loaded")
        ids = list_str_to_idx(convert_char_to_pinyin([text]), self.model.vocab_char_map).to(self.device)
        reading_t = torch.tensor([reading_ids(reading, ctl.cfg.reading_vocab)], device=self.device)
        with torch.inference_mode():
            log_frames = ctl.control.log_frames(ids, reading_t)
        return max(1, int(round(float(log_frames.exp()))))

    def _run_batch(self, group: list[Prepared]) -> list[Speech]:
        from dubber.synth.f5.sample import SampleOptions, sample

        model = self.model
        hop = self.mel["hop_length"]
        sr = self.mel["target_sample_rate"]
        guidance = dict(group[0].guidance)
        conditions = None
        if self._control is not None:  # base F5 computes no conditions at all
            from dubber.synth.f5.conditions import batch_conditions

            conditions = batch_conditions(group, self._control, self._featurizer, self.device)
        mels, totals = sample(
            model,
            [p.ref_mel for p in group],
            [p.tokens for p in group],
            [p.total for p in group],
            [p.seed for p in group],
            SampleOptions(steps=self.steps, guidance=guidance, sway_sampling_coef=self.sway_sampling_coef),
            control=self._control,
            conditions=conditions,
        )
        out = []
        with torch.inference_mode():
            for i, p in enumerate(group):
                total = int(totals[i])
                gen = mels[i : i + 1, p.ref_frames : total].float().permute(0, 2, 1)
                wav = self.vocoder.decode(gen).squeeze(0).cpu().numpy().astype(np.float32)
                n = (total - p.ref_frames) * hop
                wav = wav[:n] if len(wav) >= n else np.pad(wav, (0, n - len(wav)))
                if p.rms < TARGET_RMS:
                    wav = wav * (p.rms / TARGET_RMS)
                info = {
                    "seed": p.seed,
                    "guidance": guidance,
                    "ref_frames": p.ref_frames,
                    "gen_frames": total - p.ref_frames,
                    "total_frames": total,
                    "reference_clipped": p.clipped,
                    "duration_source": p.duration_source,
                    "control": self._control is not None,
                }
                if self._featurizer is not None:
                    info.update(self._featurizer.describe())
                if total > p.total:
                    info["lengthened_to_fit_text"] = True
                out.append(Speech(audio=wav, sr=sr, info=info))
        return out


def load_control(path: str | Path, base: torch.nn.Module, device: torch.device) -> ControlledDiT:
    """Load a control branch saved by ``dubkit train synth`` (its config travels with the weights)."""
    p = Path(path)
    if not p.is_file():
        raise ModelLoadError(f"{p}: no such control checkpoint", hint="train one with `dubkit train synth`")
    state = torch.load(p, map_location="cpu", weights_only=True)
    if "control_config" not in state or "control" not in state:
        raise ModelLoadError(f"{p}: not a dubkit control checkpoint (no control_config/control)")
    if "reading_vocab" not in state["control_config"]:
        raise ModelLoadError(
            f"{p}: trained with an earlier reading vocabulary (happy/sad/angry, elderly) that did not match "
            "the scene readers' labels, so their readings all fell into one 'other' class",
            hint="retrain the branch with `dubkit train synth`",
        )
    ctl = ControlledDiT(base, ControlConfig(**state["control_config"]))
    ctl.control.load_state_dict(state["control"])
    if state.get("lora"):
        from peft import LoraConfig, inject_adapter_in_model

        inject_adapter_in_model(LoraConfig(**state["lora"]["config"]), base)
        base.load_state_dict(state["lora"]["state"], strict=False)
    if state.get("base_delta"):
        missing = base.load_state_dict(state["base_delta"], strict=False)
        if missing.unexpected_keys:
            raise ModelLoadError(f"{p}: base weights do not match this F5 model ({missing.unexpected_keys[:3]})")
    return ctl.to(device).eval()
