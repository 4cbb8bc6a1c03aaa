"""The ``f5`` synthesizer: F5-TTS (flow-matching DiT) voice cloning, generated to each line's slot.

Weights: the DiT from a local checkpoint (``.safetensors`` or ``.pt`` in F5's format: EMA weights under
``ema_model.``) or from the hub (``hf://owner/repo/path``; the default of each packaged config, e.g.
``hf://SWivid/F5-TTS/F5TTS_v1_Base/model_1250000.safetensors``); the Vocos vocoder from a local
directory (``config.yaml`` + ``pytorch_model.bin``) or a hub id (default ``charactr/vocos-mel-24khz``);
the packaged vocabulary. The constructor touches nothing; weights load on first use. Needs the
``f5`` extra (``pip install 'dubkit[f5]'``, on CPU-only hosts via ``scripts/setup_f5.sh``).

Timing: F5's duration is the TOTAL of reference and generated frames, so a line of ``duration``
seconds is sampled at ``ref_frames + round(duration * sr / hop)`` frames and the generated part is
exactly ``round(duration * sr / hop) * hop`` samples. References are clipped to 10 s (the transcript
is cut in proportion, at a word boundary) and should be at least 3 s. The transcript of the
reference must be given (script, ASR backend or user); nothing here transcribes.

Control (``control=`` a branch trained by ``dubkit train synth``): each line's ``style`` conditions
the branch: ``scene_reading``, the CLIP features of ``video_span`` (CLIP model recorded in the
branch, or ``clip=`` DIR/hub id) and the emotion graph of ``retrieved`` footage hits plus the line's
own vectors (:mod:`dubber.synth.f5_conditions`). Without a control branch none of that is computed
and the output is base F5's.
"""

from __future__ import annotations

import contextlib
import io
import logging
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import yaml

from dubber.synth.base import Speech, Synthesizer, VoiceReference
from dubber.synth.f5_control import ControlConfig, ControlledDiT
from evaluator.errors import ConfigError, MissingDependencyError, ModelLoadError

log = logging.getLogger(__name__)

#: hub checkpoints of the packaged configs (used only when no --f5-ckpt is given)
DEFAULT_CKPTS = {
    "F5TTS_v1_Base": "hf://SWivid/F5-TTS/F5TTS_v1_Base/model_1250000.safetensors",
    "F5TTS_Base": "hf://SWivid/F5-TTS/F5TTS_Base/model_1200000.safetensors",
    "E2TTS_Base": "hf://SWivid/E2-TTS/E2TTS_Base/model_1200000.safetensors",
}
DEFAULT_VOCODER = "charactr/vocos-mel-24khz"
MIN_REF_S, MAX_REF_S = 3.0, 10.0
TARGET_RMS = 0.1


@dataclass(frozen=True)
class F5Request:
    """One line to generate."""

    text: str
    reference: VoiceReference
    duration: float | None = None
    seed: int = 0
    style: dict[str, Any] = field(default_factory=dict)


def _import_f5() -> None:
    try:
        import f5_tts.model  # noqa: F401
        import vocos  # noqa: F401
    except ImportError as exc:
        raise MissingDependencyError(f"f5-tts ({exc})", extra="f5", install="scripts/setup_f5.sh .venv") from None


def load_f5_config(model_config: str | Path) -> dict[str, Any]:
    """The ``model`` section of a packaged F5 config name (``F5TTS_v1_Base``) or of a YAML file."""
    path = Path(model_config)
    if not path.suffix:
        from importlib.resources import files

        path = Path(str(files("f5_tts").joinpath(f"configs/{model_config}.yaml")))
        if not path.is_file():
            raise ConfigError(f"unknown F5 model config {model_config!r}", hint="use F5TTS_v1_Base or a YAML path")
    if not path.is_file():
        raise ConfigError(f"{path}: no such F5 model config")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or "model" not in data or "arch" not in data["model"]:
        raise ConfigError(f"{path}: not an F5 config (needs model.arch and model.mel_spec)")
    return data["model"]


def resolve_hub_file(spec: str, what: str, hint: str) -> str:
    """``hf://owner/repo/path/in/repo`` -> a local path via the hub cache (only at load time)."""
    parts = spec[len("hf://") :].split("/")
    if len(parts) < 3:
        raise ConfigError(f"{what}: {spec!r} is not hf://owner/repo/path")
    from huggingface_hub import hf_hub_download

    try:
        return hf_hub_download(repo_id="/".join(parts[:2]), filename="/".join(parts[2:]))
    except Exception as exc:
        raise ModelLoadError(f"{what}: cannot fetch {spec} ({type(exc).__name__})", hint=hint) from None


