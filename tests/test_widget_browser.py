"""The labour-portal widget end to end in a real headless Chromium (Debian's chromium + chromium-driver).

One Rasa server and one browser for the module. The browser reaches Rasa through a small TCP proxy the
test controls, so "the server is unreachable" is closing the proxy, without restarting Rasa. The portal
page is a generated copy of portal.html whose script tag names the proxy (data-server); its address also
carries ``?rasa=`` pointing at a decoy that records any connection. The server's message limit is set to
a number other than the default (ANSINH_MAX_MESSAGE_CHARS), so the widget must take it from the server.

Screenshots (360 px wide): reports/widget.png, widget-first-screen.png, widget-long-answer.png,
widget-unsent.png, widget-200pct.png.
"""
import json
from pathlib import Path
import socket
import threading
import time
import urllib.request

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from knowledge.registry import registry
from tests.browser import chromium
from tests.servers import ROOT, api_url, assistant, free_port, static_server

WEBCHAT = ROOT / "channels" / "webchat"
REPORTS = ROOT / "reports"
LIMIT = 1200  # the server's limit in this module (the default is 1000)


class Proxy:
    """A TCP relay 127.0.0.1:port -> 127.0.0.1:target; ``stop()`` refuses and cuts every connection."""

    def __init__(self, target: int) -> None:
        self.target, self.port = target, free_port()
        self.connections = 0
        self._lock = threading.Lock()
        self._socks: list = []
        self._listener = None

    def start(self) -> None:
        ls = socket.socket()
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind(("127.0.0.1", self.port))
        ls.listen(64)
        self._listener = ls
        threading.Thread(target=self._accept, args=(ls,), daemon=True).start()

    def stop(self) -> None:
        ls, self._listener = self._listener, None
        if ls is not None:
            ls.close()
        with self._lock:
            socks, self._socks = self._socks, []
        for s in socks:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def _accept(self, ls: socket.socket) -> None:
        while True:
            try:
                client, _ = ls.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target))
            except OSError:
                client.close()
                continue
            with self._lock:
                if self._listener is not ls:  # stopped meanwhile
                    client.close(), upstream.close()
                    return
                self.connections += 1
                self._socks += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


class Decoy:
    """A listener that only counts who connects to it (the server a crafted link names)."""

    def __init__(self) -> None:
        self.port, self.hits = free_port(), 0
        self._ls = socket.socket()
        self._ls.bind(("127.0.0.1", self.port))
        self._ls.listen(16)
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                c, _ = self._ls.accept()
            except OSError:
                return
            self.hits += 1
            c.close()

    def close(self) -> None:
        self._ls.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("widget")
    with assistant(tmp, extra_args=["--cors", "*"], extra_env={"ANSINH_MAX_MESSAGE_CHARS": str(LIMIT)}) as rport:
        proxy = Proxy(rport)
        proxy.start()
        decoy = Decoy()
        root = tmp / "site"
        root.mkdir()
        for name in ("ansinh-widget.js", "vendor", "demo.html"):
            (root / name).symlink_to(WEBCHAT / name)
        page = (WEBCHAT / "portal.html").read_text(encoding="utf-8")
        tag = 'data-server="http://localhost:5005"'
        assert tag in page
        page = page.replace(tag, f'data-server="http://127.0.0.1:{proxy.port}"')
        (root / "portal.html").write_text(page, encoding="utf-8")
        with static_server(root, tmp) as sport:
            yield {
                "url": f"http://127.0.0.1:{sport}/portal.html?rasa=http://127.0.0.1:{decoy.port}",
                "rasa": rport, "proxy": proxy, "decoy": decoy, "tmp": tmp,
            }
        proxy.stop()
        decoy.close()


@pytest.fixture(scope="module")
def browser(site):
    driver = chromium(Path(site["tmp"]) / "chrome-profile", phone=True)  # a 360-px-wide phone
    REPORTS.mkdir(exist_ok=True)
    yield driver
    driver.quit()


# --- helpers ----------------------------------------------------------------------------------------------

def bot_texts(d):
    return [e.text for e in d.find_elements(By.CSS_SELECTOR, ".ansinh-history .ansinh-bot")]


def user_bubbles(d):
    return d.find_elements(By.CSS_SELECTOR, ".ansinh-history .ansinh-user")


def wait_bot(d, needle, timeout=60, after=0):
    WebDriverWait(d, timeout).until(lambda x: any(needle in t for t in bot_texts(x)[after:]))


def ask(d, text):
    box = d.find_element(By.ID, "ansinh-input")
    box.send_keys(text)
    box.send_keys(Keys.ENTER)


