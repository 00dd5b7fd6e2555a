"""Parse latency of the trained model (tokenizer, featurizers, classifier, entity extractor).

Writes ``reports/bench.md`` and ``reports/bench.json``. Messages are our own test phrasings, with and
without diacritics, short and long.
"""
from __future__ import annotations

import asyncio
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

MESSAGES = [
    "đóng bhxh tự nguyện mỗi tháng bao nhiêu tiền",
    "dong bhxh tu nguyen 1 thang het bn",
    "thu nhập 3 triệu, hộ cận nghèo, đóng hàng tháng thì bao nhiêu",
    "nhà tôi 4 người mua bhyt hộ gia đình hết bao nhiêu",
    "lương 10tr đóng bhtn 30 tháng được bao nhiêu",
    "Tôi ở Long An, công ty nợ lương 3 tháng thì hỏi ai?",
    "chào bạn",
    "Tôi làm công nhân may ở Bình Dương được 5 năm, tháng trước công ty cho nghỉ việc vì không có đơn hàng, "
    "tôi đã đóng bảo hiểm thất nghiệp đầy đủ. Xin hỏi tôi được hưởng trợ cấp bao nhiêu tháng và nộp hồ sơ ở đâu?",
]


async def main() -> None:
    from rasa.core.agent import Agent

    agent = Agent.load(str(ROOT / "models" / "ansinh.tar.gz"))
    for m in MESSAGES:  # warm-up (loads underthesea's model)
        await agent.parse_message(m)
    timings = []
    for _ in range(25):
        for m in MESSAGES:
            t0 = time.perf_counter()
            await agent.parse_message(m)
            timings.append((time.perf_counter() - t0) * 1000)
    timings.sort()
    result = {
        "messages": len(timings),
        "median_ms": round(statistics.median(timings), 2),
        "p95_ms": round(timings[int(0.95 * len(timings)) - 1], 2),
        "max_ms": round(timings[-1], 2),
    }
    out = ROOT / "reports"
    out.mkdir(exist_ok=True)
    (out / "bench.json").write_text(json.dumps(result, indent=1))
    (out / "bench.md").write_text(
        "# Parse latency\n\n"
        f"{result['messages']} parses of {len(MESSAGES)} messages (after warm-up), one process, this machine.\n\n"
        f"| median | p95 | max |\n|---|---|---|\n| {result['median_ms']} ms | {result['p95_ms']} ms | {result['max_ms']} ms |\n"
    )
    print(json.dumps(result))


if __name__ == "__main__":
    asyncio.run(main())
