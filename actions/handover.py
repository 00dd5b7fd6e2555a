"""Handing a conversation over to union staff, and what the user can do with the case afterwards.

The steps, one question each, kept in ``DialogueState.handover``:

1. **consent** to share the conversation (Law 91/2025/QH15): "Không đồng ý" still gets the province's offices;
2. **description**: one line (skipped when the message that asked already told the story);
3. **province**: any name people use (skipped when known);
4. **contact**: a phone number, or "Chỉ nhắn tin ở đây".

Then :class:`CaseRequest` ``open`` asks the action layer (``actions/actions.py``) to open the case, pause the
conversation (Rasa's ``ConversationPaused``) and say when staff will answer. A person with an open case who
asks again adds to it (``extend``) unless they say it is a different matter. ``case_status``, ``case_withdraw``,
``erase_data`` and a rating after a resolved case are answered here from :class:`CaseInfo`, which the action
layer reads from the case database before the turn.

No Rasa imports and no Vietnamese text (the words are ``handoff.*``, ``case.*`` and ``privacy.*`` of
``knowledge/content/conversation.yaml``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional

from bot.questions import asks
from knowledge import compose
from knowledge.registry import registry
from knowledge.text import fold

if TYPE_CHECKING:  # the dialogue imports this module; the types only for annotations
    from actions.dialogue import Reply, Turn

# Statuses in which people, not the bot, answer: the bot stays silent but for the case's own requests.
TAKEOVER_STATUSES = ("waiting", "with_staff", "escalated")
# Intents a paused conversation still answers (besides Rasa's /restart).
ANSWERED_WHILE_PAUSED = ("case_status", "case_withdraw", "erase_data")
DESCRIPTION_MIN_WORDS = 8  # a request this long that is not only "cho gặp cán bộ" already tells the story
DESCRIPTION_MAX_CHARS = 500
MAX_TRIES = 2  # a step asked this many times without an answer moves on (or, for consent, lets go)

# "việc khác", "chuyện khác", "vấn đề khác", "hồ sơ mới": the user says this is a different matter.
NEW_MATTER = re.compile(r"\b(?:viec|chuyen|van de|vu|ho so|yeu cau)\s+(?:khac|moi)\b")
# Only asks for a person, tells nothing of the matter.
ONLY_ASKS_FOR_PERSON = re.compile(
    r"\b(?:gap|noi chuyen|ket noi|chuyen|noi may|can|xin|muon|goi)\b.*\b(?:can bo|nhan vien|nguoi|tu van vien|chuyen vien|admin|cong doan)\b"
)
# A Vietnamese phone number: mobile 0[35789]x xxx xxxx or +84..., landline 02x..., separators allowed.
# Words that tell nothing of the matter ("số điện thoại của tôi là ...", "giúp em với ạ").
FILLER = frozenset("so dien thoai sdt cua toi em minh anh chi la day nha nhe a voi giup giup do ho tro lien he goi lai "
                   "nhanh duoc khong ko ban oi".split())
PHONE = re.compile(r"(?<![\d+])(?:\+?84|0)(?:[\s.\-]?\d){8,10}(?!\d)")
EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
RATING = re.compile(r"^\s*([1-5])\s*(?:sao|diem|d|\*|/\s*5)?\s*[.!]*\s*$")
CONTACT_REFUSED = re.compile(r"\b(?:chi nhan|nhan tin|o day|khong (?:can|co|muon|de)|khong\b|thoi khoi|khoi)")


@dataclass(frozen=True)
class CaseInfo:
    """The person's open case, or else their latest one, as the action layer read it from the database."""

    case_id: int
    status: str
    province: Optional[str] = None
    updated: str = ""  # when it last changed, as the user reads it (Vietnam time)
    assigned: bool = False
    closed_reason: Optional[str] = None
    rating_pending: bool = False

    @property
    def open(self) -> bool:
        return self.status != "resolved"

    @property
    def taken_over(self) -> bool:
        return self.status in TAKEOVER_STATUSES


@dataclass
class CaseRequest:
    """What the action layer must do in the case database for this turn."""

    kind: str  # open, extend, withdraw, erase, rate, consent
    description: Optional[str] = None
    province: Optional[str] = None
    contact: Optional[str] = None
    new_matter: bool = False
    score: Optional[int] = None
    granted: Optional[bool] = None  # consent: given or declined
    wording: Optional[str] = None  # consent: the exact text shown
    topic: Optional[str] = None  # open: what the conversation was about before the request


def phone_in(text: str) -> Optional[str]:
    """The first phone number in a message, digits only (with a leading + kept), else None."""
    for m in PHONE.finditer(text or ""):
        raw = re.sub(r"[\s.\-]", "", m.group(0))
        digits = raw.lstrip("+")
        national = "0" + digits[2:] if digits.startswith("84") else digits
        if 10 <= len(national) <= 11 and national[1] in "235789":
            return raw
    return None


def contact_in(text: str) -> Optional[str]:
    phone = phone_in(text)
    if phone:
        return phone
    m = EMAIL.search(text or "")
    return m.group(0) if m else None


