"""The listening test page: built from a CLIPS.csv and the ids `ratings next` picked, filled in headless Chromium
by two scripted raters (keyboard and mouse), exported CSVs imported with `dubkit ratings import`."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
from click.testing import CliRunner

from cli.main import main
from dubber.synth import SynthRequest
from evaluator.dubscore.rating_page import default_repeats, read_picks, select
from evaluator.dubscore.ratings import ASPECTS, COLUMNS, Ratings
from evaluator.errors import ConfigError

SENTENCES = ["Good morning.", "The port is closed.", "We leave at six.", "See you at the station.", "All right."]
#: the clips' "true" quality, which the scripted raters hear
QUALITY = {"a0": 5, "a1": 4, "a2": 2, "a3": 1, "a4": 3, "v0": 4, "v1": 2}
MEDIA = "document.querySelector('#media-slot > *')"
LOADED = f"const m = {MEDIA}; return m && m.readyState >= 1"


@pytest.fixture(scope="module")
def clips(tmp_path_factory, espeak):
    """Five speech clips (espeak, noise by quality), a video with a separate dub track, a video with its own sound."""
    from evaluator.impairments import add_noise
    from evaluator.media import resample, write_wav
    from evaluator.media.tools import binary, run

    root = tmp_path_factory.mktemp("rating_clips")
    rows = ["id,audio,video,text,start,end"]
    for i, text in enumerate(SENTENCES):
        s = espeak.synthesize(SynthRequest(text, "en"))
        x = resample(s.audio, s.sr, 16000)
        write_wav(root / f"a{i}.wav", add_noise(x, [40, 30, 10, 0, 20][i], seed=i), 16000)
        rows.append(f"a{i},a{i}.wav,,{text},,")
    ff = [binary("ffmpeg"), "-nostdin", "-v", "error", "-y"]
    run([*ff, "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-t", "3", "-pix_fmt", "yuv420p",
         str(root / "picture.mp4")], what="test video")  # fmt: skip
    run([*ff, "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-f", "lavfi", "-i", "sine=frequency=220",
         "-t", "2", "-pix_fmt", "yuv420p", "-shortest", str(root / "dubbed.mp4")], what="test video")  # fmt: skip
    rows.append("v0,a0.wav,picture.mp4,,0.5,2.0")  # the dub over a span of another file's picture
    rows.append("v1,dubbed.mp4,,,,")  # a dubbed video: its own picture and sound
    (root / "clips.csv").write_text("\n".join(rows) + "\n")
    (root / "picked.txt").write_text("# dubkit ratings next\na0\na1\na2\na3\nv0\nv1\n")  # a4 not picked
    return root


def _choice(driver, aspect: str, value: int):
    """The label (the clickable box) of ``value`` on ``aspect``'s scale."""
    from selenium.webdriver.common.by import By

    return driver.find_element(By.CSS_SELECTOR, f"#aspect-{aspect} input[value='{value}']").find_element(By.XPATH, "..")


