"""How fast the Telegram and Zalo webhooks answer (the conversation itself continues in the background).

Starts the action server and Rasa with both connectors pointed at local stand-ins of the platform APIs,
posts 50 updates to each webhook from this process, and writes reports/webhooks.md and .json.
"""
from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.servers import assistant  # noqa: E402
from tests.test_telegram import SECRET, TOKEN, BotApiStandIn, post as tg_post, text_update  # noqa: E402
from tests.test_zalo import APP_ID, APP_SECRET, OA_SECRET, ZaloApi, event, post as zalo_post  # noqa: E402

N = 50
QUESTIONS = ["đóng bhxh tự nguyện mỗi tháng bao nhiêu tiền", "nhà tôi 3 người mua bhyt hết bao nhiêu", "chào bạn"]


def summary(samples):
    samples = sorted(s * 1000 for s in samples)
    return {"n": len(samples), "median_ms": round(statistics.median(samples), 1),
            "p95_ms": round(samples[int(0.95 * len(samples)) - 1], 1), "max_ms": round(samples[-1], 1)}


def main() -> None:
    tmp = Path(tempfile.mkdtemp())
    tg, zalo = BotApiStandIn().start(), ZaloApi().start()
    zalo.valid_access = {"AT-0"}
    credentials = (
        "rest:\n"
        "channels.telegram.TelegramInput:\n"
        f"  access_token: \"{TOKEN}\"\n  secret_token: \"{SECRET}\"\n  base_url: \"http://127.0.0.1:{tg.port}/bot\"\n"
        "channels.zalo.ZaloInput:\n"
        f"  app_id: \"{APP_ID}\"\n  app_secret: \"{APP_SECRET}\"\n  oa_secret_key: \"{OA_SECRET}\"\n"
        f"  access_token: \"AT-0\"\n  refresh_token: \"RT-1\"\n  database_url: \"sqlite:///{tmp}/zalo.db\"\n"
        f"  api_base: \"{zalo.url}\"\n  oauth_base: \"{zalo.url}\"\n"
    )
    result = {}
    with assistant(tmp, credentials) as port:
        tg_times, zalo_times = [], []
        for i in range(N):
            status, seconds = tg_post(port, text_update(10_000 + i, 50_000 + i, QUESTIONS[i % 3]))
            assert status == 200
            tg_times.append(seconds)
            status, seconds = zalo_post(port, event(f"bench{i}", QUESTIONS[i % 3], f"bench-{i}"))
            assert status == 200
            zalo_times.append(seconds)
            time.sleep(0.05)
        time.sleep(5)  # let the background conversations finish before stopping the servers
        result = {"telegram": summary(tg_times), "zalo": summary(zalo_times),
                  "replies_delivered": {"telegram": len([c for c in tg.calls if c[0] == "sendMessage"]),
                                        "zalo": len(zalo.sent)}}
    out = ROOT / "reports"
    out.mkdir(exist_ok=True)
    (out / "webhooks.json").write_text(json.dumps(result, indent=1))
    lines = ["# Webhook response time", "", f"{N} updates to each webhook, one at a time, on this machine "
             "(Rasa, action server and platform stand-ins all local). The reply is sent in the background.", "",
             "| webhook | median | p95 | max |", "|---|---|---|---|"]
    for k in ("telegram", "zalo"):
        r = result[k]
        lines.append(f"| {k} | {r['median_ms']} ms | {r['p95_ms']} ms | {r['max_ms']} ms |")
    lines += ["", f"Replies delivered to the stand-ins: {result['replies_delivered']}"]
    (out / "webhooks.md").write_text("\n".join(lines) + "\n")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
