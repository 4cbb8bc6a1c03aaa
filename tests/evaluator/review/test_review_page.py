"""`dubkit review` on a real dub project (the demo episode dubbed with piper, one cue made too tight), opened in
headless Chromium: one row per line, the flagged filter, decodable audio, the linked video, a scripted reviewer's
verdicts round-tripped through `dubkit dub --lines-from`."""

from __future__ import annotations

import dataclasses
import json
import re

import pytest
from click.testing import CliRunner

from cli.main import main
from evaluator.project import load_manifest
from evaluator.script import read_script, write_script

TIGHT_CUE = 2
NOTE = "Too fast: say it in fewer words."


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture(scope="module")
def tight(demo_episode, tmp_path_factory):
    """The demo episode dubbed (piper, no scene reading) from a script whose cue 2 is cut to 1 s, so that its
    line must overrun; a wider slow-down cap (1.6) keeps the other lines off the caps. Scored with the
    manifest's fit metrics; the review page built with those scores."""
    root = tmp_path_factory.mktemp("review")
    cues = read_script(demo_episode.script)
    cues = [dataclasses.replace(c, end=c.start + 1.0) if c.index == TIGHT_CUE else c for c in cues]
    script = root / "tight.en.srt"
    write_script(script, cues)
    out = root / "ep.mp4"
    dub_args = [demo_episode.video, "--script", script, "--source-script", demo_episode.source_script, "-o", out,
                "--cot", "none", "--max-stretch", 1.6]  # fmt: skip
    res = run("dub", *dub_args, "--json")
    assert res.exit_code == 0, res.output
    project = root / "ep.dubkit"
    res = run("score", project, "--out", root / "scores", "--metrics", "slot_error_ms,stretch_ratio", "--quiet")
    assert res.exit_code == 0, res.output
    page = root / "review.html"
    res = run("review", project, "-o", page, "--scores", root / "scores", "--json")
    assert res.exit_code == 0, res.output
    return {"root": root, "project": project, "page": page, "built": json.loads(res.output), "dub_args": dub_args,
            "script": script, "video": demo_episode.video}  # fmt: skip


def test_the_page_holds_every_line_with_its_figures_and_links_the_video(tight):
    built, manifest = tight["built"], load_manifest(tight["project"])
    assert built["lines"] == len(manifest.lines) == 3
    overrun = [ln.index for ln in manifest.lines if ln.fit.overrun_ms > 0]
    assert overrun == [TIGHT_CUE]  # the too-tight cue, and only it
    assert built["flagged"] == 1 and built["flags"]["overrun"] == 1 and built["flags"]["cap"] == 1
    assert built["audio_players"] == 6 and built["audio_format"] == "opus-webm"  # original + dub per line
    html = tight["page"].read_text()
    assert html.count('<article class="line') == 3 and "<script src" not in html
    assert re.search(r'(src|href)="(https?:|//)', html) is None  # nothing fetched from a network
    assert built["video"]["linked"] == str(tight["root"] / "ep.mp4")  # the dubbed episode, by path
    assert 'video/mp4; codecs="avc1.' in built["video"]["type"]
    # the header: synthesizer and model, loudness, the scores' models
    assert "piper:en_US-joe-medium" in html and f"{manifest.mix['dub_lufs']:.1f} LUFS" in html
    assert "dubkit-manifest-fit" in html and "slot_error_ms" in html


