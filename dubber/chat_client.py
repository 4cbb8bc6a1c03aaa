"""The one client of an OpenAI-compatible chat-completions server (vLLM), shared by every stage that
talks to a language model: scene reading (``dubber.scene.vllm``) and translation
(``dubber.translate.vllm``).

``ChatOptions`` holds the connection settings and is the only home of their defaults;
``chat_options`` builds it from values that may be ``None`` (not given: the default applies), which
is what a command line passes. ``ChatClient.complete`` sends one ``POST {url}/chat/completions``
with the answer constrained by a JSON schema in ``response_format`` (vLLM's structured outputs; the
older ``guided_json`` request fields are ignored by current vLLM and are never sent), retrying
failed calls; ``ChatClient.map`` runs a function over items ``concurrency`` at a time.

>>> opts = chat_options("http://localhost:8000/v1", "Qwen/Qwen2.5-7B-Instruct", timeout=None)
>>> opts.timeout, opts.retries, opts.concurrency
(120.0, 2, 4)
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from concurrent.futures import Future

from evaluator.errors import BackendError, ConfigError

logger = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")

#: HTTP statuses that mean the request itself is wrong (unknown model, bad schema): retrying cannot help.
_NOT_RETRIED = frozenset({400, 401, 403, 404, 422})


class ServerHTTPError(BackendError):
    """The server answered with an HTTP error status (``status``). A 4xx that retrying cannot fix
    (unknown model, a request the server refuses) is the user's to fix; a 5xx is the server's."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status
        self.user_error = status in _NOT_RETRIED


class ServerUnreachableError(ConfigError):
    """The server did not answer: nothing listens at the URL, or no answer came within the timeout.

    A configuration problem for the user to fix (start the server, fix the URL, raise the timeout),
    so the command line exits with the user-error status.
    """


@dataclass(frozen=True)
class ChatOptions:
    """Connection settings of one chat-completions server; the defaults live here and nowhere else.

    ``timeout`` is seconds per request, ``retries`` the extra attempts after a failed or malformed
    answer, ``concurrency`` the requests in flight at once.
    """

    url: str
    model: str
    timeout: float = 120.0
    retries: int = 2
    concurrency: int = 4
    api_key: str | None = None
    max_tokens: int = 1024
    temperature: float = 0.0

    def __post_init__(self) -> None:
        if not self.url.startswith(("http://", "https://")):
            raise ConfigError(
                f"url {self.url!r} is not an http(s) URL", hint="e.g. http://localhost:8000/v1", param="url"
            )
        if not self.model:
            raise ConfigError(
                "model is empty", hint="the name the server serves, e.g. Qwen/Qwen2.5-7B-Instruct", param="model"
            )
        if self.timeout <= 0:
            raise ConfigError(f"timeout must be > 0 seconds (got {self.timeout})", param="timeout")
        if self.retries < 0:
            raise ConfigError(f"retries must be >= 0 (got {self.retries})", param="retries")
        if self.concurrency < 1:
            raise ConfigError(f"concurrency must be >= 1 (got {self.concurrency})", param="concurrency")
        if self.max_tokens < 1:
            raise ConfigError(f"max_tokens must be >= 1 (got {self.max_tokens})", param="max_tokens")
        object.__setattr__(self, "url", self.url.rstrip("/"))


def chat_options(url: str | None, model: str | None, **values: Any) -> ChatOptions:
    """``ChatOptions`` from values that may be ``None`` (not given): those take the defaults.

    ``url`` and ``model`` are required; ``values`` are the other fields of ``ChatOptions``.
    """
    if not url or not model:
        missing = " and ".join(n for n, v in (("url", url), ("model", model)) if not v)
        raise ConfigError(
            f"a chat-completions server needs {missing}",
            hint="e.g. url http://localhost:8000/v1 and the served model name",
        )
    known = {f.name for f in fields(ChatOptions)} - {"url", "model"}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ConfigError(f"unknown chat option(s): {', '.join(unknown)}", hint=f"known: {', '.join(sorted(known))}")
    return ChatOptions(url=url, model=model, **{k: v for k, v in values.items() if v is not None})


def default_of(name: str) -> Any:
    """The default of one ``ChatOptions`` field (for help texts that show it)."""
    for f in fields(ChatOptions):
        if f.name == name:
            return f.default
    raise KeyError(name)


