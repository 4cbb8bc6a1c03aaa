"""A tiny random F5 model and Vocos vocoder, written in the real formats (for tests and offline demos).

The files are the formats the real loading code reads: an F5 checkpoint (``.safetensors`` with
``ema_model.`` keys, as released, or a trainer ``.pt``), an F5 config YAML (``model.arch`` and
``model.mel_spec``), and a Vocos directory (``config.yaml`` + ``pytorch_model.bin``). Weights are
random (seeded), with F5's zero-initialised output layers filled too, so the model does compute
something. The speech is noise-like: this exercises code paths, not quality.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import torch
import yaml

from evaluator.fileio import atomic_path

TINY_ARCH = {
    "dim": 64,
    "depth": 2,
    "heads": 2,
    "dim_head": 32,
    "ff_mult": 2,
    "text_dim": 32,
    "conv_layers": 1,
    "text_mask_padding": True,
    "qk_norm": None,
    "pe_attn_head": None,
    "attn_backend": "torch",
    "attn_mask_enabled": False,
    "checkpoint_activations": False,
}
MEL = {
    "target_sample_rate": 24000,
    "n_mel_channels": 100,
    "hop_length": 256,
    "win_length": 1024,
    "n_fft": 1024,
    "mel_spec_type": "vocos",
}


#: the Devanagari block's assigned code points (Hindi's script): what F5's tokenizer makes of Devanagari
#: text (one token per code point: consonants, vowel signs, virama, nukta, anusvara separately)
DEVANAGARI = tuple(chr(c) for c in range(0x0900, 0x0980) if unicodedata.category(chr(c)) != "Cn")


@dataclass(frozen=True)
class TinyF5:
    ckpt: Path
    config: Path
    vocoder: Path
    vocab: Path | None = None  # the checkpoint's own vocabulary (None: F5's packaged en/zh one)


def packaged_vocab() -> Path:
    """F5's packaged vocabulary (pinyin, Latin, CJK characters: en/zh)."""
    from importlib.resources import files

    return Path(str(files("f5_tts").joinpath("infer/examples/vocab.txt")))


def write_vocab(path: Path, extra: Iterable[str]) -> Path:
    """A vocabulary file in F5's format (one token per line, ``" "`` first: index 0 is also the unknown
    token): the packaged tokens, then each of ``extra`` not among them."""
    tokens = packaged_vocab().read_text(encoding="utf-8").split("\n")[:-1]
    have = set(tokens)
    tokens += [t for t in dict.fromkeys(extra) if t not in have]
    with atomic_path(path) as tmp:
        Path(tmp).write_text("".join(f"{t}\n" for t in tokens), encoding="utf-8")
    return path


def write_tiny_config(path: Path, arch: dict | None = None, name: str = "F5TTS_tiny") -> Path:
    cfg = {
        "model": {"name": name, "tokenizer": "custom", "backbone": "DiT", "arch": arch or TINY_ARCH, "mel_spec": MEL}
    }
    with atomic_path(path) as tmp:
        Path(tmp).write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    return path


def build_model(arch: dict, seed: int = 0, vocab: Path | None = None) -> torch.nn.Module:
    """F5's ``CFM`` around a ``DiT`` of ``arch``, random, with the packaged vocabulary or ``vocab``."""
    from f5_tts.model import CFM, DiT
    from f5_tts.model.utils import get_tokenizer

    vocab_char_map, vocab_size = get_tokenizer(str(vocab or packaged_vocab()), "custom")
    torch.manual_seed(seed)
    model = CFM(
        transformer=DiT(**arch, text_num_embeds=vocab_size, mel_dim=MEL["n_mel_channels"]),
        mel_spec_kwargs={k: MEL[k] for k in MEL},
        vocab_char_map=vocab_char_map,
    )
    gen = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        for p in model.parameters():
            if p.numel() and not p.any():  # F5 zero-initialises its output and AdaLN layers
                p.copy_(torch.randn(p.shape, generator=gen) * 0.02)
    return model


def save_f5_checkpoint(model: torch.nn.Module, path: Path) -> Path:
    """Save ``model`` as F5 does: EMA weights under ``ema_model.`` (.safetensors) or a trainer dict (.pt)."""
    state = {f"ema_model.{k}": v.detach().contiguous() for k, v in model.state_dict().items()}
    with atomic_path(path) as tmp:
        if path.suffix == ".safetensors":
            from safetensors.torch import save_file

            save_file(state, str(tmp))
        else:
            state["initted"] = torch.tensor(True)
            state["step"] = torch.tensor(0)
            torch.save({"ema_model_state_dict": state, "update": 0}, tmp)
    return path


def write_tiny_vocoder(directory: Path, seed: int = 0) -> Path:
    """A random Vocos (mel 24 kHz, 100 bins, hop 256) saved as a local vocoder directory."""
    from vocos import Vocos

    directory.mkdir(parents=True, exist_ok=True)
    config = {
        "feature_extractor": {
            "class_path": "vocos.feature_extractors.MelSpectrogramFeatures",
            "init_args": {"sample_rate": 24000, "n_fft": 1024, "hop_length": 256, "n_mels": 100, "padding": "center"},
        },
        "backbone": {
            "class_path": "vocos.models.VocosBackbone",
            "init_args": {"input_channels": 100, "dim": 32, "intermediate_dim": 64, "num_layers": 1},
        },
        "head": {
            "class_path": "vocos.heads.ISTFTHead",
            "init_args": {"dim": 32, "n_fft": 1024, "hop_length": 256, "padding": "same"},
        },
    }
    cfg_path = directory / "config.yaml"
    with atomic_path(cfg_path) as tmp:
        Path(tmp).write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    torch.manual_seed(seed)
    voc = Vocos.from_hparams(str(cfg_path))
    with atomic_path(directory / "pytorch_model.bin") as tmp:
        torch.save(voc.state_dict(), tmp)
    return directory


def write_tiny_f5(
    directory: str | Path, *, seed: int = 0, fmt: str = "safetensors", extra_tokens: Iterable[str] = ()
) -> TinyF5:
    """Write ``tiny_f5.<fmt>``, ``F5TTS_tiny.yaml`` and ``vocos/`` under ``directory``.

    ``extra_tokens`` (e.g. :data:`DEVANAGARI`): the model gets its own vocabulary, ``vocab.txt``, the packaged
    one plus these, and a text embedding of that size, as a multilingual checkpoint does."""
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    extra = list(extra_tokens)
    vocab = write_vocab(d / "vocab.txt", extra) if extra else None
    config = write_tiny_config(d / "F5TTS_tiny.yaml")
    ckpt = save_f5_checkpoint(build_model(TINY_ARCH, seed, vocab), d / f"tiny_f5.{fmt}")
    vocoder = write_tiny_vocoder(d / "vocos", seed)
    return TinyF5(ckpt=ckpt, config=config, vocoder=vocoder, vocab=vocab)
