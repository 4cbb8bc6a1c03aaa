"""``transformers``: the scene-reading prompt run in-process on a local Qwen2.5-VL-family model.

The model directory is what ``huggingface-cli download Qwen/Qwen2.5-VL-7B-Instruct --local-dir DIR``
(or a fine-tuned checkpoint from examples/train_cot) leaves: config, weights, tokenizer and
processor files; a hub id is fetched into dubkit's cache (evaluator.models.resolve: never when
offline). A missing or incomplete directory raises ModelLoadError.
Frames go to the processor's chat template as images (the vllm backend's prompt: system prompt, then the
frames, then the instruction), the answer is parsed by the strict parser and re-asked (sampling) when
it breaks the format. Without torchvision the processor is transformers' Qwen2-VL processor minus
its video part (see ``dubber.scene.vlm_processor``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import Any

from dubber.scene.base import SceneClip, SceneReader, reading_from_response
from dubber.scene.prompts import SYSTEM_PROMPT, instruction
from evaluator.errors import ModelLoadError
from evaluator.project import SceneReading

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
        self.model_dir = Path(model_dir)  # a local directory, or a hub id fetched into dubkit's cache
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
        from transformers import AutoModelForImageTextToText

        from dubber.scene.vlm_processor import load_vlm_processor
        from evaluator.models import resolve

        model_dir = resolve(self.model_dir, what="scene-reading VLM", param="model_dir")
        if not (model_dir / "config.json").is_file():
            raise ModelLoadError(
                f"{model_dir}: not a model directory (no config.json)",
                hint="pass a Qwen2.5-VL-family model directory or hub id (Qwen/Qwen2.5-VL-7B-Instruct) as model_dir",
                param="model_dir",
            )
        processor = load_vlm_processor(model_dir)
        try:
            model = AutoModelForImageTextToText.from_pretrained(model_dir, local_files_only=True, dtype=self.dtype)
        except (OSError, ValueError, KeyError) as exc:
            raise ModelLoadError(f"{model_dir}: cannot load the VLM ({exc})") from None
        device = ("cuda" if torch.cuda.is_available() else "cpu") if self.device == "auto" else self.device
        logger.info("loaded %s (%s) on %s", model_dir, type(model).__name__, device)
        return processor, model.to(device).eval()

    def unload(self) -> None:
        self.__dict__.pop("_loaded", None)

    def messages(self, clip: SceneClip, prompt: str | None = None) -> list[dict[str, Any]]:
        """System prompt, then one image part per frame, then the instruction (``prompt`` replaces it)."""
        content: list[dict[str, Any]] = [{"type": "image"} for _ in clip.frames]
        if prompt is None:
            prompt = instruction(self.mode, start=clip.cue.start, end=clip.cue.end, text=clip.cue.text or None)
        content.append({"type": "text", "text": prompt})
        return [
            {"role": "system", "content": [{"type": "text", "text": SYSTEM_PROMPT}]},
            {"role": "user", "content": content},
        ]

    def generate(self, clip: SceneClip, attempt: int = 0, prompt: str | None = None) -> str:
        """One answer for the line: greedy on the first attempt, sampled (seeded by ``attempt``) on re-asks."""
        import torch
        from PIL import Image

        processor, model = self._loaded
        chat = processor.apply_chat_template(self.messages(clip, prompt), add_generation_prompt=True, tokenize=False)
        images = [Image.fromarray(f) for f in clip.frames]
        inputs = processor(text=[chat], images=images or None, return_tensors="pt").to(model.device)
        sampling: dict[str, Any] = {"do_sample": False}
        if attempt > 0:
            sampling = {"do_sample": True, "temperature": 0.7, "top_p": 0.95}
            torch.manual_seed(attempt)
        with torch.inference_mode():
            out = model.generate(**inputs, max_new_tokens=self.max_new_tokens, **sampling)
        new = out[0, inputs["input_ids"].shape[1] :]
        logger.debug("cue %d: %d new tokens (attempt %d)", clip.cue.index, len(new), attempt + 1)
        return processor.decode(new, skip_special_tokens=True)

    def read(self, clip: SceneClip) -> SceneReading:
        return self.read_with(clip, self.generate)

    def read_with(self, clip: SceneClip, generate: Callable[[SceneClip, int], str]) -> SceneReading:
        """Parse, re-ask and report the answers of ``generate(clip, attempt)``; ``read`` passes the model's own."""
        return reading_from_response(
            lambda attempt: generate(clip, attempt),
            clip,
            mode=self.mode,
            backend=self.name,
            model=self.model_id,
            retries=self.retries,
        )
