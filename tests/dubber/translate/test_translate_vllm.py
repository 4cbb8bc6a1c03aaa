"""The ``vllm`` translator against a loopback server speaking the OpenAI chat-completions protocol
(``chat_server``, tests/dubber/loopback_chat.py). What this proves: what the client sends (the
schema in ``response_format``, dialogue context, speaker attributes, emotion, the length budget,
glossary terms), the re-ask rules (a malformed answer retried, a too-long wording sent back once, a
lost glossary term named once) and the command's failures (timeout, refused connection, lines with
no translation: exit 2, nothing written, finished lines resumed). Not what a real LLM would answer."""

from __future__ import annotations

import json
import re
import time
from collections import defaultdict
from pathlib import Path

from click.testing import CliRunner

from cli.main import main
from dubber.translate import (
    Glossary,
    GlossaryTerm,
    SourceLine,
    TranslationJob,
    create_translator,
    given_rate,
    translate_line,
    translate_lines,
)
from dubber.translate.prompts import ANSWER_SCHEMA, PROMPT_VERSION

LINES = [
    SourceLine("1", "Where were you?", 0.0, 1.5, speaker="RAJ", gender="male", age="adult", emotion="anger"),
    SourceLine("2", "At the market, Prema ji.", 2.0, 4.0, "PREMA", gender="female", age="senior", emotion="joy"),
    SourceLine("3", "You bought me a gift!", 4.5, 6.0, speaker="RAJ"),
]
SHORT = "बाज़ार में, प्रेमा जी।"  # 6 syllables
LONG = "मैं तो सुबह से शाम तक बाज़ार में घूम रही थी, प्रेमा जी, और बहुत सारी चीज़ें देख रही थी।"


def answer(text: str) -> str:
    return json.dumps({"translation": text}, ensure_ascii=False)


class PerLine:
    """Answers by line id (read from the request), one scripted content per request for that line."""

    def __init__(self, script: dict[str, list[str]], default: str = answer("ठीक है।")) -> None:
        self.script = {k: list(v) for k, v in script.items()}
        self.default = default
        self.asked: dict[str, int] = defaultdict(int)

    def __call__(self, body: dict) -> str:
        first_user = next(m["content"] for m in body["messages"] if m["role"] == "user")
        line_id = re.search(r"Translate line (\S+) from", first_user).group(1)
        self.asked[line_id] += 1
        queue = self.script.get(line_id)
        return queue.pop(0) if queue else self.default


def job(**kw) -> TranslationJob:  # noqa: ANN003
    base = {"target_lang": "hi", "source_lang": "en", "rate": given_rate(5.0), "context_before": 1, "context_after": 1}
    return TranslationJob(**(base | kw))


def translator(url: str, **kw):  # noqa: ANN003, ANN201
    return create_translator("vllm", url=url, model="Qwen/Qwen2.5-7B-Instruct", **kw)


def test_request_holds_schema_context_speaker_emotion_budget_and_glossary(chat_server) -> None:
    answers = PerLine({"2": [answer(SHORT)]})
    chat_server.reset()
    chat_server.default = answers
    glossary = Glossary((GlossaryTerm("Prema ji", "प्रेमा जी"),))
    out = translate_lines(LINES, translator(chat_server.url, concurrency=1), job(glossary=glossary))
    assert [t.id for t in out] == ["1", "2", "3"] and out[1].target == SHORT
    body = next(b for b in chat_server.bodies if "Translate line 2 " in b["messages"][1]["content"])
    assert body["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "dubbing_translation", "schema": ANSWER_SCHEMA},
    }
    assert "guided_json" not in body and body["model"] == "Qwen/Qwen2.5-7B-Instruct"
    text = body["messages"][1]["content"]
    assert "from English into Hindi" in text
    assert "Speaker: PREMA (female, senior). Emotion of the line: joy." in text
    assert "1 RAJ: Where were you?" in text and "3 RAJ: You bought me a gift!" in text  # context, window 1
    assert ">>> 2 PREMA: At the market, Prema ji." in text
    # slot 2.0 s at 5 syllables/s: aim 10; the stretch cap (FitCaps().min_ratio 0.8) allows 2.5 s = 12
    assert "slot is 2.00 s" in text and "about 10 syllables" in text and "at most 12 syllables" in text
    assert '"Prema ji" -> "प्रेमा जी"' in text
    t = out[1]
    assert (t.backend, t.prompt_version) == ("vllm", PROMPT_VERSION)
    assert t.model == f"vllm:Qwen/Qwen2.5-7B-Instruct@{chat_server.url}"
    assert t.length.fits and t.glossary_lost == [] and not t.revisions
    assert t.to_dict()["budget"]["max_syllables"] == 12