def rating_in(text: str) -> Optional[int]:
    m = RATING.match(fold(text or ""))
    return int(m.group(1)) if m else None


def says_new_matter(text: str) -> bool:
    return bool(NEW_MATTER.search(fold(text or "")))


def tells_the_matter(text: str) -> bool:
    """A request for a person that also tells what happened ("công ty nợ lương 3 tháng, cho gặp cán bộ")."""
    folded = fold(text or "")
    words = folded.split()
    if text.startswith("/") or len(words) < DESCRIPTION_MIN_WORDS:
        return False
    rest = ONLY_ASKS_FOR_PERSON.sub(" ", EMAIL.sub(" ", PHONE.sub(" ", folded)))
    content = [w for w in rest.split() if w.strip(",.!?") and w.strip(",.!?") not in FILLER]
    return len(content) >= DESCRIPTION_MIN_WORDS // 2


def _yes_no(yes: str, no: str) -> list:
    """The two control buttons (``controls:`` of knowledge/topics.yaml) answering a handover question."""
    reg = registry()
    return [reg.control(yes), reg.control(no)]


def _say(reply: "Reply", key: str, turn: "Turn", inputs=None, buttons=None) -> "Reply":
    return reply.say(compose.say(key, turn.today, inputs), buttons)


# --- starting -----------------------------------------------------------------------------------------------

def start(turn: "Turn", reply: "Reply", new_matter: bool = False) -> "Reply":
    """The user asked for a person (or said "có" to the offer of one)."""
    reply.state.clear_pending()
    reply.state.handover = None
    reply.topic = "human_handoff"
    reply.state.topic = "human_handoff"
    case = turn.case
    if case is not None and case.open and not new_matter and not says_new_matter(turn.text):
        # One open case per person: this request joins it.
        reply.case_request = CaseRequest("extend", description=turn.text if not turn.text.startswith("/") else None)
        reply.pause = True
        return _say(reply, "handoff.extended", turn, {"case_id": case.case_id, "status": case.status},
                    [registry().button("handoff_new_matter")])
    description = turn.text.strip()[:DESCRIPTION_MAX_CHARS] if tells_the_matter(turn.text) else None
    before = turn.state.topic if turn.state.topic not in (None, "human_handoff") else None
    contact = contact_in(turn.text)  # "cho tôi gặp cán bộ, số tôi 09..." is not asked again
    reply.state.handover = {"step": "consent", "new_matter": bool(new_matter or (case and case.open)),
                            "description": description, "tries": 0, "topic": before,
                            **({"contact": contact, "contact_asked": True} if contact else {})}
    return _say(reply, "handoff.consent", turn, None, _yes_no("agree", "disagree"))


def consent_wording(turn: "Turn") -> str:
    return compose.say("handoff.consent", turn.today)


# --- the steps ------------------------------------------------------------------------------------------------

def step(turn: "Turn", reply: "Reply", province_named: Optional[str]) -> Optional["Reply"]:
    """The next step of a handover in progress, or None when the message leaves it (it is then routed as
    usual). ``province_named``: the current unit the message names, if any."""
    from actions import dialogue  # the dialogue routes to this module; its helpers are needed back

    h = dict(turn.state.handover or {})
    if not h:
        return None
    reply.topic = "human_handoff"
    text = (turn.text or "").strip()
    folded = fold(text)
    kind = h.get("step")
    if kind == "consent":
        yes = turn.intent == "affirm" or re.search(r"\b(?:dong y|ok|oke|dc|duoc|u|uh|vang|co)\b", folded) and not re.search(r"\bkhong\b", folded)
        no = turn.intent == "deny" or re.search(r"\b(?:khong dong y|khong|ko|k|thoi)\b", folded)
        if yes and not no:
            reply.case_request = CaseRequest("consent", granted=True, wording=consent_wording(turn))
            h["tries"] = 0
            return _next(h, turn, reply, province_named)
        if no:
            reply.case_request = CaseRequest("consent", granted=False, wording=consent_wording(turn))
            reply.state.handover = None
            _say(reply, "handoff.declined", turn)
            province = province_named or turn.state.province
            return dialogue.refer("dispute", province, turn, reply) if province else dialogue.ask_province("dispute", turn, reply)
        h["tries"] = h.get("tries", 0) + 1
        if h["tries"] >= MAX_TRIES or (asks(text) and turn.intent not in ("affirm", "deny", "nlu_fallback", "inform")):
            reply.state.handover = None
            return None  # a question of its own: answered as usual, the handover let go
        reply.state.handover = h
        return _say(reply, "handoff.consent_again", turn, None, _yes_no("agree", "disagree"))
    if kind == "description":
        if not text or text.startswith("/"):
            reply.state.handover = h
            return _say(reply, "handoff.ask_description", turn)
        h["description"] = text[:DESCRIPTION_MAX_CHARS]
        return _next(h, turn, reply, province_named)
    if kind == "province":
        if province_named:
            h["province"] = province_named
            return _next(h, turn, reply, province_named)
        h["tries"] = h.get("tries", 0) + 1
        if h["tries"] >= MAX_TRIES or turn.intent in ("dont_know", "deny"):
            h["province"] = None  # the supervisors' queue routes it
            h["province_asked"] = True
            return _next(h, turn, reply, None)
        reply.state.handover = h
        return _say(reply, "error.province.unknown", turn, {"name": text}) if text else _say(reply, "handoff.ask_province", turn)
    if kind == "contact":
        contact = contact_in(text)
        if contact:
            h["contact"] = contact
        elif turn.intent == "deny" or CONTACT_REFUSED.search(folded) or h.get("tries", 0) + 1 >= MAX_TRIES:
            h["contact"] = None
        else:
            h["tries"] = h.get("tries", 0) + 1
            reply.state.handover = h
            return _say(reply, "handoff.contact_again", turn, None, [registry().control("chat_only")])
        h["contact_asked"] = True
        return _next(h, turn, reply, province_named)
    reply.state.handover = None
    return None


