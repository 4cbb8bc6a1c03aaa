"""Protocol test: the vllm client against a local HTTP server on 127.0.0.1 that answers like vLLM's
OpenAI-compatible ``/v1/chat/completions`` (response object ``chat.completion`` with
``choices[0].message.content``), including a slow answer (timeout) and a malformed one."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

from dubber.scene.base import SceneClip
from dubber.scene.vllm import VLLMSceneReader
from evaluator.script import Cue

GOOD = {
    "summary": "Decide the scene.",
    "caption": "One woman facing the camera.",
    "reasoning": "Step 1: one person. Step 2: she talks. Step 3: monologue. Step 4: adult woman, neutral.",
    "conclusion": {
        "scene_type": "monologue",
        "num_people": 1,
        "speaker_talking": True,
        "gender": "female",
        "age": "adult",
        "emotion": "neutral",
        "confidence": 0.9,
    },
}


class Handler(BaseHTTPRequestHandler):
    script: list[str] = []  # what to do per request: good, bad, slow, http500
    bodies: list[dict] = []

    def log_message(self, *args: object) -> None:
        pass

    def do_POST(self) -> None:  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        Handler.bodies.append(body)
        action = Handler.script.pop(0) if Handler.script else "good"
        if action == "slow":
            time.sleep(1.5)
        if action == "http500":
            self.send_response(500)
            self.end_headers()
            self.wfile.write(b'{"object":"error","message":"boom"}')
            return
        content = json.dumps(GOOD) if action in ("good", "slow") else "<SUMMARY>oops</SUMMARY> not the format"
        reply = {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "created": 0,
            "model": body["model"],
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
        }
        data = json.dumps(reply).encode()
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass


@pytest.fixture(scope="module")
def server():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}/v1"
    srv.shutdown()
    srv.server_close()


def clip(i: int = 1) -> SceneClip:
    frames = np.random.default_rng(i).integers(0, 255, (3, 32, 48, 3), dtype=np.uint8)
    return SceneClip(cue=Cue(i, 1.0, 2.5, "Hello there"), frames=frames, times=np.array([1.2, 1.7, 2.2]), audio=None)


def reader(url: str, **kw) -> VLLMSceneReader:  # noqa: ANN003
    return VLLMSceneReader(url, "Qwen/Qwen2.5-VL-7B-Instruct", **kw)


def test_request_format_and_good_answer(server: str) -> None:
    Handler.script, Handler.bodies = ["good"], []
    r = reader(server).read(clip())
    assert r.scene_type == "monologue" and r.gender == "female" and r.format_ok and r.attempts == 1
    assert r.model == f"vllm:Qwen/Qwen2.5-VL-7B-Instruct@{server}"
    body = Handler.bodies[0]
    parts = body["messages"][1]["content"]
    assert [p["type"] for p in parts] == ["image_url"] * 3 + ["text"]
    assert parts[0]["image_url"]["url"].startswith("data:image/jpeg;base64,")
    assert body["response_format"]["type"] == "json_schema"
    assert "guided_json" not in body and "Hello there" in parts[-1]["text"]


def test_malformed_answer_is_retried_then_reported(server: str) -> None:
    Handler.script, Handler.bodies = ["bad", "good"], []
    r = reader(server, retries=2).read(clip())
    assert r.scene_type == "monologue" and not r.format_ok and r.attempts == 2  # format reward 0: needed a retry
    Handler.script = ["bad", "bad", "bad"]
    r = reader(server, retries=2).read(clip())
    assert r.error is not None and "missing_tag" in r.error and r.confidence == 0.0 and not r.format_ok


def test_timeout_and_server_error(server: str) -> None:
    Handler.script = ["slow", "good"]
    r = reader(server, timeout=0.5, retries=1).read(clip())
    assert r.error is None and r.scene_type == "monologue"  # the slow call timed out, the retry answered
    Handler.script = ["slow", "slow"]
    r = reader(server, timeout=0.5, retries=1).read(clip())
    assert r.error is not None and "no answer within 0.5 s" in r.error
    Handler.script = ["http500", "http500"]
    r = reader(server, retries=1).read(clip())
    assert "HTTP 500" in r.error
    time.sleep(1.2)  # let the slow handlers finish before the next test


def test_concurrent_episode_keeps_order(server: str) -> None:
    Handler.script, Handler.bodies = [], []
    readings = reader(server, concurrency=3).read_many([clip(i) for i in range(1, 8)])
    assert [r.cue_index for r in readings] == list(range(1, 8))
    assert len(Handler.bodies) == 7


def test_connection_refused_and_bad_url() -> None:
    r = reader("http://127.0.0.1:9/v1", retries=0, timeout=2).read(clip())
    assert "cannot connect" in r.error
    from evaluator.errors import ConfigError

    with pytest.raises(ConfigError, match="not an http"):
        reader("localhost:8000")