def fresh_page(d, url):
    """The portal with an empty device: no transcript, no session, the panel closed."""
    d.get(url)
    d.execute_script("localStorage.clear()")
    d.get(url)
    return WebDriverWait(d, 20).until(EC.element_to_be_clickable((By.CSS_SELECTOR, ".ansinh-launcher")))


def open_panel(d):
    panel = d.find_element(By.CSS_SELECTOR, ".ansinh-panel")
    if not panel.is_displayed():  # after a reload it is open again when it was open
        WebDriverWait(d, 20).until(EC.element_to_be_clickable((By.CSS_SELECTOR, ".ansinh-launcher"))).click()
    WebDriverWait(d, 10).until(lambda x: panel.is_displayed())
    return panel


def wait_delivered(d, timeout=60):
    WebDriverWait(d, timeout).until(lambda x: x.execute_script(
        "return JSON.parse(localStorage.getItem('ansinh.widget.outbox') || '[]').length === 0"
        " && !document.querySelector('.ansinh-history .ansinh-note')"))


def session_of(d):
    return d.execute_script("return window.AnSinhWidget.session()")


def user_events(rasa_port, sender):
    with urllib.request.urlopen(api_url(rasa_port, f"/conversations/{sender}/tracker"), timeout=10) as r:
        tracker = json.loads(r.read())
    return [e.get("text") for e in tracker["events"] if e.get("event") == "user"]


def shot(d, name):
    d.save_screenshot(str(REPORTS / name))


# --- tests ----------------------------------------------------------------------------------------------------

def test_ask_click_reload_keep_the_conversation_and_ignore_the_page_address(site, browser):
    d = browser
    launcher = fresh_page(d, site["url"])
    assert launcher.get_attribute("aria-haspopup") == "dialog"
    connections_before = site["proxy"].connections
    panel = open_panel(d)
    assert panel.get_attribute("role") == "dialog"
    assert d.execute_script("return window.innerWidth") == 360
    assert panel.size["width"] <= 360

    ask(d, "đóng bhxh tự nguyện mỗi tháng bao nhiêu tiền")
    wait_bot(d, "22%")
    assert "1.500.000 đồng" in "\n".join(bot_texts(d))
    # The script tag's server answered; the one in the page address (?rasa=) was never contacted.
    assert d.execute_script("return window.AnSinhWidget.server()") == f"http://127.0.0.1:{site['proxy'].port}"
    assert site["proxy"].connections > connections_before
    assert site["decoy"].hits == 0

    button = WebDriverWait(d, 20).until(EC.element_to_be_clickable(
        (By.XPATH, "//div[contains(@class,'ansinh-history')]//div[contains(@class,'ansinh-buttons')]"
                   "//button[contains(., 'Nhà nước hỗ trợ bao nhiêu?')]")))
    button.click()
    wait_bot(d, "Nhà nước hỗ trợ tiền đóng BHXH tự nguyện")

    # Nothing the user types is ever rendered as HTML.
    ask(d, "<img src=x onerror=window.__xss=1>")
    WebDriverWait(d, 20).until(lambda x: any("<img" in e.text for e in user_bubbles(x)))
    wait_delivered(d)
    assert d.execute_script("return window.__xss") is None
    assert not d.find_elements(By.CSS_SELECTOR, ".ansinh-log img")

    # Reload: the transcript is shown again and the server still knows the conversation.
    d.refresh()
    WebDriverWait(d, 20).until(lambda x: any("22%" in t for t in bot_texts(x)))
    before = len(bot_texts(d))
    ask(d, "còn hộ nghèo thì sao")
    wait_bot(d, "165.000 đồng", after=before)
    assert site["decoy"].hits == 0
    shot(d, "widget.png")


def test_first_screen_shows_the_main_topics_and_what_the_assistant_does(site, browser):
    d = browser
    fresh_page(d, site["url"])
    open_panel(d)
    menu = [b.title for b in registry().menu_buttons()]
    WebDriverWait(d, 20).until(lambda x: len(x.find_elements(By.CSS_SELECTOR, ".ansinh-topics button")) == len(menu))
    assert [b.text for b in d.find_elements(By.CSS_SELECTOR, ".ansinh-topics button")] == menu
    scope = d.find_element(By.CSS_SELECTOR, ".ansinh-scope").text
    assert "không thay thế luật sư" in scope and "không tra cứu được" in scope
    assert not user_bubbles(d) and not bot_texts(d)
    shot(d, "widget-first-screen.png")

    d.find_element(By.XPATH, "//div[contains(@class,'ansinh-topics')]//button[.='BHXH tự nguyện']").click()
    WebDriverWait(d, 20).until(lambda x: [e.text.split("\n")[0] for e in user_bubbles(x)] == ["BHXH tự nguyện"])
    wait_bot(d, "BHXH tự nguyện do Nhà nước tổ chức")
    wait_delivered(d)


