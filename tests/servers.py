"""Start the real Rasa server and action server as subprocesses for end-to-end tests."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Dict, Iterator, List, Optional

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
MODEL = ROOT / "models" / "ansinh.tar.gz"


# Every test Rasa runs locked, as `make run` starts it: the HTTP API (trackers, events, /status) only with this
# token, CORS only for the demo portal's origin. Tests that read the API add ``?token=`` (``api_url``).
# (The port yielded stays a plain int: socket.getaddrinfo refuses int subclasses.)
RASA_TOKEN = "ansinh-test-token"
DEFAULT_CORS = "http://localhost:8080"


TOKENS: Dict[int, Optional[str]] = {}  # the token of each running test Rasa, by port (None: unlocked)


def api_url(port: int, path: str, token: Optional[str] = None) -> str:
    """``http://127.0.0.1:<port><path>`` with a token: ``token`` if given ("" for none), else that server's."""
    if token is None:
        token = TOKENS.get(port, RASA_TOKEN)
    url = f"http://127.0.0.1:{port}{path}"
    if token:
        url += ("&" if "?" in path else "?") + "token=" + urllib.parse.quote(token, safe="")
    return url


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(extra: Dict[str, str]) -> Dict[str, str]:
    env = dict(os.environ)
    env.update({"PYTHONPATH": str(ROOT), "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "3"})
    env.update(extra)
    return env


def wait_http(url: str, proc: subprocess.Popen, log: Path, timeout: float = 180) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited ({proc.returncode}):\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"{url} did not answer in {timeout} s:\n{log.read_text()[-3000:]}")


@contextmanager
def action_server(tmp: Path, env: Dict[str, str], port: Optional[int] = None) -> Iterator[int]:
    """The action server on ``port`` (default a free one; the same port again: a restart)."""
    port = port or free_port()
    log = tmp / f"actions-{port}.log"
    with log.open("a") as out:
        proc = subprocess.Popen(
            [str(BIN / "rasa"), "run", "actions", "--port", str(port), "--actions", "actions.actions"],
            cwd=ROOT, env=_env(env), stdout=out, stderr=subprocess.STDOUT,
        )
    try:
        wait_http(f"http://127.0.0.1:{port}/health", proc, log)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@contextmanager
def rasa_server(
    tmp: Path, endpoints: Path, env: Dict[str, str], cwd: Optional[Path] = None, credentials: Optional[Path] = None,
    extra_args: Optional[List[str]] = None, token: Optional[str] = RASA_TOKEN, cors: Optional[List[str]] = None,
) -> Iterator[int]:
    """Rasa with the API locked by ``token`` (None: no token) and CORS for ``cors`` (default the demo portal's
    origin; a ``--cors`` in ``extra_args`` wins); yields its port (a plain int: ``socket`` wants exactly that).
    ``api_url(port, path)`` adds the token."""
    if not MODEL.exists():
        raise FileNotFoundError(f"{MODEL} is missing: run `make train` first")
    port = free_port()
    log = tmp / f"rasa-{port}.log"
    lock = ["--auth-token", token] if token else []
    if token:
        env = {"ANSINH_RASA_TOKEN": token, **env}  # the staff relay (channels/takeover.py) checks the same token
    with log.open("w") as out:
        proc = subprocess.Popen(
            [str(BIN / "rasa"), "run", "--model", str(MODEL), "--enable-api", *lock, "--cors", *(cors or [DEFAULT_CORS]),
             "--port", str(port), "--endpoints", str(endpoints), "--credentials", str(credentials or ROOT / "credentials.yml")]
            + list(extra_args or []),
            cwd=cwd or tmp, env=_env(env), stdout=out, stderr=subprocess.STDOUT,
        )
    try:
        wait_http(api_url(port, "/status", token or ""), proc, log)
        TOKENS[port] = token
        yield port
    finally:
        TOKENS.pop(port, None)
        proc.terminate()
        proc.wait(timeout=60)


def default_endpoints(tmp: Path, action_port: int) -> Path:
    """The embedded default endpoints, pointed at a test action server."""
    path = tmp / "endpoints.yml"
    path.write_text(
        (ROOT / "endpoints.yml").read_text().replace("http://localhost:5055/webhook", f"http://127.0.0.1:{action_port}/webhook")
    )
    return path


@contextmanager
def static_server(directory: Path, tmp: Path) -> Iterator[int]:
    port = free_port()
    log = tmp / f"static-{port}.log"
    with log.open("w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1",
                                 "--directory", str(directory)], stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_http(f"http://127.0.0.1:{port}/", proc, log, timeout=30)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=10)


TEST_DAY = "2026-11-25"


@contextmanager
def assistant(tmp: Path, credentials_yaml: Optional[str] = None, extra_args: Optional[List[str]] = None,
              today: str = TEST_DAY, extra_env: Optional[Dict[str, str]] = None,
              token: Optional[str] = RASA_TOKEN) -> Iterator[int]:
    """Action server + Rasa on the embedded default configuration (rules pinned to ``today``), the API locked
    with ``token`` (``RASA_TOKEN``; None: unlocked); yields Rasa's port."""
    env = {"ANSINH_TODAY": today, "ANSINH_DB_URL": f"sqlite:///{tmp}/cases.db", **(extra_env or {})}
    credentials = None
    if credentials_yaml is not None:
        credentials = tmp / "credentials.yml"
        credentials.write_text(credentials_yaml)
    with action_server(tmp, env) as aport:
        with rasa_server(tmp, default_endpoints(tmp, aport), env, credentials=credentials, extra_args=extra_args,
                         token=token) as port:
            yield port


def post_webhook(url: str, body: bytes, headers: Dict[str, str]) -> "tuple[int, float]":
    """POST ``body`` to a webhook: (HTTP status, seconds until the answer), errors included."""
    import urllib.error

    req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json", **headers})
    t0 = time.perf_counter()
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, time.perf_counter() - t0
    except urllib.error.HTTPError as err:
        return err.code, time.perf_counter() - t0


def say(port: int, sender: str, message: str) -> List[dict]:
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}/webhooks/rest/webhook",
        data=json.dumps({"sender": sender, "message": message}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.loads(r.read())


def text_of(replies: List[dict]) -> str:
    return "\n".join(m.get("text", "") for m in replies)