@pytest.mark.browser
def test_a_reviewer_filters_listens_and_sends_a_line_back_which_dub_re_renders(tight, chromium, tmp_path):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    d = chromium.driver
    chromium.open(tight["page"], tmp_path / "downloads")
    manifest = load_manifest(tight["project"])

    # one row per line, in time order, and one timeline mark per line (the overrun drawn on the tight one)
    assert [int(r.get_attribute("data-index")) for r in d.find_elements(By.CSS_SELECTOR, "article.line")] == [1, 2, 3]
    assert chromium.js("return document.querySelectorAll('#timeline a[data-index]').length") == 3
    assert chromium.js("return Array.from(document.querySelectorAll('#timeline .tl-over'))"
                       ".map(r => r.parentNode.dataset.index)") == [str(TIGHT_CUE)]  # fmt: skip

    # the flagged filter shows exactly the overrun line
    Select(d.find_element(By.ID, "filter")).select_by_value("flagged")
    shown = [int(r.get_attribute("data-index")) for r in d.find_elements(By.CSS_SELECTOR, "article.line")
             if r.is_displayed()]  # fmt: skip
    assert shown == [TIGHT_CUE] and d.find_element(By.ID, "shown").text == "1 of 3 lines shown"
    Select(d.find_element(By.ID, "filter")).select_by_value("flag:overrun")
    assert chromium.js("return window.dubkitReview.shown()") == [TIGHT_CUE]
    Select(d.find_element(By.ID, "filter")).select_by_value("all")

    # every audio element: a type the browser decodes, and the duration it loads is the span's
    chromium.js("document.querySelectorAll('audio').forEach(m => { m.preload = 'auto'; m.load(); })")
    chromium.wait(lambda: all(r["ready"] >= 1 for r in chromium.media_report()), what="audio metadata")
    report = chromium.media_report()
    assert len(report) == 6 and all(r["kind"] == "audio" and r["can"] == "probably" and r["error"] is None
                                    for r in report)  # fmt: skip
    by_line = {ln.index: ln for ln in manifest.lines}
    expected = [x for i in (1, 2, 3) for x in (by_line[i].slot, by_line[i].fit.duration)]  # original, dub
    assert [r["duration"] for r in report] == pytest.approx(expected, abs=0.06)

    # the linked video of the tight line: playable here, and it opens at the line's time
    d.find_element(By.CSS_SELECTOR, f"#line-{TIGHT_CUE} .show-video").click()
    video = f"document.querySelector('#line-{TIGHT_CUE} video')"
    assert chromium.js(f"return {video}.canPlayType({video}.querySelector('source').type)") == "probably"
    chromium.wait(lambda: chromium.js(f"return {video}.readyState") >= 1, what="the video")
    assert chromium.js(f"return {video}.currentTime") == pytest.approx(by_line[TIGHT_CUE].start, abs=0.05)

    # a click on the timeline goes to the line's row
    d.find_element(By.CSS_SELECTOR, "#timeline a[data-index='3'] .tl-dub").click()
    assert chromium.js("return document.querySelector('article.current').dataset.index") == "3"
    assert chromium.js("const r = document.getElementById('line-3').getBoundingClientRect(); "
                       "return r.top >= 0 && r.top < innerHeight")  # fmt: skip

    # keyboard: J goes to the (only) flagged line, B back to the line before it, A approves that one
    d.find_element(By.TAG_NAME, "h1").click()
    ActionChains(d).send_keys("j").perform()
    assert chromium.js("return document.querySelector('article.current').dataset.index") == str(TIGHT_CUE)
    ActionChains(d).send_keys("b").perform()
    assert chromium.js("return document.querySelector('article.current').dataset.index") == "1"
    ActionChains(d).send_keys("a").perform()
    # the mouse: re-render on the tight line, and a note
    d.find_element(By.CSS_SELECTOR, f"input[name='verdict-{TIGHT_CUE}'][value='rerender']").click()
    d.find_element(By.ID, f"note-{TIGHT_CUE}").send_keys(NOTE)
    assert d.find_element(By.ID, "verdict-count").text == "1 approved, 1 to re-render, 1 note(s)"
    chromium.js("window.scrollTo(0, 0)")
    chromium.screenshot("review_page")

    # the verdicts survive a reload (localStorage, keyed by the project)
    d.get(tight["page"].resolve().as_uri())
    assert d.find_element(By.CSS_SELECTOR, f"input[name='verdict-{TIGHT_CUE}'][value='rerender']").is_selected()
    assert d.find_element(By.ID, f"note-{TIGHT_CUE}").get_attribute("value") == NOTE
    d.find_element(By.ID, "export").click()
    verdicts = chromium.wait_download("ep.dubkit.verdicts.json")
    exported = json.loads(verdicts.read_text())
    assert exported["kind"] == "dubkit.review.verdicts" and exported["schema_version"] == 1
    assert exported["project"]["name"] == "ep.dubkit" and exported["inputs"] == {
        k: manifest.inputs[k] for k in ("video_sha256", "script_sha256")
    }
    assert [(v["index"], v["verdict"], v["note"]) for v in exported["lines"]] == [
        (1, "approve", ""), (TIGHT_CUE, "rerender", NOTE)
    ]  # fmt: skip

    # `dubkit dub --lines-from`: exactly the line sent back is rendered again, and its note is recorded
    res = run("dub", *tight["dub_args"], "--lines-from", verdicts, "--json")
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)
    assert [f["index"] for f in summary["fit"] if f["rendered"]] == [TIGHT_CUE]
    after = load_manifest(tight["project"])
    assert {ln.index: ln.notes for ln in after.lines} == {1: [], TIGHT_CUE: [NOTE], 3: []}
    again = run("dub", *tight["dub_args"], "--json")  # a plain re-run keeps the note and renders nothing
    assert json.loads(again.stdout)["rendered"] == 0
    assert load_manifest(tight["project"]).line(TIGHT_CUE).notes == [NOTE]


@pytest.mark.browser
def test_a_verdict_on_an_earlier_render_is_set_aside(tight, chromium, tmp_path):
    from selenium.webdriver.common.by import By

    chromium.open(tight["page"], tmp_path / "dl")
    key = chromium.js("return dk.data().storage_key")
    chromium.js("localStorage.setItem(arguments[0], JSON.stringify({version: 1, lines: {'3': "
                "{verdict: 'rerender', note: 'old', render: 'not-this-render'}}}))", key)  # fmt: skip
    chromium.driver.get(tight["page"].resolve().as_uri())
    stale = chromium.driver.find_element(By.ID, "stale")
    assert stale.is_displayed() and "cue(s) 3" in stale.text
    assert chromium.js("return window.dubkitReview.verdicts().lines") == []
    assert chromium.driver.find_element(By.CSS_SELECTOR, "input[name='verdict-3'][value='']").is_selected()
    chromium.js("localStorage.clear()")


def test_verdict_files_for_another_episode_or_unknown_cues_are_refused(tight, tmp_path):
    manifest = load_manifest(tight["project"])
    good = {
        "kind": "dubkit.review.verdicts", "schema_version": 1,
        "project": {"name": "ep.dubkit", "lang": "en"},
        "inputs": {k: manifest.inputs[k] for k in ("video_sha256", "script_sha256")},
        "lines": [{"index": 1, "start": manifest.line(1).start, "end": manifest.line(1).end, "verdict": "rerender"}],
    }  # fmt: skip

    def refused(name: str, data: dict) -> str:
        path = tmp_path / name
        path.write_text(json.dumps(data))
        res = run("dub", *tight["dub_args"], "--lines-from", path)
        assert res.exit_code == 2, res.output
        assert "Traceback" not in res.output
        return res.output

    other = {**good, "inputs": {**good["inputs"], "video_sha256": "0" * 64}}
    assert "--lines-from: made for another episode (project ep.dubkit" in refused("other.json", other)
    hindi = {**good, "project": {"name": "ep.dubkit", "lang": "hi"}}
    assert "made for the 'hi' dub of this video" in refused("hi.json", hindi)
    unknown = {**good, "lines": [*good["lines"], {"index": 9, "start": 20.0, "end": 21.0, "verdict": "rerender"}]}
    assert "names cue(s) 9 that the script does not have (its cues are numbered 1-3)" in refused("9.json", unknown)
    moved = {**good, "inputs": {**good["inputs"], "script_sha256": "f" * 64},
             "lines": [{**good["lines"][0], "start": 0.5}]}  # fmt: skip
    assert "the script changed since the review and cue 1 moved" in refused("moved.json", moved)
    assert "not a dubkit verdict file" in refused("kind.json", {**good, "kind": "dubkit.project"})
    bad = {**good, "lines": [{**good["lines"][0], "verdict": "maybe"}]}
    assert "'maybe' is not one of 'approve', 'rerender'" in refused("bad.json", bad)
    twice = {**good, "lines": [good["lines"][0], good["lines"][0]]}
    assert "cue 1 is listed twice" in refused("twice.json", twice)


def test_candidates_with_their_audio_and_a_threshold_on_a_named_score(tight, tmp_path):
    """A project that kept candidates (the generate-score loop's record, set here on the real project's lines
    with real audio): each candidate gets a player and its scorer's models; a threshold flags by name."""
    import shutil

    from evaluator.project import Candidate, LineScore, save_manifest

    project = tmp_path / "cands.dubkit"
    shutil.copytree(tight["project"], project)
    m = load_manifest(project)
    metric = {"value": 0.5, "backend": "resemblyzer", "model_id": "resemblyzer-ge2e-256"}
    for ln in m.lines:
        ln.candidates = [
            Candidate(seed=k, score=s, scores={"spk_sim": metric}, chosen=k == 1, passed=s >= 0.55, audio=ln.audio)
            for k, s in ((0, 0.4), (1, 0.6 if ln.index != 3 else 0.5))
        ]
        best = max(c.score for c in ln.candidates)
        ln.score = LineScore(value=best, scorer="proxy-v1", passed=best >= 0.55, rounds=1, details={"spk_sim": metric})
    save_manifest(project, m)
    page = tmp_path / "c.html"
    res = run("review", project, "-o", page, "--min-score", "0.55", "--json")
    assert res.exit_code == 0, res.output
    built = json.loads(res.output)
    assert built["audio_players"] == 12  # original, dub and two candidates per line
    assert built["flags"]["score"] == 1 and built["flags"]["failed"] == 1  # line 3: 0.5 < 0.55, none passed
    html = page.read_text()
    assert html.count('class="candidate"') == 6 and "resemblyzer-ge2e-256" in html and "(kept)" in html
    res = run("review", project, "-o", page, "--min-score", "proxy_mos=3")
    assert res.exit_code == 2 and "'proxy_mos', a score no line has" in res.output
    res = run(
        "review", tight["project"], "-o", page, "--scores", tight["root"] / "scores", "--min-score", "slot_error_ms=5"
    )
    assert res.exit_code == 2 and "lower slot_error_ms is better" in res.output


def test_review_refuses_what_it_cannot_show(tight, tmp_path):
    res = run("review", tmp_path, "-o", tmp_path / "x.html")
    assert res.exit_code == 2 and "no such manifest" in res.output
    (tmp_path / "scores.jsonl").write_text('{"id": "other.dubkit#1", "kind": "line", "metrics": {}}\n')
    res = run("review", tight["project"], "-o", tmp_path / "x.html", "--scores", tmp_path)
    assert res.exit_code == 2 and "no rows for project 'ep.dubkit' (its rows are for other.dubkit)" in res.output
    res = run("review", tight["project"], "-o", tmp_path / "x.html", "--min-score", "fast")
    assert res.exit_code == 2 and "expected a number or NAME=NUMBER" in res.output
    assert not (tmp_path / "x.html").exists()


def test_docstring_examples_hold():
    import doctest

    from evaluator.review import flags, scores, verdicts, video, view

    for module in (flags, scores, verdicts, video, view):
        assert doctest.testmod(module).failed == 0, module.__name__