def _rate(browser, rater: str, quality: dict[str, int], offset: int, *, keyboard: bool, shot: str | None):
    """Fill the page as ``rater``: play each clip to the end, rate it (quality + offset, a repeat one point
    lower on the first repeat), move on; return what the page's media elements reported."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    d = browser.driver
    box = d.find_element(By.ID, "rater-id")
    box.clear()
    box.send_keys(rater, Keys.ENTER)
    plan = browser.js("return window.dubkitRating.plan(arguments[0])", rater)
    media = []
    first_repeat = True
    for pos, trial in enumerate(plan):
        browser.wait(lambda p=pos: browser.js("return document.getElementById('trial-pos').textContent") == str(p + 1))
        browser.wait(lambda: browser.js(LOADED), what="media metadata")
        media += browser.media_report()
        browser.js(f"{MEDIA}.playbackRate = 16")
        v = int(np.clip(quality[trial["clip"]] + offset, 1, 5))
        if trial["repeat"] and first_repeat:
            v, first_repeat = max(1, v - 1), False
        values = [v, v, max(1, v - 1), v, v, min(5, v + 1)]
        if keyboard:
            ActionChains(d).send_keys("p").perform()
            browser.wait(lambda: "Played to the end" in d.find_element(By.ID, "heard").text, what="the clip's end")
            ActionChains(d).send_keys("".join(map(str, values))).perform()
            if shot and pos == 1:
                browser.screenshot(shot)
            ActionChains(d).send_keys(Keys.ENTER).perform()
        else:
            d.find_element(By.ID, "play-button").click()
            for key, value in zip(ASPECTS, values, strict=True):
                _choice(d, key, value).click()
            browser.wait(lambda: d.find_element(By.ID, "next-button").is_enabled(), what="the next button")
            d.find_element(By.ID, "next-button").click()
    browser.wait(lambda: d.find_element(By.ID, "done").is_displayed(), what="the end of the test")
    return plan, media


@pytest.mark.browser
def test_two_raters_fill_the_page_and_their_csvs_import_with_reliability(clips, chromium, tmp_path):
    from selenium.webdriver.common.by import By

    runner = CliRunner()
    page = tmp_path / "test.html"
    res = runner.invoke(main, ["ratings", "page", str(clips / "clips.csv"), "--pick", str(clips / "picked.txt"),
                               "-o", str(page), "--json"])  # fmt: skip
    assert res.exit_code == 0, res.output
    built = json.loads(res.output)
    assert built["clips"] == 6 and built["repeats"] == 2 and built["video_clips"] == 2
    assert built["trials_per_rater"] == 8 and page.stat().st_size == built["bytes"]
    html = page.read_text()
    assert "http://" not in html and "https://" not in html and "<script src" not in html  # nothing fetched

    chromium.open(page, tmp_path / "downloads")
    chromium.screenshot("rating_page_start")
    plans, reports = {}, []
    for rater, offset, keyboard in (("alice", 0, True), ("bob", -1, False)):
        chromium.driver.get(page.resolve().as_uri())  # a fresh page per rater (as on their own machine)
        plans[rater], media = _rate(chromium, rater, QUALITY, offset, keyboard=keyboard,
                                    shot="rating_page_trial" if keyboard else None)  # fmt: skip
        reports += media
        if keyboard:
            chromium.screenshot("rating_page_done")
        chromium.driver.find_element(By.ID, "download-button").click()
        chromium.wait_download(f"ratings_{rater}.csv")

    # every clip was decodable: canPlayType says so and the browser loaded a duration
    assert len(reports) == 16 and {r["kind"] for r in reports} == {"audio", "video"}
    for r in reports:
        assert r["can"] == "probably" and r["duration"] > 0.5 and r["error"] is None, r

    # orders: seeded by the rater id (reproducible after a reload), different between raters
    chromium.driver.get(page.resolve().as_uri())
    assert chromium.js("return window.dubkitRating.plan('alice')") == plans["alice"]
    assert [t["clip"] for t in plans["alice"]] != [t["clip"] for t in plans["bob"]]
    for plan in plans.values():
        assert sorted({t["clip"] for t in plan}) == ["a0", "a1", "a2", "a3", "v0", "v1"]
        repeated = [i for i, t in enumerate(plan) if t["repeat"]]
        assert len(repeated) == 2
        for i in repeated:  # at least two clips after the first showing
            first = next(j for j, t in enumerate(plan) if t["clip"] == plan[i]["clip"] and not t["repeat"])
            assert i - first >= 2

    files = [tmp_path / "downloads" / f"ratings_{r}.csv" for r in ("alice", "bob")]
    for f, rater in zip(files, ("alice", "bob"), strict=True):
        rows = list(csv.DictReader(f.open(newline="")))
        assert tuple(rows[0]) == COLUMNS and len(rows) == 8
        assert [r["clip"] for r in rows] == [t["clip"] for t in plans[rater]]  # the CSV lists the trials in order
        assert {r["rater"] for r in rows} == {rater}

    res = runner.invoke(main, ["ratings", "import", *map(str, files), "-o", str(tmp_path / "out"), "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    rel, con = out["reliability"], out["consistency"]
    assert rel["clips"] == 6 and rel["raters"] == 2 and rel["ratings"] == 12 and rel["complete_clips"] == 6
    # bob rates one point lower: consistent (ICC(1) ignores no offset, ICC(2) penalises it less than chance)
    assert rel["icc1"] > 0.6 and rel["icc2"] > 0.6 and rel["alpha_raters"] > 0.9 and rel["alpha_aspects"] > 0.9
    assert con["pairs"] == 4 and con["raters"]["alice"]["mean_abs_diff"] == pytest.approx(0.5)
    mos = json.loads((tmp_path / "out" / "mos.json").read_text())
    assert mos["a0"]["mos"] > mos["a3"]["mos"] and mos["a0"]["n"] == 2  # repeats count in no MOS
    text = runner.invoke(main, ["ratings", "import", *map(str, files), "-o", str(tmp_path / "out2")])
    assert "icc1" in text.output and "repeated clips: 4 pairs" in text.output


@pytest.mark.browser
def test_a_rater_resumes_where_they_stopped_and_a_bad_id_is_refused(clips, chromium, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    page = tmp_path / "test.html"
    res = CliRunner().invoke(main, ["ratings", "page", str(clips / "clips.csv"), "-o", str(page), "--repeats", "0",
                                    "--quiet"])  # fmt: skip
    assert res.exit_code == 0, res.output
    chromium.open(page, tmp_path / "dl")
    d = chromium.driver
    d.find_element(By.ID, "rater-id").send_keys("no spaces allowed", Keys.ENTER)
    assert "letters, digits" in d.find_element(By.ID, "start-error").text
    assert not d.find_element(By.ID, "trial").is_displayed()
    d.find_element(By.ID, "rater-id").clear()
    d.find_element(By.ID, "rater-id").send_keys("carol", Keys.ENTER)
    for _ in range(2):  # rate two clips: listened to the end, six aspects
        chromium.wait(lambda: chromium.js(LOADED), what="media metadata")
        chromium.js(f"const m = {MEDIA}; m.playbackRate = 16; m.play()")
        chromium.wait(lambda: d.find_element(By.ID, "heard").text == "Played to the end.")
        assert not d.find_element(By.ID, "next-button").is_enabled()  # not before all six aspects
        for key in ASPECTS:
            _choice(d, key, 3).click()
        d.find_element(By.ID, "next-button").click()
    d.get(page.resolve().as_uri())
    d.find_element(By.ID, "rater-id").send_keys("carol", Keys.ENTER)
    assert d.find_element(By.ID, "trial-pos").text == "3"
    assert d.find_element(By.ID, "trial-title").text.endswith("of 7")


def test_picks_file_formats_and_unknown_ids(tmp_path) -> None:
    (tmp_path / "ids.txt").write_text("# picked\nc3\n\nc1\n")
    (tmp_path / "next.json").write_text(json.dumps({"next": ["c2"], "rated": 4}))
    assert read_picks(tmp_path / "ids.txt") == ["c3", "c1"]
    assert read_picks(tmp_path / "next.json") == ["c2"]
    (tmp_path / "dup.txt").write_text("c1\nc1\n")
    with pytest.raises(ConfigError, match="listed twice: c1"):
        read_picks(tmp_path / "dup.txt")
    from evaluator.metrics.item import ScoreItem

    items = [ScoreItem("c1"), ScoreItem("c2"), ScoreItem("c3")]
    assert [i.id for i in select(items, ["c3", "c1"])] == ["c3", "c1"]
    with pytest.raises(ConfigError, match="no clip with id 'c9'"):
        select(items, ["c1", "c9"], where="clips.csv")
    assert [default_repeats(n) for n in (2, 4, 25, 200)] == [0, 2, 3, 10]


def test_ratings_from_several_files_keep_repeats_apart_and_refuse_a_double_rating(tmp_path) -> None:
    head = "clip,rater,overall,sync,speaker,clarity,emotion,prosody,repeat\n"
    (tmp_path / "a.csv").write_text(head + "c0,a,4,4,4,4,4,4,0\nc1,a,2,2,2,2,2,2,0\nc0,a,2,,,,,,1\n")
    (tmp_path / "b.csv").write_text("clip,rater,overall\nc0,b,5\nc1,b,1\n")
    r = Ratings.read(tmp_path / "a.csv", tmp_path / "b.csv")
    assert len(r.rows) == 4 and len(r.repeats) == 1
    assert r.mos()["c0"] == pytest.approx({"mos": 4.5, "n": 2, "ci95": 0.98, "sync": 4, "speaker": 4,
                                           "clarity": 4, "emotion": 4, "prosody": 4})  # fmt: skip
    c = r.consistency()
    assert c["pairs"] == 1 and c["mean_abs_diff"] == 2.0 and c["within_1"] == 0.0 and set(c["raters"]) == {"a"}
    assert Ratings.read(tmp_path / "b.csv").consistency() is None
    (tmp_path / "twice.csv").write_text("clip,rater,overall\nc0,b,3\n")
    twice = r"twice.csv: line 2: clip 'c0' rated twice by rater 'b' \(first at .*b.csv: line 2\)"
    with pytest.raises(ConfigError, match=twice):
        Ratings.read(tmp_path / "b.csv", tmp_path / "twice.csv")
    (tmp_path / "flag.csv").write_text("clip,rater,overall,repeat\nc0,b,3,yes\n")
    with pytest.raises(ConfigError, match="repeat='yes' is not 0 or 1"):
        Ratings.read(tmp_path / "flag.csv")
