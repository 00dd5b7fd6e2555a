"""What the assistant says next, given the intent, the entities and the conversation state.

No Rasa imports: the action in ``actions/actions.py`` turns a tracker into :class:`Turn` and the
returned :class:`Reply` into dispatcher messages and slot events.

State (kept in slots): ``calc`` (calculator in progress), ``calc_inputs`` (values gathered so far),
``requested`` (the input just asked for), ``topic`` (last topic answered, for follow-ups such as
"còn hộ cận nghèo thì sao?") and ``province``.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

from bot.parsing import parse_birth
from knowledge import answers, calc_text, referral
from knowledge.answers import Answer
from knowledge.calculators import health, pension, unemployment, vsi
from knowledge.errors import InvalidInput, UnknownProvince
from knowledge.text import fold

# Topic questions that become a calculation when the message carries the inputs, asks for a
# calculation ("tính giúp", a button with {"request": "calc"}), or follows the calculator's question.
CALC_TRIGGERS = {
    "vsi_contribution": ("vsi", {"amount"}),
    "vsi_subsidy": ("vsi", {"amount"}),
    "hi_household": ("hi", {"people"}),
    "ui_benefit_amount": ("ui", {"amount"}),
    "vsi_pension": ("pension", {"birth", "age"}),
}
ASKS_TO_CALCULATE = re.compile(
    r"\b(?:tinh (?:giup|gium|dum|thu|xem|cho|hop|ra|luong|tien|tro|muc|bhyt|bhxh|bhtn|tctn|tuoi)|uoc tinh|may tinh)\b"
)
REQUIRED = {
    "vsi": ("income", "group", "period"),
    "hi": ("people",),
    "ui": ("wage", "months"),
    "pension": ("gender", "birth", "years_paid"),
}
PROMPTS = {
    "income": "Anh/chị muốn chọn mức thu nhập bao nhiêu mỗi tháng để đóng (ví dụ: 2 triệu, 3tr, 5.000.000)?",
    "group": "Anh/chị thuộc nhóm nào: hộ nghèo, hộ cận nghèo, người dân tộc thiểu số, sống ở xã đảo/đặc khu, hay không thuộc nhóm nào?",
    "period": "Anh/chị muốn đóng hằng tháng, 3 tháng, 6 tháng hay 12 tháng một lần?",
    "people": "Nhà anh/chị có bao nhiêu người cần mua BHYT (không tính người đã có thẻ ở nơi khác)?",
    "wage": "Mức lương đóng bảo hiểm thất nghiệp bình quân 6 tháng cuối của anh/chị là bao nhiêu?",
    "months": "Anh/chị đã đóng bảo hiểm thất nghiệp tổng cộng bao nhiêu tháng?",
    "region": "Nơi anh/chị làm việc thuộc vùng lương tối thiểu nào (I, II, III hay IV)?",
    "gender": "Anh/chị là nam hay nữ?",
    "birth": "Anh/chị sinh tháng, năm nào (ví dụ: 5/1980)?",
    "years_paid": "Anh/chị đã đóng BHXH được bao nhiêu năm (chưa đóng thì nói 0)?",
    "province": "Anh/chị đang sống ở tỉnh/thành phố nào? (tên mới hoặc tên cũ đều được)",
}
PROBLEM_OF_TOPIC = {
    "wage_arrears": "dispute", "dismissal": "dispute", "employer_not_paying_si": "dispute",
    "labour_contract": "dispute", "minimum_wage": "dispute", "overtime_leave": "dispute",
    "maternity": "dispute", "legal_aid_request": "dispute",
    "ui_procedure": "unemployment", "ui_eligibility": "unemployment", "ui_benefit_amount": "unemployment",
}
MENU: List[Tuple[str, str]] = [
    ("BHXH tự nguyện", "/vsi_what"),
    ("BHYT hộ gia đình", "/hi_household"),
    ("Trợ cấp thất nghiệp", "/ui_benefit_amount"),
    ("Quyền lợi người lao động", "/wage_arrears"),
    ("Trợ giúp pháp lý", "/legal_aid_request"),
    ("Gặp cán bộ tư vấn", "/human_handoff"),
]
MAX_CHARS = 1000


@dataclass
class Turn:
    intent: str
    text: str
    entities: List[Dict[str, Any]]
    state: Dict[str, Any]
    today: dt.date


@dataclass
class Reply:
    messages: List[Tuple[str, List[Tuple[str, str]]]] = field(default_factory=list)
    state: Dict[str, Any] = field(default_factory=dict)
    record_referral: Optional[Tuple[str, str]] = None  # (problem, province)

    def say(self, text: str, buttons: Optional[List[Tuple[str, str]]] = None) -> "Reply":
        self.messages.append((text, list(buttons or [])))
        return self

    def answer(self, a: Answer) -> "Reply":
        return self.say(a.render(), a.buttons)


def _first(entities: List[Dict[str, Any]], name: str) -> Any:
    for e in entities:
        if e.get("entity") == name:
            return e.get("value")
    return None


def _bare_number(text: str) -> Optional[float]:
    m = re.fullmatch(r"\s*(\d+(?:[.,]\d+)?)\s*(?:nam|thang)?\s*[.!]*\s*", fold(text))
    return float(m.group(1).replace(",", ".")) if m else None


def inputs_from(turn: Turn, calc: str, requested: Optional[str]) -> Dict[str, Any]:
    """Values for calculator ``calc`` found in this message (entities, then bare answers to a question)."""
    e = turn.entities
    got: Dict[str, Any] = {}
    amount = _first(e, "amount")
    duration = _first(e, "duration")
    period = _first(e, "period")
    folded = fold(turn.text).strip(" .!?")
    if calc == "vsi":
        periods = vsi.payment_periods(turn.today)
        if amount:
            got["income"] = amount
        if _first(e, "group"):
            got["group"] = _first(e, "group")
        if period:
            got["period"] = period
        elif requested == "period" and duration in periods:
            got["period"] = duration
        elif requested == "period" and _bare_number(turn.text) in periods:
            got["period"] = int(_bare_number(turn.text))
        elif requested == "group" and folded in {"khong", "ko", "k", "khong co", "khong thuoc", "khong a", "ko co"}:
            got["group"] = "other"
    elif calc == "hi":
        people = _first(e, "people")
        if people:
            got["people"] = people
        elif requested == "people" and _bare_number(turn.text):
            got["people"] = int(_bare_number(turn.text))
    elif calc == "ui":
        if amount:
            got["wage"] = amount
        if duration:
            got["months"] = duration
        elif requested == "months" and _bare_number(turn.text) is not None:
            got["months"] = int(_bare_number(turn.text))
        if _first(e, "region"):
            got["region"] = _first(e, "region")
        elif requested == "region":
            m = re.fullmatch(r"(?:vung\s*)?(iv|iii|ii|i|1|2|3|4)", folded)
            if m:
                got["region"] = {"1": "I", "2": "II", "3": "III", "4": "IV"}.get(m.group(1), m.group(1).upper())
    elif calc == "pension":
        if _first(e, "gender"):
            got["gender"] = _first(e, "gender")
        elif requested == "gender" and folded in {"nam", "nu", "trai", "gai"}:
            got["gender"] = "male" if folded in {"nam", "trai"} else "female"
        birth = _first(e, "birth")
        age = _first(e, "age")
        if birth:
            year, month = parse_birth(birth)
            got["birth"] = {"year": year, "month": month or 1}
        elif age:
            got["birth"] = {"year": turn.today.year - int(age), "month": turn.today.month}
        elif requested == "birth":
            m = re.search(r"(?:(\d{1,2})\s*[/.-]\s*)?((?:19|20)\d\d)", folded)
            if m:
                got["birth"] = {"year": int(m.group(2)), "month": int(m.group(1) or 1)}
        if duration and (duration % 12 == 0 or requested == "years_paid"):
            got["years_paid"] = duration / 12
        elif requested == "years_paid" and _bare_number(turn.text) is not None:
            got["years_paid"] = _bare_number(turn.text)
        elif requested == "years_paid" and folded in {"chua", "chua dong", "khong", "0"}:
            got["years_paid"] = 0
        if amount:
            got["income"] = amount
    return got


def _compute(calc: str, inputs: Dict[str, Any], today: dt.date) -> Answer:
    if calc == "vsi":
        return calc_text.vsi_quote(vsi.quote(today, int(inputs["income"]), [inputs["group"]], int(inputs["period"])))
    if calc == "hi":
        return calc_text.household_quote(health.household(today, int(inputs["people"])))
    if calc == "ui":
        q = unemployment.benefit(today, int(inputs["wage"]), int(inputs["months"]), inputs.get("region"))
        return calc_text.unemployment_quote(q)
    b = inputs["birth"]
    incomes = pension.default_income_choices(today, inputs.get("income"))
    est = pension.estimate(today, inputs["gender"], int(b["year"]), int(b.get("month") or 1), float(inputs["years_paid"]), incomes)
    return calc_text.pension_estimate(est)


def run_calculator(calc: str, inputs: Dict[str, Any], today: dt.date, reply: Reply) -> Reply:
    """Ask for the first missing input, or answer; an invalid input is explained and asked again."""
    for name in REQUIRED[calc]:
        if inputs.get(name) in (None, ""):
            reply.state.update(calc=calc, calc_inputs=inputs, requested=name)
            return reply.say(PROMPTS[name])
    try:
        answer = _compute(calc, inputs, today)
    except InvalidInput as err:
        field_name = {"income": "income", "wage": "wage", "members": "people", "months": "months",
                      "period": "period", "region": "region", "gender": "gender", "birth_year": "birth",
                      "birth_month": "birth", "years_paid": "years_paid"}.get(err.field, err.field)
        inputs = {k: v for k, v in inputs.items() if k != field_name}
        reply.state.update(calc=calc, calc_inputs=inputs, requested=field_name if field_name in PROMPTS else None)
        return reply.say(err.message)
    reply.state.update(calc=None, calc_inputs=None, requested=None, topic=f"{calc}_calc", last_inputs=inputs)
    return reply.answer(answer)


def referral_reply(problem: str, place: str, today: dt.date, reply: Reply) -> Reply:
    try:
        province = referral.find(place)
    except UnknownProvince as err:
        reply.state.update(calc="referral", calc_inputs={"problem": problem}, requested="province")
        return reply.say(err.message)
    reply.state.update(calc=None, calc_inputs=None, requested=None, province=province.name)
    reply.record_referral = (problem, province.name)
    return reply.answer(calc_text.referral_answer(province, problem, place, today))


def respond(turn: Turn) -> Reply:
    reply = Reply()
    state = turn.state
    calc = state.get("calc")
    requested = state.get("requested")
    text = turn.text or ""
    if len(text) > MAX_CHARS:
        return reply.say(
            f"Tin nhắn dài quá {MAX_CHARS} ký tự nên tôi chưa đọc được hết. Anh/chị viết ngắn lại câu hỏi chính giúp tôi nhé."
        )
    province_entity = next((e for e in turn.entities if e.get("entity") == "province"), None)

    # 1. A calculator (or referral) waiting for an answer gets it, whatever the classifier thought.
    if calc == "referral":
        if province_entity:
            return referral_reply(state.get("calc_inputs", {}).get("problem", "dispute"), _entity_text(turn, province_entity), turn.today, reply)
        if turn.intent in ("inform", "nlu_fallback"):
            return referral_reply(state.get("calc_inputs", {}).get("problem", "dispute"), text.strip(), turn.today, reply)
    elif calc in REQUIRED:
        got = inputs_from(turn, calc, requested)
        if got or turn.intent in ("inform", "nlu_fallback", "affirm", "deny"):
            inputs = dict(state.get("calc_inputs") or {})
            inputs.update(got)
            if not got:
                reply.say("Xin lỗi, tôi chưa hiểu câu trả lời.")
                reply.state.update(calc=calc, calc_inputs=inputs, requested=requested)
                return reply.say(PROMPTS.get(requested or "", ""), [])
            return run_calculator(calc, inputs, turn.today, reply)

    intent = turn.intent

    # 3. Referrals.
    if intent == "referral_request" or (intent == "legal_aid_request" and province_entity):
        problem = PROBLEM_OF_TOPIC.get(state.get("topic") or "", "dispute")
        if intent == "legal_aid_request":
            problem = "dispute"
        if province_entity:
            return referral_reply(problem, _entity_text(turn, province_entity), turn.today, reply)
        if state.get("province"):
            return referral_reply(problem, state["province"], turn.today, reply)
        reply.state.update(calc="referral", calc_inputs={"problem": problem}, requested="province")
        return reply.say(PROMPTS["province"])

    # 4. A topic question, possibly carrying the inputs of a calculation.
    if intent in CALC_TRIGGERS:
        c, needs = CALC_TRIGGERS[intent]
        names = {e.get("entity") for e in turn.entities}
        asked = _first(turn.entities, "request") == "calc" or ASKS_TO_CALCULATE.search(fold(text))
        if names & needs or asked:
            return run_calculator(c, inputs_from(turn, c, None), turn.today, reply)
    if intent in answers.TOPICS:
        reply.state.update(topic=intent, calc=None, calc_inputs=None, requested=None)
        reply.answer(answers.answer(intent, turn.today, _entity_values(turn.entities)))
        if intent in PROBLEM_OF_TOPIC and PROBLEM_OF_TOPIC[intent] == "dispute" and province_entity and intent != "legal_aid_request":
            return referral_reply("dispute", _entity_text(turn, province_entity), turn.today, reply)
        return reply

    # 5. Bare details ("3 triệu, hộ cận nghèo, hằng tháng") start the calculator they fit.
    names = {e.get("entity") for e in turn.entities}
    guessed = _calculator_for(names)
    if intent in ("inform", "nlu_fallback") and guessed and (
        not state.get("topic") or len(names & {"amount", "group", "period", "people", "duration", "birth", "gender"}) >= 2
    ):
        return run_calculator(guessed, inputs_from(turn, guessed, None), turn.today, reply)

    # 6. Follow-ups ("còn hộ cận nghèo thì sao?") reuse the last topic with the new detail.
    if intent == "inform" and state.get("topic"):
        topic = state["topic"]
        if province_entity:
            problem = PROBLEM_OF_TOPIC.get(topic, "insurance")
            return referral_reply(problem, _entity_text(turn, province_entity), turn.today, reply)
        base_topic = topic[:-5] if topic.endswith("_calc") else topic
        if base_topic in REQUIRED:
            prev = dict(state.get("last_inputs") or {})
            got = inputs_from(turn, base_topic, None)
            if got:
                prev.update(got)
                return run_calculator(base_topic, prev, turn.today, reply)
        if topic in CALC_TRIGGERS and names & CALC_TRIGGERS[topic][1]:
            c = CALC_TRIGGERS[topic][0]
            return run_calculator(c, inputs_from(turn, c, None), turn.today, reply)
        if topic in answers.TOPICS:
            return reply.answer(answers.answer(topic, turn.today, _entity_values(turn.entities)))

    # 7. Nothing fits: offer the main topics instead of guessing.
    return reply.say(
        "Xin lỗi, tôi chưa hiểu rõ câu hỏi. Anh/chị chọn một chủ đề dưới đây, hoặc hỏi lại ngắn gọn hơn "
        "(ví dụ: “đóng BHXH tự nguyện mỗi tháng bao nhiêu?”).",
        MENU,
    )


def _calculator_for(names: set) -> Optional[str]:
    """The calculator a bare set of details points to, if any."""
    if "people" in names:
        return "hi"
    if names & {"gender", "birth"}:
        return "pension"
    if "amount" in names and names & {"group", "period"}:
        return "vsi"
    if "amount" in names and "duration" in names:
        return "ui"
    return None


def _entity_text(turn: Turn, entity: Dict[str, Any]) -> str:
    """What the user typed for an entity (the old province name matters: "Long An" -> Tây Ninh)."""
    if entity.get("text"):
        return entity["text"]
    if isinstance(entity.get("start"), int) and isinstance(entity.get("end"), int):
        return turn.text[entity["start"] : entity["end"]]
    return str(entity.get("value", ""))


def _entity_values(entities: List[Dict[str, Any]]) -> Dict[str, Any]:
    return {e["entity"]: e.get("value") for e in entities if e.get("entity")}
