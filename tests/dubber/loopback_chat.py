"""A loopback chat-completions server for protocol tests.

It speaks the OpenAI ``POST /v1/chat/completions`` protocol as vLLM does (a ``chat.completion``
object whose ``choices[0].message.content`` carries the answer), records every request body, and
answers from a script of actions. What a test against it proves: the client's requests and its
handling of the replies; not what a real model would say.

Actions (one per request, in order; when the script runs out the ``default`` action answers):
- a ``str``: the answer content, sent in a 200 reply;
- ``("sleep", seconds, content)``: answer after a delay (to trip a client timeout);
- ``("http", status)``: an HTTP error with an OpenAI-style error object;
- ``("raw", bytes)``: a 200 reply whose body is these bytes (not the protocol);
- a callable ``f(body) -> str``: the answer content computed from the request body.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class LoopbackChat:
    """A threaded HTTP server on 127.0.0.1; use as a context manager."""

    def __init__(self, default: Any = "{}") -> None:
        self.script: list[Any] = []
        self.bodies: list[dict[str, Any]] = []
        self.default = default
        self.lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with owner.lock:
                    owner.bodies.append(body)
                    action = owner.script.pop(0) if owner.script else owner.default
                owner.answer(self, body, action)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def __enter__(self) -> LoopbackChat:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def reset(self, *script: Any) -> None:
        with self.lock:
            self.script = list(script)
            self.bodies = []

    def text(self, i: int = -1) -> str:
        """All text of request ``i``'s messages, joined (system, user and assistant turns)."""
        out = []
        for m in self.bodies[i]["messages"]:
            content = m["content"]
            if isinstance(content, str):
                out.append(content)
            else:
                out.extend(p.get("text", "") for p in content if p.get("type") == "text")
        return "\n".join(out)

    @staticmethod
    def answer(handler: BaseHTTPRequestHandler, body: dict[str, Any], action: Any) -> None:
        status, data = 200, None
        if isinstance(action, tuple) and action[0] == "sleep":
            time.sleep(action[1])
            action = action[2]
        if isinstance(action, tuple) and action[0] == "http":
            status = action[1]
            data = json.dumps({"object": "error", "message": "boom", "code": status}).encode()
        elif isinstance(action, tuple) and action[0] == "raw":
            data = action[1]
        else:
            content = action(body) if callable(action) else action
            reply = {
                "id": "chatcmpl-1",
                "object": "chat.completion",
                "created": 0,
                "model": body.get("model"),
                "choices": [
                    {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}
                ],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
            }
            data = json.dumps(reply).encode()
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(data)))
            handler.end_headers()
            handler.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass
