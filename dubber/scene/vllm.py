"""``vllm``: a client for vLLM's OpenAI-compatible chat-completions server.

Each line's sampled frames go as ``image_url`` data-URI content parts (JPEG), after the instruction.
The answer is constrained with ``response_format`` ``{"type": "json_schema", ...}`` (vLLM's structured
outputs; the removed ``guided_*`` fields are not used). The requests go through the shared
``dubber.chat_client.ChatClient``: a timeout per request, failed calls and malformed answers
retried, an episode's lines ``concurrency`` at a time.

Serve a model, e.g.::

    vllm serve Qwen/Qwen2.5-VL-7B-Instruct --max-model-len 16384 --limit-mm-per-prompt '{"image": 8}'
    vllm serve OpenGVLab/InternVL2_5-8B --trust-remote-code --max-model-len 16384 \
        --limit-mm-per-prompt '{"image": 8}'

then ``dubkit cot read EPISODE.mp4 --script EP.srt --backend vllm --cot-url http://HOST:8000/v1
--cot-model Qwen/Qwen2.5-VL-7B-Instruct``.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from dubber.chat_client import ChatClient, ChatOptions, chat_options
from dubber.scene.base import SceneClip, SceneReader, failed_reading, reading_from_response
from dubber.scene.prompts import SYSTEM_PROMPT, instruction, response_schema
from evaluator.errors import BackendError, ConfigError, DubkitError
from evaluator.project import SceneReading

logger = logging.getLogger(__name__)


def encode_jpeg(frame: np.ndarray, quality: int = 85) -> str:
    """A ``data:image/jpeg;base64,...`` URI of an RGB frame."""
    import cv2

    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(frame, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise BackendError("cannot encode a frame as JPEG")
    return "data:image/jpeg;base64," + base64.b64encode(buf.tobytes()).decode("ascii")


def build_messages(clip: SceneClip, mode: str) -> list[dict[str, Any]]:
    """The chat messages for one line: system prompt, then the frames and the instruction."""
    content: list[dict[str, Any]] = [{"type": "image_url", "image_url": {"url": encode_jpeg(f)}} for f in clip.frames]
    text = instruction(mode, start=clip.cue.start, end=clip.cue.end, text=clip.cue.text or None)
    content.append({"type": "text", "text": text})
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": content}]


class VLLMSceneReader(SceneReader):
    """Scene reading by a VLM behind a vLLM (or any OpenAI-compatible) server.

    Connection settings: ``url`` and ``model`` with any of ``timeout``, ``retries``, ``concurrency``,
    ``max_tokens``, ``temperature``, ``api_key`` (``None`` takes the ``ChatOptions`` default), or a
    ready ``options`` shared with the other stages that talk to the server.
    ``retries`` bounds both the re-asks after a malformed answer and the retries of a failed call.
    """

    name = "vllm"

    def __init__(
        self,
        url: str | None = None,
        model: str | None = None,
        *,
        options: ChatOptions | None = None,
        mode: str = "cot",
        structured: bool = True,
        timeout: float | None = None,
        retries: int | None = None,
        concurrency: int | None = None,
        max_tokens: int | None = None,
        temperature: float | None = None,
        api_key: str | None = None,
        fps: float = 2.0,
        max_frames: int = 8,
        max_width: int = 448,
    ) -> None:
        if options is None:
            chat = {"timeout": timeout, "retries": retries, "concurrency": concurrency, "max_tokens": max_tokens}
            options = chat_options(url, model, **chat, temperature=temperature, api_key=api_key)
        elif url is not None or model is not None:
            raise ConfigError("give the vllm scene reader either options or url and model, not both")
        self.client = ChatClient(options)
        self.mode = mode
        self.structured = structured
        self.fps, self.max_frames, self.max_width = fps, max_frames, max_width

    @property
    def options(self) -> ChatOptions:
        return self.client.options

    @property
    def model_id(self) -> str:
        return self.client.model_id

    def request_body(self, clip: SceneClip, attempt: int = 0) -> dict[str, Any]:
        schema = response_schema(self.mode) if self.structured else None
        return self.client.body(
            build_messages(clip, self.mode), schema=schema, schema_name=f"scene_reading_{self.mode}", attempt=attempt
        )

    def read(self, clip: SceneClip) -> SceneReading:
        errors: list[str] = []

        def generate(attempt: int) -> str:
            try:
                return self.client.complete(self.request_body(clip, attempt), label=f"cue {clip.cue.index}")
            except DubkitError as exc:
                errors.append(str(exc))
                raise

        retries = self.options.retries
        try:
            return reading_from_response(
                generate, clip, mode=self.mode, backend=self.name, model=self.model_id, retries=retries
            )
        except DubkitError as exc:
            return failed_reading(clip, backend=self.name, model=self.model_id, error=str(exc), attempts=len(errors))

    def read_many(self, clips: Iterable[SceneClip], progress: Callable[[], None] | None = None) -> list[SceneReading]:
        """Lines run ``concurrency`` at a time; clips are decoded as the workers need them."""
        return self.client.map(self.read, clips, progress=progress)
