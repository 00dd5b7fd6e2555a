"""The programme dashboard (programme managers and supervisors): figures only, no personal data.

    GET /dashboard                   conversations, topics, calculators, the funnel, cases, ratings, reminders
    GET /dashboard/targets           the assistant's own figures beside Decision 176's targets
    GET /dashboard/{table}.csv       any table of either page (UTF-8 with a BOM, so Excel reads Vietnamese)

Both pages and the CSV files take ``?from=YYYY-MM-DD&to=YYYY-MM-DD`` (Vietnam days; default the last 12 weeks).
The figures are outreach/metrics.py's; each table here is built once and shown on the page and written to its CSV
from the same rows, so the two always agree. Charts are channels/console/charts.py's SVG images.
"""
from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import logging
import threading
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Tuple

from aiohttp import web

from channels.console import auth, charts
from channels.console.settings import VN
from knowledge.money import format_number
from outreach import metrics as M

log = logging.getLogger(__name__)

CHANNEL_LABELS = {"telegram": "Telegram", "zalo": "Zalo", "socketio": "Trang web", "rest": "REST", "": "Chưa rõ",
                  "unknown": "Chưa rõ"}
CALCULATOR_LABELS = {"vsi": "BHXH tự nguyện", "hi": "BHYT hộ gia đình", "ui": "Trợ cấp thất nghiệp", "pension": "Lương hưu"}
PROBLEM_LABELS = {"insurance": "Cơ quan BHXH", "dispute": "Trợ giúp pháp lý, công đoàn",
                  "unemployment": "Trung tâm dịch vụ việc làm", "": "Chưa rõ"}
SUBSCRIPTION_LABELS = {"vsi_payment": "Nhắc đóng BHXH tự nguyện", "hi_renewal": "Nhắc gia hạn thẻ BHYT", "news": "Nhận tin"}
OUTREACH_LABELS = {"pending": "Chưa rõ kết quả", "sent": "Đã gửi", "delivered": "Đã đến nơi",
                   "undeliverable": "Không gửi được", "waiting_visit": "Chờ lần truy cập tới (web)",
                   "skipped": "Hoãn (giờ nghỉ, giới hạn tuần)"}
FUNNEL = (("asked", "Đã hỏi trợ lý"), ("calculated", "Đã tính bằng công cụ tính"),
          ("referred", "Được chỉ nơi đăng ký, nộp hồ sơ sau khi tính"), ("subscribed", "Đăng ký nhận nhắc, nhận tin"))
NO_EVENTS = ("Chưa có dữ liệu: chưa đọc được luồng sự kiện của Rasa (event broker, ANSINH_EVENTS_URL). "
             "Số liệu về cuộc trò chuyện sẽ hiện khi Rasa đã ghi sự kiện.")
EVENTS_SOURCE = "Nguồn: luồng sự kiện của Rasa (event broker)."
CASES_SOURCE = "Nguồn: cơ sở dữ liệu hồ sơ của bàn làm việc cán bộ."
DISCLAIMER = ("Đây là đóng góp của riêng Trợ lý An Sinh: số người trợ lý đã hướng dẫn, chỉ nơi đăng ký, nhắc đóng tiền "
              "và số việc cán bộ đã giải quyết qua trợ lý. Đây không phải tỷ lệ bao phủ bảo hiểm xã hội của cả nước; "
              "tỷ lệ đó do cơ quan BHXH và cơ quan thống kê công bố.")
MAX_DAYS = 3 * 366
_chart_lock = threading.Lock()  # matplotlib's rc_context changes global settings


@dataclass
class Table:
    id: str
    title: str
    columns: List[str]
    rows: List[List[Any]]
    note: str = ""
    source: str = ""
    chart: Optional[str] = None  # a data: URI (SVG)
    chart_alt: str = ""
    missing: Optional[str] = None  # why there are no figures (the events database is missing)

    @property
    def numeric(self) -> List[int]:
        """The columns holding figures (right-aligned, like their cells)."""
        return [i for i in range(len(self.columns))
                if self.rows and all(isinstance(r[i], (int, float)) or r[i] is None for r in self.rows)
                and any(isinstance(r[i], (int, float)) for r in self.rows)]