def test_malformed_answer_is_retried_then_reported(chat_server) -> None:
    chat_server.reset()
    chat_server.default = PerLine({"1": ["Sure! Here it is: तुम कहाँ थे?", answer("तुम कहाँ थे?")]})
    t = translate_line(LINES[0], translator(chat_server.url, retries=2), job())
    assert t.target == "तुम कहाँ थे?" and t.attempts == 2
    assert chat_server.bodies[1]["temperature"] > 0  # the re-ask samples, it does not repeat itself
    chat_server.reset()
    chat_server.default = PerLine({"1": ["not json"] * 3})
    t = translate_line(LINES[0], translator(chat_server.url, retries=2), job())
    assert t.target is None and "malformed answer" in t.error and t.attempts == 3 and len(chat_server.bodies) == 3


def test_too_long_wording_is_sent_back_once(chat_server) -> None:
    answers = PerLine({"2": [answer(LONG), answer(SHORT)]})
    chat_server.reset()
    chat_server.default = answers
    t = translate_line(LINES[1], translator(chat_server.url), job(), before=LINES[:1], after=LINES[2:])
    assert t.target == SHORT and t.first_wording == LONG and t.length.fits
    assert t.revisions == [{"reasons": ["length"], "wording": SHORT}]
    revision = chat_server.bodies[1]["messages"]
    assert [m["role"] for m in revision] == ["system", "user", "assistant", "user"]
    assert LONG in revision[2]["content"] and "at most 12" in revision[3]["content"]
    # still too long after its re-ask: not asked a third time; the shorter wording is kept, reported
    LONGER = LONG + " सच में, बहुत सारी चीज़ें।"
    answers = PerLine({"2": [answer(LONGER), answer(LONG)]})
    chat_server.reset()
    chat_server.default = answers
    t = translate_line(LINES[1], translator(chat_server.url), job())
    assert answers.asked["2"] == 2 and t.target == LONG and t.first_wording == LONGER and t.length.fits is False


def test_lost_glossary_term_is_named_once_then_reported(chat_server) -> None:
    glossary = Glossary((GlossaryTerm("Prema ji", "प्रेमा जी"),))
    chat_server.reset()
    chat_server.default = PerLine({"2": [answer("बाज़ार में, प्रेमा।"), answer(SHORT)]})
    t = translate_line(LINES[1], translator(chat_server.url), job(glossary=glossary))
    assert t.target == SHORT and t.glossary_lost == [] and t.revisions[0]["reasons"] == ["glossary"]
    assert '"Prema ji" -> "प्रेमा जी"' in chat_server.bodies[1]["messages"][-1]["content"]
    answers = PerLine({"2": [answer("बाज़ार में, प्रेमा।"), answer("बाज़ार में।")]})
    chat_server.reset()
    chat_server.default = answers
    t = translate_line(LINES[1], translator(chat_server.url), job(glossary=glossary))
    assert answers.asked["2"] == 2 and t.glossary_lost == ["प्रेमा जी"]


