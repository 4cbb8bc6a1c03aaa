"""Shared fixtures: real media built offline (espeak/piper speech, the matplotlib photo)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="session")
def demo_episode(tmp_path_factory: pytest.TempPathFactory):
    """A 3-line demo episode: photo video with Spanish espeak dialogue over music, English script."""
    from dubber.demo import build_demo

    return build_demo(tmp_path_factory.mktemp("demo"), n_lines=3, width=320)


@pytest.fixture(scope="session")
def piper():
    from dubber.synth import SYNTHESIZERS

    return SYNTHESIZERS.get("piper")()


@pytest.fixture(scope="session")
def espeak():
    from dubber.synth import SYNTHESIZERS

    return SYNTHESIZERS.get("espeak")()


def write_srt(path: Path, text: str) -> Path:
    path.write_text(text.strip() + "\n", encoding="utf-8")
    return path


# --- headless Chromium for the page tests (Debian's chromium + chromium-driver; nothing downloaded) ---


class Browser:
    """A selenium-driven headless Chromium with a per-test download folder and full-page screenshots."""

    def __init__(self, driver, shots: Path) -> None:
        self.driver = driver
        self.shots = shots
        self.downloads: Path | None = None

    def open(self, page: Path, downloads: Path) -> None:
        self.downloads = downloads
        downloads.mkdir(parents=True, exist_ok=True)
        self.driver.execute_cdp_cmd(
            "Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)}
        )
        self.driver.get(page.resolve().as_uri())

    def js(self, script: str, *args):
        return self.driver.execute_script(script, *args)

    def wait(self, condition, timeout: float = 20.0, what: str = "the page"):
        from selenium.webdriver.support.ui import WebDriverWait

        return WebDriverWait(self.driver, timeout, poll_frequency=0.05).until(
            lambda d: condition(), message=f"timed out waiting for {what}"
        )

    def wait_download(self, name: str, timeout: float = 20.0) -> Path:
        """The downloaded file ``name`` once Chromium has finished writing it."""
        target = self.downloads / name

        def done():
            partial = list(self.downloads.glob("*.crdownload"))
            return target if target.is_file() and not partial and target.stat().st_size > 0 else None

        return self.wait(done, timeout, what=f"download {name}")

    def screenshot(self, name: str) -> Path:
        """A full-page PNG (up to 6000 px tall) in the screenshot folder."""
        import base64

        size = self.driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
        clip = {"x": 0, "y": 0, "width": size["width"], "height": min(size["height"], 6000), "scale": 1}
        shot = self.driver.execute_cdp_cmd(
            "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True, "clip": clip}
        )
        path = self.shots / f"{name}.png"
        path.write_bytes(base64.b64decode(shot["data"]))
        return path

    def media_report(self) -> list[dict]:
        """For every audio/video element: its source type, what canPlayType says, and its loaded duration."""
        return self.js(
            """
            const els = Array.from(document.querySelectorAll('audio, video'));
            return els.map(m => ({
              kind: m.tagName.toLowerCase(),
              type: (m.querySelector('source') || {}).type || '',
              can: m.canPlayType((m.querySelector('source') || {}).type || ''),
              duration: m.duration, ready: m.readyState, error: m.error ? m.error.code : null }));
            """
        )


@pytest.fixture(scope="session")
def chromium(tmp_path_factory: pytest.TempPathFactory):
    """Headless Chromium through chromedriver; skipped (with the reason) where either is not installed.

    Screenshots go to $DUBKIT_SCREENSHOTS, else to ``screenshots/`` under the pytest base temp folder."""
    from evaluator.html.browser import browser_binaries, headless_chromium

    binary, driver_path = browser_binaries()
    if not binary or not driver_path:
        pytest.skip(
            "browser tests need Debian's chromium and chromium-driver (apt-get install chromium chromium-driver; "
            "scripts/setup.sh installs them)"
        )
    pytest.importorskip("selenium.webdriver", reason="selenium is in the dev extra")
    downloads = tmp_path_factory.mktemp("downloads")  # each test sets its own (Browser.open)
    driver = headless_chromium(tmp_path_factory.mktemp("chromium-profile"), downloads)
    shots = Path(os.environ.get("DUBKIT_SCREENSHOTS") or tmp_path_factory.getbasetemp() / "screenshots")
    shots.mkdir(parents=True, exist_ok=True)
    try:
        yield Browser(driver, shots)
    finally:
        driver.quit()


# --- one local Ray per test module that asks for it (start-up costs seconds; two workers on two CPUs) ---


@pytest.fixture(scope="module")
def local_ray():
    """Ray started inside this process with 2 CPUs, shared by the module's tests (their runs find it running
    and leave it so); stopped after the module."""
    pytest.importorskip("ray")
    from evaluator.cluster import RaySession

    session = RaySession("local", num_cpus=2)
    session.start()
    try:
        yield session
    finally:
        session.stop()
