"""Real-time factor of F5 generation (random weights: the compute is the same as trained ones).

    python benchmarks/f5_rtf.py                      # F5TTS_v1_Base size, 32 steps, batch 1, 8, 32 (GPU)
    python benchmarks/f5_rtf.py --size tiny --batches 1,4 --gen-seconds 3   # a CPU-sized run

RTF = wall time of sampling + vocoding / seconds of generated audio (all lines of the batch).
Each line: a ``--ref-seconds`` reference prompt plus ``--gen-seconds`` of generated speech, with
classifier-free guidance (two forward passes per step, as F5 does). Uses dubkit's batched sampler
(``dubber.synth.f5.sample.sample``) and a Vocos of the real 24 kHz size.
"""

from __future__ import annotations

import argparse
import json
import time

import torch

SIZES = {
    # F5TTS_v1_Base (configs/F5TTS_v1_Base.yaml)
    "base": {"dim": 1024, "depth": 22, "heads": 16, "ff_mult": 2, "text_dim": 512, "conv_layers": 4},
    "small": {"dim": 768, "depth": 18, "heads": 12, "ff_mult": 2, "text_dim": 512, "conv_layers": 4},
    "tiny": {"dim": 64, "depth": 2, "heads": 2, "dim_head": 32, "ff_mult": 2, "text_dim": 32, "conv_layers": 1},
}
VOCOS_24K = {"dim": 512, "intermediate_dim": 1536, "num_layers": 8}


def build(size: str, device: torch.device, dtype: torch.dtype):
    from vocos import Vocos
    from vocos.feature_extractors import MelSpectrogramFeatures
    from vocos.heads import ISTFTHead
    from vocos.models import VocosBackbone

    from dubber.synth.f5.tiny import build_model

    model = build_model({**SIZES[size], "text_mask_padding": True}).to(device, dtype).eval()
    vocoder = (
        Vocos(
            MelSpectrogramFeatures(sample_rate=24000, n_fft=1024, hop_length=256, n_mels=100, padding="center"),
            VocosBackbone(input_channels=100, **VOCOS_24K),
            ISTFTHead(dim=VOCOS_24K["dim"], n_fft=1024, hop_length=256, padding="same"),
        )
        .to(device)
        .eval()
    )
    return model, vocoder


def run(model, vocoder, batch: int, steps: int, ref_s: float, gen_s: float, device: torch.device) -> dict:
    from dubber.synth.f5.sample import SampleOptions, sample

    dtype = next(model.parameters()).dtype
    ref_frames, gen_frames = round(ref_s * 93.75), round(gen_s * 93.75)
    chars = int((ref_s + gen_s) * 15)  # ~15 characters per second of speech
    text = ["a" if i % 5 else " " for i in range(chars)]
    refs = [torch.randn(ref_frames, 100, device=device, dtype=dtype) for _ in range(batch)]

    def once() -> float:
        if device.type == "cuda":
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        mels, totals = sample(
            model, refs, [text] * batch, [ref_frames + gen_frames] * batch, list(range(batch)),
            SampleOptions(steps=steps, guidance={"text": 2.0}),
        )  # fmt: skip
        with torch.inference_mode():
            vocoder.decode(mels[:, ref_frames:].float().permute(0, 2, 1))
        if device.type == "cuda":
            torch.cuda.synchronize()
        return time.perf_counter() - t0

    once()  # warm-up (kernels, allocator)
    wall = once()
    audio_s = batch * gen_frames * 256 / 24000
    out = {"batch": batch, "steps": steps, "wall_s": round(wall, 3), "audio_s": round(audio_s, 2)}
    out["rtf"] = round(wall / audio_s, 4)
    if device.type == "cuda":
        out["peak_mem_gb"] = round(torch.cuda.max_memory_allocated() / 2**30, 2)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", choices=sorted(SIZES), default="base")
    ap.add_argument("--batches", default="1,8,32")
    ap.add_argument("--steps", type=int, default=32)
    ap.add_argument("--ref-seconds", type=float, default=5.0)
    ap.add_argument("--gen-seconds", type=float, default=5.0)
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--dtype", choices=["float32", "float16", "bfloat16"], default=None)
    args = ap.parse_args()
    device = torch.device(args.device)
    dtype = getattr(torch, args.dtype) if args.dtype else (torch.float16 if device.type == "cuda" else torch.float32)
    torch.manual_seed(0)
    model, vocoder = build(args.size, device, dtype)
    n_params = sum(p.numel() for p in model.transformer.parameters())
    head = {"size": args.size, "params_m": round(n_params / 1e6, 1), "device": str(device), "dtype": str(dtype)}
    if device.type == "cuda":
        head["gpu"] = torch.cuda.get_device_name()
    else:
        head["threads"] = torch.get_num_threads()
    print(json.dumps(head))
    for b in [int(x) for x in args.batches.split(",")]:
        print(json.dumps(run(model, vocoder, b, args.steps, args.ref_seconds, args.gen_seconds, device)), flush=True)


if __name__ == "__main__":
    main()
