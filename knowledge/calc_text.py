"""Vietnamese answers for calculator results and referrals (each with the facts behind it)."""
from __future__ import annotations

import datetime as dt
from typing import List

from knowledge import parameters as P
from knowledge import referral
from knowledge.answers import HANDOFF, Answer
from knowledge.calculators import health, pension, unemployment, vsi
from knowledge.money import date_vi, percent, vnd


def vsi_quote(q: vsi.VsiQuote) -> Answer:
    per = vsi.period_label(q.period_months)
    lines = [
        f"Thu nhập chọn đóng {vnd(q.income)}, {vsi.GROUP_LABELS[q.group]}, đóng {per}:",
        f"• Mức đóng {percent(q.rate)}: {vnd(q.gross_month)}/tháng",
        f"• Nhà nước hỗ trợ {percent(q.support_rate)} × {percent(q.rate)} × {vnd(q.income_range.minimum)}: "
        f"{vnd(q.support_month)}/tháng",
        f"• Anh/chị đóng: {vnd(q.net_month)}/tháng",
    ]
    if q.period_months > 1:
        lines.append(
            f"• Mỗi kỳ {q.period_months} tháng: {vnd(q.net_period)} (tổng {vnd(q.gross_period)}, hỗ trợ {vnd(q.support_period)})"
        )
    cap = P.get("vsi_support_max_months", q.on)
    lines.append(f"Thời hạn: {q.deadline_text}. Nhà nước hỗ trợ tối đa {cap.value} tháng.")
    return Answer(
        "\n".join(lines),
        list(q.facts),
        [("Ước tính lương hưu", "/pension_calc"), ("Đăng ký ở đâu?", "/vsi_registration")],
    )


def household_quote(q: health.HouseholdQuote) -> Answer:
    names = ["Người thứ nhất", "Người thứ hai", "Người thứ ba", "Người thứ tư"]
    lines = [f"BHYT hộ gia đình cho {q.members} người (tính theo lương cơ sở {vnd(q.facts[0].value)}):"]
    for i, amount in enumerate(q.per_member_month):
        label = names[i] if i < 4 else f"Người thứ {i + 1}"
        lines.append(f"• {label}: {vnd(amount)}/tháng")
    lines.append(f"Cả hộ: {vnd(q.total_month)}/tháng.")
    lines.append(
        "Theo kỳ đóng: "
        + "; ".join(f"{m} tháng {vnd(q.total_month * m)}" for m in P.value("hi_payment_periods", q.on))
        + "."
    )
    wait = P.get("hi_waiting_period", q.on)
    lines.append(
        f"Mua lần đầu hoặc gián đoạn từ {wait.value['gap_days']} ngày: thẻ có giá trị sau {wait.value['wait_days']} ngày kể từ khi đóng đủ."
    )
    return Answer("\n".join(lines), list(q.facts) + [wait], [("Mua ở đâu?", "/hi_where_to_buy")])


def unemployment_quote(q: unemployment.UnemploymentQuote) -> Answer:
    if not q.eligible:
        el = P.value("ui_eligibility", q.on)
        text = (
            f"Với {q.months_contributed} tháng đóng BHTN, anh/chị chưa đủ điều kiện: cần ít nhất "
            f"{el['min_months']} tháng trong {el['window_months']} tháng trước khi nghỉ việc. "
            "Thời gian đã đóng được bảo lưu để cộng dồn khi đi làm lại."
        )
        return Answer(text, list(q.facts), [("Điều kiện hưởng", "/ui_eligibility")])
    rate = q.facts[0].value
    lines = [
        f"Lương đóng BHTN bình quân {vnd(q.average_wage)}, đã đóng {q.months_contributed} tháng:",
        f"• {percent(rate)} × {vnd(q.average_wage)} = {vnd(q.uncapped)}/tháng",
    ]
    if q.capped:
        lines.append(f"• Vượt mức tối đa của vùng {q.region} ({vnd(q.cap)}), nên nhận {vnd(q.monthly)}/tháng")
    lines.append(f"• Được hưởng {q.months} tháng, tổng khoảng {vnd(q.total)}.")
    lines.append(
        f"Nhớ nộp hồ sơ trong {q.filing_months} tháng kể từ ngày nghỉ việc; tiền được tính từ ngày làm việc thứ "
        f"{q.start_working_day} sau khi nộp đủ hồ sơ."
    )
    return Answer("\n".join(lines), list(q.facts), [("Nộp hồ sơ ở đâu?", "/ui_procedure")])