@dataclass
class Page:
    period: M.Period
    tables: List[Table]
    totals: Dict[str, Any] = field(default_factory=dict)
    events: bool = True
    extra: Dict[str, Any] = field(default_factory=dict)

    def table(self, table_id: str) -> Table:
        return next(t for t in self.tables if t.id == table_id)


def cell(value: Any) -> str:
    """A figure as the page shows it (Vietnamese thousands separator); None as a dash."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "có" if value else "không"
    if isinstance(value, int):
        return format_number(value)
    if isinstance(value, float):
        return f"{value:.1f}".replace(".", ",")
    return str(value)


def csv_cell(value: Any) -> str:
    """A figure as the CSV file has it: whole numbers without separators, the rest as on the page."""
    if value is None:
        return ""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return cell(value)


def _week(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")


def _month(key: str) -> str:
    try:
        return dt.datetime.strptime(key, "%Y-%m").strftime("%m/%Y")
    except ValueError:
        return key or "Chưa rõ"


# A topic's label is its button's title ("Đóng bao nhiêu tiền?"): the area its key starts with says of what.
TOPIC_AREAS = (("vsi_", "BHXH tự nguyện"), ("pension_", "Lương hưu"), ("si_", "BHXH"), ("hi_", "BHYT"),
               ("ui_", "Trợ cấp thất nghiệp"))


def topic_title(key: str) -> str:
    """``"BHXH tự nguyện · Đóng bao nhiêu tiền?"`` for vsi_contribution; the key itself when it has no label."""
    try:
        from knowledge.registry import registry

        topic = registry().topics.get(key)
        label = topic.label if topic and topic.label else ""
    except Exception:  # noqa: BLE001 - a label is cosmetic
        label = ""
    if not label:
        return key
    area = next((name for prefix, name in TOPIC_AREAS if key.startswith(prefix)), "")
    return f"{area} · {label}" if area and area.lower() not in label.lower() else label


_topic_label = topic_title


def _chart(*args, **kwargs) -> Optional[str]:
    try:
        with _chart_lock:
            return charts.bars(*args, **kwargs)
    except Exception:  # noqa: BLE001 - a chart that fails leaves its table
        log.exception("dashboard chart failed")
        return None


def _province(name: str) -> str:
    return name or "Chưa rõ"


# --- the period -----------------------------------------------------------------------------------------


def today() -> dt.date:
    return dt.datetime.now(VN).date()


def period_of(request: web.Request) -> Tuple[M.Period, Optional[str]]:
    """The period asked for (``from``, ``to``), else the last 12 weeks; an error message for a wrong one."""
    default = M.last_weeks(today())
    raw_from, raw_to = request.query.get("from", ""), request.query.get("to", "")
    if not raw_from and not raw_to:
        return default, None
    try:
        start = dt.date.fromisoformat(raw_from) if raw_from else default.start
        end = dt.date.fromisoformat(raw_to) if raw_to else default.end
    except ValueError:
        return default, "Ngày không hợp lệ (dạng năm-tháng-ngày); đang hiện 12 tuần gần nhất."
    if end < start:
        return default, "Ngày bắt đầu sau ngày kết thúc; đang hiện 12 tuần gần nhất."
    if (end - start).days > MAX_DAYS:
        return default, "Khoảng thời gian dài quá ba năm; đang hiện 12 tuần gần nhất."
    return M.Period(start, end), None


# --- building the pages ---------------------------------------------------------------------------------


_event_cache: Dict[Tuple[str, M.Period], Tuple[int, M.EventFigures]] = {}
_cache_lock = threading.Lock()


def _events(app, period: M.Period) -> Optional[M.EventFigures]:
    """The event stream's figures for the period; None when there is no event database (yet). Kept until Rasa
    writes a new event (its rows only grow), so the page and its CSV files read the stream once."""
    url = app["settings"].events_url
    events = M.open_events(url)
    if events is None:
        return None
    try:
        from knowledge.registry import registry

        newest = M.newest_event(events)
        with _cache_lock:
            cached = _event_cache.get((url, period))
        if cached is not None and cached[0] == newest:
            figures = cached[1]
        else:
            figures = M.event_figures(events, period, registry().topics.keys())
            with _cache_lock:
                if len(_event_cache) > 32:
                    _event_cache.clear()
                _event_cache[(url, period)] = (newest, figures)
        return M.with_subscriptions(figures, app["engine"], period)
    except Exception:  # noqa: BLE001 - an unreadable event stream is "no data", not a broken page
        log.exception("events database unreadable")
        return None


def _weekly(rows: List[dict], period: M.Period, key: str, labels: Callable[[str], str], value: str = "conversations",
            top: int = 6) -> Tuple[List[str], Dict[str, List[int]]]:
    """Weeks × the ``top`` most frequent values of ``key`` (the rest as "Khác"), for a stacked chart."""
    totals: Dict[str, int] = {}
    for r in rows:
        totals[r[key]] = totals.get(r[key], 0) + r[value]
    names = sorted(totals, key=lambda k: (-totals[k], k))
    shown = names[:top]
    weeks = period.weeks()
    series: Dict[str, List[int]] = {labels(n): [0] * len(weeks) for n in shown}
    if len(names) > top:
        series["Khác"] = [0] * len(weeks)
    index = {w: i for i, w in enumerate(weeks)}
    for r in rows:
        name = labels(r[key]) if r[key] in shown else "Khác"
        series[name][index[r["week"]]] += r[value]
    return [w.strftime("%d/%m") for w in weeks], series


def build_dashboard(app, period: M.Period, with_charts: bool = True) -> Page:
    ev = _events(app, period)
    cf = M.case_figures(app["engine"], period)
    of = M.outreach_figures(app["engine"], period)
    missing = None if ev is not None else NO_EVENTS
    tables: List[Table] = []

    rows = ev.conversations_by_week_channel if ev else []
    t = Table("conversations_channel", "Cuộc trò chuyện và người dùng theo tuần, theo kênh",
              ["Tuần từ", "Kênh", "Cuộc trò chuyện", "Người dùng"],
              [[_week(r["week"]), CHANNEL_LABELS.get(r["channel"], r["channel"]), r["conversations"], r["users"]] for r in rows],
              note="Một cuộc trò chuyện là một phiên của Rasa có ít nhất một tin nhắn của người dùng; người dùng đếm "
                   "theo mã trò chuyện của kênh (mỗi kênh một mã).", source=EVENTS_SOURCE, missing=missing,
              chart_alt="Biểu đồ cột: số cuộc trò chuyện mỗi tuần, chia theo kênh")
    if with_charts and rows:
        cats, series = _weekly(rows, period, "channel", lambda c: CHANNEL_LABELS.get(c, c))
        t.chart = _chart(cats, series, stacked=True, ylabel="Cuộc trò chuyện")
    tables.append(t)

    rows = ev.conversations_by_week_province if ev else []
    t = Table("conversations_province", "Cuộc trò chuyện và người dùng theo tuần, theo tỉnh/thành",
              ["Tuần từ", "Tỉnh/thành", "Cuộc trò chuyện", "Người dùng"],
              [[_week(r["week"]), _province(r["province"]), r["conversations"], r["users"]] for r in rows],
              note="Tỉnh/thành người dùng đã nói với trợ lý (chưa nói: “Chưa rõ”).", source=EVENTS_SOURCE, missing=missing,
              chart_alt="Biểu đồ cột: số cuộc trò chuyện mỗi tuần, chia theo tỉnh/thành")
    if with_charts and rows:
        cats, series = _weekly(rows, period, "province", _province)
        t.chart = _chart(cats, series, stacked=True, ylabel="Cuộc trò chuyện")
    tables.append(t)

    rows = ev.topics if ev else []
    t = Table("topics", "Chủ đề được hỏi nhiều nhất", ["Chủ đề", "Mã chủ đề", "Cuộc trò chuyện"],
              [[_topic_label(r["topic"]), r["topic"], r["conversations"]] for r in rows],
              note="Mỗi chủ đề đếm một lần trong mỗi cuộc trò chuyện.", source=EVENTS_SOURCE, missing=missing,
              chart_alt="Biểu đồ thanh: mười chủ đề được hỏi nhiều nhất")
    if with_charts and rows:
        top = rows[:10]
        t.chart = _chart([_topic_label(r["topic"]) for r in top], {"Cuộc trò chuyện": [r["conversations"] for r in top]},
                         horizontal=True)
    tables.append(t)

    rows = ev.calculators if ev else []
    t = Table("calculators", "Lượt dùng công cụ tính", ["Công cụ tính", "Lượt tính", "Người dùng"],
              [[CALCULATOR_LABELS.get(r["calculator"], r["calculator"]), r["uses"], r["users"]] for r in rows],
              note="Một lượt tính là một kết quả trợ lý đưa ra với số liệu người dùng nhập.", source=EVENTS_SOURCE,
              missing=missing, chart_alt="Biểu đồ thanh: số lượt tính theo công cụ")
    if with_charts and rows:
        t.chart = _chart([CALCULATOR_LABELS.get(r["calculator"], r["calculator"]) for r in rows],
                         {"Lượt tính": [r["uses"] for r in rows]}, horizontal=True)
    tables.append(t)

    funnel = ev.funnel if ev else {}
    asked = funnel.get("asked") or 0
    t = Table("funnel", "Từ câu hỏi đến đăng ký", ["Bước", "Số người", "So với số người đã hỏi (%)"],
              [[label, funnel.get(key, 0), int(round(100 * funnel.get(key, 0) / asked)) if asked else None]
               for key, label in FUNNEL] if ev else [],
              note="Mỗi bước đếm những người đã qua các bước trước trong cùng khoảng thời gian: hỏi, được tính, rồi "
                   "được chỉ nơi đăng ký hoặc nộp hồ sơ (cơ quan BHXH, trung tâm dịch vụ việc làm...), rồi đăng ký nhận "
                   "nhắc hoặc nhận tin.", source=EVENTS_SOURCE + " Bước cuối: bảng đăng ký nhận tin.", missing=missing,
              chart_alt="Biểu đồ phễu: số người qua từng bước")
    if with_charts and ev and asked:
        t.chart = _chart([label for _k, label in FUNNEL], {"Số người": [funnel.get(k, 0) for k, _l in FUNNEL]}, horizontal=True)
    tables.append(t)

    rows = cf["by_week"]
    t = Table("cases_week", "Hồ sơ gặp cán bộ theo tuần", ["Tuần từ", "Mở", "Cán bộ đã giải quyết", "Người dùng rút yêu cầu"],
              [[_week(r["week"]), r["opened"], r["resolved"], r["withdrawn"]] for r in rows
               if r["opened"] or r["resolved"] or r["withdrawn"]], note="Tuần không có hồ sơ nào không được liệt kê.",
              source=CASES_SOURCE,
              chart_alt="Biểu đồ cột: hồ sơ mở và đã giải quyết mỗi tuần")
    if with_charts:
        t.chart = _chart([r["week"].strftime("%d/%m") for r in rows],
                         {"Mở": [r["opened"] for r in rows], "Đã giải quyết": [r["resolved"] for r in rows]})
    tables.append(t)

    t = Table("case_times", "Thời gian phản hồi và giải quyết", ["Chỉ số", "Số hồ sơ", "Trung vị (phút)", "Trung bình (phút)"],
              [["Từ lúc mở đến tin nhắn đầu tiên của cán bộ", cf["first_reply"]["count"], cf["first_reply"]["median_minutes"],
                cf["first_reply"]["mean_minutes"]],
               ["Từ lúc mở đến khi cán bộ giải quyết xong", cf["resolution"]["count"], cf["resolution"]["median_minutes"],
                cf["resolution"]["mean_minutes"]]],
              note=f"Tin nhắn đầu tiên: hồ sơ mở trong khoảng thời gian này ({cf['unanswered']} hồ sơ chưa có tin nhắn của "
                   "cán bộ). Giải quyết: hồ sơ cán bộ giải quyết trong khoảng thời gian này. Tính cả ngoài giờ làm việc.",
              source=CASES_SOURCE)
    tables.append(t)

    rows = cf["ratings"]
    t = Table("ratings", "Đánh giá của người dùng", ["Điểm", "Số lượt"], [[f"{r['score']} điểm", r["count"]] for r in rows],
              note=(f"Điểm trung bình: {cell(cf['rating_mean'])} trên {cf['rating_count']} lượt." if cf["rating_count"]
                    else "Chưa có lượt đánh giá nào."), source=CASES_SOURCE, chart_alt="Biểu đồ cột: số lượt đánh giá theo điểm")
    if with_charts:
        t.chart = _chart([str(r["score"]) for r in rows], {"Số lượt": [r["count"] for r in rows]}, height=2.4, width=5)
    tables.append(t)

    statuses = list(OUTREACH_LABELS)
    t = Table("outreach", "Tin nhắc và tin chiến dịch theo kết quả", ["Loại"] + [OUTREACH_LABELS[s] for s in statuses],
              [[("Tin nhắc" if r["type"] == "reminder" else "Tin chiến dịch")] + [r[s] for s in statuses] for r in of["by_status"]],
              note="“Đã gửi”: kênh đã nhận tin nhưng chưa xác nhận đến máy người dùng. Bản thử của cán bộ không tính.",
              source=CASES_SOURCE)
    tables.append(t)

    rows = of["by_week"]
    t = Table("outreach_week", "Tin nhắc và tin chiến dịch theo tuần", ["Tuần từ", "Đã gửi đi", "Đã đến nơi", "Đã gửi (chưa xác nhận)",
              "Không gửi được"], [[_week(r["week"]), r["attempted"], r["delivered"], r["sent"], r["undeliverable"]] for r in rows
                                  if r["attempted"]],
              note="Tuần không có tin nào không được liệt kê.", source=CASES_SOURCE, chart_alt="Biểu đồ cột: tin đã đến nơi, đã gửi và không gửi được mỗi tuần")
    if with_charts:
        t.chart = _chart([r["week"].strftime("%d/%m") for r in rows],
                         {"Đã đến nơi": [r["delivered"] for r in rows], "Đã gửi": [r["sent"] for r in rows],
                          "Không gửi được": [r["undeliverable"] for r in rows]}, stacked=True)
    tables.append(t)

    rows = of["subscriptions_by_week"]
    t = Table("subscriptions", "Đăng ký và hủy đăng ký theo tuần", ["Tuần từ", "Loại", "Đăng ký mới", "Người dùng tự hủy"],
              [[_week(r["week"]), SUBSCRIPTION_LABELS.get(r["kind"], r["kind"]), r["subscribed"], r["opted_out"]] for r in rows],
              note="Người dùng tự hủy: nhắn “dừng”, “hủy nhắc” hoặc bấm nút dừng trong tin nhắc.", source=CASES_SOURCE,
              chart_alt="Biểu đồ cột: số người tự hủy đăng ký mỗi tuần")
    if with_charts and rows:
        weeks = period.weeks()
        optouts = [sum(r["opted_out"] for r in rows if r["week"] == w) for w in weeks]
        news = [sum(r["subscribed"] for r in rows if r["week"] == w) for w in weeks]
        t.chart = _chart([w.strftime("%d/%m") for w in weeks], {"Đăng ký mới": news, "Tự hủy": optouts})
    tables.append(t)

    rows = of["active"]
    tables.append(Table("active_subscriptions", "Đăng ký đang có hiệu lực (hiện nay)", ["Loại", "Kênh", "Số đăng ký"],
                        [[SUBSCRIPTION_LABELS.get(r["kind"], r["kind"]), CHANNEL_LABELS.get(r["channel"], r["channel"]), r["count"]]
                         for r in rows], source=CASES_SOURCE))

    totals = {
        "conversations": ev.totals["conversations"] if ev else None,
        "users": ev.totals["users"] if ev else None,
        "calculations": sum(r["uses"] for r in ev.calculators) if ev else None,
        "cases_opened": cf["totals"]["opened"],
        "cases_resolved": cf["totals"]["resolved"],
        "reminders_delivered": sum(r["delivered"] for r in of["by_status"]),
        "opt_outs": of["totals"]["opt_outs"],
        "active_subscriptions": of["totals"]["active"],
    }
    return Page(period, tables, totals, events=ev is not None)


def build_targets(app, period: M.Period, with_charts: bool = True) -> Page:
    ev = _events(app, period)
    cf = M.case_figures(app["engine"], period)
    of = M.outreach_figures(app["engine"], period)
    tf = M.target_figures(ev, cf, of)
    missing = None if ev is not None else NO_EVENTS
    totals = tf["totals"]
    descriptions = {
        "vsi_referrals": ("Người được chỉ tới cơ quan BHXH để đăng ký sau khi tính mức đóng BHXH tự nguyện",
                          totals["vsi_referrals"]),
        "insurance": ("Người được chỉ tới cơ quan BHXH (mọi câu hỏi về BHXH, BHYT)", totals["insurance"]),
        "unemployment": ("Người được chỉ tới Trung tâm dịch vụ việc làm (trợ cấp thất nghiệp, tìm việc)", totals["unemployment"]),
        "legal": ("Hồ sơ cán bộ công đoàn đã giải quyết qua trợ lý", totals["legal"]),
    }
    summary = Table("targets", "Mục tiêu của Quyết định 176 và đóng góp của Trợ lý",
                    ["Mục tiêu (cả nước)", "Chỉ tiêu 2025", "Chỉ tiêu 2030", "Nguồn", "Đóng góp của Trợ lý",
                     "Số liệu của Trợ lý (trong khoảng thời gian)"],
                    [[x["target"], x["goal_2025"], x["goal_2030"], f"{M.DECISION_SHORT}, {x['section']}",
                      descriptions[x["figure"]][0], descriptions[x["figure"]][1]] for x in M.TARGETS],
                    note=DISCLAIMER)
    tables = [summary]

    def referral_table(table_id: str, title: str, rows: List[dict], alt: str) -> Table:
        t = Table(table_id, title, ["Tháng", "Tỉnh/thành", "Số người"],
                  [[_month(r["month"]), _province(r["province"]), r["people"]] for r in rows],
                  source=EVENTS_SOURCE, missing=missing, chart_alt=alt)
        if with_charts and rows:
            months = period.months()
            t.chart = _chart([_month(m) for m in months],
                             {"Số người": [sum(r["people"] for r in rows if r["month"] == m) for m in months]}, height=2.6)
        return t

    tables.append(referral_table("vsi_referrals", "Được chỉ nơi đăng ký sau khi tính BHXH tự nguyện, theo tháng và tỉnh/thành",
                                 tf["vsi_referrals"], "Biểu đồ cột: số người được chỉ nơi đăng ký BHXH tự nguyện mỗi tháng"))
    tables.append(referral_table("insurance_referrals", "Được chỉ tới cơ quan BHXH, theo tháng và tỉnh/thành",
                                 tf["insurance"], "Biểu đồ cột: số người được chỉ tới cơ quan BHXH mỗi tháng"))
    tables.append(referral_table("unemployment_referrals", "Được chỉ tới Trung tâm dịch vụ việc làm, theo tháng và tỉnh/thành",
                                 tf["unemployment"], "Biểu đồ cột: số người được chỉ tới trung tâm dịch vụ việc làm mỗi tháng"))
    legal = Table("legal_advice", "Tư vấn pháp lý qua trợ lý, theo tháng",
                  ["Tháng", "Hồ sơ cán bộ đã giải quyết", "Chuyển Trung tâm Trợ giúp pháp lý", "Chuyển Liên đoàn Lao động"],
                  [[_month(r["month"]), r["resolved"], r["legal_aid"], r["labour_federation"]] for r in tf["legal"]],
                  source=CASES_SOURCE, chart_alt="Biểu đồ cột: hồ sơ đã giải quyết mỗi tháng")
    if with_charts:
        legal.chart = _chart([_month(r["month"]) for r in tf["legal"]], {"Đã giải quyết": [r["resolved"] for r in tf["legal"]],
                             "Chuyển trợ giúp pháp lý": [r["legal_aid"] for r in tf["legal"]]}, height=2.6)
    tables.append(legal)
    return Page(period, tables, totals, events=ev is not None, extra={"vsi_reminders": totals["vsi_reminders"]})


TABLES: Dict[str, Callable] = {}  # table id -> the builder of its page (filled below)


async def _build(request: web.Request, builder: Callable, period: M.Period, with_charts: bool) -> Page:
    """Build off the event loop: reading the event stream and drawing charts take a moment."""
    return await asyncio.get_running_loop().run_in_executor(None, builder, request.app, period, with_charts)


def _context(page: Page, error: Optional[str]) -> Dict[str, Any]:
    return {"page": page, "query": f"from={page.period.start.isoformat()}&to={page.period.end.isoformat()}",
            "period_error": error, "period_text": f"{page.period.start:%d/%m/%Y} – {page.period.end:%d/%m/%Y}"}


# --- handlers ---------------------------------------------------------------------------------------------


@auth.require("programme_manager", "supervisor")
async def dashboard(request: web.Request) -> web.Response:
    period, error = period_of(request)
    page = await _build(request, build_dashboard, period, True)
    return request.app["render"](request, "dashboard.html", _context(page, error))


@auth.require("programme_manager", "supervisor")
async def targets(request: web.Request) -> web.Response:
    period, error = period_of(request)
    page = await _build(request, build_targets, period, True)
    ctx = _context(page, error)
    ctx.update(disclaimer=DISCLAIMER, decision=M.DECISION)
    return request.app["render"](request, "targets.html", ctx)


def csv_text(table: Table) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(table.columns)
    for row in table.rows:
        writer.writerow([csv_cell(v) for v in row])
    return "\ufeff" + buf.getvalue()


@auth.require("programme_manager", "supervisor")
async def table_csv(request: web.Request) -> web.Response:
    table_id = request.match_info["table"]
    builder = TABLES.get(table_id)
    if builder is None:
        raise web.HTTPNotFound(text="Không có bảng số liệu này.")
    period, _error = period_of(request)
    page = await _build(request, builder, period, False)
    table = page.table(table_id)
    name = f"ansinh-{table_id}-{page.period.start.isoformat()}-{page.period.end.isoformat()}.csv"
    return web.Response(body=csv_text(table).encode("utf-8"), content_type="text/csv", charset="utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})


DASHBOARD_TABLES = ("conversations_channel", "conversations_province", "topics", "calculators", "funnel", "cases_week",
                    "case_times", "ratings", "outreach", "outreach_week", "subscriptions", "active_subscriptions")
TARGET_TABLES = ("targets", "vsi_referrals", "insurance_referrals", "unemployment_referrals", "legal_advice")
TABLES.update({t: build_dashboard for t in DASHBOARD_TABLES})
TABLES.update({t: build_targets for t in TARGET_TABLES})
