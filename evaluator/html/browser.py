"""Headless Chromium through selenium, for checking pages in a real browser (the test suite, benchmarks).

Debian's ``chromium`` and ``chromium-driver`` packages (scripts/setup.sh installs them); nothing is downloaded
at run time. ``DUBKIT_CHROMIUM`` / ``DUBKIT_CHROMEDRIVER`` point at other binaries. selenium is in the ``dev``
extra.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from evaluator.errors import MissingDependencyError

#: Flags every run needs: no sandbox and GPU in containers, and none of Chromium's own network traffic
#: (without the background-networking flags its connections are refused on machines without network).
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--mute-audio",
    "--window-size=1280,900",
)


def browser_binaries() -> tuple[str | None, str | None]:
    """Paths of chromium and chromedriver (None where not installed or not executable)."""
    env_chromium, env_driver = os.environ.get("DUBKIT_CHROMIUM"), os.environ.get("DUBKIT_CHROMEDRIVER")
    if env_chromium:
        chromium = shutil.which(env_chromium)
    else:
        chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which(env_driver or "chromedriver")
    return chromium, driver


def headless_chromium(profile: str | os.PathLike[str], downloads: str | os.PathLike[str] | None = None) -> Any:
    """A selenium Chrome driver on Debian's Chromium with a fresh profile directory ``profile``; downloads go to
    ``downloads`` without asking. The caller quits it."""
    chromium, driver = browser_binaries()
    if not chromium or not driver:
        raise MissingDependencyError("chromium and chromium-driver", install="apt-get install chromium chromium-driver")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        raise MissingDependencyError("selenium", extra="dev") from None
    opts = webdriver.ChromeOptions()
    opts.binary_location = chromium
    for flag in CHROMIUM_FLAGS:
        opts.add_argument(flag)
    opts.add_argument(f"--user-data-dir={Path(profile)}")
    if downloads is not None:
        opts.add_experimental_option(
            "prefs", {"download.prompt_for_download": False, "download.default_directory": str(downloads)}
        )
    return webdriver.Chrome(service=Service(driver), options=opts)
