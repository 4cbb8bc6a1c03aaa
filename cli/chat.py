"""Command-line options of the commands that talk to a chat-completions server (vLLM).

Not given, an option is ``None`` and the default of ``dubber.chat_client.ChatOptions`` applies (its
one home); the help shows it.
"""

from __future__ import annotations

import click


def chat_client_options(func):  # noqa: ANN001, ANN202 - click decorator stack
    """``--concurrency``, ``--timeout`` and ``--retries`` of a command that talks to a chat server;
    not given, they are ``None`` and ``ChatOptions``' defaults apply (shown in the help)."""
    from dubber.chat_client import default_of

    opts = [
        click.option(name, type=kind, default=None, help=f"{text} [default: {default_of(field)}]")
        for name, kind, field, text in (
            ("--concurrency", int, "concurrency", "Parallel requests (vllm)."),
            ("--timeout", float, "timeout", "Seconds per request (vllm)."),
            ("--retries", int, "retries", "Re-asks after a failed or malformed answer."),
        )
    ]
    for opt in reversed(opts):
        func = opt(func)
    return func
