"""`dubkit compare --html`: the leaderboard page in headless Chromium (rows, best marks, plots, sorting, print)."""

from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner

from cli.main import main


def _system(d, offset: float, ratio: float, n: int = 8, with_mos: bool = True):
    d.mkdir()
    rows = []
    for i in range(n):
        metrics = {
            "wer": {"value": 0.1 + offset + 0.01 * i, "backend": "pocketsphinx", "model_id": "cmusphinx-en-us-5.2"},
            "dnsmos_ovrl": {"value": 3.0 - offset + 0.02 * i, "backend": "speechmos", "model_id": "dnsmos-p835"},
            "stretch_ratio": {"value": ratio + 0.01 * (i % 3), "backend": "manifest", "model_id": "manifest"},
        }
        if with_mos:
            metrics["proxy_mos"] = {"value": 4.0 - offset * 3 + 0.05 * i, "backend": "proxy", "model_id": "equal"}
        rows.append(json.dumps({"id": f"c{i}", "kind": "clip", "metrics": metrics}))
    (d / "scores.jsonl").write_text("\n".join(rows) + "\n")
    specs = {
        "wer": {"higher_is_better": False, "model_id": "cmusphinx-en-us-5.2", "backend": "pocketsphinx"},
        "dnsmos_ovrl": {"higher_is_better": True, "model_id": "dnsmos-p835", "backend": "speechmos"},
        "stretch_ratio": {"higher_is_better": False, "target": 1.0, "target_distance": "log", "model_id": "manifest"},
    }
    (d / "summary.json").write_text(json.dumps({"specs": specs}))
    return d


@pytest.fixture()
def leaderboard(tmp_path):
    systems = {
        "good": _system(tmp_path / "good", 0.0, 1.02),
        "middle": _system(tmp_path / "middle", 0.1, 0.9),
        "bad": _system(tmp_path / "bad", 0.3, 1.3, with_mos=False),
    }
    (tmp_path / "systems.yaml").write_text("".join(f"{k}: {v}\n" for k, v in systems.items()))
    out = tmp_path / "cmp"
    res = CliRunner().invoke(main, ["compare", str(tmp_path / "systems.yaml"), "--out", str(out), "--html", "--json"])
    assert res.exit_code == 0, res.output
    table = json.loads(res.output)
    assert str(out / "leaderboard.html") in table["files"]
    return out, table


def test_the_page_is_self_contained_and_names_every_model(leaderboard):
    out, table = leaderboard
    html = (out / "leaderboard.html").read_text()
    assert "http://" not in html and "https://" not in html and "<script src" not in html and "<link" not in html
    assert html.count('src="data:image/png;base64,') == 2
    for model in ("cmusphinx-en-us-5.2", "dnsmos-p835", "manifest"):
        assert model in html
    assert "model not recorded" in html  # proxy_mos has no spec in these summaries: said, not hidden
    assert "@media print" in html
    text = CliRunner().invoke(main, ["compare", str(out.parent / "good"), str(out.parent / "bad"), "--out",
                                     str(out.parent / "plain")])  # fmt: skip
    assert text.exit_code == 0 and not (out.parent / "plain" / "leaderboard.html").exists()  # only with --html


@pytest.mark.browser
def test_one_row_per_system_best_marked_plots_load_sorting_and_print(leaderboard, chromium, tmp_path):
    from selenium.webdriver.common.by import By

    out, table = leaderboard
    chromium.open(out / "leaderboard.html", tmp_path / "dl")
    d = chromium.driver
    rows = d.find_elements(By.CSS_SELECTOR, "#leaderboard tbody tr")
    assert [r.get_attribute("data-system") for r in rows] == ["good", "middle", "bad"]
    heads = [h.text for h in d.find_elements(By.CSS_SELECTOR, "#leaderboard thead th")]
    assert heads == ["System", "Best on", "wer ↓", "dnsmos_ovrl ↑", "stretch_ratio →1", "proxy_mos ↑"]
    col = {name: i for i, name in enumerate(["system", "wins", *table["metrics"]])}
    for m, e in table["metrics"].items():  # the best cell carries the badge, in the best system's row
        marked = [
            r for r in rows if "best" in r.find_elements(By.CSS_SELECTOR, "th, td")[col[m]].get_attribute("class")
        ]
        best_rows = [r.get_attribute("data-system") for r in marked]
        assert best_rows == [e["best"]], m
    assert table["metrics"]["stretch_ratio"]["best"] == "good"  # closest to 1, not the lowest
    assert rows[2].find_elements(By.CSS_SELECTOR, "td")[-1].text == "–"  # bad has no proxy_mos
    imgs = chromium.js("return Array.from(document.images).map(i => [i.complete, i.naturalWidth, i.naturalHeight])")
    assert len(imgs) == 2 and all(c and w > 200 and h > 200 for c, w, h in imgs)
    chromium.screenshot("compare_page")

    def order():
        return chromium.js("return [...document.querySelectorAll('#leaderboard tbody tr')].map(r => r.dataset.system)")

    d.find_element(By.XPATH, "//th[3]/button").click()  # wer: best (lowest) first
    assert order() == ["good", "middle", "bad"]
    d.find_element(By.XPATH, "//th[3]/button").click()
    assert order() == ["bad", "middle", "good"]
    d.find_element(By.XPATH, "//th[6]/button").click()  # proxy_mos: bad has none, so it sorts last
    assert order() == ["good", "middle", "bad"]
    assert d.find_element(By.XPATH, "//th[6]").get_attribute("aria-sort") == "ascending"

    d.find_element(By.ID, "csv-button").click()
    got = chromium.wait_download("leaderboard_clip.csv").read_text()
    assert got == (out / "leaderboard.csv").read_text()
    assert len(list(csv.DictReader(io.StringIO(got)))) == 11  # 4 metrics x 3 systems, less bad's proxy_mos

    # print: the stylesheet hides the controls and keeps the table and plots
    d.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    assert not d.find_element(By.ID, "csv-button").is_displayed()
    assert d.find_element(By.ID, "leaderboard").is_displayed() and d.find_element(By.TAG_NAME, "figure").is_displayed()
    assert [h.text for h in d.find_elements(By.CSS_SELECTOR, "#leaderboard thead th")][2] == "wer ↓"  # names stay
    chromium.screenshot("compare_page_print")
    d.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
