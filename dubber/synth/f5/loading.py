"""Loading F5-TTS: its packaged configs, a checkpoint into F5's ``CFM``, the Vocos vocoder, the vocabulary.

Weights come from a local checkpoint (``.safetensors`` or ``.pt`` in F5's format: EMA weights under
``ema_model.``) or the hub (``hf://owner/repo/path``; the default of each packaged config); the vocoder
from a local directory (``config.yaml`` + ``pytorch_model.bin``) or a hub id; the vocabulary is the
packaged one unless a multilingual checkpoint brings its own (``vocab``). Nothing here runs at import.
"""

from __future__ import annotations

import contextlib
import io
import logging
import math
from pathlib import Path
from typing import Any

import yaml

from evaluator.errors import ConfigError, MissingDependencyError, ModelLoadError

log = logging.getLogger(__name__)

#: hub checkpoints of the packaged configs (used only when no checkpoint is given)
DEFAULT_CKPTS = {
    "F5TTS_v1_Base": "hf://SWivid/F5-TTS/F5TTS_v1_Base/model_1250000.safetensors",
    "F5TTS_Base": "hf://SWivid/F5-TTS/F5TTS_Base/model_1200000.safetensors",
    "E2TTS_Base": "hf://SWivid/E2-TTS/E2TTS_Base/model_1200000.safetensors",
}
DEFAULT_VOCODER = "charactr/vocos-mel-24khz"
#: F5 normalises quiet references up to this RMS (and the output back down), as its own inference does
TARGET_RMS = 0.1


def import_f5() -> None:
    """Import f5-tts and vocos, or say how to install them."""
    try:
        import f5_tts.model  # noqa: F401
        import vocos  # noqa: F401
    except ImportError as exc:
        raise MissingDependencyError(f"f5-tts ({exc})", extra="f5", install="scripts/setup_f5.sh .venv") from None


def frames_for(seconds: float, sr: int, hop: int) -> int:
    """Mel frames of ``seconds`` of audio (rounded to the nearest frame)."""
    return max(1, int(math.floor(seconds * sr / hop + 0.5)))


def load_f5_config(model_config: str | Path) -> dict[str, Any]:
    """The ``model`` section of a packaged F5 config name (``F5TTS_v1_Base``) or of a YAML file."""
    path = Path(model_config)
    if not path.suffix:
        import_f5()
        from importlib.resources import files

        path = Path(str(files("f5_tts").joinpath(f"configs/{model_config}.yaml")))
        if not path.is_file():
            raise ConfigError(
                f"unknown F5 model config {model_config!r}",
                hint="use F5TTS_v1_Base or a YAML path",
                param="model_config",
            )
    if not path.is_file():
        raise ConfigError(f"{path}: no such F5 model config", param="model_config")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or "model" not in data or "arch" not in data["model"]:
        raise ConfigError(f"{path}: not an F5 config (needs model.arch and model.mel_spec)", param="model_config")
    return data["model"]


def vocab_path(vocab: str | Path | None) -> str:
    """The vocabulary file: ``vocab`` (a multilingual checkpoint's own) or F5's packaged en/zh one."""
    if vocab is None:
        import_f5()
        from importlib.resources import files

        return str(files("f5_tts").joinpath("infer/examples/vocab.txt"))
    if not Path(vocab).is_file():
        raise ModelLoadError(f"{vocab}: no such F5 vocabulary file", hint="pass the vocab.txt of the checkpoint")
    return str(vocab)


def load_cfm(
    model_config: str, ckpt: str | None, vocab: str | None, device: Any, use_ema: bool = True
) -> tuple[Any, dict[str, Any]]:
    """F5's ``CFM`` with the checkpoint loaded, in eval mode on ``device``; and the config's model section."""
    import_f5()
    from f5_tts.infer.utils_infer import load_checkpoint
    from f5_tts.model import CFM, DiT
    from f5_tts.model.utils import get_tokenizer

    cfg = load_f5_config(model_config)
    if cfg.get("backbone", "DiT") != "DiT":
        raise ConfigError(f"f5: only DiT backbones are supported, {model_config} uses {cfg['backbone']}")
    from evaluator.models import resolve

    ckpt = ckpt or DEFAULT_CKPTS.get(Path(model_config).stem)
    if ckpt is None:
        raise ModelLoadError(
            f"f5: no checkpoint for {model_config}", hint="pass a local checkpoint as ckpt", param="ckpt"
        )
    if not ckpt.startswith("hf://") and not Path(ckpt).is_file():
        raise ModelLoadError(
            f"{ckpt}: no such F5 checkpoint", hint="pass a local checkpoint (.safetensors or .pt)", param="ckpt"
        )
    ckpt = str(resolve(ckpt, what="F5 checkpoint", param="ckpt"))
    vocab_char_map, vocab_size = get_tokenizer(vocab_path(vocab), "custom")
    mel = cfg["mel_spec"]
    model = CFM(
        transformer=DiT(**dict(cfg["arch"]), text_num_embeds=vocab_size, mel_dim=mel["n_mel_channels"]),
        mel_spec_kwargs={
            k: mel[k]
            for k in ("n_fft", "hop_length", "win_length", "n_mel_channels", "target_sample_rate", "mel_spec_type")
        },
        odeint_kwargs={"method": "euler"},
        vocab_char_map=vocab_char_map,
    ).to(device)
    try:
        model = load_checkpoint(model, str(ckpt), str(device), use_ema=use_ema)
    except (RuntimeError, KeyError, OSError, ValueError) as exc:
        raise ModelLoadError(
            f"{ckpt}: not a checkpoint of {model_config} ({str(exc).splitlines()[0][:200]})",
            hint="pass the config it was trained with and, for a multilingual checkpoint, its own vocabulary",
        ) from None
    model.eval()
    log.info("f5: loaded %s from %s on %s", model_config, ckpt, device)
    return model, cfg


def load_vocoder(spec: str, mel_spec_type: str, device: Any) -> Any:
    """The Vocos vocoder from a local directory or a hub id."""
    import_f5()
    from f5_tts.infer.utils_infer import load_vocoder as f5_load_vocoder

    if mel_spec_type != "vocos":
        raise ConfigError(f"f5: vocoder type {mel_spec_type!r} is not supported (use vocos)")
    from evaluator.models import resolve

    local = resolve(spec, what="Vocos vocoder", param="vocoder")  # a local directory, or the hub snapshot
    if not (local / "config.yaml").is_file() or not (local / "pytorch_model.bin").is_file():
        raise ModelLoadError(f"{local}: a Vocos directory needs config.yaml and pytorch_model.bin", param="vocoder")
    sink = io.StringIO()  # F5's loader prints; keep stdout clean for --json
    try:
        with contextlib.redirect_stdout(sink):
            voc = f5_load_vocoder("vocos", is_local=True, local_path=str(local), device=str(device))
    except Exception as exc:
        raise ModelLoadError(
            f"f5 vocoder {spec}: cannot load ({type(exc).__name__}: {str(exc).splitlines()[0][:160]})",
            hint="pass a local Vocos directory",
            param="vocoder",
        ) from None
    log.debug("f5 vocoder: %s", sink.getvalue().strip())
    return voc