def test_a_paste_over_the_servers_limit_is_refused_and_kept_in_the_box(site, browser):
    d = browser
    fresh_page(d, site["url"])
    open_panel(d)
    WebDriverWait(d, 20).until(lambda x: x.execute_script("return window.AnSinhWidget.maxChars()") == LIMIT)
    words = ("Tôi làm thuê cho một xưởng may ở Bình Dương, công ty nợ lương ba tháng rồi. " * 30)
    text = words[:1499].rstrip() + "x"
    text = text + "y" * (1500 - len(text))
    assert len(text) == 1500
    box = d.find_element(By.ID, "ansinh-input")
    box.send_keys(text)
    box.send_keys(Keys.ENTER)
    error = WebDriverWait(d, 10).until(EC.visibility_of_element_located((By.ID, "ansinh-error")))
    assert "1.500 ký tự" in error.text and f"{LIMIT:,}".replace(",", ".") + " ký tự" in error.text
    assert "chưa gửi" in error.text
    assert box.get_attribute("value") == text  # nothing cut, nothing lost
    assert box.get_attribute("aria-invalid") == "true"
    assert not user_bubbles(d)
    assert d.execute_script("return JSON.parse(localStorage.getItem('ansinh.widget.outbox') || '[]').length") == 0
    time.sleep(1)
    assert user_events(site["rasa"], session_of(d)) == []


def test_start_again_clears_the_device_and_starts_a_new_session(site, browser):
    d = browser
    fresh_page(d, site["url"])
    open_panel(d)
    ask(d, "lương cơ sở hiện nay là bao nhiêu")
    WebDriverWait(d, 60).until(lambda x: len(bot_texts(x)) >= 1)
    wait_delivered(d)
    old = session_of(d)
    assert user_events(site["rasa"], old)

    restart = d.find_element(By.CSS_SELECTOR, ".ansinh-restart")
    restart.click()
    d.find_element(By.CSS_SELECTOR, ".ansinh-confirm-no").click()  # cancelled: nothing lost
    assert user_bubbles(d) and session_of(d) == old
    restart.click()
    yes = WebDriverWait(d, 5).until(EC.element_to_be_clickable((By.CSS_SELECTOR, ".ansinh-confirm-yes")))
    yes.click()
    assert not user_bubbles(d) and not bot_texts(d)
    assert d.execute_script("return localStorage.getItem('ansinh.widget.transcript')") == "[]"
    new = session_of(d)
    assert new and new != old
    assert d.find_elements(By.CSS_SELECTOR, ".ansinh-topics button")  # the first screen again
    d.refresh()
    assert not user_bubbles(d) and session_of(d) == new
    open_panel(d)
    ask(d, "bhyt hộ gia đình đóng bao nhiêu")
    WebDriverWait(d, 60).until(lambda x: len(bot_texts(x)) >= 1)
    wait_delivered(d)
    assert user_events(site["rasa"], new) == ["bhyt hộ gia đình đóng bao nhiêu"]
    assert "bhyt hộ gia đình đóng bao nhiêu" not in user_events(site["rasa"], old)


def test_after_a_long_answer_its_first_line_is_in_view(site, browser):
    d = browser
    fresh_page(d, site["url"])
    open_panel(d)
    ask(d, "đóng bhxh tự nguyện mỗi tháng bao nhiêu tiền")
    wait_bot(d, "22%")
    wait_delivered(d)
    time.sleep(0.5)
    geometry = d.execute_script("""
        var log = document.querySelector('.ansinh-log');
        var bots = document.querySelectorAll('.ansinh-history .ansinh-bot');
        var first = bots[0], last = bots[bots.length - 1];
        var l = log.getBoundingClientRect(), f = first.getBoundingClientRect(), z = last.getBoundingClientRect();
        return {logTop: l.top, logBottom: l.bottom, firstTop: f.top, lastBottom: z.bottom, bubbles: bots.length,
                first: first.textContent, scrollTop: log.scrollTop, max: log.scrollHeight - log.clientHeight};
    """)
    # The answer is longer than the view (else the test proves nothing) ...
    assert geometry["lastBottom"] - geometry["firstTop"] > geometry["logBottom"] - geometry["logTop"]
    # ... its first line is at the top of the view, and the rest (the legal basis last) below it.
    assert "22%" in geometry["first"]
    assert geometry["logTop"] <= geometry["firstTop"] <= geometry["logTop"] + 40
    assert geometry["scrollTop"] < geometry["max"]
    assert geometry["lastBottom"] > geometry["logBottom"]
    last = d.find_elements(By.CSS_SELECTOR, ".ansinh-history .ansinh-bot")[-1].text
    assert "Nghị định" in last or "Luật" in last or "Căn cứ" in last, last
    shot(d, "widget-long-answer.png")