def pension_estimate(e: pension.PensionEstimate) -> Answer:
    who = "nam" if e.gender == "male" else "nữ"
    r = e.retirement
    lines = [
        f"Lao động {who}: tuổi nghỉ hưu {r.text}, đủ tuổi vào tháng {r.month:02d}/{r.year}; "
        f"lương hưu (nếu đủ điều kiện) tính từ {date_vi(r.pension_from)}.",
    ]
    years_now = e.years_paid
    if e.eligible:
        lines.append(
            f"Nếu đóng liên tục đến lúc đó, anh/chị có khoảng {e.years_at_retirement} năm đóng "
            f"(đã đóng {years_now:g} năm) → tỷ lệ hưởng {percent(e.rate)}."
        )
        lines.append("Ước tính lương hưu hằng tháng theo thu nhập bình quân:")
        for o in e.options:
            lines.append(f"• Thu nhập {vnd(o.income)} → khoảng {vnd(o.monthly_pension)}/tháng")
        lines.append(
            "Đây chỉ là ước tính: chưa tính trượt giá, cách làm tròn năm đóng và các lần điều chỉnh lương hưu."
        )
    else:
        lines.append(
            f"Nếu đóng liên tục đến tuổi nghỉ hưu, anh/chị mới có khoảng {e.years_at_retirement} năm, còn thiếu "
            f"{e.years_missing} năm so với {e.min_years} năm."
        )
        if e.can_pay_shortfall:
            lines.append("Số năm thiếu không quá 5 năm nên có thể đóng một lần cho đủ khi đến tuổi nghỉ hưu.")
        else:
            lines.append(
                "Anh/chị có thể tiếp tục đóng sau tuổi nghỉ hưu, hoặc khi đủ tuổi thì chọn trợ cấp hằng tháng từ "
                "số tiền đã đóng, rút một lần hoặc bảo lưu."
            )
    return Answer("\n".join(lines), list(e.facts) + [P.get("pension_rate", e.on)], [HANDOFF])


PROBLEM_LABEL = {
    "insurance": "câu hỏi về BHXH, BHYT",
    "dispute": "tranh chấp lao động (nợ lương, sa thải, không đóng BHXH...)",
    "unemployment": "hưởng trợ cấp thất nghiệp",
}


def referral_answer(province: referral.Province, problem: str, asked_as: str = "", on: dt.date = None) -> Answer:
    on = on or dt.date.today()
    lines: List[str] = []
    merged_into = referral.was_merged(asked_as) if asked_as else None
    if merged_into:
        lines.append(f"{asked_as} nay thuộc {province.full_name} (sáp nhập từ 01/07/2025).")
    lines.append(f"Với {PROBLEM_LABEL.get(problem, 'vấn đề của anh/chị')}, anh/chị có thể liên hệ:")
    offices = referral.offices_for(province, problem)
    for o in offices:
        line = f"• {o.name}: {o.role}."
        if o.address:
            line += f" Địa chỉ: {o.address}."
        if o.phone:
            line += f" Điện thoại: {o.phone}."
        lines.append(line)
    hotline = P.get("vss_hotline", on)
    prefix = "" if all(o.phone for o in offices) else "Tôi chưa có số điện thoại đã kiểm chứng của một số nơi trên. "
    lines.append(
        prefix + f"Anh/chị có thể hỏi UBND xã/phường, tổng đài BHXH {hotline.value} "
        "hoặc Cổng Dịch vụ công dichvucong.gov.vn."
    )
    facts = [hotline]
    if problem == "dispute":
        facts += [P.get("legal_aid_law", on), P.get("union_legal_support_law", on)]
        lines.append(
            "Trợ giúp pháp lý nhà nước miễn phí cho người thuộc diện được trợ giúp (hộ nghèo, người có công, "
            "dân tộc thiểu số ở vùng đặc biệt khó khăn; người cao tuổi, người khuyết tật thuộc hộ cận nghèo...). "
            "Đoàn viên công đoàn được hỗ trợ pháp lý miễn phí."
        )
    elif problem == "unemployment":
        facts.append(P.get("ui_eligibility", on))
    return Answer("\n".join(lines), facts, [HANDOFF])