def test_preview_video_burns_in_subtitles_speakers_and_flags(tight, tmp_path):
    import numpy as np

    from evaluator.media import probe
    from evaluator.media.frames import read_frames

    page = tmp_path / "r.html"
    res = run("review", tight["project"], "-o", page, "--preview", "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    preview = tmp_path / "r.preview.mp4"
    assert out["preview"]["preview"] == str(preview) and "r.preview.mp4" in page.read_text()  # linked from the page
    info, src = probe(preview), probe(tight["root"] / "ep.mp4")
    assert (info.video.width, info.video.height) == (300, 360) and info.video.codec == "h264"  # 320x384 scaled down
    assert info.audio.codec == "aac" and info.duration == pytest.approx(src.duration, abs=0.2)
    size = (300, 360)
    manifest = load_manifest(tight["project"])
    line1, tight_line = manifest.line(1), manifest.line(TIGHT_CUE)

    def diff(t: float, rows: slice) -> float:
        """Mean difference between the preview and the dubbed video (scaled alike) over some pixel rows."""
        a = read_frames(preview, start=t, end=t + 0.1, size=size)[0].astype(float)
        b = read_frames(tight["root"] / "ep.mp4", start=t, end=t + 0.1, size=size)[0].astype(float)
        return float(np.abs(a - b)[rows].mean())

    bottom, top = slice(300, 360), slice(0, 50)
    quiet = 0.4  # no line is on screen yet
    during = (line1.fit.placed_start + line1.fit.placed_end) / 2
    # measured: about 4-5 where nothing is burned in (compression), 23-25 under a subtitle, 70 under a banner
    assert diff(quiet, bottom) < 8 < 15 < diff(during, bottom)  # the subtitle: only while its line plays
    assert diff(during, top) < 8 < 40 < diff(tight_line.start + 0.3, top)  # the banner: only over a flagged line


def test_review_colours_are_the_kits_so_its_contrast_test_covers_them():
    from evaluator.html.page import ASSETS
    from evaluator.review.page import HERE
    from evaluator.review.preview import FLAG_COLOUR

    css = (HERE / "review_page.css").read_text()
    screen = css.split("@media print")[0]
    colours = re.findall(r"(?<![-\w])(?:color|fill|stroke|background)\s*:\s*([^;]+);", screen)
    # kit variables only (and black behind the video, which carries no text)
    assert colours and all(c.startswith("var(--") or c in ("none", "#000000") for c in colours), colours
    kit_bad = re.search(r"--bad:\s*#([0-9a-f]{6});", (ASSETS / "kit.css").read_text()).group(1)
    assert tuple(int(kit_bad[i : i + 2], 16) for i in (0, 2, 4)) == FLAG_COLOUR  # the preview's banner


@pytest.mark.browser
def test_every_control_has_a_name_and_print_shows_lines_and_verdicts_without_controls(tight, chromium, tmp_path):
    from selenium.webdriver.common.by import By

    chromium.open(tight["page"], tmp_path / "dl")
    d = chromium.driver
    unnamed = chromium.js("""
        return Array.from(document.querySelectorAll('button, select, input, textarea, audio, video, #timeline a'))
          .filter(el => !((el.labels && el.labels.length) || el.getAttribute('aria-label') ||
                          el.getAttribute('aria-labelledby') || el.textContent.trim()))
          .map(el => el.outerHTML.slice(0, 80));""")
    assert unnamed == []
    d.find_element(By.CSS_SELECTOR, "input[name='verdict-3'][value='approve']").click()
    d.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        shown = chromium.js("""
            const shown = el => getComputedStyle(el).display !== 'none';
            const q = s => document.querySelector(s);
            return {toolbar: shown(q('.toolbar')), verdict: shown(q('.verdict')), audio: shown(q('audio')),
                    lines: document.querySelectorAll('article.line').length,
                    printed: q('#line-3 .verdict-print').innerText};""")  # fmt: skip
    finally:
        d.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
        chromium.js("localStorage.clear()")
    assert shown == {"toolbar": False, "verdict": False, "audio": False, "lines": 3, "printed": "Verdict: approve"}