def test_keyboard_focus_stays_in_the_panel_and_escape_closes_it(site, browser):
    d = browser
    fresh_page(d, site["url"])
    launcher = d.find_element(By.CSS_SELECTOR, ".ansinh-launcher")
    launcher.send_keys(Keys.ENTER)  # opened from the keyboard
    panel = d.find_element(By.CSS_SELECTOR, ".ansinh-panel")
    WebDriverWait(d, 10).until(lambda x: panel.is_displayed())
    WebDriverWait(d, 20).until(lambda x: x.find_elements(By.CSS_SELECTOR, ".ansinh-topics button"))
    assert d.switch_to.active_element.get_attribute("id") == "ansinh-input"

    # Every control has a name a screen reader reads out.
    unnamed = d.execute_script("""
        return Array.from(document.querySelectorAll('.ansinh-panel button, .ansinh-panel textarea, .ansinh-launcher'))
          .filter(function (e) {
            var name = e.getAttribute('aria-label') || e.textContent.trim() ||
                       (e.id && document.querySelector('label[for="' + e.id + '"]') || {}).textContent;
            return !name || !String(name).trim();
          }).map(function (e) { return e.outerHTML; });
    """)
    assert unnamed == []

    # Tab goes through every control of the panel in order and from the last one back to the first.
    order_js = """
        var list = Array.from(document.querySelectorAll(
            '.ansinh-panel button, .ansinh-panel textarea, .ansinh-panel a[href], .ansinh-panel [tabindex="0"]'))
          .filter(function (e) { return !e.disabled && e.getClientRects().length > 0; });
        return [list.length, list.indexOf(document.activeElement),
                document.querySelector('.ansinh-panel').contains(document.activeElement)];
    """
    n, at, _ = d.execute_script(order_js)
    assert n >= 6 and at >= 0
    for step in range(n + 1):
        ActionChains(d).send_keys(Keys.TAB).perform()
        _, now, inside = d.execute_script(order_js)
        assert inside, "Tab left the panel"
        assert now == (at + 1) % n, (step, at, now, n)
        at = now
    for _ in range(n):
        if at == 0:
            break
        ActionChains(d).send_keys(Keys.TAB).perform()
        at = d.execute_script(order_js)[1]
    assert at == 0
    ActionChains(d).key_down(Keys.SHIFT).send_keys(Keys.TAB).key_up(Keys.SHIFT).perform()
    assert d.execute_script(order_js)[1] == n - 1  # Shift+Tab on the first control: the last one
    ActionChains(d).send_keys(Keys.ESCAPE).perform()
    WebDriverWait(d, 5).until(lambda x: not panel.is_displayed())
    assert d.switch_to.active_element == launcher
    assert launcher.get_attribute("aria-expanded") == "false"


def test_unsent_messages_are_marked_and_go_out_once_when_the_server_returns(site, browser):
    d = browser
    proxy = site["proxy"]
    fresh_page(d, site["url"])
    open_panel(d)
    WebDriverWait(d, 20).until(lambda x: x.find_elements(By.CSS_SELECTOR, ".ansinh-topics button"))
    WebDriverWait(d, 20).until(
        lambda x: x.execute_script("return !document.querySelector('.ansinh-status:not([hidden])')"))
    sender = session_of(d)
    question = "trợ cấp thất nghiệp được bao nhiêu tháng"
    proxy.stop()
    try:
        WebDriverWait(d, 20).until(EC.visibility_of_element_located((By.CSS_SELECTOR, ".ansinh-status")))
        ask(d, question)
        note = WebDriverWait(d, 20).until(
            EC.visibility_of_element_located((By.CSS_SELECTOR, ".ansinh-unsent .ansinh-note")))
        assert "Chưa gửi được" in note.text
        assert d.find_element(By.CSS_SELECTOR, ".ansinh-unsent .ansinh-retry").is_displayed()
        assert not d.find_element(By.CSS_SELECTOR, ".ansinh-typing").is_displayed()
        assert "kết nối" in d.find_element(By.CSS_SELECTOR, ".ansinh-status").text
        d.find_element(By.CSS_SELECTOR, ".ansinh-retry").click()  # still offline: still marked
        WebDriverWait(d, 10).until(EC.visibility_of_element_located((By.CSS_SELECTOR, ".ansinh-unsent .ansinh-retry")))
        shot(d, "widget-unsent.png")
        # The queue survives a reload.
        d.refresh()
        WebDriverWait(d, 20).until(EC.visibility_of_element_located((By.CSS_SELECTOR, ".ansinh-unsent .ansinh-note")))
        assert [e.text.split("\n")[0] for e in user_bubbles(d)] == [question]
        assert user_events(site["rasa"], sender) == []
    finally:
        proxy.start()
    # Back online: delivered by itself, marked delivered, answered, and only once.
    wait_delivered(d, timeout=40)
    WebDriverWait(d, 60).until(lambda x: bot_texts(x))
    assert not d.find_elements(By.CSS_SELECTOR, ".ansinh-unsent")
    time.sleep(1)
    assert user_events(site["rasa"], sender) == [question]


