"""Headless Chromium for the browser tests (Debian's chromium + chromium-driver, installed by `make browser`)."""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Optional

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic")


def chromium(profile: Path, window: Optional[str] = None, phone: bool = False) -> webdriver.Chrome:
    """A fresh browser with its own profile directory: a ``window`` size ("1280,900"), or a 360-px phone."""
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in FLAGS + ((f"--window-size={window}",) if window else ()) + (f"--user-data-dir={profile}",):
        opts.add_argument(arg)
    if phone:
        opts.add_experimental_option("mobileEmulation", {"deviceMetrics": {"width": 360, "height": 740, "pixelRatio": 2}})
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
