"""Write a tiny random F5 checkpoint, its config and a tiny Vocos directory, for an offline end-to-end run.

    python examples/f5_tiny/make_tiny_f5.py OUT_DIR
    dubkit dub demo.mp4 --script demo.en.srt --synth f5 \\
        --f5-ckpt OUT_DIR/tiny_f5.safetensors --f5-config OUT_DIR/F5TTS_tiny.yaml --vocoder OUT_DIR/vocos

The speech is noise-like (random weights): this checks the pipeline, not the voice.
"""

from __future__ import annotations

import argparse
import json

from dubber.synth.f5.tiny import write_tiny_f5


def main() -> None:
    ap = argparse.ArgumentParser(description="Write a tiny random F5 + Vocos in the real formats.")
    ap.add_argument("out", help="output directory")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--format", choices=["safetensors", "pt"], default="safetensors")
    args = ap.parse_args()
    tiny = write_tiny_f5(args.out, seed=args.seed, fmt=args.format)
    print(json.dumps({"ckpt": str(tiny.ckpt), "config": str(tiny.config), "vocoder": str(tiny.vocoder)}))


if __name__ == "__main__":
    main()