def test_a_message_sent_again_with_the_same_id_is_handled_once(site, browser):
    # The widget re-sends a message whose acknowledgement was lost: it cannot know the first try arrived.
    d = browser
    proxy = site["proxy"]
    fresh_page(d, site["url"])
    open_panel(d)
    WebDriverWait(d, 20).until(lambda x: x.execute_script("return !!window.io"))
    sender = "twice" + session_of(d)[:20]
    sent = d.execute_async_script("""
        var done = arguments[arguments.length - 1], sid = arguments[0];
        var s = io(arguments[1], {path: '/socket.io', transports: ['websocket'], forceNew: true});
        s.on('connect', function () { s.emit('session_request', {session_id: sid}); });
        s.on('session_confirm', function () {
          var m = {message: 'lương cơ sở hiện nay', session_id: sid, metadata: {message_id: 'twice-1'}};
          s.timeout(30000).emit('user_uttered', m, function () {
            s.timeout(30000).emit('user_uttered', m, function () { s.disconnect(); done(true); });
          });
        });
        setTimeout(function () { done(false); }, 40000);
    """, sender, f"http://127.0.0.1:{proxy.port}")
    assert sent
    assert user_events(site["rasa"], sender) == ["lương cơ sở hiện nay"]


def test_the_layout_holds_at_360_px_with_the_font_at_200_percent(site, browser):
    d = browser
    fresh_page(d, site["url"])
    d.execute_cdp_cmd("Page.setFontSizes", {"fontSizes": {"standard": 32, "fixed": 26}})
    try:
        d.get(site["url"])
        open_panel(d)
        WebDriverWait(d, 20).until(lambda x: x.find_elements(By.CSS_SELECTOR, ".ansinh-topics button"))
        ask(d, "bị công ty nợ lương 3 tháng thì làm sao")
        WebDriverWait(d, 60).until(lambda x: bot_texts(x))
        wait_delivered(d)
        d.find_element(By.ID, "ansinh-input").send_keys("x" * 40 + " một từ rất dàiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiii")
        m = d.execute_script("""
            var px = function (e) { return parseFloat(getComputedStyle(e).fontSize); };
            var vw = window.innerWidth, over = [];
            document.querySelectorAll('.ansinh-panel, .ansinh-panel *').forEach(function (e) {
              var r = e.getBoundingClientRect();
              var out = r.right > vw + 0.5 || r.left < -0.5;
              if (r.width && out && !e.classList.contains('ansinh-sr')) over.push(e.className || e.tagName);
            });
            var log = document.querySelector('.ansinh-log'), panel = document.querySelector('.ansinh-panel');
            return {input: px(document.getElementById('ansinh-input')),
                    bubble: px(document.querySelector('.ansinh-msg')),
                    vw: vw, doc: document.documentElement.scrollWidth, panelW: panel.getBoundingClientRect().width,
                    panelScroll: panel.scrollWidth - panel.clientWidth, logScroll: log.scrollWidth - log.clientWidth,
                    over: over};
        """)
        assert m["input"] >= 30 and m["bubble"] >= 30, m  # the enlarged font reached the widget
        assert m["over"] == [], m
        assert m["doc"] <= m["vw"] and m["panelW"] <= m["vw"], m
        assert m["panelScroll"] <= 0 and m["logScroll"] <= 0, m
        shot(d, "widget-200pct.png")
    finally:
        d.execute_cdp_cmd("Page.setFontSizes", {"fontSizes": {"standard": 16, "fixed": 13}})
