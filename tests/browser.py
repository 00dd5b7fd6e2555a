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


def width(d: webdriver.Chrome, px: int) -> None:
    """A laptop (over 600 px) or a phone (device emulation, so the CSS sees the real width)."""
    d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": px, "height": 900 if px > 600 else 740, "deviceScaleFactor": 1 if px > 600 else 2, "mobile": px <= 600})


def page_shot(d: webdriver.Chrome, path: Path, px: int, max_height: int = 3000) -> None:
    """A screenshot of the whole page at ``px`` wide; fails when the page scrolls sideways there."""
    width(d, px)
    height = d.execute_script(f"return Math.min(document.documentElement.scrollHeight, {int(max_height)})")
    d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": px, "height": height, "deviceScaleFactor": 1 if px > 600 else 2, "mobile": px <= 600})
    d.save_screenshot(str(path))
    width(d, px)
    overflow = d.execute_script("return document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 1, f"{path.name} at {px} px scrolls sideways by {overflow} px"
