/*
 * Trợ lý An Sinh — chat widget for the labour portal.
 *
 * Embed with one tag:
 *   <script src="https://<host>/ansinh-widget.js" data-server="https://<rasa-host>" defer></script>
 *
 * Talks to Rasa's socket.io channel (session_persistence: true): a returning visitor keeps the same
 * session id (localStorage) and so the same conversation; the transcript is kept in localStorage so the
 * page shows it again after a reload. User and bot text is always inserted as text (textContent), never
 * as HTML. Keyboard-usable, labelled for screen readers, fits a 360-px-wide phone.
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
  var params = new URLSearchParams(location.search);
  var SERVER = params.get("rasa") || script.getAttribute("data-server") || "http://localhost:5005";
  var TITLE = script.getAttribute("data-title") || "Trợ lý An Sinh";
  var KEY = "ansinh.widget.";
  var MAX_INPUT = 1000;
  var MAX_TRANSCRIPT = 200;

  var CSS = [
    ".ansinh-launcher{position:fixed;right:16px;bottom:16px;z-index:2147483000;background:#0b5d3b;color:#fff;border:0;border-radius:28px;padding:14px 18px;font:600 16px system-ui,sans-serif;box-shadow:0 2px 8px rgba(0,0,0,.3);cursor:pointer}",
    ".ansinh-launcher:focus-visible,.ansinh-panel button:focus-visible,.ansinh-panel textarea:focus-visible{outline:3px solid #f5b700;outline-offset:2px}",
    ".ansinh-panel{position:fixed;right:16px;bottom:16px;z-index:2147483001;width:min(380px,calc(100vw - 16px));height:min(600px,calc(100vh - 32px));display:flex;flex-direction:column;background:#f6f8f9;border-radius:12px;box-shadow:0 4px 24px rgba(0,0,0,.35);font:15px/1.45 system-ui,sans-serif;color:#1b1f23;overflow:hidden}",
    "@media (max-width:420px){.ansinh-panel{right:0;bottom:0;width:100vw;height:100vh;border-radius:0}}",
    ".ansinh-panel[hidden]{display:none}",
    ".ansinh-head{display:flex;align-items:center;justify-content:space-between;background:#0b5d3b;color:#fff;padding:10px 12px;font-weight:600}",
    ".ansinh-head button{background:transparent;border:0;color:#fff;font-size:22px;line-height:1;cursor:pointer;padding:4px 8px}",
    ".ansinh-status{background:#fff4d6;color:#5c4400;padding:6px 12px;font-size:13px}",
    ".ansinh-status[hidden]{display:none}",
    ".ansinh-log{flex:1;overflow-y:auto;padding:10px}",
    ".ansinh-msg{margin:6px 0;padding:8px 12px;border-radius:12px;max-width:88%;white-space:pre-wrap;word-wrap:break-word}",
    ".ansinh-bot{background:#fff;border:1px solid #dde3e8}",
    ".ansinh-user{background:#d8f0e3;margin-left:auto}",
    ".ansinh-buttons{display:flex;flex-wrap:wrap;gap:6px;margin:4px 0 8px}",
    ".ansinh-buttons button{border:1px solid #0b5d3b;background:#fff;color:#0b5d3b;border-radius:16px;padding:6px 10px;font:inherit;cursor:pointer}",
    ".ansinh-typing{color:#5b6670;font-style:italic;padding:0 12px 6px}",
    ".ansinh-typing[hidden]{display:none}",
    ".ansinh-form{display:flex;gap:6px;padding:8px;background:#fff;border-top:1px solid #dde3e8}",
    ".ansinh-form textarea{flex:1;resize:none;font:inherit;padding:8px;border:1px solid #9aa5b1;border-radius:8px;min-height:40px;max-height:120px}",
    ".ansinh-form button{background:#0b5d3b;color:#fff;border:0;border-radius:8px;padding:0 14px;font:600 15px system-ui,sans-serif;cursor:pointer}",
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
  function newSessionId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID().replace(/-/g, "");
    return (Date.now().toString(16) + Math.random().toString(16).slice(2)).slice(0, 32);
  }

  var sessionId = load("session", null) || newSessionId();
  save("session", sessionId);
  var transcript = load("transcript", []);

  // --- DOM --------------------------------------------------------------------------------------------
  var style = el("style"); style.textContent = CSS; document.head.appendChild(style);
  var launcher = el("button", {"class": "ansinh-launcher", "type": "button", "aria-haspopup": "dialog", "aria-expanded": "false"}, "💬 Hỏi " + TITLE);
  var panel = el("section", {"class": "ansinh-panel", "role": "dialog", "aria-label": TITLE, "hidden": ""});
  var head = el("div", {"class": "ansinh-head"});
  var title = el("h2", {"style": "margin:0;font-size:16px"}, TITLE);
  var close = el("button", {"type": "button", "aria-label": "Đóng cửa sổ trò chuyện"}, "×");
  head.appendChild(title); head.appendChild(close);
  var status = el("div", {"class": "ansinh-status", "role": "status", "hidden": ""});
  var log = el("div", {"class": "ansinh-log", "role": "log", "aria-live": "polite", "aria-label": "Cuộc trò chuyện", "tabindex": "0"});
  var typing = el("div", {"class": "ansinh-typing", "aria-live": "polite", "hidden": ""}, "Trợ lý đang trả lời…");
  var form = el("form", {"class": "ansinh-form"});
  var label = el("label", {"for": "ansinh-input", "class": "ansinh-sr"}, "Câu hỏi của anh/chị");
  var input = el("textarea", {"id": "ansinh-input", "rows": "1", "maxlength": String(MAX_INPUT), "placeholder": "Nhập câu hỏi…", "aria-describedby": "ansinh-hint"});
  var hint = el("span", {"id": "ansinh-hint", "class": "ansinh-sr"}, "Nhấn Enter để gửi, Shift+Enter để xuống dòng.");
  var send = el("button", {"type": "submit"}, "Gửi");
  form.appendChild(label); form.appendChild(input); form.appendChild(hint); form.appendChild(send);
  panel.appendChild(head); panel.appendChild(status); panel.appendChild(log); panel.appendChild(typing); panel.appendChild(form);
  document.body.appendChild(launcher); document.body.appendChild(panel);

  function render(item) {
    var msg = el("div", {"class": "ansinh-msg " + (item.who === "user" ? "ansinh-user" : "ansinh-bot")}, item.text || "");
    log.appendChild(msg);
    if (item.buttons && item.buttons.length) {
      var box = el("div", {"class": "ansinh-buttons", "role": "group", "aria-label": "Lựa chọn"});
      item.buttons.forEach(function (b) {
        var btn = el("button", {"type": "button"}, b.title);
        btn.addEventListener("click", function () { userSays(b.payload, b.title); });
        box.appendChild(btn);
      });
      log.appendChild(box);
    }
    if (item.link) {
      var a = el("a", {"href": item.link, "target": "_blank", "rel": "noopener noreferrer"}, item.link);
      log.appendChild(a);
    }
    log.scrollTop = log.scrollHeight;
  }
  function remember(item) {
    transcript.push(item);
    if (transcript.length > MAX_TRANSCRIPT) transcript = transcript.slice(-MAX_TRANSCRIPT);
    save("transcript", transcript);
    render(item);
  }
  transcript.forEach(render);

  function open() {
    panel.hidden = false; launcher.hidden = true; launcher.setAttribute("aria-expanded", "true");
    save("open", true);
    connect();
    if (!transcript.length) remember({who: "bot", text: "Xin chào anh/chị! Tôi là " + TITLE + ". Anh/chị muốn hỏi gì về BHXH tự nguyện, BHYT hộ gia đình, trợ cấp thất nghiệp hay quyền lợi người lao động?"});
    input.focus();
  }
  function shut() {
    panel.hidden = true; launcher.hidden = false; launcher.setAttribute("aria-expanded", "false");
    save("open", false);
    launcher.focus();
  }
  launcher.addEventListener("click", open);
  close.addEventListener("click", shut);
  panel.addEventListener("keydown", function (e) { if (e.key === "Escape") shut(); });

  // --- connection ---------------------------------------------------------------------------------------
  var socket = null;
  var pending = [];
  var typingTimer = null;

  function showTyping(on) {
    typing.hidden = !on;
    clearTimeout(typingTimer);
    if (on) typingTimer = setTimeout(function () { typing.hidden = true; }, 20000);
  }
  function setStatus(text) { status.textContent = text || ""; status.hidden = !text; }

  function loadSocketIo(done) {
    if (window.io) return done();
    var s = document.createElement("script");
    s.src = base + "vendor/socket.io.min.js";
    s.onload = done;
    s.onerror = function () { setStatus("Không tải được thành phần kết nối. Anh/chị tải lại trang giúp tôi."); };
    document.head.appendChild(s);
  }

  function connect() {
    if (socket) return;
    loadSocketIo(function () {
      if (socket) return;
      socket = window.io(SERVER, {path: "/socket.io", transports: ["websocket", "polling"], reconnection: true, reconnectionDelayMax: 10000});
      socket.on("connect", function () {
        setStatus("");
        socket.emit("session_request", {session_id: sessionId});
      });
      socket.on("session_confirm", function (id) {
        if (id && id !== sessionId) { sessionId = id; save("session", id); }
        var queue = pending; pending = [];
        queue.forEach(function (m) { socket.emit("user_uttered", {message: m, session_id: sessionId}); });
      });
      socket.on("disconnect", function () { setStatus("Mất kết nối, đang thử kết nối lại…"); });
      socket.on("connect_error", function () { setStatus("Chưa kết nối được máy chủ, đang thử lại…"); });
      socket.on("bot_uttered", function (m) {
        showTyping(false);
        var buttons = (m.quick_replies || m.buttons || []).map(function (b) { return {title: b.title, payload: b.payload}; });
        var link = m.attachment && m.attachment.payload && m.attachment.payload.src;
        remember({who: "bot", text: m.text || "", buttons: buttons, link: typeof link === "string" && /^https?:\/\//.test(link) ? link : null});
      });
    });
  }

  function userSays(message, shown) {
    message = (message || "").trim();
    if (!message) return;
    if (message.length > MAX_INPUT) {
      remember({who: "bot", text: "Tin nhắn dài quá " + MAX_INPUT + " ký tự. Anh/chị viết ngắn lại giúp tôi nhé."});
      return;
    }
    remember({who: "user", text: shown || message});
    showTyping(true);
    if (socket && socket.connected) socket.emit("user_uttered", {message: message, session_id: sessionId});
    else { pending.push(message); connect(); }
  }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var text = input.value;
    input.value = "";
    userSays(text);
  });
  input.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event("submit")); }
  });

  if (load("open", false)) open();
  window.AnSinhWidget = {open: open, close: shut, session: function () { return sessionId; }};
})();
