"""The shared chat-completions client against a loopback server that speaks the OpenAI protocol:
what it sends (schema in ``response_format``, no ``guided_json``), how it retries, and the one
error it raises per failure (timeout, refused connection, HTTP status, non-JSON, missing content)."""

from __future__ import annotations

import threading
import time

import pytest

from dubber.chat_client import (
    ChatClient,
    ChatOptions,
    ServerHTTPError,
    ServerUnreachableError,
    chat_options,
    default_of,
)
from evaluator.errors import BackendError, ConfigError

SCHEMA = {"type": "object", "properties": {"x": {"type": "string"}}, "required": ["x"]}


def client(url: str, **kw) -> ChatClient:  # noqa: ANN003
    return ChatClient(chat_options(url, "m", **kw))


def test_defaults_have_one_home_and_none_means_default() -> None:
    o = chat_options("http://h:1/v1/", "m", timeout=None, retries=None, concurrency=None)
    assert (o.timeout, o.retries, o.concurrency) == (default_of("timeout"), default_of("retries"), 4)
    assert o.url == "http://h:1/v1"
    assert chat_options("http://h:1/v1", "m", retries=0).retries == 0  # 0 is a value, not "not given"
    with pytest.raises(ConfigError, match="needs url and model"):
        chat_options(None, None)
    with pytest.raises(ConfigError, match="not an http"):
        ChatOptions("localhost:8000", "m")
    with pytest.raises(ConfigError, match="timeout must be > 0"):
        chat_options("http://h", "m", timeout=0)
    with pytest.raises(ConfigError, match="unknown chat option"):
        chat_options("http://h", "m", timout=3)


def test_request_carries_the_schema_and_retry_resamples(chat_server) -> None:
    chat_server.reset('{"x": "a"}')
    c = client(chat_server.url)
    messages = [{"role": "user", "content": "hi"}]
    assert c.complete(c.body(messages, schema=SCHEMA, schema_name="demo")) == '{"x": "a"}'
    body = chat_server.bodies[0]
    assert body["response_format"] == {"type": "json_schema", "json_schema": {"name": "demo", "schema": SCHEMA}}
    assert "guided_json" not in body and body["temperature"] == 0.0 and body["model"] == "m"
    again = c.body(messages, schema=SCHEMA, attempt=1)
    assert again["temperature"] > 0 and again["seed"] == 1


def test_server_errors_are_retried_client_errors_are_not(chat_server) -> None:
    chat_server.reset(("http", 500), '{"x": "b"}')
    assert client(chat_server.url, retries=1).complete({"model": "m", "messages": []}) == '{"x": "b"}'
    chat_server.reset(("http", 404), '{"x": "never asked"}')
    with pytest.raises(ServerHTTPError, match="HTTP 404") as err:
        client(chat_server.url, retries=3).complete({"model": "m", "messages": []})
    assert err.value.user_error and len(chat_server.bodies) == 1  # an unknown model is not asked again
    chat_server.reset(("http", 503), ("http", 503))
    with pytest.raises(ServerHTTPError, match="HTTP 503") as err:
        client(chat_server.url, retries=1).complete({"model": "m", "messages": []})
    assert not err.value.user_error and len(chat_server.bodies) == 2


def test_replies_that_are_not_the_protocol(chat_server) -> None:
    chat_server.reset(("raw", b"<html>proxy error</html>"))
    with pytest.raises(BackendError, match="not JSON"):
        client(chat_server.url, retries=0).complete({"model": "m", "messages": []})
    chat_server.reset(("raw", b'{"object": "chat.completion", "choices": []}'))
    with pytest.raises(BackendError, match=r"no choices\[0\]\.message\.content"):
        client(chat_server.url, retries=0).complete({"model": "m", "messages": []})


def test_timeout_and_refused_connection(chat_server) -> None:
    chat_server.reset(("sleep", 1.0, "late"))
    with pytest.raises(ServerUnreachableError, match="no answer within 0.3 s") as err:
        client(chat_server.url, timeout=0.3, retries=0).complete({"model": "m", "messages": []})
    assert err.value.user_error  # the CLI exits 2: the user fixes the server or the timeout
    with pytest.raises(ServerUnreachableError, match="cannot connect"):
        client("http://127.0.0.1:9/v1", retries=0, timeout=2).complete({"model": "m", "messages": []})
    time.sleep(0.8)  # let the slow handler finish


def test_map_keeps_order_and_bounds_the_calls_in_flight() -> None:
    c = client("http://h/v1", concurrency=3)
    lock, live, peak = threading.Lock(), [0], [0]
    taken: list[int] = []

    def items():
        for i in range(12):
            taken.append(i)
            yield i

    def work(i: int) -> int:
        with lock:
            live[0] += 1
            peak[0] = max(peak[0], live[0])
        time.sleep(0.01 * (i % 3))
        with lock:
            live[0] -= 1
        return i * i

    ticks = []
    assert c.map(work, items(), progress=lambda: ticks.append(1)) == [i * i for i in range(12)]
    assert peak[0] <= 3 and len(ticks) == 12 and taken == list(range(12))


def test_map_stops_taking_items_after_a_failure() -> None:
    c = client("http://h/v1", concurrency=2)
    started: list[int] = []

    def work(i: int) -> int:
        started.append(i)
        if i == 0:
            raise BackendError("boom")
        time.sleep(0.05)
        return i

    with pytest.raises(BackendError, match="boom"):
        c.map(work, range(100))
    assert len(started) < 10  # the remaining 90+ items were never submitted


def test_one_configuration_serves_the_scene_reader_and_the_translator() -> None:
    from cli.cot import backend_options
    from dubber.scene.vllm import VLLMSceneReader
    from dubber.translate.vllm import VLLMTranslator

    opts = chat_options("http://gpu:8000/v1", "Qwen/Qwen2.5-VL-7B-Instruct", timeout=30.0)
    reader, translator = VLLMSceneReader(options=opts), VLLMTranslator(options=opts)
    assert reader.options is translator.options is opts and reader.model_id == translator.model_id
    with pytest.raises(ConfigError, match="either options or url and model"):
        VLLMTranslator("http://gpu:8000/v1", "m", options=opts)
    # what `dubkit dub`/`dubkit cot` pass when the user gives no --timeout/--retries/--concurrency
    reader = VLLMSceneReader(**backend_options("vllm", "http://gpu:8000/v1", "m", "cot"))
    assert (reader.options.timeout, reader.options.retries, reader.options.concurrency) == (120.0, 2, 4)
