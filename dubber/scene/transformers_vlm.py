"""``transformers``: the scene-reading prompt run in-process on a local Qwen2.5-VL-family directory.

The model directory is what ``huggingface-cli download Qwen/Qwen2.5-VL-7B-Instruct --local-dir DIR``
(or a fine-tuned checkpoint from examples/train_cot) leaves: config, weights, tokenizer and
processor files. Nothing is downloaded: a missing or incomplete directory raises ModelLoadError.
Frames go to the processor's chat template as images, the answer is parsed by the strict parser and
re-asked (sampling) when it breaks the format.
"""

from __future__ import annotations

import logging
from functools import cached_property
from pathlib import Path
from typing import Any

from dubber.scene.base import SceneClip, SceneReader, reading_from_response
from dubber.scene.prompts import SYSTEM_PROMPT, instruction
from dubber.scene.reading import SceneReading
from evaluator.errors import ModelLoadError

logger = logging.getLogger(__name__)


class TransformersSceneReader(SceneReader):
    """A local VLM (Qwen2.5-VL / Qwen2-VL) via ``transformers``' image-text-to-text models."""

    name = "transformers"

    def __init__(
        self,
        model_dir: str,
        *,
        mode: str = "cot",
        retries: int = 2,
        max_new_tokens: int = 768,
        device: str = "auto",
        dtype: str = "auto",
        fps: float = 2.0,
        max_frames: int = 4,
        max_width: int = 448,
    ) -> None:
        self.model_dir = Path(model_dir)
        self.mode = mode
        self.retries = retries
        self.max_new_tokens = max_new_tokens
        self.device = device
        self.dtype = dtype
        self.fps, self.max_frames, self.max_width = fps, max_frames, max_width

    @property
    def model_id(self) -> str:
        return f"transformers:{self.model_dir.name}"

    @cached_property
    def _loaded(self) -> tuple[Any, Any]:
        import torch
        from transformers import AutoModelForImageTextToText, AutoProcessor

        if not (self.model_dir / "config.json").is_file():
            raise ModelLoadError(
                f"{self.model_dir}: not a model directory (no config.json)",
                hint="download Qwen/Qwen2.5-VL-7B-Instruct to a local directory and pass it with --cot-model",
            )
        try:
            processor = AutoProcessor.from_pretrained(self.model_dir, local_files_only=True)
            model = AutoModelForImageTextToText.from_pretrained(
                self.model_dir, local_files_only=True, dtype=self.dtype if self.dtype != "auto" else "auto"
            )
        except (OSError, ValueError) as exc:
            raise ModelLoadError(f"{self.model_dir}: cannot load the VLM ({exc})") from None
        device = ("cuda" if torch.cuda.is_available() else "cpu") if self.device == "auto" else self.device
        return processor, model.to(device).eval()

    def unload(self) -> None:
        self.__dict__.pop("_loaded", None)

    def messages(self, clip: SceneClip) -> list[dict[str, Any]]:
        content: list[dict[str, Any]] = [{"type": "image"} for _ in clip.frames]
        text = instruction(self.mode, start=clip.cue.start, end=clip.cue.end, text=clip.cue.text or None)
        content.append({"type": "text", "text": text})
        return [
            {"role": "system", "content": [{"type": "text", "text": SYSTEM_PROMPT}]},
            {"role": "user", "content": content},
        ]

    def generate(self, clip: SceneClip, attempt: int = 0) -> str:
        import torch
        from PIL import Image

        processor, model = self._loaded
        prompt = processor.apply_chat_template(self.messages(clip), add_generation_prompt=True, tokenize=False)
        images = [Image.fromarray(f) for f in clip.frames]
        inputs = processor(text=[prompt], images=images or None, return_tensors="pt").to(model.device)
        torch.manual_seed(attempt)
        with torch.inference_mode():
            out = model.generate(
                **inputs,
                max_new_tokens=self.max_new_tokens,
                do_sample=attempt > 0,
                temperature=0.7 if attempt > 0 else None,
            )
        new = out[0, inputs["input_ids"].shape[1] :]
        return processor.decode(new, skip_special_tokens=True)

    def read(self, clip: SceneClip) -> SceneReading:
        return reading_from_response(
            lambda attempt: self.generate(clip, attempt),
            clip,
            mode=self.mode,
            backend=self.name,
            model=self.model_id,
            retries=self.retries,
        )