def _next(h: dict, turn: "Turn", reply: "Reply", province_named: Optional[str]) -> "Reply":
    """Ask for the first thing still missing, or open the case."""
    h["tries"] = 0
    if not h.get("description"):
        h["step"] = "description"
        reply.state.handover = h
        return _say(reply, "handoff.ask_description", turn)
    province = h.get("province") or province_named or turn.state.province or reply.state.province
    if not province and not h.get("province_asked"):
        h["step"] = "province"
        reply.state.handover = h
        return _say(reply, "handoff.ask_province", turn)
    if province:
        reply.state.province = province
    if not h.get("contact_asked"):
        h["step"] = "contact"
        reply.state.handover = h
        return _say(reply, "handoff.ask_contact", turn, None, [registry().control("chat_only")])
    reply.state.handover = None
    reply.case_request = CaseRequest("open", description=h.get("description"), province=province,
                                     contact=h.get("contact"), new_matter=bool(h.get("new_matter")), topic=h.get("topic"))
    reply.pause = True
    return reply  # the action layer says the case number and when staff answer (handoff.opened)


# --- the case afterwards -------------------------------------------------------------------------------------

def status(turn: "Turn", reply: "Reply") -> "Reply":
    reply.topic = "case_status"
    case = turn.case
    if case is None:
        return _say(reply, "case.none", turn, None, [registry().button("human_handoff")])
    return _say(reply, "case.status", turn, {"case_id": case.case_id, "status": case.status, "updated": case.updated,
                                               "assigned": case.assigned, "closed_reason": case.closed_reason})


def withdraw(turn: "Turn", reply: "Reply") -> "Reply":
    """Asks to confirm (a withdrawal the classifier misread would drop a person's case)."""
    reply.topic = "case_withdraw"
    reply.state.handover = None
    case = turn.case
    if case is None or not case.open:
        return _say(reply, "case.none", turn, None, [registry().button("human_handoff")])
    reply.state.handover = {"step": "withdraw"}
    return _say(reply, "case.withdraw_confirm", turn, {"case_id": case.case_id}, _yes_no("agree", "disagree"))


def withdraw_step(turn: "Turn", reply: "Reply") -> "Reply":
    reply.topic = "case_withdraw"
    reply.state.handover = None
    case = turn.case
    folded = fold(turn.text or "")
    yes = turn.intent in ("affirm", "case_withdraw") or (re.search(r"\b(?:dong y|co|rut)\b", folded) and not re.search(r"\bkhong\b", folded))
    if not yes or case is None or not case.open:
        return _say(reply, "case.kept", turn, {"case_id": case.case_id if case else None})
    reply.case_request = CaseRequest("withdraw")
    reply.resume = True
    return _say(reply, "case.withdrawn", turn, {"case_id": case.case_id})


def erase(turn: "Turn", reply: "Reply") -> "Reply":
    """Asks to confirm; the "Xóa dữ liệu" button (or "có") erases."""
    reply.topic = "erase_data"
    reply.state.clear_pending()
    reply.state.handover = {"step": "erase"}
    return _say(reply, "privacy.erase_confirm", turn, None, _yes_no("erase", "keep"))


def erase_step(turn: "Turn", reply: "Reply") -> "Reply":
    reply.topic = "erase_data"
    reply.state.handover = None
    folded = fold(turn.text or "")
    if turn.intent == "affirm" or turn.intent == "erase_data" or re.search(r"\b(?:xoa|dong y|co)\b", folded) and not re.search(r"\bkhong\b", folded):
        reply.case_request = CaseRequest("erase")
        reply.resume = True
        return reply  # the action layer says how many cases it erased (privacy.erased)
    return _say(reply, "privacy.erase_cancelled", turn)


def rate(turn: "Turn", reply: "Reply", score: int) -> "Reply":
    reply.topic = "case_rating"
    reply.case_request = CaseRequest("rate", score=score)
    return _say(reply, "case.rated", turn, {"score": score, "low": score <= 2})

