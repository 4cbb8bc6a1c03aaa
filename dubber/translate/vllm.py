"""``vllm``: creative, length-aware translation by an LLM behind an OpenAI-compatible server.

Each request holds the line, its neighbours as dialogue context, the speaker's name, gender and age,
the line's emotion, the length budget and the glossary terms of the line (``prompts.py``); the
answer is constrained by a JSON schema (``response_format``). A malformed answer is asked again (up
to ``retries`` times); a wording that loses a glossary term or is too long for the slot is sent
back once with the problem named (``revise``). Requests go through the shared
``dubber.chat_client.ChatClient`` (timeout, retries of failed calls, ``concurrency`` lines at once).

Serve an instruction model, e.g.::

    vllm serve Qwen/Qwen2.5-7B-Instruct --max-model-len 8192

then ``dubkit translate EP.en.srt --to hi --backend vllm --url http://HOST:8000/v1
--model Qwen/Qwen2.5-7B-Instruct``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from dubber.chat_client import ChatClient, ChatOptions, ServerHTTPError, ServerUnreachableError, chat_options
from dubber.translate import prompts
from dubber.translate.base import Draft, Feedback, LineRequest, Translator
from evaluator.errors import BackendError, ConfigError

logger = logging.getLogger(__name__)


class VLLMTranslator(Translator):
    """Translation by a chat model; ``options`` as ``dubber.chat_client.ChatOptions`` (``None``: default)."""

    name = "vllm"
    prompt_version = prompts.PROMPT_VERSION
    uses_context = True
    can_revise = True

    def __init__(
        self,
        url: str | None = None,
        model: str | None = None,
        *,
        options: ChatOptions | None = None,
        structured: bool = True,
        timeout: float | None = None,
        retries: int | None = None,
        concurrency: int | None = None,
        max_tokens: int | None = None,
        temperature: float | None = None,
        api_key: str | None = None,
    ) -> None:
        """Either ``url`` and ``model`` (and any other ``ChatOptions`` field), or a ready ``options``
        (one configuration shared with the other stages that talk to the server)."""
        if options is None:
            chat = {"timeout": timeout, "retries": retries, "concurrency": concurrency, "max_tokens": max_tokens}
            options = chat_options(url, model, **chat, temperature=temperature, api_key=api_key)
        elif url is not None or model is not None:
            raise ConfigError("give the vllm translator either options or url and model, not both")
        self.client = ChatClient(options)
        self.structured = structured

    @property
    def options(self) -> ChatOptions:
        return self.client.options

    @property
    def model_id(self) -> str:
        return self.client.model_id

    @property
    def chunk_size(self) -> int:  # type: ignore[override]
        return 4 * self.options.concurrency

    def body(self, messages: list[dict[str, Any]], attempt: int) -> dict[str, Any]:
        schema = prompts.ANSWER_SCHEMA if self.structured else None
        return self.client.body(messages, schema=schema, schema_name="dubbing_translation", attempt=attempt)

    def _ask(self, messages: list[dict[str, Any]], label: str) -> Draft:
        """Ask until the answer parses (at most ``retries + 1`` times). A server that cannot be reached
        or refuses the request stops the run; another failed call leaves this line without wording."""
        problems: list[str] = []
        for attempt in range(self.options.retries + 1):
            try:
                content = self.client.complete(self.body(messages, attempt), label=label)
            except ServerUnreachableError:
                raise
            except ServerHTTPError as exc:
                if exc.user_error:
                    raise
                return Draft(None, attempts=attempt + 1, error=str(exc))
            except BackendError as exc:
                return Draft(None, attempts=attempt + 1, error=str(exc))
            try:
                return Draft(prompts.parse_answer(content), attempts=attempt + 1)
            except prompts.AnswerFormatError as exc:
                problems.append(str(exc))
                logger.info("%s: answer rejected (attempt %d): %s", label, attempt + 1, exc)
        return Draft(None, attempts=self.options.retries + 1, error=f"malformed answer: {problems[-1]}")

    def draft(self, requests: Sequence[LineRequest]) -> list[Draft]:
        return self.client.map(lambda r: self._ask(prompts.messages(r), f"line {r.line.id}"), requests)

    def revise(self, items: Sequence[tuple[LineRequest, Draft, Feedback]]) -> list[Draft]:
        return self.client.map(
            lambda it: self._ask(prompts.revision_messages(*it), f"line {it[0].line.id} (revision)"), items
        )
