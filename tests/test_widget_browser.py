"""The labour-portal widget end to end in a real headless Chromium (Debian's chromium + chromium-driver).

Opens the demo portal page, asks a question, sees the answer, clicks a button, reloads and finds the
conversation kept (on screen and on the server), checks that text is never rendered as HTML, and saves
a screenshot to reports/widget.png.
"""
import shutil
import time

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from tests.servers import ROOT, assistant, static_server

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


@pytest.fixture(scope="module")
def portal(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("widget")
    with assistant(tmp, extra_args=["--cors", "*"]) as rport:
        with static_server(ROOT / "channels" / "webchat", tmp) as sport:
            yield f"http://127.0.0.1:{sport}/portal.html?rasa=http://127.0.0.1:{rport}", tmp


@pytest.fixture(scope="module")
def browser(portal):
    _, tmp = portal
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
                f"--user-data-dir={tmp}/chrome-profile"):
        opts.add_argument(arg)
    # A 360-px-wide phone.
    opts.add_experimental_option("mobileEmulation", {"deviceMetrics": {"width": 360, "height": 740, "pixelRatio": 2}})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    yield driver
    driver.quit()


def bot_texts(driver):
    return [e.text for e in driver.find_elements(By.CSS_SELECTOR, ".ansinh-bot")]


def wait_bot(driver, needle, timeout=60):
    WebDriverWait(driver, timeout).until(lambda d: any(needle in t for t in bot_texts(d)))


def ask(driver, text):
    box = driver.find_element(By.ID, "ansinh-input")
    box.send_keys(text)
    box.send_keys(Keys.ENTER)


def test_ask_click_reload_and_keep_the_conversation(portal, browser):
    url, _ = portal
    d = browser
    d.get(url)
    launcher = WebDriverWait(d, 20).until(EC.element_to_be_clickable((By.CSS_SELECTOR, ".ansinh-launcher")))
    assert launcher.get_attribute("aria-haspopup") == "dialog"
    launcher.click()
    panel = d.find_element(By.CSS_SELECTOR, ".ansinh-panel")
    assert panel.is_displayed() and panel.get_attribute("role") == "dialog"
    assert d.execute_script("return window.innerWidth") == 360
    assert panel.size["width"] <= 360

    ask(d, "đóng bhxh tự nguyện mỗi tháng bao nhiêu tiền")
    wait_bot(d, "22%")
    assert "1.500.000 đồng" in "\n".join(bot_texts(d))

    button = WebDriverWait(d, 20).until(
        EC.element_to_be_clickable((By.XPATH, "//div[@class='ansinh-buttons']//button[contains(., 'Nhà nước hỗ trợ bao nhiêu?')]")))
    button.click()
    wait_bot(d, "Nhà nước hỗ trợ tiền đóng BHXH tự nguyện")

    # Nothing the user types is ever rendered as HTML.
    ask(d, "<img src=x onerror=window.__xss=1>")
    WebDriverWait(d, 20).until(lambda x: any("<img" in e.text for e in x.find_elements(By.CSS_SELECTOR, ".ansinh-user")))
    time.sleep(1)
    assert d.execute_script("return window.__xss") is None
    assert not d.find_elements(By.CSS_SELECTOR, ".ansinh-log img")

    # Reload: the transcript is shown again and the server still knows the conversation.
    d.refresh()
    WebDriverWait(d, 20).until(lambda x: any("22%" in t for t in bot_texts(x)))
    before = len(bot_texts(d))
    ask(d, "còn hộ nghèo thì sao")
    WebDriverWait(d, 60).until(lambda x: any("165.000 đồng" in t for t in bot_texts(x)[before:]))

    out = ROOT / "reports"
    out.mkdir(exist_ok=True)
    d.save_screenshot(str(out / "widget.png"))
