"""Loading the processor (tokenizer + image processor + chat template) of a local Qwen2-VL / Qwen2.5-VL directory.

``AutoProcessor`` builds ``Qwen2VLProcessor`` / ``Qwen2_5_VLProcessor``, whose video processor needs
torchvision. Hosts without torchvision (this project's CPU machines: the registry's torchvision is a
CUDA build that cannot load beside CPU torch) get ``ImageQwen2VLProcessor`` instead: the same
transformers processor with the video part left out, so images, text, chat template and image-token
expansion all go through transformers' own code. Scene reading and the training recipe only send
frames as images, so both processors give the same inputs.
"""

from __future__ import annotations

import functools
import logging
import os
from typing import Any

from evaluator.errors import ModelLoadError

logger = logging.getLogger(__name__)


@functools.cache
def _image_only_class() -> type:
    from transformers import Qwen2VLProcessor

    class ImageQwen2VLProcessor(Qwen2VLProcessor):
        """``Qwen2VLProcessor`` without its (torchvision-only) video processor: images and text only."""

        def __init__(self, image_processor: Any = None, tokenizer: Any = None, chat_template: Any = None, **kwargs):
            super(Qwen2VLProcessor, self).__init__(image_processor, tokenizer, chat_template=chat_template)
            self.image_token = getattr(tokenizer, "image_token", None) or "<|image_pad|>"
            self.video_token = getattr(tokenizer, "video_token", None) or "<|video_pad|>"
            self.image_token_id = getattr(tokenizer, "image_token_id", None) or tokenizer.convert_tokens_to_ids(
                self.image_token
            )
            self.video_token_id = getattr(tokenizer, "video_token_id", None) or tokenizer.convert_tokens_to_ids(
                self.video_token
            )

    return ImageQwen2VLProcessor


def image_only_processor(image_processor: Any, tokenizer: Any, chat_template: str | None = None) -> Any:
    """A Qwen2-VL processor for images and text from its parts (no torchvision needed)."""
    return _image_only_class()(image_processor=image_processor, tokenizer=tokenizer, chat_template=chat_template)


def load_vlm_processor(model_dir: str | os.PathLike[str]) -> Any:
    """The processor of a local Qwen2-VL-family directory (``AutoProcessor``, or the image-only one without
    torchvision). Raises ModelLoadError naming the directory when its processor files are missing or broken."""
    from transformers import AutoProcessor
    from transformers.utils import is_torchvision_available

    try:
        if is_torchvision_available():
            return AutoProcessor.from_pretrained(model_dir, local_files_only=True)
        logger.info("torchvision is not installed: loading an image-only Qwen2-VL processor from %s", model_dir)
        return _image_only_class().from_pretrained(model_dir, local_files_only=True)
    except (OSError, ValueError, TypeError, KeyError, ImportError) as exc:
        raise ModelLoadError(f"{model_dir}: cannot load the VLM processor ({exc})") from None
