/*
 * Trợ lý An Sinh — chat widget for the labour portal.
 *
 * Embed with one tag:
 *   <script src="https://<host>/ansinh-widget.js" data-server="https://<rasa-host>" defer></script>
 *
 * The Rasa server is the script tag's data-server, and nothing else: the page address (?rasa=…) is never
 * read, so a link to the portal cannot point the widget at another server. Each environment (test,
 * staging, production) embeds its own tag.
 *
 * Talks to Rasa's socket.io channel (channels/widget_config.py, session_persistence: true) and reads
 * GET <server>/webhooks/socketio/config once: the longest message the assistant reads (the server's
 * ANSINH_MAX_MESSAGE_CHARS), the main topics as buttons and the first screen's texts, so none of them is
 * written here. A returning visitor keeps the same session id and transcript (localStorage); "Bắt đầu lại"
 * clears both on this device and starts a new conversation.
 *
 * Delivery: every message has an id and waits in an outbox (kept across reloads) until the server
 * acknowledges it; an unsent one is marked "Chưa gửi được" with a "Gửi lại" button and goes out by itself
 * when the connection returns. The server handles an id once, so a re-sent message arrives once.
 *
 * User and bot text is always inserted as text (textContent), never as HTML. Keyboard: focus stays in the
 * open panel (Tab cycles), Escape closes it and returns to the launcher. Sizes are in rem/em, so the panel
 * follows the reader's font size; it fills the screen on a phone.
 * Dependency: the socket.io client (MIT), loaded from vendor/ beside this file.
 */