def _script(tmp_path: Path) -> Path:
    src = tmp_path / "ep.en.srt"
    src.write_text(
        "1\n00:00:00,000 --> 00:00:01,500\nRAJ: Where were you?\n\n"
        "2\n00:00:02,000 --> 00:00:04,000\nPREMA: At the market, Prema ji.\n\n"
        "3\n00:00:04,500 --> 00:00:06,000\nRAJ: You bought me a gift!\n",
        encoding="utf-8",
    )
    return src


def _cli(src: Path, url: str, *extra: str):  # noqa: ANN202
    args = ["translate", str(src), "--to", "hi", "--from", "en", "--backend", "vllm", "--url", url]
    return CliRunner().invoke(main, [*args, "--model", "Qwen/Qwen2.5-7B-Instruct", "-q", *extra])


def test_cli_writes_script_and_sidecar_with_attributes(chat_server, tmp_path: Path) -> None:
    src = _script(tmp_path)
    attrs = tmp_path / "attrs.csv"
    attrs.write_text("id,gender,age,emotion\n2,female,senior,joy\n", encoding="utf-8")
    chat_server.reset()
    chat_server.default = PerLine({"2": [answer(LONG), answer(SHORT)]})
    res = _cli(src, chat_server.url, "--attributes", str(attrs), "--rate", "5", "--json")
    assert res.exit_code == 0, res.output
    info = json.loads(res.stdout)
    assert info["summary"]["shortened"] == 1 and info["prompt_version"] == PROMPT_VERSION
    out = (tmp_path / "ep.hi.srt").read_text(encoding="utf-8")
    assert "PREMA: " + SHORT in out and "00:00:02,000 --> 00:00:04,000" in out
    record = json.loads((tmp_path / "ep.hi.srt.translation.json").read_text(encoding="utf-8"))
    assert record["kind"] == "dubkit.translation" and record["schema_version"] == 1
    line = record["lines"][1]
    assert line["first_wording"] == LONG and line["target"] == SHORT and line["length"]["fits"] is True
    assert (
        "female, senior"
        in next(b for b in chat_server.bodies if "line 2 " in b["messages"][1]["content"])["messages"][1]["content"]
    )
    assert not (tmp_path / "ep.hi.srt.translation.partial.jsonl").exists()


def test_cli_failed_lines_exit_2_and_resume(chat_server, tmp_path: Path) -> None:
    src = _script(tmp_path)
    answers = PerLine({"3": ["oops"] * 3})
    chat_server.reset()
    chat_server.default = answers
    res = _cli(src, chat_server.url, "--retries", "2")
    assert res.exit_code == 2
    assert "line 3: no translation: malformed answer" in res.stderr
    assert "not written: 1 line(s) have no translation (ids 3)" in res.stderr.splitlines()[-1]
    assert not (tmp_path / "ep.hi.srt").exists() and not (tmp_path / "ep.hi.srt.translation.json").exists()
    answers = PerLine({})
    chat_server.reset()
    chat_server.default = answers
    res = _cli(src, chat_server.url)
    assert res.exit_code == 0, res.output
    assert dict(answers.asked) == {"3": 1}  # lines 1 and 2 came from the journal
    assert (tmp_path / "ep.hi.srt").exists()


def test_cli_timeout_and_refused_connection_exit_2(chat_server, tmp_path: Path) -> None:
    src = _script(tmp_path)
    chat_server.reset()
    chat_server.default = ("sleep", 1.0, answer("देर से"))
    res = _cli(src, chat_server.url, "--timeout", "0.3", "--retries", "0", "--concurrency", "1")
    assert res.exit_code == 2 and "no answer within 0.3 s" in res.stderr.splitlines()[-1]
    assert not (tmp_path / "ep.hi.srt").exists()
    res = _cli(src, "http://127.0.0.1:9/v1", "--retries", "0")
    assert res.exit_code == 2 and "cannot connect" in res.stderr
    time.sleep(1.0)  # let the slow handlers finish
    chat_server.default = "{}"