class ChatClient:
    """Sends chat-completions requests to one server (``options``); thread-safe."""

    def __init__(self, options: ChatOptions) -> None:
        self.options = options

    @property
    def model_id(self) -> str:
        """``vllm:MODEL@URL``: what the numbers and texts of this client came from."""
        return f"vllm:{self.options.model}@{self.options.url}"

    def body(
        self,
        messages: list[dict[str, Any]],
        *,
        schema: dict[str, Any] | None = None,
        schema_name: str = "answer",
        attempt: int = 0,
    ) -> dict[str, Any]:
        """The request body. A re-ask (``attempt`` > 0) samples with a little temperature and another
        seed, so it does not repeat the rejected answer word for word."""
        o = self.options
        body: dict[str, Any] = {
            "model": o.model,
            "messages": messages,
            "max_tokens": o.max_tokens,
            "temperature": o.temperature if attempt == 0 else max(o.temperature, 0.3),
            "seed": attempt,
        }
        if schema is not None:
            body["response_format"] = {"type": "json_schema", "json_schema": {"name": schema_name, "schema": schema}}
        return body

    def post(self, body: dict[str, Any]) -> str:
        """One call; the answer's ``choices[0].message.content``. Raises ``ServerUnreachableError``
        (no connection, timeout) or ``BackendError`` (HTTP error, a reply that is not the protocol)."""
        import urllib.error  # here, not at the top: ``import cli.main`` stays fast
        import urllib.request

        o = self.options
        headers = {"Content-Type": "application/json"}
        if o.api_key:
            headers["Authorization"] = f"Bearer {o.api_key}"
        req = urllib.request.Request(
            f"{o.url}/chat/completions", data=json.dumps(body).encode("utf-8"), headers=headers, method="POST"
        )
        try:
            with urllib.request.urlopen(req, timeout=o.timeout) as resp:
                raw = resp.read()
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode("utf-8", "replace")[:200]
            raise ServerHTTPError(f"{o.url}: HTTP {exc.code}: {detail}", exc.code) from None
        except TimeoutError:
            raise ServerUnreachableError(
                f"{o.url}: no answer within {o.timeout:g} s", hint="is the server overloaded? raise timeout"
            ) from None
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError):
                raise ServerUnreachableError(
                    f"{o.url}: no answer within {o.timeout:g} s", hint="is the server overloaded? raise timeout"
                ) from None
            raise ServerUnreachableError(
                f"{o.url}: cannot connect ({exc.reason})", hint="is `vllm serve` running at this URL?"
            ) from None
        except OSError as exc:  # connection reset mid-answer and the like
            raise BackendError(f"{o.url}: the connection failed ({exc})") from None
        try:
            payload = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise BackendError(f"{o.url}: the server's reply is not JSON") from None
        try:
            content = payload["choices"][0]["message"]["content"]
        except (KeyError, IndexError, TypeError):
            raise BackendError(f"{o.url}: reply has no choices[0].message.content") from None
        return content if isinstance(content, str) else ""

    def complete(self, body: dict[str, Any], *, label: str = "request") -> str:
        """``post`` with up to ``retries`` more attempts after a failed call; raises the last error.

        ``label`` names the item in log lines (e.g. ``cue 4``)."""
        attempts = self.options.retries + 1
        for i in range(attempts):
            try:
                return self.post(body)
            except (BackendError, ServerUnreachableError) as exc:
                logger.info("%s: %s", label, exc)
                if i == attempts - 1 or (isinstance(exc, ServerHTTPError) and exc.user_error):
                    raise
        raise AssertionError("unreachable")  # the loop returns or raises

    def map(self, fn: Callable[[T], R], items: Iterable[T], progress: Callable[[], None] | None = None) -> list[R]:
        """``[fn(item) for item in items]``, ``concurrency`` calls at a time, results in input order.

        At most ``2 * concurrency`` items are taken from ``items`` ahead of the finished ones, so a
        lazy iterable (decoded clips) is consumed as the workers need it. An exception of ``fn``
        propagates once the calls in flight have finished."""
        from concurrent.futures import ThreadPoolExecutor

        results: list[R] = []
        width = self.options.concurrency
        pending: list[Future[R]] = []
        with ThreadPoolExecutor(max_workers=width) as pool:
            try:
                for item in items:
                    pending.append(pool.submit(fn, item))
                    if len(pending) >= 2 * width:
                        results.append(pending.pop(0).result())
                        if progress is not None:
                            progress()
                while pending:
                    results.append(pending.pop(0).result())
                    if progress is not None:
                        progress()
            except BaseException:
                for fut in pending:  # calls not yet started are dropped
                    fut.cancel()
                raise
        return results
