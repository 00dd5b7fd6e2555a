"""Answers to the core questions, rendered from dated facts.

Every figure in an answer comes from a parameter (or a calculator over parameters) in force on the day
asked; every answer ends with the legal basis and the date it applies from, and offers a next step.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from knowledge import parameters as P
from knowledge.calculators import health, vsi
from knowledge.money import date_vi, format_number, percent, vnd
from knowledge.parameters import Fact

Button = Tuple[str, str]

HANDOFF = ("Gặp cán bộ tư vấn", "/human_handoff")
MONTHS_PER_YEAR = 12
LEGAL_AID = ("Tìm nơi trợ giúp pháp lý", "/legal_aid_request")


@dataclass
class Answer:
    text: str
    facts: List[Fact] = field(default_factory=list)
    buttons: List[Button] = field(default_factory=list)

    def render(self) -> str:
        """Body, cautions for uncertain facts, then the basis line."""
        parts = [self.text.strip()]
        cautions = []
        for f in self.facts:
            if f.caution and f.caution not in cautions:
                cautions.append(f.caution)
        parts += [f"⚠️ {c}" for c in cautions]
        basis = basis_line(self.facts)
        if basis:
            parts.append(basis)
        return "\n\n".join(parts)


def basis_line(facts: Sequence[Fact]) -> str:
    """'📘 Căn cứ: <document>, <articles>; <document 2>, <articles>. Áp dụng từ <date>.'

    One entry per document, each article after the document it belongs to; contact facts (hotlines,
    websites) are not a legal basis and are left out.
    """
    from knowledge import citations

    docs = citations.documents(facts)
    if not docs:
        return ""
    since = citations.effective_from(facts)
    return f"📘 Căn cứ: {'; '.join(d.citation for d in docs)}. Áp dụng từ {date_vi(since)}."


def _num(x) -> str:
    """1.5 -> '1,5', 2.0 -> '2'."""
    return format_number(int(x)) if float(x).is_integer() else str(x).replace(".", ",")


def _g(name: str, on: dt.date) -> Fact:
    return P.get(name, on)


# --- Voluntary social insurance -------------------------------------------------------------------

def vsi_what(on: dt.date, e: Dict) -> Answer:
    age = _g("vsi_min_age", on)
    rate = _g("vsi_contribution_rate", on)
    cs = _g("compulsory_si_contract_months", on)
    text = (
        "BHXH tự nguyện là loại bảo hiểm do Nhà nước tổ chức, người tham gia tự chọn mức thu nhập và cách đóng, "
        "để khi về già có lương hưu hằng tháng.\n"
        f"• Ai được tham gia: công dân Việt Nam từ đủ {age.value} tuổi, không thuộc diện BHXH bắt buộc và chưa hưởng "
        "lương hưu, trợ cấp BHXH. Không giới hạn tuổi tối đa.\n"
        f"• Mức đóng: {percent(rate.value)} mức thu nhập tự chọn, Nhà nước hỗ trợ một phần.\n"
        "• Quyền lợi: lương hưu, trợ cấp thai sản, tử tuất (mai táng, trợ cấp cho thân nhân).\n"
        f"Lưu ý: nếu anh/chị làm theo hợp đồng lao động từ {cs.value} tháng trở lên thì thuộc diện BHXH bắt buộc, "
        "công ty phải đóng cho anh/chị."
    )
    return Answer(text, [age, rate, cs], [("Đóng bao nhiêu tiền?", "/vsi_contribution"), ("Nhà nước hỗ trợ bao nhiêu?", "/vsi_subsidy"), ("Đăng ký ở đâu?", "/vsi_registration")])


def vsi_contribution(on: dt.date, e: Dict) -> Answer:
    rate = _g("vsi_contribution_rate", on)
    rng = vsi.income_range(on)
    lo = vsi.quote(on, rng.minimum, ["other"], vsi.shortest_period(on))
    hi = vsi.quote(on, rng.maximum, ["other"], vsi.shortest_period(on))
    text = (
        f"Mức đóng BHXH tự nguyện bằng {percent(rate.value)} mức thu nhập anh/chị tự chọn hằng tháng.\n"
        f"• Thu nhập chọn được từ {vnd(rng.minimum)} (chuẩn nghèo nông thôn) đến {vnd(rng.maximum)} "
        f"({rng.facts[1].value} lần mức tham chiếu).\n"
        f"• Mức thấp nhất: {percent(rate.value)} × {vnd(rng.minimum)} = {vnd(lo.gross_month)}/tháng; "
        f"người bình thường được Nhà nước hỗ trợ {vnd(lo.support_month)}, còn phải đóng {vnd(lo.net_month)}/tháng.\n"
        f"• Mức cao nhất: {vnd(hi.gross_month)}/tháng.\n"
        "Hộ nghèo, cận nghèo, người dân tộc thiểu số được hỗ trợ nhiều hơn. Anh/chị cho tôi biết mức thu nhập "
        "muốn chọn, tôi tính chính xác số tiền phải đóng."
    )
    return Answer(text, [rate, *rng.facts, *lo.facts[1:2]], [("Tính số tiền tôi phải đóng", '/vsi_contribution{"request":"calc"}'), ("Mức hỗ trợ theo nhóm", "/vsi_subsidy")])


def vsi_subsidy(on: dt.date, e: Dict) -> Answer:
    support = _g("vsi_support_rate", on)
    cap = _g("vsi_support_max_months", on)
    rng = vsi.income_range(on)
    group = e.get("group")
    rows = vsi.support_table(on)
    if group in vsi.GROUP_LABELS:
        q = vsi.quote(on, rng.minimum, [group], vsi.shortest_period(on))
        text = (
            f"Người thuộc {vsi.GROUP_LABELS[group]} được Nhà nước hỗ trợ {percent(q.support_rate)} tiền đóng tính trên "
            f"mức chuẩn nghèo nông thôn, tức {vnd(q.support_month)}/tháng.\n"
            f"Nếu chọn mức thu nhập thấp nhất {vnd(rng.minimum)}, anh/chị chỉ phải đóng {vnd(q.net_month)}/tháng "
            f"(tổng {vnd(q.gross_month)}). Chọn thu nhập cao hơn thì số tiền hỗ trợ vẫn giữ nguyên.\n"
            f"Hỗ trợ tối đa {cap.value} tháng. Nếu thuộc nhiều nhóm, được hưởng mức cao nhất."
        )
    else:
        lines = [
            f"• {vsi.GROUP_LABELS[g].capitalize()}: {percent(r)} → {vnd(s)}/tháng (đóng thấp nhất còn {vnd(n)})"
            for g, r, s, n in rows
        ]
        text = (
            "Nhà nước hỗ trợ tiền đóng BHXH tự nguyện theo phần trăm của mức đóng tính trên chuẩn nghèo nông thôn "
            f"({vnd(rng.minimum)}):\n" + "\n".join(lines) + "\n"
            f"Người sống ở xã đảo, đặc khu được hỗ trợ như hộ nghèo. Thuộc nhiều nhóm thì hưởng mức cao nhất; "
            f"hỗ trợ tối đa {cap.value} tháng. Tỉnh có thể hỗ trợ thêm."
        )
    return Answer(text, [support, cap, rng.facts[0]], [("Tính số tiền tôi phải đóng", '/vsi_contribution{"request":"calc"}'), ("Đăng ký ở đâu?", "/vsi_registration")])


def vsi_payment_method(on: dt.date, e: Dict) -> Answer:
    d = _g("vsi_payment_deadline_months", on)
    pre = _g("vsi_prepay_max_years", on)
    short = _g("vsi_shortfall_max_months", on)
    mn = _g("pension_min_years", on)
    text = (
        "Anh/chị chọn một trong các cách đóng BHXH tự nguyện:\n"
        + "".join(
            f"• {vsi.period_label(k).capitalize()}: đóng trong "
            + ("tháng" if k == 1 else f"{v} tháng " + ("của kỳ" if v == k else "đầu"))
            + ".\n"
            for k, v in sorted(d.value.items())
        )
        + f"• Đóng trước một lần cho nhiều năm về sau: tối đa {pre.value} năm một lần, được giảm trừ.\n"
        f"• Đóng một lần cho thời gian còn thiếu (tối đa {short.value} tháng) khi đã đủ tuổi nghỉ hưu để đủ "
        f"{mn.value} năm.\n"
        "Có thể nộp tại điểm thu BHXH (bưu điện, đại lý thu ở xã/phường), hoặc qua ứng dụng VssID, Cổng Dịch vụ công."
    )
    return Answer(text, [d, pre, short, mn], [("Tính số tiền phải đóng", '/vsi_contribution{"request":"calc"}'), ("Đăng ký ở đâu?", "/vsi_registration")])


def _pension_conditions(on: dt.date) -> Tuple[List[str], List[Fact]]:
    """The two conditions for a pension (years paid, retirement age this year) and the transitional rule."""
    mn = _g("pension_min_years", on)
    road = _g("retirement_age_roadmap", on)
    early = _g("vsi_early_retirement_transitional", on)

    year = on.year
    m = road.value["male"]
    f = road.value["female"]
    yrs = year - road.value["start_year"]
    male_months = min(m["start_months"] + m["step_months"] * yrs, m["final_months"])
    female_months = min(f["start_months"] + f["step_months"] * yrs, f["final_months"])

    def age_text(months: int) -> str:
        return f"{months // 12} tuổi" + (f" {months % 12} tháng" if months % 12 else "")

    lines = [
        "Để có lương hưu BHXH tự nguyện cần đủ hai điều kiện:",
        f"• Đóng BHXH (tự nguyện và bắt buộc cộng lại) từ đủ {mn.value} năm trở lên;",
        f"• Đủ tuổi nghỉ hưu. Năm {year}: nam {age_text(male_months)}, nữ {age_text(female_months)}; "
        f"tuổi tăng dần đến nam {m['final_months'] // 12} tuổi, nữ {f['final_months'] // 12} tuổi.",
        f"Người tham gia BHXH tự nguyện từ trước 01/01/2021 và đóng tự nguyện đủ {early.value['min_years']} năm "
        f"được nghỉ hưu ở tuổi {early.value['male']} (nam), {early.value['female']} (nữ).",
    ]
    return lines, [mn, road, early]


def _pension_rate(on: dt.date) -> Tuple[List[str], List[Fact]]:
    """How the monthly pension is computed: the formula and the rate by years paid."""
    rate = _g("pension_rate", on)
    r = rate.value
    lines = [
        "Lương hưu hằng tháng = tỷ lệ hưởng × bình quân thu nhập đã đóng (được điều chỉnh theo chỉ số giá).",
        f"• Nữ: {percent(r['female']['base_rate'])} khi đóng {r['female']['base_years']} năm.",
        f"• Nam: {percent(r['male']['base_rate'])} khi đóng {r['male']['base_years']} năm, mỗi năm thêm "
        f"{percent(r['male']['bridge_step'])}, đủ {r['male']['bridge_until_years']} năm là "
        f"{percent(r['male']['base_rate'] + (r['male']['bridge_until_years'] - r['male']['base_years']) * r['male']['bridge_step'])}.",
        f"• Sau đó mỗi năm đóng thêm cộng {percent(r['step_per_year'])}, tối đa {percent(r['max_rate'])}.",
    ]
    return lines, [rate]


PENSION_ESTIMATE_BUTTON = ("Ước tính lương hưu", '/vsi_pension{"request":"calc"}')
MISSING_YEARS_BUTTON = ("Đóng bù năm còn thiếu", "/vsi_missing_years")


def vsi_pension_eligibility(on: dt.date, e: Dict) -> Answer:
    lines, facts = _pension_conditions(on)
    short = _g("vsi_shortfall_max_months", on)
    lines.append(
        f"Nếu đủ tuổi mà còn thiếu không quá {short.value} tháng, có thể đóng một lần cho đủ. Anh/chị cho tôi biết "
        "năm sinh, giới tính và số năm đã đóng, tôi ước tính giúp."
    )
    return Answer("\n".join(lines), facts + [short], [PENSION_ESTIMATE_BUTTON, MISSING_YEARS_BUTTON])


def vsi_pension_amount(on: dt.date, e: Dict) -> Answer:
    lines, facts = _pension_rate(on)
    adj = _g("pension_adjustment_2026", on)
    lines += [
        "Chọn thu nhập đóng cao hơn và đóng lâu hơn thì lương hưu cao hơn.",
        f"Lương hưu được điều chỉnh tăng {percent(adj.value)} từ {adj.since}.",
    ]
    return Answer("\n".join(lines), facts + [adj], [("Ước tính lương hưu của tôi", PENSION_ESTIMATE_BUTTON[1])])


def vsi_pension(on: dt.date, e: Dict) -> Answer:
    """Eligibility and amount in one answer (people ask both at once)."""
    conditions, facts_c = _pension_conditions(on)
    rate, facts_r = _pension_rate(on)
    ask = "Anh/chị cho tôi biết giới tính, năm sinh và số năm đã đóng, tôi ước tính giúp."
    return Answer("\n".join(conditions + rate + [ask]), facts_c + facts_r,
                  [("Ước tính lương hưu của tôi", PENSION_ESTIMATE_BUTTON[1]), MISSING_YEARS_BUTTON])


def vsi_lump_sum_withdrawal(on: dt.date, e: Dict) -> Answer:
    mult = _g("lump_sum_withdrawal_multiples", on)
    tr = _g("lump_sum_transitional", on)
    mn = _g("pension_min_years", on)
    dis = _g("lump_sum_disability_threshold", on)
    text = (
        "Từ 01/07/2025, chỉ được rút BHXH một lần khi có yêu cầu và thuộc một trong các trường hợp:\n"
        f"1. Đủ tuổi nghỉ hưu mà chưa đủ {mn.value} năm đóng và không đóng tiếp;\n"
        "2. Ra nước ngoài định cư;\n"
        "3. Mắc bệnh nguy hiểm đến tính mạng (ung thư, bại liệt, xơ gan mất bù, lao nặng, AIDS);\n"
        f"4. Suy giảm khả năng lao động từ {percent(dis.value)} hoặc khuyết tật đặc biệt nặng;\n"
        f"5. Có thời gian đóng trước 01/07/2025, sau {tr.value['months_without_contributing']} tháng không đóng "
        f"và tổng thời gian đóng dưới {tr.value['max_years']} năm.\n"
        f"Mức hưởng: {_num(mult.value['before_2014'])} tháng thu nhập bình quân cho mỗi năm đóng trước năm "
        f"{mult.value['split_year']}, {_num(mult.value['from_2014'])} tháng cho mỗi năm từ năm {mult.value['split_year']}; "
        "phần Nhà nước hỗ trợ bị trừ lại (trừ trường hợp bệnh hiểm nghèo, suy giảm khả năng lao động nặng). "
        "Người bắt đầu đóng sau 01/07/2025 không dùng được trường hợp cuối.\n"
        "Nếu không rút, thời gian đóng được bảo lưu để cộng dồn về sau."
    )
    return Answer(text, [mult, tr, mn, dis], [LEGAL_AID, HANDOFF])


def vsi_missing_years(on: dt.date, e: Dict) -> Answer:
    short = _g("vsi_shortfall_max_months", on)
    mn = _g("pension_min_years", on)
    text = (
        f"Khi đã đủ tuổi nghỉ hưu mà thời gian đóng còn thiếu không quá {short.value} tháng để đủ "
        f"{mn.value} năm, anh/chị được đóng một lần cho số tháng còn thiếu để hưởng lương hưu. "
        "Số tiền là tổng mức đóng các tháng còn thiếu cộng thêm lãi theo tỷ suất đầu tư của quỹ, "
        "cơ quan BHXH sẽ tính cụ thể. Có thể đăng ký sớm nhất từ tháng trước khi đủ tuổi nghỉ hưu.\n"
        "Nếu thiếu nhiều hơn, anh/chị có thể tiếp tục đóng, nhận trợ cấp hằng tháng từ chính số tiền đã đóng, "
        "hoặc bảo lưu."
    )
    return Answer(text, [short, mn], [("Ước tính lương hưu", '/vsi_pension{"request":"calc"}'), HANDOFF])


def vsi_registration(on: dt.date, e: Dict) -> Answer:
    hotline = _g("vss_hotline", on)
    text = (
        "Anh/chị có thể đăng ký BHXH tự nguyện theo các cách:\n"
        "• Trực tiếp: điểm thu BHXH ở bưu điện xã/phường hoặc đại lý thu BHXH, BHYT; hoặc cơ quan BHXH cơ sở.\n"
        "• Trực tuyến: ứng dụng VssID (Bảo hiểm xã hội số), dichvucong.baohiemxahoi.gov.vn hoặc Cổng Dịch vụ công "
        "quốc gia dichvucong.gov.vn.\n"
        "Mang theo căn cước công dân; cho biết mức thu nhập chọn đóng và phương thức đóng. "
        "Nếu thuộc hộ nghèo, cận nghèo, dân tộc thiểu số thì báo để được hỗ trợ cao hơn.\n"
        f"Cần hỏi thêm: tổng đài BHXH Việt Nam {hotline.value}."
    )
    return Answer(text, [hotline, _g("vsi_support_rate", on)], [("Tìm cơ quan BHXH tỉnh tôi", "/referral_request"), ("Tính số tiền phải đóng", '/vsi_contribution{"request":"calc"}')])


def vsi_maternity(on: dt.date, e: Dict) -> Answer:
    m = _g("vsi_maternity_allowance", on)
    c = _g("vsi_maternity_condition", on)
    text = (
        f"Người đóng BHXH tự nguyện được trợ cấp thai sản {vnd(m.value)} cho mỗi con khi sinh, "
        f"nếu đã đóng BHXH tự nguyện từ đủ {c.value['min_months']} tháng trở lên trong {c.value['window_months']} "
        "tháng trước khi sinh. Áp dụng cho mẹ, hoặc cho cha nếu vợ sinh con (chỉ một người được hưởng). "
        f"Nộp hồ sơ (giấy khai sinh/trích lục khai sinh) cho cơ quan BHXH trong {c.value['filing_days']} ngày kể từ ngày sinh."
    )
    return Answer(text, [m, c], [HANDOFF])


def vsi_survivor(on: dt.date, e: Dict) -> Answer:
    mult = _g("funeral_allowance_multiple", on)
    base = _g("base_salary", on)
    rules = _g("survivor_rules", on)
    lump = _g("lump_sum_withdrawal_multiples", on)
    v, lv = rules.value, lump.value
    text = (
        "Khi người đóng BHXH tự nguyện qua đời:\n"
        f"• Trợ cấp mai táng bằng {mult.value} lần mức tham chiếu = {vnd(mult.value * base.value)}, "
        f"nếu đã đóng từ đủ {v['min_months']} tháng hoặc đang hưởng lương hưu.\n"
        f"• Thân nhân được trợ cấp tuất một lần: {_num(lv['before_2014'])} tháng thu nhập bình quân cho mỗi năm đóng "
        f"trước năm {lv['split_year']}, {_num(lv['from_2014'])} tháng cho mỗi năm từ năm {lv['split_year']}; đóng dưới "
        f"{v['min_months']} tháng thì nhận bằng số tiền đã đóng.\n"
        f"Thân nhân nộp hồ sơ trong {v['filing_days']} ngày kể từ ngày người đó mất."
    )
    return Answer(text, [mult, base, rules, lump], [HANDOFF])


def social_pension(on: dt.date, e: Dict) -> Answer:
    amount = _g("social_pension_allowance", on)
    age = _g("social_pension_age", on)
    proc = _g("social_pension_procedure", on)
    text = (
        f"Trợ cấp hưu trí xã hội {vnd(amount.value)}/tháng dành cho công dân từ đủ {age.value['general']} tuổi, "
        f"hoặc từ đủ {age.value['poor_or_near_poor']} tuổi nếu thuộc hộ nghèo, cận nghèo, mà không có lương hưu "
        "hay trợ cấp BHXH hằng tháng. Người hưởng được Nhà nước đóng BHYT.\n"
        "Cách làm: nộp tờ khai (Mẫu số 01) cho Chủ tịch UBND xã/phường, trực tiếp, qua bưu điện hoặc trực tuyến; "
        f"xã giải quyết trong {proc.value} ngày làm việc."
    )
    return Answer(text, [amount, age, proc], [("BHXH tự nguyện là gì?", "/vsi_what")])


# --- Household health insurance -----------------------------------------------------------------------

def hi_household(on: dt.date, e: Dict) -> Answer:
    base = _g("base_salary", on)
    rate = _g("hi_household_rate", on)
    ladder = _g("hi_household_ladder", on)
    periods = _g("hi_payment_periods", on)
    q = health.household(on, 5)
    names = ["Người thứ nhất", "Người thứ hai", "Người thứ ba", "Người thứ tư", "Từ người thứ năm"]
    lines = [
        f"• {names[i]}: {vnd(q.per_member_month[i])}/tháng ({vnd(q.per_member_month[i] * MONTHS_PER_YEAR)}/năm)"
        for i in range(5)
    ]
    text = (
        f"BHYT hộ gia đình: người thứ nhất đóng {percent(rate.value)} lương cơ sở ({vnd(base.value)}); "
        f"người thứ hai, ba, tư đóng {', '.join(percent(x) for x in ladder.value[1:4])} và từ người thứ năm "
        f"{percent(ladder.value[4])} mức của người thứ nhất:\n"
        + "\n".join(lines)
        + "\nNgười đã có thẻ BHYT khác (đi làm, học sinh, hộ nghèo...) không tính vào hộ. "
        f"Đóng theo kỳ {', '.join(str(m) for m in periods.value)} tháng. Cho tôi biết số người, tôi tính tổng tiền."
    )
    return Answer(text, [base, rate, ladder, periods], [("Tính tiền BHYT cho nhà tôi", '/hi_household{"request":"calc"}'), ("Ai được hỗ trợ/miễn phí?", "/hi_subsidy")])


def hi_subsidy(on: dt.date, e: Dict) -> Answer:
    s = _g("hi_state_support", on)
    text = (
        f"Nhà nước đóng toàn bộ BHYT cho: trẻ em dưới {s.value['child_under_age']} tuổi; người thuộc hộ nghèo; người dân tộc thiểu số ở vùng "
        "khó khăn; người sống ở vùng đặc biệt khó khăn, xã đảo; người hưởng trợ cấp xã hội hằng tháng, trợ cấp hưu "
        "trí xã hội; người có công...\n"
        "Nhà nước hỗ trợ một phần (mức tối thiểu):\n"
        f"• Hộ cận nghèo: {percent(s.value['near_poor'])} ({percent(s.value['full'])} nếu sống ở xã nghèo);\n"
        f"• Học sinh, sinh viên: {percent(s.value['student'])};\n"
        f"• Hộ nông, lâm, ngư, diêm nghiệp có mức sống trung bình: {percent(s.value['farm_average_living'])}.\n"
        "Tỉnh có thể hỗ trợ thêm. Danh sách do UBND xã lập, anh/chị hỏi trưởng thôn hoặc UBND xã."
    )
    return Answer(text, [s], [("Mức đóng BHYT hộ gia đình", "/hi_household"), ("Quyền lợi khi đi khám", "/hi_benefits")])


def hi_card_validity(on: dt.date, e: Dict) -> Answer:
    w = _g("hi_waiting_period", on)
    text = (
        f"Thẻ BHYT hộ gia đình mua lần đầu, hoặc mua lại sau khi gián đoạn từ {w.value['gap_days']} ngày trở lên, "
        f"có giá trị sử dụng sau {w.value['wait_days']} ngày kể từ ngày đóng đủ tiền. "
        "Nếu đóng nối tiếp liên tục thì thẻ mới có giá trị ngay khi thẻ cũ hết hạn.\n"
        "Mẹo: gia hạn trước khi thẻ hết hạn để không bị gián đoạn. Thẻ điện tử trên VssID hoặc VNeID có giá trị "
        "như thẻ giấy."
    )
    return Answer(text, [w], [("Mức đóng BHYT hộ gia đình", "/hi_household")])


def hi_benefits(on: dt.date, e: Dict) -> Answer:
    lv = _g("hi_benefit_levels", on)
    th = _g("hi_full_cover_threshold_rate", on)
    sup = _g("hi_state_support", on)
    cap = _g("hi_five_year_cap_multiple", on)
    base = _g("base_salary", on)
    text = (
        f"Người có BHYT hộ gia đình được quỹ chi trả {percent(lv.value['household'])} chi phí khám chữa bệnh "
        f"trong phạm vi; hộ cận nghèo {percent(lv.value['near_poor'])}; hộ nghèo, trẻ em dưới "
        f"{sup.value['child_under_age']} tuổi "
        f"{percent(lv.value['full'])}.\n"
        f"Được chi trả {percent(lv.value['full'])} khi: khám tại trạm y tế xã và cơ sở ban đầu; một lần khám có chi phí dưới "
        f"{percent(th.value)} lương cơ sở ({vnd(th.value * base.value)}); đã tham gia {cap.value['years']} năm liên tục "
        f"và số tiền cùng chi trả trong năm vượt {cap.value['multiple']} lần mức tham chiếu "
        f"({vnd(cap.value['multiple'] * base.value)}).\n"
        "Cấp cứu được hưởng ở mọi nơi. Tự đi khám vượt tuyến thì mức hưởng có thể thấp hơn."
    )
    return Answer(text, [lv, th, cap, base, sup], [("Mức đóng BHYT hộ gia đình", "/hi_household")])


def hi_where_to_buy(on: dt.date, e: Dict) -> Answer:
    hotline = _g("vss_hotline", on)
    text = (
        "Mua hoặc gia hạn BHYT hộ gia đình tại: điểm thu BHXH, BHYT ở bưu điện xã/phường, đại lý thu ở thôn, tổ dân "
        "phố, hoặc cơ quan BHXH cơ sở; gia hạn trực tuyến qua ứng dụng VssID hoặc Cổng Dịch vụ công.\n"
        "Mang căn cước công dân của các thành viên. Danh sách hộ do UBND xã lập. "
        f"Tổng đài BHXH Việt Nam: {hotline.value}."
    )
    return Answer(text, [hotline, _g("hi_payment_periods", on)], [("Tính tiền BHYT cho nhà tôi", '/hi_household{"request":"calc"}')])


# --- Unemployment insurance -------------------------------------------------------------------------

def ui_coverage(on: dt.date, e: Dict) -> Answer:
    c = _g("ui_contribution_rate", on)
    cs = _g("compulsory_si_contract_months", on)
    text = (
        f"Bảo hiểm thất nghiệp bắt buộc với người làm theo hợp đồng lao động từ đủ {cs.value} tháng trở lên; "
        f"người lao động đóng {percent(c.value['worker'])} tiền lương, công ty đóng {percent(c.value['employer'])}.\n"
        "Không tham gia được: người làm tự do, buôn bán nhỏ, nông dân, người chỉ đóng BHXH tự nguyện, "
        "người đang thử việc, người giúp việc gia đình, người đã hưởng lương hưu. "
        "Người làm tự do có thể tham gia BHXH tự nguyện để có lương hưu."
    )
    return Answer(text, [c, cs], [("Điều kiện hưởng trợ cấp", "/ui_eligibility"), ("BHXH tự nguyện là gì?", "/vsi_what")])


def ui_eligibility(on: dt.date, e: Dict) -> Answer:
    el = _g("ui_eligibility", on)
    v = el.value
    text = (
        "Được hưởng trợ cấp thất nghiệp khi đủ các điều kiện:\n"
        "• Chấm dứt hợp đồng lao động đúng luật (không phải tự ý nghỉ trái luật, không phải đủ điều kiện hưởng lương hưu);\n"
        f"• Đã đóng bảo hiểm thất nghiệp từ đủ {v['min_months']} tháng trong {v['window_months']} tháng trước khi nghỉ "
        f"(hợp đồng từ {v['short_contract_from_months']} đến dưới {v['short_contract_below_months']} tháng: "
        f"{v['min_months']} tháng trong {v['short_window_months']} tháng);\n"
        f"• Nộp hồ sơ trong {v['filing_months']} tháng kể từ ngày nghỉ việc;\n"
        f"• Chưa có việc làm mới (có đóng BHXH bắt buộc) trong {v['no_new_job_working_days']} ngày làm việc sau khi nộp hồ sơ."
    )
    return Answer(text, [el], [("Được bao nhiêu tiền?", "/ui_benefit_amount"), ("Nộp hồ sơ ở đâu?", "/ui_procedure")])


def ui_eligibility_and_coverage(on: dt.date, e: Dict) -> Answer:
    a = ui_coverage(on, e)
    b = ui_eligibility(on, e)
    return Answer(a.text + "\n" + b.text, a.facts + b.facts, b.buttons)


def ui_benefit_amount(on: dt.date, e: Dict) -> Answer:
    rate = _g("ui_benefit_rate", on)
    mult = _g("ui_benefit_cap_multiple", on)
    w = _g("regional_minimum_wage", on)
    dur = _g("ui_duration", on)
    el = _g("ui_eligibility", on)
    caps = ", ".join(f"vùng {r} {vnd(mult.value * w.value[r])}" for r in ("I", "II", "III", "IV"))
    d = dur.value
    text = (
        f"Trợ cấp thất nghiệp hằng tháng bằng {percent(rate.value)} bình quân tiền lương đóng BHTN của "
        f"{el.value['average_wage_months']} tháng cuối, "
        f"tối đa {mult.value} lần lương tối thiểu vùng ({caps}).\n"
        f"Thời gian hưởng: đóng từ {d['min_months']} đến {d['base_until_months']} tháng được {d['base_months']} tháng; "
        f"sau đó cứ đóng thêm đủ {d['step_months']} tháng được thêm một tháng, tối đa {d['max_months']} tháng.\n"
        "Anh/chị cho tôi biết mức lương và số tháng đã đóng, tôi tính cụ thể."
    )
    return Answer(text, [rate, mult, w, dur, el], [("Tính trợ cấp của tôi", '/ui_benefit_amount{"request":"calc"}'), ("Nộp hồ sơ ở đâu?", "/ui_procedure")])


def ui_procedure(on: dt.date, e: Dict) -> Answer:
    el = _g("ui_eligibility", on)
    dec = _g("ui_decision_working_days", on)
    v = el.value
    text = (
        f"Trong {v['filing_months']} tháng kể từ ngày chấm dứt hợp đồng, anh/chị nộp hồ sơ cho Trung tâm dịch vụ việc "
        "làm công của tỉnh/thành phố nơi muốn nhận trợ cấp (không bắt buộc nơi làm việc), trực tiếp hoặc qua Cổng "
        "Dịch vụ công quốc gia dichvucong.gov.vn.\n"
        "Hồ sơ: đơn đề nghị (Mẫu số 10); giấy tờ chứng minh đã nghỉ việc (quyết định thôi việc, hợp đồng hết hạn, "
        "thông báo chấm dứt hợp đồng...); sổ BHXH.\n"
        f"Quyết định trong {dec.value} ngày làm việc; tiền trợ cấp được tính từ ngày làm việc thứ "
        f"{v['start_working_day']} sau khi nộp đủ hồ sơ. Hằng tháng phải thông báo tìm việc với trung tâm."
    )
    return Answer(text, [el, dec], [("Tìm trung tâm dịch vụ việc làm", "/referral_request"), ("Được bao nhiêu tiền?", "/ui_benefit_amount")])


# --- Labour rights -----------------------------------------------------------------------------------

def labour_contract(on: dt.date, e: Dict) -> Answer:
    pr = _g("probation_max_days", on)
    pay = _g("probation_min_pay_rate", on)
    ft = _g("fixed_term_max_months", on)
    p = pr.value
    text = (
        "Hợp đồng lao động phải ký trước khi bắt đầu làm việc, bằng văn bản "
        f"({ft.value['copies']} bản, mỗi bên giữ một bản); chỉ hợp đồng dưới {ft.value['oral_below_months']} tháng "
        "mới được thỏa thuận miệng.\n"
        f"• Hợp đồng xác định thời hạn tối đa {ft.value['max_months']} tháng và chỉ được ký thêm "
        f"{ft.value['extra_fixed_term_contracts']} lần; hết hạn mà vẫn "
        f"làm, không ký mới trong {ft.value['renew_within_days']} ngày thì thành hợp đồng không xác định thời hạn.\n"
        f"• Thử việc chỉ một lần với một công việc: tối đa {p['manager']} ngày (quản lý doanh nghiệp), {p['college']} ngày (cao đẳng trở lên), "
        f"{p['intermediate']} ngày (trung cấp, kỹ thuật), {p['other_working_days']} ngày làm việc (công việc khác); "
        f"lương thử việc ít nhất {percent(pay.value)}."
    )
    return Answer(text, [pr, pay, ft], [HANDOFF])


def minimum_wage(on: dt.date, e: Dict) -> Answer:
    w = _g("regional_minimum_wage", on)
    h = _g("regional_minimum_hourly_wage", on)
    lines = [f"• Vùng {r}: {vnd(w.value[r])}/tháng ({vnd(h.value[r])}/giờ)" for r in ("I", "II", "III", "IV")]
    text = (
        "Lương tối thiểu vùng (áp dụng theo nơi công ty hoạt động):\n" + "\n".join(lines) + "\n"
        "Trả lương theo tuần, ngày, sản phẩm hay khoán quy đổi ra cũng không được thấp hơn mức này. "
        "Vùng được xác định theo từng xã, phường."
    )
    return Answer(text, [w, h], [("Công ty trả thấp hơn thì sao?", "/legal_aid_request")])


def wage_arrears(on: dt.date, e: Dict) -> Answer:
    t = _g("dispute_time_limits", on)
    u = _g("union_legal_support_law", on)
    la = _g("legal_aid_law", on)
    text = (
        "Bị nợ lương, anh/chị nên:\n"
        "1. Giữ lại bằng chứng: hợp đồng, bảng chấm công, tin nhắn, sao kê lương;\n"
        "2. Đề nghị công ty trả bằng văn bản; nhờ công đoàn cơ sở (nếu có) can thiệp;\n"
        f"3. Nhờ hòa giải viên lao động (thời hiệu {t.value['mediator']} tháng) hoặc khởi kiện ra tòa (thời hiệu "
        f"{t.value['court'] // 12} năm) kể từ ngày phát hiện quyền lợi bị vi phạm.\n"
        "Công đoàn hỗ trợ pháp lý miễn phí cho đoàn viên; Trung tâm trợ giúp pháp lý nhà nước giúp miễn phí "
        "người thuộc diện được trợ giúp. Tôi có thể chuyển anh/chị cho cán bộ tư vấn."
    )
    return Answer(text, [t, u, la], [LEGAL_AID, HANDOFF])


def dismissal(on: dt.date, e: Dict) -> Answer:
    t = _g("dispute_time_limits", on)
    n = _g("resignation_notice_days", on)
    text = (
        "Việc bị sa thải hay bị cho nghỉ việc có đúng luật hay không phụ thuộc vào lý do, thủ tục và hợp đồng cụ thể, "
        "nên cần người có chuyên môn xem hồ sơ. Anh/chị giữ lại quyết định, hợp đồng, tin nhắn.\n"
        "Tranh chấp về sa thải, đơn phương chấm dứt hợp đồng không bắt buộc hòa giải trước: anh/chị có thể khởi kiện "
        f"ra tòa trong {t.value['court'] // 12} năm kể từ ngày phát hiện quyền lợi bị vi phạm.\n"
        f"Nếu chính anh/chị muốn nghỉ: báo trước {n.value['indefinite']} ngày (hợp đồng không thời hạn), "
        f"{n.value['fixed_12_36']} ngày (hợp đồng {n.value['fixed_from_months']}–{n.value['fixed_to_months']} tháng), "
        f"{n.value['under_12_months_working_days']} ngày làm việc (dưới {n.value['fixed_from_months']} tháng)."
    )
    return Answer(text, [t, n], [LEGAL_AID, HANDOFF])


def maternity(on: dt.date, e: Dict) -> Answer:
    m = _g("maternity_leave_months", on)
    facts = [m]
    v = m.value
    text = (
        f"Lao động nữ được nghỉ thai sản {v['months']} tháng trước và sau khi sinh (trước sinh không quá "
        f"{v['before_birth_max']} tháng); sinh đôi trở lên thì từ con thứ hai mỗi con được nghỉ thêm "
        f"{v['extra_per_child']} tháng. Công ty phải giữ việc làm khi quay lại."
    )
    try:
        second = _g("maternity_leave_second_child_months", on)
        facts.append(second)
        text += (
            f"\nTừ {second.since}: sinh con thứ hai được nghỉ {second.value['months']} tháng; chồng được nghỉ "
            f"{second.value['father_working_days']} ngày làm việc."
        )
    except P.NotInForce:
        pass
    vm = _g("vsi_maternity_allowance", on)
    vc = _g("vsi_maternity_condition", on)
    facts += [vm, vc]
    text += (
        f"\nNgười đóng BHXH tự nguyện được trợ cấp {vnd(vm.value)} mỗi con khi sinh (đóng đủ "
        f"{vc.value['min_months']} tháng trong {vc.value['window_months']} tháng trước sinh)."
    )
    return Answer(text, facts, [HANDOFF])


def overtime_leave(on: dt.date, e: Dict) -> Answer:
    hrs = _g("normal_hours", on)
    ot = _g("overtime_caps", on)
    pay = _g("overtime_pay_rates", on)
    al = _g("annual_leave_days", on)
    hol = _g("public_holidays_days", on)
    text = (
        f"• Giờ làm bình thường: tối đa {hrs.value['per_day']} giờ/ngày, {hrs.value['per_week']} giờ/tuần.\n"
        f"• Làm thêm phải được người lao động đồng ý; tối đa {ot.value['per_month']} giờ/tháng, "
        f"{ot.value['per_year']} giờ/năm ({ot.value['per_year_listed_sectors']} giờ/năm với một số ngành như dệt may, da giày, điện tử).\n"
        f"• Tiền làm thêm ít nhất {percent(pay.value['weekday'])} ngày thường, {percent(pay.value['weekly_rest_day'])} "
        f"ngày nghỉ hằng tuần, {percent(pay.value['public_holiday'])} ngày lễ, Tết.\n"
        f"• Nghỉ hằng năm {al.value['normal']} ngày làm việc có lương khi làm đủ {al.value['after_months']} tháng; "
        f"{hol.value} ngày lễ, Tết hưởng nguyên lương."
    )
    return Answer(text, [hrs, ot, pay, al, hol], [HANDOFF])


def employer_not_paying_si(on: dt.date, e: Dict) -> Answer:
    cs = _g("compulsory_si_contract_months", on)
    hotline = _g("vss_hotline", on)
    u = _g("union_legal_support_law", on)
    text = (
        f"Người làm theo hợp đồng lao động từ đủ {cs.value} tháng trở lên thuộc diện BHXH bắt buộc: công ty phải "
        "đăng ký và đóng cho anh/chị.\n"
        "Anh/chị nên: 1) kiểm tra quá trình đóng trên ứng dụng VssID; 2) đề nghị công ty đóng, nhờ công đoàn can thiệp; "
        f"3) phản ánh với cơ quan BHXH tỉnh hoặc tổng đài {hotline.value}; 4) nếu không được giải quyết, nhờ trợ "
        "giúp pháp lý hoặc khởi kiện."
    )
    return Answer(text, [cs, hotline, u], [LEGAL_AID, HANDOFF])


def legal_aid_request(on: dt.date, e: Dict) -> Answer:
    la = _g("legal_aid_law", on)
    u = _g("union_legal_support_law", on)
    text = (
        "Tôi là trợ lý tự động, không thay được luật sư. Anh/chị có thể được giúp miễn phí:\n"
        "• Trung tâm trợ giúp pháp lý nhà nước của tỉnh (thuộc Sở Tư pháp): miễn phí cho người thuộc hộ nghèo, "
        "người có công, trẻ em, người dân tộc thiểu số ở vùng đặc biệt khó khăn; và người cao tuổi, người khuyết "
        "tật... nếu thuộc hộ cận nghèo.\n"
        "• Công đoàn (Liên đoàn Lao động tỉnh): tư vấn, hỗ trợ pháp lý; miễn phí cho đoàn viên về lao động, việc làm, "
        "BHXH, BHYT.\n"
        "Anh/chị đang ở tỉnh/thành phố nào? Tôi chỉ nơi gần nhất, hoặc chuyển anh/chị cho cán bộ tư vấn."
    )
    return Answer(text, [la, u], [("Tìm nơi gần tôi", "/referral_request"), HANDOFF])


TOPICS: Dict[str, Callable[[dt.date, Dict], Answer]] = {
    "ui_eligibility": ui_eligibility_and_coverage,
    **{f.__name__: f
    for f in (
        vsi_what, vsi_contribution, vsi_subsidy, vsi_payment_method, vsi_pension, vsi_lump_sum_withdrawal, vsi_missing_years, vsi_registration, vsi_maternity,
        vsi_survivor, social_pension, hi_household, hi_subsidy, hi_card_validity, hi_benefits,
        hi_where_to_buy, ui_benefit_amount, ui_procedure, labour_contract,
        minimum_wage, wage_arrears, dismissal, maternity, overtime_leave, employer_not_paying_si,
        legal_aid_request,
    )},
}


def answer(topic: str, on: dt.date, entities: Optional[Dict] = None) -> Answer:
    return TOPICS[topic](on, entities or {})