(function () {
  "use strict";
  if (window.AnSinhWidget) return;

  var script = document.currentScript || (function () {
    var all = document.getElementsByTagName("script");
    return all[all.length - 1];
  })();
  var base = script.src.replace(/[^/]*$/, "");
  var SERVER = serverOf(script.getAttribute("data-server"));
  var TITLE = script.getAttribute("data-title") || "Trợ lý An Sinh";
  var KEY = "ansinh.widget.";
  var FALLBACK_MAX_CHARS = 1000;  // only until the server's limit has been read once (then cached)
  var ACK_TIMEOUT_MS = 30000;     // no acknowledgement by then: marked unsent, re-sent on reconnection
  var MAX_TRANSCRIPT = 200;

  function serverOf(value) {
    try {
      var u = new URL(value || "http://localhost:5005", location.href);
      if (u.protocol === "http:" || u.protocol === "https:") return u.origin + u.pathname.replace(/\/+$/, "");
    } catch (e) { /* fall through */ }
    return "http://localhost:5005";
  }

  var CSS = [
    ".ansinh-launcher{position:fixed;right:1rem;bottom:1rem;z-index:2147483000;max-width:calc(100vw - 2rem);background:#0b5d3b;color:#fff;border:0;border-radius:1.75rem;padding:.85em 1.1em;font:600 1rem/1.3 system-ui,sans-serif;box-shadow:0 2px 8px rgba(0,0,0,.3);cursor:pointer;white-space:normal;text-align:left}",
    ".ansinh-launcher[hidden]{display:none}",
    ".ansinh-launcher:focus-visible,.ansinh-panel button:focus-visible,.ansinh-panel textarea:focus-visible,.ansinh-panel a:focus-visible,.ansinh-log:focus-visible{outline:3px solid #f5b700;outline-offset:2px}",
    ".ansinh-panel,.ansinh-panel *{box-sizing:border-box}",
    ".ansinh-panel{position:fixed;right:1rem;bottom:1rem;z-index:2147483001;width:min(24rem,calc(100vw - 1rem));height:min(38rem,calc(100vh - 2rem));display:flex;flex-direction:column;background:#f6f8f9;border-radius:.75rem;box-shadow:0 4px 24px rgba(0,0,0,.35);font:1rem/1.45 system-ui,sans-serif;color:#1b1f23;overflow:hidden;text-align:left}",
    "@media (max-width:30em){.ansinh-panel{right:0;bottom:0;width:100vw;height:100vh;height:100dvh;border-radius:0}}",
    ".ansinh-panel[hidden]{display:none}",
    ".ansinh-head{display:flex;flex-wrap:wrap;align-items:center;gap:.25em .5em;background:#0b5d3b;color:#fff;padding:.5em .75em}",
    ".ansinh-head h2{margin:0;font-size:1em;flex:1 1 8em;min-width:0;overflow-wrap:anywhere}",
    ".ansinh-head button{background:transparent;border:1px solid rgba(255,255,255,.6);border-radius:.4em;color:#fff;font:inherit;font-size:.9em;line-height:1.2;cursor:pointer;padding:.3em .6em}",
    ".ansinh-head .ansinh-close{border:0;font-size:1.4em;padding:0 .35em}",
    ".ansinh-confirm{background:#fff;border-bottom:1px solid #dde3e8;padding:.6em .75em}",
    ".ansinh-confirm[hidden]{display:none}",
    ".ansinh-confirm p{margin:0 0 .5em}",
    ".ansinh-confirm div{display:flex;flex-wrap:wrap;gap:.5em}",
    ".ansinh-confirm button{font:inherit;border-radius:.5em;padding:.35em .8em;cursor:pointer;border:1px solid #0b5d3b;background:#fff;color:#0b5d3b}",
    ".ansinh-confirm .ansinh-danger{background:#8a1c1c;border-color:#8a1c1c;color:#fff}",
    ".ansinh-status{background:#fff4d6;color:#5c4400;padding:.4em .75em;font-size:.875em}",
    ".ansinh-status[hidden]{display:none}",
    ".ansinh-log{position:relative;flex:1 1 auto;min-height:0;overflow-y:auto;overflow-x:hidden;padding:.6em}",
    ".ansinh-msg{margin:.4em 0;padding:.5em .75em;border-radius:.75em;max-width:88%;width:fit-content;white-space:pre-wrap;overflow-wrap:anywhere}",
    ".ansinh-bot{background:#fff;border:1px solid #dde3e8}",
    ".ansinh-user{background:#d8f0e3;margin-left:auto}",
    ".ansinh-user.ansinh-unsent{background:#fde8e8;border:1px dashed #8a1c1c}",
    ".ansinh-note{display:block;margin-top:.3em;font-size:.8em;color:#5b6670;white-space:normal}",
    ".ansinh-unsent .ansinh-note{color:#8a1c1c;font-weight:600}",
    ".ansinh-note button{margin-left:.5em;font:inherit;border:1px solid #8a1c1c;background:#fff;color:#8a1c1c;border-radius:.4em;padding:.1em .5em;cursor:pointer}",
    ".ansinh-buttons{display:flex;flex-wrap:wrap;gap:.4em;margin:.25em 0 .5em}",
    ".ansinh-buttons button{border:1px solid #0b5d3b;background:#fff;color:#0b5d3b;border-radius:1em;padding:.35em .7em;font:inherit;cursor:pointer;max-width:100%;text-align:left;overflow-wrap:anywhere}",
    ".ansinh-log a{overflow-wrap:anywhere}",
    ".ansinh-typing{color:#5b6670;font-style:italic;padding:0 .75em .4em}",
    ".ansinh-typing[hidden]{display:none}",
    ".ansinh-form{display:flex;flex-wrap:wrap;gap:.4em;padding:.5em;background:#fff;border-top:1px solid #dde3e8}",
    ".ansinh-form textarea{flex:1 1 8em;min-width:0;resize:none;font:inherit;padding:.5em;border:1px solid #9aa5b1;border-radius:.5em;min-height:2.5em;max-height:7.5em}",
    ".ansinh-form textarea[aria-invalid=true]{border:2px solid #8a1c1c}",
    ".ansinh-form button{flex:0 0 auto;background:#0b5d3b;color:#fff;border:0;border-radius:.5em;padding:.5em .9em;font:600 1em system-ui,sans-serif;cursor:pointer}",
    ".ansinh-error{flex:1 0 100%;color:#8a1c1c;font-size:.875em;margin:0}",
    ".ansinh-error[hidden],.ansinh-count[hidden]{display:none}",
    ".ansinh-count{flex:1 0 100%;color:#5b6670;font-size:.8em;margin:0;text-align:right}",
    ".ansinh-sr{position:absolute;left:-10000px;width:1px;height:1px;overflow:hidden}"
  ].join("\n");

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    if (attrs) for (var k in attrs) if (Object.prototype.hasOwnProperty.call(attrs, k)) e.setAttribute(k, attrs[k]);
    if (text != null) e.textContent = text;  // text only: never innerHTML
    return e;
  }

  function load(key, fallback) {
    try { var v = localStorage.getItem(KEY + key); return v == null ? fallback : JSON.parse(v); } catch (e) { return fallback; }
  }
  function save(key, value) {
    try { localStorage.setItem(KEY + key, JSON.stringify(value)); } catch (e) { /* storage full or disabled */ }
  }
  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID().replace(/-/g, "");
    return (Date.now().toString(16) + Math.random().toString(16).slice(2) + Math.random().toString(16).slice(2)).slice(0, 32);
  }
  function chars(text) { return Array.from(text).length; }  // code points, as the server counts
  function number(n) { try { return n.toLocaleString("vi-VN"); } catch (e) { return String(n); } }

  var sessionId = load("session", null) || newId();
  save("session", sessionId);
  var transcript = load("transcript", []);
  var outbox = load("outbox", []);          // [{id, message}]: not yet acknowledged by the server
  var config = load("config", null) || {};  // the server's last answer, for a visit that starts offline
  function maxChars() { return config.max_chars > 0 ? config.max_chars : FALLBACK_MAX_CHARS; }

  // --- DOM --------------------------------------------------------------------------------------------
  var style = el("style"); style.textContent = CSS; document.head.appendChild(style);
  var launcher = el("button", {"class": "ansinh-launcher", "type": "button", "aria-haspopup": "dialog", "aria-expanded": "false", "aria-controls": "ansinh-panel"}, "💬 Hỏi " + TITLE);
  var panel = el("section", {"id": "ansinh-panel", "class": "ansinh-panel", "role": "dialog", "aria-modal": "true", "aria-labelledby": "ansinh-title", "hidden": ""});
  var head = el("div", {"class": "ansinh-head"});
  var title = el("h2", {"id": "ansinh-title"}, TITLE);
  var restart = el("button", {"type": "button", "class": "ansinh-restart", "aria-label": "Bắt đầu lại: xoá cuộc trò chuyện trên máy này"}, "Bắt đầu lại");
  var close = el("button", {"type": "button", "class": "ansinh-close", "aria-label": "Đóng cửa sổ trò chuyện"}, "×");
  head.appendChild(title); head.appendChild(restart); head.appendChild(close);

  var confirmBox = el("div", {"class": "ansinh-confirm", "role": "group", "aria-labelledby": "ansinh-confirm-text", "hidden": ""});
  var confirmText = el("p", {"id": "ansinh-confirm-text"}, "Xoá toàn bộ cuộc trò chuyện trên máy này và bắt đầu cuộc trò chuyện mới? Lời nhắc đã đăng ký trên trang này cũng sẽ dừng.");
  var confirmRow = el("div");
  var confirmYes = el("button", {"type": "button", "class": "ansinh-danger ansinh-confirm-yes"}, "Xoá và bắt đầu lại");
  var confirmNo = el("button", {"type": "button", "class": "ansinh-confirm-no"}, "Huỷ");
  confirmRow.appendChild(confirmYes); confirmRow.appendChild(confirmNo);
  confirmBox.appendChild(confirmText); confirmBox.appendChild(confirmRow);

  var status = el("div", {"class": "ansinh-status", "role": "status", "hidden": ""});
  var log = el("div", {"class": "ansinh-log", "role": "log", "aria-live": "polite", "aria-label": "Cuộc trò chuyện", "tabindex": "0"});
  var intro = el("div", {"class": "ansinh-intro"});
  var history = el("div", {"class": "ansinh-history"});
  log.appendChild(intro); log.appendChild(history);
  var typing = el("div", {"class": "ansinh-typing", "aria-live": "polite", "hidden": ""}, "Trợ lý đang trả lời…");
  var form = el("form", {"class": "ansinh-form", "novalidate": ""});
  var label = el("label", {"for": "ansinh-input", "class": "ansinh-sr"}, "Câu hỏi của anh/chị");
  var input = el("textarea", {"id": "ansinh-input", "rows": "1", "placeholder": "Nhập câu hỏi…", "aria-describedby": "ansinh-hint ansinh-error"});
  var hint = el("span", {"id": "ansinh-hint", "class": "ansinh-sr"}, "Nhấn Enter để gửi, Shift+Enter để xuống dòng.");
  var send = el("button", {"type": "submit", "aria-label": "Gửi câu hỏi"}, "Gửi");
  var error = el("p", {"id": "ansinh-error", "class": "ansinh-error", "role": "alert", "hidden": ""});
  var count = el("p", {"class": "ansinh-count", "aria-hidden": "true", "hidden": ""});
  form.appendChild(label); form.appendChild(input); form.appendChild(hint); form.appendChild(send);
  form.appendChild(error); form.appendChild(count);
  panel.appendChild(head); panel.appendChild(confirmBox); panel.appendChild(status); panel.appendChild(log);
  panel.appendChild(typing); panel.appendChild(form);
  document.body.appendChild(launcher); document.body.appendChild(panel);

  // --- the first screen: greeting, what the assistant can and cannot do, the main topics -------------
  function renderIntro() {
    intro.textContent = "";
    var greeting = config.greeting || ("Xin chào anh/chị! Tôi là " + TITLE + ". Anh/chị cần hỏi gì ạ?");
    intro.appendChild(el("div", {"class": "ansinh-msg ansinh-bot"}, greeting));
    if (config.scope) intro.appendChild(el("div", {"class": "ansinh-msg ansinh-bot ansinh-scope"}, config.scope));
    var topics = Array.isArray(config.topics) ? config.topics : [];
    if (topics.length) intro.appendChild(buttonGroup(topics, "Chủ đề chính", "ansinh-topics"));
  }

  function buttonGroup(buttons, name, cls) {
    var box = el("div", {"class": "ansinh-buttons" + (cls ? " " + cls : ""), "role": "group", "aria-label": name});
    buttons.forEach(function (b) {
      if (!b || typeof b.title !== "string") return;
      var btn = el("button", {"type": "button"}, b.title);
      btn.addEventListener("click", function () { userSays(b.payload || b.title, b.title); });
      box.appendChild(btn);
    });
    return box;
  }

  function loadConfig() {
    if (!window.fetch) return;
    var ctrl = window.AbortController ? new AbortController() : null;
    var timer = setTimeout(function () { if (ctrl) ctrl.abort(); }, 8000);
    fetch(SERVER + "/webhooks/socketio/config", {signal: ctrl ? ctrl.signal : undefined, credentials: "omit"})
      .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
      .then(function (c) {
        if (!c || typeof c !== "object" || !(c.max_chars > 0)) return;
        config = c; save("config", c); renderIntro();
      })
      .catch(function () { /* offline: the cached settings, else the fallback */ })
      .then(function () { clearTimeout(timer); });
  }

  // --- transcript ---------------------------------------------------------------------------------------
  var bubbles = {};  // message id -> user bubble

  function render(item) {
    var msg = el("div", {"class": "ansinh-msg " + (item.who === "user" ? "ansinh-user" : "ansinh-bot")}, item.text || "");
    history.appendChild(msg);
    if (item.who === "user" && item.id) { bubbles[item.id] = msg; markState(item); }
    if (item.buttons && item.buttons.length) history.appendChild(buttonGroup(item.buttons, "Lựa chọn"));
    if (item.link) {
      var a = el("a", {"href": item.link, "target": "_blank", "rel": "noopener noreferrer"}, item.link);
      history.appendChild(a);
    }
    return msg;
  }
  function persist() {
    if (transcript.length > MAX_TRANSCRIPT) transcript = transcript.slice(-MAX_TRANSCRIPT);
    save("transcript", transcript);
  }
  function remember(item) {
    transcript.push(item);
    persist();
    return render(item);
  }
  function itemOf(id) {
    for (var i = transcript.length - 1; i >= 0; i--) if (transcript[i].id === id) return transcript[i];
    return null;
  }

  // The state of a user message: "sending", "unsent" (with a retry button) or delivered (no mark).
  function setState(id, state) {
    var item = itemOf(id);
    if (item) {
      if (state) item.state = state; else delete item.state;
      persist();
      markState(item);
    }
  }
  function markState(item) {
    var msg = bubbles[item.id];
    if (msg) keepBottom(function () { mark(msg, item); });
  }
  function mark(msg, item) {
    var old = msg.querySelector(".ansinh-note");
    if (old) msg.removeChild(old);
    msg.classList.toggle("ansinh-unsent", item.state === "unsent");
    if (!item.state) return;
    var note = el("span", {"class": "ansinh-note"}, item.state === "unsent" ? "Chưa gửi được" : "Đang gửi…");
    if (item.state === "unsent") {
      note.appendChild(document.createTextNode(". Tôi sẽ tự gửi khi có kết nối."));
      var again = el("button", {"type": "button", "class": "ansinh-retry", "aria-label": "Gửi lại tin nhắn: " + (item.text || "").slice(0, 60)}, "Gửi lại");
      again.addEventListener("click", function () { retry(item.id); });
      note.appendChild(again);
    }
    msg.appendChild(note);
  }

  // --- reading order: an answer is read from its first line --------------------------------------------
  var reply = null;  // {question: user bubble, first: first bot bubble of the answer}
  function showReply() {
    if (!reply || !reply.first) return;
    var pad = 8;
    var q = reply.question;
    var bottom = log.scrollHeight;
    // All of the question and the answer fit: show them; else the answer's first line at the top.
    if (q && q.isConnected && bottom - q.offsetTop + pad <= log.clientHeight) log.scrollTop = q.offsetTop - pad;
    else log.scrollTop = reply.first.offsetTop - pad;
  }
  function toBottom() { log.scrollTop = log.scrollHeight; }
  // A change of size (a status line, a delivery note) keeps a reader who was at the end at the end.
  function keepBottom(change) {
    var atEnd = log.scrollHeight - log.scrollTop - log.clientHeight < 4;
    change();
    if (atEnd) toBottom();
  }

  function renderAll() {
    history.textContent = ""; bubbles = {};
    transcript.forEach(render);
  }
  renderIntro();
  renderAll();

  // --- opening, closing, keyboard ------------------------------------------------------------------------
  function focusables() {
    return Array.prototype.filter.call(
      panel.querySelectorAll("button, textarea, a[href], [tabindex]:not([tabindex='-1'])"),
      function (e) { return !e.disabled && e.getClientRects().length > 0; });
  }
  function open() {
    panel.hidden = false; launcher.hidden = true; launcher.setAttribute("aria-expanded", "true");
    save("open", true);
    connect();
    toBottom();
    input.focus();
  }
  function shut() {
    hideConfirm(false);
    panel.hidden = true; launcher.hidden = false; launcher.setAttribute("aria-expanded", "false");
    save("open", false);
    launcher.focus();
  }
  launcher.addEventListener("click", open);
  close.addEventListener("click", shut);
  panel.addEventListener("keydown", function (e) {
    if (e.key === "Escape") {
      e.preventDefault();
      if (!confirmBox.hidden) hideConfirm(true); else shut();
      return;
    }
    if (e.key !== "Tab") return;
    var list = focusables();
    if (!list.length) return;
    var first = list[0], last = list[list.length - 1];
    var at = list.indexOf(document.activeElement);
    if (e.shiftKey && (at <= 0)) { e.preventDefault(); last.focus(); }
    else if (!e.shiftKey && (at === -1 || at === list.length - 1)) { e.preventDefault(); first.focus(); }
  });
  // Focus that leaves the open panel (a click on the page behind, a screen reader's jump) comes back.
  document.addEventListener("focusin", function (e) {
    if (!panel.hidden && !panel.contains(e.target)) input.focus();
  });

  // --- "Bắt đầu lại" -----------------------------------------------------------------------------------
  function showConfirm() { confirmBox.hidden = false; confirmNo.focus(); }
  function hideConfirm(refocus) { confirmBox.hidden = true; if (refocus) restart.focus(); }
  restart.addEventListener("click", showConfirm);
  confirmNo.addEventListener("click", function () { hideConfirm(true); });
  confirmYes.addEventListener("click", function () {
    // A shared device: the old session's reminders end with it (the server stops its web subscriptions).
    if (socket && ready) socket.emit("session_end", {session_id: sessionId});
    transcript = []; outbox = []; inflight = null; reply = null;
    save("transcript", transcript); save("outbox", outbox);
    sessionId = newId(); save("session", sessionId);
    showTyping(false); clearError(); input.value = "";
    renderAll();
    hideConfirm(false);
    if (socket) { socket.disconnect(); socket.connect(); }  // a new session_request on connect
    log.scrollTop = 0;
    input.focus();
  });

  // --- connection and delivery -------------------------------------------------------------------------
  var socket = null;
  var ready = false;      // connected and the session confirmed
  var offline = false;    // the last attempt to reach the server failed
  var waitTimer = null;
  var inflight = null;    // id of the message waiting for the server's acknowledgement

  function showTyping(on) { typing.hidden = !on; }
  function setStatus(text) { keepBottom(function () { status.textContent = text || ""; status.hidden = !text; }); }
  var OFFLINE = "Mất kết nối với máy chủ. Tin nhắn chưa gửi sẽ được gửi ngay khi kết nối lại.";

  function loadSocketIo(done) {
    if (window.io) return done();
    var s = document.createElement("script");
    s.src = base + "vendor/socket.io.min.js";
    s.onload = done;
    s.onerror = function () { setStatus("Không tải được thành phần kết nối. Anh/chị tải lại trang giúp tôi."); markUnsent(); };
    document.head.appendChild(s);
  }

  function markUnsent() {
    outbox.forEach(function (m) { if (m.id !== inflight) setState(m.id, "unsent"); });
  }

  function connect() {
    if (socket) { if (!socket.connected) socket.connect(); return; }
    loadSocketIo(function () {
      if (socket) return;
      socket = window.io(SERVER, {path: "/socket.io", transports: ["websocket", "polling"], reconnection: true,
                                  reconnectionDelay: 1000, reconnectionDelayMax: 5000});
      socket.on("connect", function () {
        offline = false;
        setStatus("");
        socket.emit("session_request", {session_id: sessionId});
      });
      socket.on("session_confirm", function (id) {
        if (id && id !== sessionId) { sessionId = id; save("session", id); }
        ready = true;
        flush();
      });
      socket.on("disconnect", function (reason) {
        ready = false; showTyping(false);
        if (reason === "io client disconnect") return;  // "Bắt đầu lại": reconnecting at once
        offline = true;
        setStatus(OFFLINE);
        markUnsent();
      });
      socket.on("connect_error", function () {
        ready = false; offline = true; showTyping(false);
        setStatus("Chưa kết nối được máy chủ, đang thử lại… Tin nhắn chưa gửi sẽ được gửi ngay khi kết nối lại.");
        markUnsent();
      });
      socket.on("bot_uttered", function (m) {
        if (!m || typeof m !== "object") return;
        var buttons = (m.quick_replies || m.buttons || []).map(function (b) { return {title: b.title, payload: b.payload}; });
        var link = m.attachment && m.attachment.payload && m.attachment.payload.src;
        var bubble = remember({who: "bot", text: m.text || "", buttons: buttons, link: typeof link === "string" && /^https?:\/\//.test(link) ? link : null});
        if (!reply) reply = {question: null, first: bubble};
        if (!reply.first) reply.first = bubble;
        showReply();
      });
    });
  }

  // One message at a time, in order; the next after the server has acknowledged the previous one.
  function flush() {
    if (inflight || !outbox.length) return;
    if (!socket || !socket.connected || !ready) {
      // Known to be offline: say so now; else give the first connection a few seconds.
      if (offline) markUnsent();
      else if (!waitTimer) waitTimer = setTimeout(function () { waitTimer = null; if (!ready) markUnsent(); }, 8000);
      connect();
      return;
    }
    var m = outbox[0];
    inflight = m.id;
    setState(m.id, "sending");
    reply = {question: bubbles[m.id] || null, first: null};
    showTyping(true);
    var session = sessionId;
    socket.timeout(ACK_TIMEOUT_MS).emit("user_uttered", {message: m.message, session_id: session, metadata: {message_id: m.id}}, function (err) {
      if (inflight !== m.id) return;  // the conversation was started again meanwhile
      inflight = null;
      showTyping(false);
      if (err) { setState(m.id, "unsent"); return; }  // lost or too slow: kept, re-sent on reconnection
      outbox = outbox.filter(function (o) { return o.id !== m.id; });
      save("outbox", outbox);
      setState(m.id, null);  // the "Đang gửi…" line above the answer goes: keep the answer's first line in place
      showReply();
      flush();
    });
  }

  function retry(id) {
    setState(id, "sending");
    if (socket && socket.connected && ready) flush();
    else { setStatus(OFFLINE); connect(); setTimeout(function () { if (!ready && inflight !== id) setState(id, "unsent"); }, 3000); }
  }

  // --- sending ---------------------------------------------------------------------------------------------
  function clearError() { error.hidden = true; error.textContent = ""; input.removeAttribute("aria-invalid"); }
  function updateCount() {
    var n = chars(input.value.trim()), max = maxChars();
    count.hidden = n < max * 0.8;
    count.textContent = number(n) + "/" + number(max) + " ký tự";
    if (n <= max && !error.hidden) clearError();
  }

  function userSays(message, shown) {
    message = (message || "").trim();
    if (!message) return false;
    var n = chars(message), max = maxChars();
    if (n > max) {
      error.textContent = "Tin nhắn dài " + number(n) + " ký tự, quá giới hạn " + number(max) +
        " ký tự nên tôi chưa gửi. Anh/chị rút ngắn lại giúp tôi nhé: nội dung vẫn còn trong ô nhập.";
      error.hidden = false;
      input.setAttribute("aria-invalid", "true");
      return false;
    }
    clearError();
    var id = newId();
    outbox.push({id: id, message: message});
    save("outbox", outbox);
    remember({who: "user", text: shown || message, id: id, state: "sending"});
    toBottom();
    flush();
    return true;
  }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    if (userSays(input.value)) { input.value = ""; updateCount(); }
    else input.focus();  // refused: the text stays in the box to be shortened
  });
  input.addEventListener("input", updateCount);
  input.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event("submit", {cancelable: true}));
    }
  });
  window.addEventListener("online", function () { if (outbox.length) connect(); });

  loadConfig();
  if (load("open", false)) open();
  else if (outbox.length) connect();  // messages left from the last visit go out by themselves
  window.AnSinhWidget = {
    open: open, close: shut,
    session: function () { return sessionId; },
    server: function () { return SERVER; },
    maxChars: maxChars
  };
})();