class F5Synthesizer(Synthesizer):
    """F5-TTS backend (``--synth f5``); see the module docstring."""

    name = "f5"
    controls_length = True
    clones_voice = True

    def __init__(
        self,
        *,
        ckpt: str | Path | None = None,
        vocoder: str | Path | None = None,
        model_config: str | Path = "F5TTS_v1_Base",
        vocab: str | Path | None = None,
        control: str | Path | None = None,
        clip: str | Path | None = None,
        device: str = "auto",
        steps: int | str = 32,
        cfg_strength: float | str = 2.0,
        sway_sampling_coef: float | str = -1.0,
        batch: int | str = 8,
        use_ema: bool = True,
        languages: list[str] | None = None,
    ) -> None:
        self.ckpt = str(ckpt) if ckpt is not None else None
        self.vocoder_spec = str(vocoder) if vocoder is not None else DEFAULT_VOCODER
        self.model_config = str(model_config)
        self.vocab = str(vocab) if vocab is not None else None
        self.control_path = str(control) if control is not None else None
        self.clip = str(clip) if clip is not None else None
        self.device_spec = device
        self.steps = int(steps)
        self.cfg_strength = float(cfg_strength)
        self.sway_sampling_coef = float(sway_sampling_coef)
        self.batch = max(1, int(batch))
        self.use_ema = use_ema
        self._languages = languages or ["en", "zh"]
        if self.steps < 1:
            raise ConfigError(f"f5 steps must be >= 1, got {self.steps}")
        self._model = None
        self._vocoder = None
        self._control: ControlledDiT | None = None
        self._featurizer = None
        self._cfg: dict[str, Any] | None = None

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
            "sway_sampling_coef": self.sway_sampling_coef,
        }

    # -- loading --------------------------------------------------------------------------------
    @property
    def device(self) -> torch.device:
        if self.device_spec == "auto":
            return torch.device("cuda" if torch.cuda.is_available() else "cpu")
        return torch.device(self.device_spec)

    @property
    def mel(self) -> dict[str, Any]:
        if self._cfg is None:
            _import_f5()
            self._cfg = load_f5_config(self.model_config)
        return self._cfg["mel_spec"]

    @property
    def model(self):
        """F5's ``CFM`` with the checkpoint loaded (loads on first use)."""
        if self._model is None:
            self._model = self._load_model()
        return self._model

    @property
    def vocoder(self):
        if self._vocoder is None:
            self._vocoder = self._load_vocoder()
        return self._vocoder

    def _load_model(self):
        _import_f5()
        from f5_tts.infer.utils_infer import load_checkpoint
        from f5_tts.model import CFM, DiT
        from f5_tts.model.utils import get_tokenizer

        cfg = load_f5_config(self.model_config)
        self._cfg = cfg
        if cfg.get("backbone", "DiT") != "DiT":
            raise ConfigError(f"f5: only DiT backbones are supported, {self.model_config} uses {cfg['backbone']}")
        ckpt = self.ckpt or DEFAULT_CKPTS.get(Path(self.model_config).stem)
        hint = "pass a local checkpoint with --f5-ckpt PATH (.safetensors or .pt)"
        if ckpt is None:
            raise ModelLoadError(f"f5: no checkpoint for {self.model_config}", hint=hint)
        if ckpt.startswith("hf://"):
            ckpt = resolve_hub_file(ckpt, "f5 checkpoint", hint)
        elif not Path(ckpt).is_file():
            raise ModelLoadError(f"{ckpt}: no such F5 checkpoint", hint=hint)
        if self.vocab is None:
            from importlib.resources import files

            vocab = str(files("f5_tts").joinpath("infer/examples/vocab.txt"))
        else:
            vocab = self.vocab
        if not Path(vocab).is_file():
            raise ModelLoadError(f"{vocab}: no such F5 vocabulary file")
        vocab_char_map, vocab_size = get_tokenizer(vocab, "custom")
        mel = cfg["mel_spec"]
        arch = dict(cfg["arch"])
        model = CFM(
            transformer=DiT(**arch, text_num_embeds=vocab_size, mel_dim=mel["n_mel_channels"]),
            mel_spec_kwargs={
                "n_fft": mel["n_fft"],
                "hop_length": mel["hop_length"],
                "win_length": mel["win_length"],
                "n_mel_channels": mel["n_mel_channels"],
                "target_sample_rate": mel["target_sample_rate"],
                "mel_spec_type": mel["mel_spec_type"],
            },
            odeint_kwargs={"method": "euler"},
            vocab_char_map=vocab_char_map,
        ).to(self.device)
        try:
            model = load_checkpoint(model, str(ckpt), str(self.device), use_ema=self.use_ema)
        except (RuntimeError, KeyError, OSError, ValueError) as exc:
            raise ModelLoadError(
                f"{ckpt}: not a checkpoint of {self.model_config} ({str(exc).splitlines()[0][:200]})",
                hint="pass the config it was trained with (--f5-config) or the right checkpoint",
            ) from None
        model.eval()
        if self.control_path is not None:
            self.attach_control(load_control(self.control_path, model.transformer, self.device), model)
        log.info("f5: loaded %s from %s on %s", self.model_config, ckpt, self.device)
        return model

    def _load_vocoder(self):
        _import_f5()
        from f5_tts.infer.utils_infer import load_vocoder

        if self.mel["mel_spec_type"] != "vocos":
            raise ConfigError(f"f5: vocoder type {self.mel['mel_spec_type']!r} is not supported (use vocos)")
        spec = self.vocoder_spec
        local = Path(spec)
        sink = io.StringIO()  # F5's loader prints; keep stdout clean for --json
        try:
            with contextlib.redirect_stdout(sink):
                if local.is_dir():
                    if not (local / "config.yaml").is_file() or not (local / "pytorch_model.bin").is_file():
                        raise ModelLoadError(f"{local}: a Vocos directory needs config.yaml and pytorch_model.bin")
                    voc = load_vocoder("vocos", is_local=True, local_path=str(local), device=str(self.device))
                elif spec == DEFAULT_VOCODER:
                    voc = load_vocoder("vocos", is_local=False, device=str(self.device))
                else:
                    from vocos import Vocos

                    voc = Vocos.from_pretrained(spec).eval().to(self.device)
        except ModelLoadError:
            raise
        except Exception as exc:
            raise ModelLoadError(
                f"f5 vocoder {spec}: cannot load ({type(exc).__name__}: {str(exc).splitlines()[0][:160]})",
                hint="pass a local Vocos directory with --vocoder DIR",
            ) from None
        log.debug("f5 vocoder: %s", sink.getvalue().strip())
        return voc

    def attach_control(self, control: ControlledDiT | ControlConfig, model=None) -> ControlledDiT:
        """Use a control branch (a trained module, or a fresh untrained one from a config).

        Its conditions (CLIP features of ``video_span``, the emotion graph of ``retrieved``) are
        computed per line from then on, with the CLIP model of the branch's config or ``clip``.
        """
        from dubber.synth.f5_conditions import ConditionFeaturizer

        if isinstance(control, ControlConfig):
            control = ControlledDiT((model or self.model).transformer, control)
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
    def synthesize(
        self,
        text: str,
        lang: str,
        *,
        reference: VoiceReference | None = None,
        duration: float | None = None,
        seed: int = 0,
        style: dict[str, Any] | None = None,
    ) -> Speech:
        if reference is None:
            raise ConfigError("f5 clones a voice: each line needs a speaker reference clip with its transcript")
        return self.synthesize_many([F5Request(text, reference, duration, seed, dict(style or {}))], lang)[0]

    def synthesize_many(self, requests: list[F5Request], lang: str) -> list[Speech]:
        """Generate many lines, batching lines of similar length (and equal guidance) together."""
        if not self.supports(lang):
            raise ConfigError(f"f5 ({self.model_config}) does not speak {lang!r}; it speaks {self.languages()}")
        from dubber.synth.f5_prep import prepare

        prepared = [prepare(self, i, r) for i, r in enumerate(requests)]
        order = sorted(prepared, key=lambda p: (p.guidance_key, p.total))
        results: list[Speech | None] = [None] * len(requests)
        start = 0
        while start < len(order):
            group = [order[start]]
            while (
                len(group) < self.batch
                and start + len(group) < len(order)
                and order[start + len(group)].guidance_key == group[0].guidance_key
            ):
                group.append(order[start + len(group)])
            start += len(group)
            for p, speech in zip(group, self._run_batch(group), strict=False):
                results[p.index] = speech
        return [s for s in results if s is not None]

    def _run_batch(self, group: list) -> list[Speech]:
        from dubber.synth.f5_sample import SampleOptions, sample

        model = self.model
        hop = self.mel["hop_length"]
        sr = self.mel["target_sample_rate"]
        guidance = dict(group[0].guidance)
        conditions = None
        if self._control is not None:  # base F5 computes no conditions at all
            from dubber.synth.f5_conditions import batch_conditions

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
                    **self.describe(),
                    "seed": p.seed,
                    "guidance": guidance,
                    "ref_frames": p.ref_frames,
                    "gen_frames": total - p.ref_frames,
                    "total_frames": total,
                    "requested_duration": p.duration,
                    "reference_clipped": p.clipped,
                    "control": self._control is not None,
                }
                if self._featurizer is not None:
                    info.update(self._featurizer.describe())
                if total > p.total:
                    info["lengthened_to_fit_text"] = True
                out.append(Speech(audio=wav, sr=sr, info=info))
        return out


def frames_for(seconds: float, sr: int, hop: int) -> int:
    """Mel frames of ``seconds`` of audio (rounded to the nearest frame)."""
    return max(1, int(math.floor(seconds * sr / hop + 0.5)))


def load_control(path: str | Path, base: torch.nn.Module, device: torch.device) -> ControlledDiT:
    """Load a control branch saved by ``dubkit train synth`` (its config travels with the weights)."""
    p = Path(path)
    if not p.is_file():
        raise ModelLoadError(f"{p}: no such control checkpoint", hint="train one with `dubkit train synth`")
    state = torch.load(p, map_location="cpu", weights_only=True)
    if "control_config" not in state or "control" not in state:
        raise ModelLoadError(f"{p}: not a dubkit control checkpoint (no control_config/control)")
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
