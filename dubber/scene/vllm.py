"""``vllm``: a client for vLLM's OpenAI-compatible chat-completions server.

Each line's sampled frames go as ``image_url`` data-URI content parts (JPEG), after the instruction.
The answer is constrained with ``response_format`` ``{"type": "json_schema", ...}`` (vLLM's structured
outputs; the removed ``guided_*`` fields are not used). Requests have a timeout, malformed or failed
answers are retried, and an episode's lines run ``concurrency`` at a time.

Serve a model, e.g.::

    vllm serve Qwen/Qwen2.5-VL-7B-Instruct --max-model-len 16384 --limit-mm-per-prompt '{"image": 8}'
    vllm serve OpenGVLab/InternVL2_5-8B --trust-remote-code --max-model-len 16384 \
        --limit-mm-per-prompt '{"image": 8}'

then ``dubkit cot read EPISODE.mp4 --script EP.srt --backend vllm --cot-url http://HOST:8000/v1
--cot-model Qwen/Qwen2.5-VL-7B-Instruct``.
"""

from __future__ import annotations

import base64
import json
import logging
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from dubber.scene.base import SceneClip, SceneReader, failed_reading, reading_from_response
from dubber.scene.prompts import SYSTEM_PROMPT, instruction, response_schema
from dubber.scene.reading import SceneReading
from evaluator.errors import BackendError, ConfigError

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
    """Scene reading by a VLM behind a vLLM (or any OpenAI-compatible) server."""

    name = "vllm"

    def __init__(
        self,
        url: str,
        model: str,
        *,
        mode: str = "cot",
        structured: bool = True,
        timeout: float = 120.0,
        retries: int = 2,
        concurrency: int = 4,
        max_tokens: int = 1024,
        temperature: float = 0.0,
        api_key: str | None = None,
        fps: float = 2.0,
        max_frames: int = 8,
        max_width: int = 448,
    ) -> None:
        if not url.startswith(("http://", "https://")):
            raise ConfigError(f"url {url!r} is not an http(s) URL", hint="e.g. http://localhost:8000/v1", param="url")
        if concurrency < 1 or retries < 0 or timeout <= 0:
            raise ConfigError(
                "concurrency must be >= 1, retries >= 0 and timeout > 0", param=("concurrency", "retries", "timeout")
            )
        self.url = url.rstrip("/")
        self.model = model
        self.mode = mode
        self.structured = structured
        self.timeout = timeout
        self.retries = retries
        self.concurrency = concurrency
        self.max_tokens = max_tokens
        self.temperature = temperature
        self.api_key = api_key
        self.fps, self.max_frames, self.max_width = fps, max_frames, max_width

    @property
    def model_id(self) -> str:
        return f"vllm:{self.model}@{self.url}"

    def request_body(self, clip: SceneClip, attempt: int = 0) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self.model,
            "messages": build_messages(clip, self.mode),
            "max_tokens": self.max_tokens,
            "temperature": self.temperature if attempt == 0 else max(self.temperature, 0.3),
            "seed": attempt,
        }
        if self.structured:
            body["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": f"scene_reading_{self.mode}", "schema": response_schema(self.mode)},
            }
        return body

    def _post(self, body: dict[str, Any]) -> str:
        """One chat-completions call; returns the message content. Raises BackendError on failure."""
        data = json.dumps(body).encode("utf-8")
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        req = urllib.request.Request(f"{self.url}/chat/completions", data=data, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                payload = json.loads(resp.read().decode("utf-8"))
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode("utf-8", "replace")[:200]
            raise BackendError(f"{self.url}: HTTP {exc.code}: {detail}") from None
        except TimeoutError:
            raise BackendError(f"{self.url}: no answer within {self.timeout:g} s") from None
        except urllib.error.URLError as exc:
            raise BackendError(f"{self.url}: cannot connect ({exc.reason})", hint="is `vllm serve` running?") from None
        except json.JSONDecodeError:
            raise BackendError(f"{self.url}: the server's reply is not JSON") from None
        try:
            content = payload["choices"][0]["message"]["content"]
        except (KeyError, IndexError, TypeError):
            raise BackendError(f"{self.url}: reply has no choices[0].message.content") from None
        return content if isinstance(content, str) else ""

    def read(self, clip: SceneClip) -> SceneReading:
        errors: list[str] = []

        def generate(attempt: int) -> str:
            for _ in range(self.retries + 1):  # transport failures are retried too
                try:
                    return self._post(self.request_body(clip, attempt))
                except BackendError as exc:
                    errors.append(str(exc))
                    logger.warning("cue %d: %s", clip.cue.index, exc)
            raise BackendError(errors[-1])

        try:
            return reading_from_response(
                generate, clip, mode=self.mode, backend=self.name, model=self.model_id, retries=self.retries
            )
        except BackendError as exc:
            return failed_reading(clip, backend=self.name, model=self.model_id, error=str(exc), attempts=len(errors))

    def read_many(self, clips: Iterable[SceneClip], progress: Callable[[], None] | None = None) -> list[SceneReading]:
        """Lines run ``concurrency`` at a time; clips are decoded as the workers need them."""
        results: dict[int, SceneReading] = {}
        with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            pending: dict[Any, int] = {}
            for i, clip in enumerate(clips):
                pending[pool.submit(self.read, clip)] = i
                if len(pending) >= 2 * self.concurrency:
                    done = next(iter(pending))
                    results[pending.pop(done)] = done.result()
                    if progress:
                        progress()
            for fut, i in pending.items():
                results[i] = fut.result()
                if progress:
                    progress()
        return [results[i] for i in sorted(results)]
