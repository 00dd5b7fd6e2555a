"""The person's situation, read from informal chat messages and merged turn by turn.

Users write in fragments, without diacritics, in teen-code ("thu nhap e tam 3 cu 1 thang", "bà năm nay
68 tuổi", "nha e 4 ng o Sông Bé"). This module reads one message into a :class:`SituationUpdate` (what the
message says, each fact with its exact span in the message) and merges updates into one typed, frozen
:class:`Situation` holding the facts that decide an answer.

Numbers are bound by their context, not by their unit alone:

* money per month, by the words before it: real earnings ("thu nhập 3 củ 1 tháng", "lương 8tr/tháng")
  -> ``monthly_income``; the level chosen to contribute on ("đóng theo mức 5 triệu") ->
  ``contribution_income``; what is paid ("mỗi tháng đóng 330k") -> ``monthly_payment``; the wage
  unemployment insurance was paid on ("lương đóng bhtn 7 triệu") -> ``wage_for_unemployment``;
* durations: paid ("đóng được 30 tháng", "đóng bhxh 20 năm"; "bắt buộc"/"công ty" vs "tự nguyện"; BHTN)
  vs contract length ("hợp đồng 12 tháng"), pregnancy ("bầu 5 tháng"), stopped ("nghỉ đóng 2 năm");
* ages ("68 tuổi", "năm nay 60", "mẹ em 58"), people ("nhà 4 người", "4 khẩu", "nha e 4 ng"; children
  under 6; members already covered elsewhere), years ("từ năm 2006" -> joined; "nghỉ từ 2020" -> stopped),
  birth ("sinh 6/1970", "sn 1975").

Word numbers must be spelled as numbers when the user types diacritics: "bà năm nay" is a grandmother,
not "3 years". The amount parser is ``bot.parsing.find_amounts`` (not duplicated here); places, groups,
work and relatives come from ``bot.gazetteer``. No Rasa imports.

API::

    read(text, today, asked=None) -> SituationUpdate
    apply(situation, update) -> Situation
    read_and_apply(situation, text, today, asked=None) -> Tuple[Situation, SituationUpdate]
    calculator_inputs(situation) -> Dict[str, Any]      # the names actions/dialogue.py uses
    is_only_symbols(text), is_distressed(text)          # from bot.smalltalk
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import math
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Dict, FrozenSet, Iterable, List, Mapping, Optional, Sequence, Tuple

from bot.gazetteer import GazetteerMatch, Tok, find, tokens
from bot.parsing import PERIOD_PATTERNS, REGION_MAP, find_amounts
from bot.smalltalk import is_distressed, is_only_symbols

__all__ = [
    "Situation", "SituationUpdate", "Fact", "read", "apply", "read_and_apply", "calculator_inputs",
    "is_only_symbols", "is_distressed", "FIELDS", "ASKED_ALIASES",
]

# --- the situation ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Situation:
    """Facts that decide an answer. ``None`` = not known yet; tuples are empty when not known.

    subject: who the question is about — "self", "mother", "father", "grandmother", "grandfather",
      "parents", "grandparents", "husband", "wife", "couple", "daughter", "son", "child", "children",
      "older_sister", "older_brother", "younger_sister", "younger_brother", "younger_sibling",
      "mother_in_law", "father_in_law", "aunt", "uncle", "grandchild", "relative" (someone else, see
      ``subject_candidates``). ``subject_relation`` is the word
      the user typed ("bà ngoại"); ``subject_candidates`` two possibilities to ask about (unaccented
      "ba em": father or grandmother). The person facts below (gender, age...) are the subject's.
    household_groups: "poor", "near_poor", "ethnic_minority", "farm_average" (farming household with an
      average living standard), "island"; ``("other",)`` = explicitly in no group.
    province: current unit (one of the 34); ``province_candidates`` when an old name now spans two or
      more units (Sông Bé -> TP Hồ Chí Minh or Đồng Nai) and the bot should ask which.
    Amounts are in đồng, durations in months, ``payment_period`` in months (1, 3, 6, 12).
    ``unknown``: fields the person said they don't know. ``recent``: fields in the order last updated.
    """

    subject: str = "self"
    subject_relation: Optional[str] = None
    subject_candidates: Tuple[str, ...] = ()
    gender: Optional[str] = None  # "male" | "female"
    age: Optional[int] = None
    birth_year: Optional[int] = None
    birth_month: Optional[int] = None
    months_paid: Optional[int] = None  # kind of insurance not said
    months_paid_voluntary: Optional[int] = None
    months_paid_compulsory: Optional[int] = None
    months_paid_unemployment: Optional[int] = None
    joined_year: Optional[int] = None
    joined_month: Optional[int] = None
    stopped_year: Optional[int] = None
    stopped_month: Optional[int] = None
    work: Optional[str] = None  # freelance, trader, street_vendor, ride_hailing, farmer, fisher, salt_maker,
    # domestic_worker, construction, factory_worker, employee, seasonal, probation, unemployed, retired
    has_contract: Optional[bool] = None
    contract_months: Optional[int] = None
    probation: Optional[bool] = None
    domestic_work: Optional[bool] = None
    self_employed: Optional[bool] = None
    farming: Optional[bool] = None
    household_groups: Tuple[str, ...] = ()
    household_members: Optional[int] = None
    children_under_6: Optional[int] = None
    members_covered_elsewhere: Optional[int] = None
    pregnant: Optional[bool] = None
    pregnancy_months: Optional[int] = None
    gave_birth: Optional[bool] = None
    gave_birth_year: Optional[int] = None
    gave_birth_month: Optional[int] = None
    province: Optional[str] = None
    province_candidates: Tuple[str, ...] = ()
    province_text: Optional[str] = None
    region: Optional[str] = None  # "I".."IV"
    monthly_income: Optional[int] = None
    contribution_income: Optional[int] = None
    monthly_payment: Optional[int] = None
    wage_for_unemployment: Optional[int] = None
    payment_period: Optional[int] = None
    distress: bool = False
    unknown: FrozenSet[str] = frozenset()
    recent: Tuple[str, ...] = field(default=(), compare=False)

    def known(self, name: str) -> bool:
        value = getattr(self, name)
        return value not in (None, (), "") and name not in self.unknown

    def to_dict(self) -> Dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "recent"}


FIELDS = tuple(f.name for f in dataclasses.fields(Situation) if f.name not in ("recent", "unknown", "distress"))

# Facts of the person (reset when the subject changes to someone else); household facts and the
# chosen contribution level and payment period stay.
PERSONAL = (
    "gender", "age", "birth_year", "birth_month", "months_paid", "months_paid_voluntary",
    "months_paid_compulsory", "months_paid_unemployment", "joined_year", "joined_month", "stopped_year",
    "stopped_month", "work", "has_contract", "contract_months", "probation", "domestic_work", "self_employed",
    "farming", "pregnant", "pregnancy_months", "gave_birth", "gave_birth_year", "gave_birth_month",
    "monthly_income", "monthly_payment", "wage_for_unemployment",
)
AMOUNT_FIELDS = ("contribution_income", "monthly_income", "wage_for_unemployment", "monthly_payment")
MONTH_FIELDS = ("months_paid", "months_paid_voluntary", "months_paid_compulsory", "months_paid_unemployment")

# Names the dialogue uses for the input it asked for (actions/dialogue.py PROMPTS) -> Situation field.
ASKED_ALIASES = {
    "income": "contribution_income", "group": "household_groups", "groups": "household_groups",
    "period": "payment_period", "people": "household_members", "members": "household_members",
    "wage": "wage_for_unemployment", "months": "months_paid_unemployment", "region": "region",
    "gender": "gender", "birth": "birth_year", "years_paid": "months_paid", "province": "province",
    "age": "age", "children": "children_under_6", "covered": "members_covered_elsewhere",
}


@dataclass(frozen=True)
class Fact:
    """One fact read from a message: ``text[start:end]`` of the message is its evidence."""

    field: str
    value: Any
    start: int = -1
    end: int = -1
    text: str = ""


@dataclass(frozen=True)
class SituationUpdate:
    """What one message says.

    ``facts``: values for Situation fields. ``correction``: the message corrects an earlier value ("à
    nhầm, 4 người", "ko phải nam, nữ"). ``followup``: a "what if" on one value ("còn 12 triệu thì sao?").
    ``unknown``: fields answered "không biết". ``ambiguous``: (field, candidates) to ask about.
    ``excluded_groups``: groups the person said they are not in. ``unbound``: an amount or duration with
    no context ("amount", "duration_months"), bound by :func:`apply` to the value last talked about.
    """

    facts: Tuple[Fact, ...] = ()
    correction: bool = False
    followup: bool = False
    unknown: FrozenSet[str] = frozenset()
    ambiguous: Tuple[Tuple[str, Tuple[Any, ...]], ...] = ()
    excluded_groups: Tuple[str, ...] = ()
    unbound: Tuple[Fact, ...] = ()
    distress: bool = False
    only_symbols: bool = False

    @property
    def values(self) -> Dict[str, Any]:
        out: Dict[str, Any] = {}
        for f in self.facts:
            out.setdefault(f.field, f.value)
        return out

    def get(self, name: str, default: Any = None) -> Any:
        return self.values.get(name, default)

    def __contains__(self, name: str) -> bool:
        return any(f.field == name for f in self.facts)

    @property
    def empty(self) -> bool:
        return not (self.facts or self.unknown or self.ambiguous or self.excluded_groups or self.unbound)


# --- reading ----------------------------------------------------------------------------------------

_DIGIT_WORDS = {"mot": 1, "hai": 2, "ba": 3, "bon": 4, "nam": 5, "sau": 6, "bay": 7, "tam": 8, "chin": 9}
_AFTER_TENS = {"mot": 1, "tu": 4, "lam": 5}
# Accepted spellings of number words when the user types diacritics ("bà" is not "ba").
_NUMBER_SPELLING = {
    "mot": {"một", "mốt"}, "hai": {"hai"}, "ba": {"ba"}, "bon": {"bốn"}, "tu": {"tư"}, "nam": {"năm"},
    "lam": {"lăm"}, "sau": {"sáu"}, "bay": {"bảy", "bẩy"}, "tam": {"tám"}, "chin": {"chín"},
    "muoi": {"mười", "mươi"}, "linh": {"linh"}, "le": {"lẻ"}, "tram": {"trăm"}, "ruoi": {"rưỡi"},
}
_W = r"(?:mot|hai|ba|bon|nam|sau|bay|tam|chin|muoi)"
_WSEQ = rf"{_W}(?: (?:muoi|mot|tu|lam|{_W}))*"
NUM = rf"(?:\d+(?:\.\d+)?|{_WSEQ})"
_PUNCT = {",", ".", ";", "?", "!", ":", "(", ")", "\n"}
_CLAUSE_WORDS = {"va", "con", "nhung", "ma"}

_YEAR = r"(?:19|20)\d\d"
_SELF = r"(?:em|toi|tui|minh|to|anh|chi)"


class _Units:
    """The message as space-separated units: normalised words, with each amount as one unit ``amtN``."""

    def __init__(self, text: str, toks: List[Tok], amounts) -> None:
        self.text = text
        self.words: List[str] = []
        self.spans: List[Tuple[int, int]] = []
        self.raw: List[str] = []
        self.amounts: Dict[int, int] = {}  # unit index -> amount value
        i = 0
        n = len(toks)
        amount_iter = sorted(amounts, key=lambda f: f.start)
        k = 0
        while i < n:
            t = toks[i]
            while k < len(amount_iter) and amount_iter[k].end <= t.start:
                k += 1
            if k < len(amount_iter) and amount_iter[k].start <= t.start < amount_iter[k].end:
                f = amount_iter[k]
                j = i
                while j < n and toks[j].start < f.end:
                    j += 1
                self.amounts[len(self.words)] = f.value
                self.words.append(f"amt{len(self.amounts) - 1}")
                self.spans.append((toks[i].start, toks[j - 1].end))
                self.raw.append(text[toks[i].start : toks[j - 1].end])
                i = j
                k += 1
                continue
            if (
                t.folded.isdigit() and i + 2 < n and toks[i + 1].folded in (",", ".") and toks[i + 2].folded.isdigit()
                and t.end == toks[i + 1].start and toks[i + 1].end == toks[i + 2].start and len(toks[i + 2].folded) <= 2
                and not (i + 3 < n and toks[i + 3].folded in (",", ".", "/", "-") and toks[i + 3].start == toks[i + 2].end)
            ):
                # "2,5" / "1.5": one decimal number
                self.words.append(f"{t.folded}.{toks[i + 2].folded}")
                self.spans.append((t.start, toks[i + 2].end))
                self.raw.append(text[t.start : toks[i + 2].end])
                i += 3
                continue
            for w in _expand(t).split():
                self.words.append(w)
                self.spans.append((t.start, t.end))
                self.raw.append(t.text)
            i += 1
        for k in range(len(self.words) - 1, 0, -1):
            if self.words[k] == "tn" and self.words[k - 1] in ("bhxh", "hiem", "bh", "dong"):
                self.words[k : k + 1] = ["tu", "nguyen"]
                self.spans[k : k + 1] = [self.spans[k]] * 2
                self.raw[k : k + 1] = [self.raw[k]] * 2
        self.s = " ".join(self.words)
        self.pos: List[int] = []
        p = 0
        for w in self.words:
            self.pos.append(p)
            p += len(w) + 1
        self.used = [False] * len(self.words)
        self.ignored = [False] * len(self.words)
        self.accented = any(unicodedata.combining(c) for c in unicodedata.normalize("NFD", text)) or "đ" in text.lower()

    # char offsets in ``s`` -> unit range
    def unit_range(self, a: int, b: int) -> Tuple[int, int]:
        i = max(k for k, p in enumerate(self.pos) if p <= a) if self.pos else 0
        j = i
        while j < len(self.words) and self.pos[j] < b:
            j += 1
        return i, j

    def free(self, i: int, j: int) -> bool:
        return not any(self.used[i:j]) and not any(self.ignored[i:j])

    def take(self, i: int, j: int) -> None:
        for k in range(i, j):
            self.used[k] = True

    def span(self, i: int, j: int) -> Tuple[int, int, str]:
        a, b = self.spans[i][0], self.spans[j - 1][1]
        return a, b, self.text[a:b]

    def finditer(self, pattern: str):
        """Matches of ``pattern`` over unused units, as (match, first unit, end unit)."""
        for m in re.finditer(pattern, self.s):
            if m.end() <= m.start():
                continue
            i, j = self.unit_range(m.start(), m.end())
            if self.free(i, j):
                yield m, i, j

    def group_units(self, m: re.Match, name: str) -> Tuple[int, int]:
        return self.unit_range(m.start(name), m.end(name))

    def clause_before(self, i: int, limit: int = 8) -> str:
        """Words before unit ``i`` in the same clause (stops at punctuation), at most ``limit``."""
        out = []
        k = i - 1
        while k >= 0 and len(out) < limit and self.words[k] not in _PUNCT:
            out.append(self.words[k])
            k -= 1
        return " ".join(reversed(out))

    def clause_of(self, i: int) -> str:
        a = i
        while a > 0 and self.words[a - 1] not in _PUNCT:
            a -= 1
        b = i
        while b < len(self.words) and self.words[b] not in _PUNCT:
            b += 1
        return " ".join(self.words[a:b])

    def number(self, m: re.Match, name: str = "n") -> Optional[float]:
        """The value of a number group: digits, or number words spelled as numbers."""
        raw = m.group(name)
        if raw is None:
            return None
        raw = raw.strip()
        if raw[0].isdigit():
            value = float(raw.replace(",", "."))
            return value if math.isfinite(value) else None  # a digit run too long for a float is no number
        i, j = self.group_units(m, name)
        if self.accented:
            for k in range(i, j):
                typed = unicodedata.normalize("NFC", self.raw[k]).lower()
                if _has_tone(typed) and typed not in _NUMBER_SPELLING.get(self.words[k], ()):
                    return None
        return _words_value(raw.split())


def _expand(t: Tok) -> str:
    """A token's words for reading: teen-code and abbreviations expanded, multi-word ones too
    ("sn" -> "sinh nam", "cty" -> "cong ty", "bn" -> "bao nhieu")."""
    if t.norm != t.folded:
        return t.norm
    lemma = _multiword_teen().get(t.folded)
    if lemma and not _has_tone(t.text):
        return lemma
    return t.norm


@lru_cache(maxsize=1)
def _multiword_teen() -> Dict[str, str]:
    from bot.lexicon import ABBREVIATIONS

    return {k: v.replace("_", " ") for k, v in ABBREVIATIONS.items() if (" " in v or "_" in v) and k != v}


def _has_tone(word: str) -> bool:
    return "đ" in word or any(unicodedata.combining(c) for c in unicodedata.normalize("NFD", word))


def _words_value(words: Sequence[str]) -> Optional[float]:
    """Vietnamese number words 1-999: "ba", "mười lăm", "sáu mươi tám", "bảy mươi mốt"."""
    if not words:
        return None
    total = 0
    i = 0
    if i < len(words) and words[i] in _DIGIT_WORDS and i + 1 < len(words) and words[i + 1] == "tram":
        total += _DIGIT_WORDS[words[i]] * 100
        i += 2
        if i < len(words) and words[i] in ("linh", "le"):
            i += 1
            if i < len(words) and words[i] in _DIGIT_WORDS:
                return float(total + _DIGIT_WORDS[words[i]]) if i + 1 == len(words) else None
    rest = words[i:]
    if not rest:
        return float(total) if total else None
    if rest[0] == "muoi":
        tens, rest = 10, rest[1:]
    elif rest[0] in _DIGIT_WORDS and len(rest) > 1 and rest[1] == "muoi":
        tens, rest = _DIGIT_WORDS[rest[0]] * 10, rest[2:]
    elif rest[0] in _DIGIT_WORDS and len(rest) == 1:
        return float(total + _DIGIT_WORDS[rest[0]])
    else:
        return None
    if not rest:
        return float(total + tens)
    if len(rest) == 1 and (rest[0] in _DIGIT_WORDS or rest[0] in _AFTER_TENS):
        unit = _AFTER_TENS.get(rest[0]) if tens > 10 or rest[0] == "lam" else None
        unit = unit if unit is not None else _DIGIT_WORDS.get(rest[0])
        if unit is None:
            return None
        return float(total + tens + unit)
    return None


class _Reader:
    def __init__(self, text: str, today: dt.date, asked: Optional[str]) -> None:
        self.text = text
        self.today = today
        self.asked = ASKED_ALIASES.get(asked or "", asked) if asked else None
        self.asked_raw = asked
        self.facts: List[Fact] = []
        self.unbound: List[Fact] = []
        self.unknown: set = set()
        self.ambiguous: List[Tuple[str, Tuple[Any, ...]]] = []
        self.excluded: List[str] = []
        self.correction = False
        self.followup = False
        self.u = _Units(text, tokens(text), find_amounts(text))
        self.matches: List[GazetteerMatch] = find(text)

    # helpers
    def has(self, name: str) -> bool:
        return any(f.field == name for f in self.facts)

    def add(self, name: str, value: Any, i: int = -1, j: int = -1, take: bool = True) -> None:
        if self.has(name) or value is None:
            return
        if i >= 0:
            a, b, t = self.u.span(i, j)
            if take:
                self.u.take(i, j)
        else:
            a, b, t = -1, -1, ""
        self.facts.append(Fact(name, value, a, b, t))

    def unit_of_char(self, start: int, end: int) -> Tuple[int, int]:
        idx = [k for k, (a, b) in enumerate(self.u.spans) if a < end and b > start]
        return (idx[0], idx[-1] + 1) if idx else (-1, -1)

    def match_free(self, m: GazetteerMatch) -> bool:
        i, j = self.unit_of_char(m.start, m.end)
        return i >= 0 and not any(self.u.ignored[i:j])

    # --- steps ---
    def run(self) -> SituationUpdate:
        self.detect_correction()
        self.detect_followup()
        self.read_unknown()
        self.read_birth_events()
        self.read_money()
        self.read_birth()
        self.read_years()
        self.read_ages()
        self.read_people()
        self.read_contract_and_pregnancy_durations()
        self.read_stopped_durations()
        self.read_period()
        self.read_durations()
        self.read_never_paid()
        self.read_region()
        self.read_gender()
        self.read_gazetteer()
        self.read_bare_answer()
        return SituationUpdate(
            facts=tuple(self.facts),
            correction=self.correction,
            followup=self.followup,
            unknown=frozenset(self.unknown),
            ambiguous=tuple(self.ambiguous),
            excluded_groups=tuple(dict.fromkeys(self.excluded)),
            unbound=tuple(self.unbound),
            distress=is_distressed(self.text),
        )

    def read_never_paid(self) -> None:
        """ "chưa đóng (bhxh) ngày nào / bao giờ", "chưa từng đóng": no months paid yet."""
        if self.has("months_paid") or self.has("months_paid_voluntary") or self.has("months_paid_compulsory"):
            return
        rx = (r"\b(?:chua (?:tung |he )?(?:dong|tham gia)(?: (?:bhxh|bao hiem(?: xa hoi)?|bh))?"
              r"(?: (?:ngay nao|bao gio|lan nao|dong nao|nam nao|thang nao|gi|j))|chua tung dong|chua dong bao gio)\b")
        for m, i, j in list(self.u.finditer(rx)):
            self.add("months_paid", 0, i, j)
            return

    def detect_correction(self) -> None:
        u = self.u
        s = u.s
        cue = re.match(
            r"^(?:(?:a|a ha|u|uh|oi|ay|o|hix|da|vang|ui)\s+)*(?:(?:xin loi|sorry|sr)\s+)?(?:(?:em|toi|minh|tui)\s)?"
            r"(?P<c>nham roi|nham|go nham|ghi nham|viet nham|sai roi|sai(?= ,)|sua lai|dinh chinh|y (?:em|toi|minh) la|"
            r"dung ra la|khong phai|khong dung|khong(?= ,))(?![a-z0-9])",
            s,
        )
        if cue:
            take_back = cue.group("c") in ("khong phai", "khong dung")
            rest = s[cue.end():]
            if take_back:
                sep = re.search(r"(?:^|\s)(?:,|ma|chu|\.|;)(?=\s|$)", rest)
                negatable = False
                if sep and sep.start() > 0:
                    # "không phải hộ nghèo, cũng không phải dân tộc": negations, not a taken-back value.
                    i0, j0 = u.unit_range(cue.end() + 1, cue.end() + sep.start())
                    a, b = u.spans[i0][0], u.spans[j0 - 1][1]
                    negatable = any(
                        g.category in ("group", "work", "contract", "event") and g.start < b and g.end > a for g in self.matches
                    )
                if sep and rest[sep.end():].strip(" ,.") and not negatable:
                    # "không phải X, Y" / "ko phải nam, nữ": X is taken back, Y is the value.
                    i, j = u.unit_range(cue.end(), cue.end() + max(sep.start(), 1))
                    for k in range(i, j):
                        u.ignored[k] = True
                    self.correction = True
                elif not rest.strip(" ,."):
                    self.correction = True
                # else a negation ("không phải hộ nghèo", "ko phải nam"): read by the other steps
            else:
                self.correction = True
            if self.correction:
                i, j = u.unit_range(0, cue.end())
                u.take(i, j)
        # "... 4 người chứ không phải 5": the tail is taken back.
        for m in re.finditer(r"\s(?P<chu>chu) (?:khong phai|khong)\s(?:la\s)?(?=\S)", s):
            k, _ = u.group_units(m, "chu")
            if self.u.raw[k].lower() not in ("chứ", "chu"):
                continue
            self.correction = True
            for x in range(k, len(u.words)):
                u.ignored[x] = True
            break

    def detect_followup(self) -> None:
        """ "còn 12 triệu thì sao?", "thế 3 triệu thì được bao nhiêu", "nếu đóng 20 năm thì..." """
        s = self.u.s
        self.followup = bool(
            re.search(r"\bthi (?:sao|the nao|ntn|nhu the nao|bao nhieu)\b", s)
            or re.match(r"(?:con|the|vay|neu|gia su|the con|vay con|lo nhu|truong hop)\s.*\bthi\b", s)
            or re.match(r"(?:con|the con|vay con)\s.+\s(?:sao|the nao|ntn)\s*\??\s*$", s)
        )

    def read_unknown(self) -> None:
        s = self.u.s.strip(" .!?,")
        if re.fullmatch(r"(?:(?:da|em|toi|minh|tui|cung|thi|that)\s)*(?:khong|chua|chang)\s(?:biet|ro|nho|chac|ro lam|nho ro)(?:\s(?:nua|a|luon|a a|roi|ak|nhe|lam|ha))*", s) or re.fullmatch(
            r"(?:(?:da|em|toi|minh|tui)\s)*(?:biet dau|ai biet|chiu|hong biet|hem biet)(?:\s(?:a|luon|nua))*", s
        ):
            if self.asked:
                self.unknown.add(self.asked)
            self.u.take(0, len(self.u.words))

    def read_birth_events(self) -> None:
        """Childbirth times ("mới sinh được 2 tháng", "sinh con tháng 3/2026") — before birth dates."""
        u = self.u
        rx = (
            r"\b(?:moi|vua|da)?\s?(?:sinh|de|sanh)(?: con| be| em be| xong| chau)?(?: duoc| dc)? (?P<n>\d+|mot|hai|ba|bon|nam|sau) (?P<unit>thang|tuan|ngay)(?: tuoi| roi| truoc)?"
        )
        for m, i, j in list(u.finditer(rx)):
            n = u.number(m)
            if n is None:
                continue
            days = {"thang": 30, "tuan": 7, "ngay": 1}[m.group("unit")] * int(n)
            when = self.today - dt.timedelta(days=days)
            self.add("gave_birth", True, i, j, take=False)
            self.add("gave_birth_year", when.year, i, j, take=False)
            self.add("gave_birth_month", when.month, i, j)
        rx = rf"\b(?:moi |vua |da )?(?:sinh|de|sanh) (?:con|be|em be|chau)(?: vao| hoi| ngay)?(?: (?:ngay )?\d{{1,2}} ?/)? (?:thang )?(?P<m>\d{{1,2}})(?: ?/ ?| nam )(?P<y>{_YEAR})"
        for m, i, j in list(u.finditer(rx)):
            self.add("gave_birth", True, i, j, take=False)
            self.add("gave_birth_year", int(m.group("y")), i, j, take=False)
            self.add("gave_birth_month", int(m.group("m")), i, j)

    def read_money(self) -> None:
        u = self.u
        any_ui = bool(re.search(r"\b(?:bhtn|that nghiep|tctn|tro cap that nghiep|mat viec)\b", u.s))
        for idx, value in sorted(u.amounts.items()):
            if u.used[idx] or u.ignored[idx]:
                continue
            i, j = idx, idx + 1
            per_month = False
            after = " ".join(u.words[j : j + 3])
            m = re.match(r"(?:/ ?|1 |mot |moi |tren |trong |\/)(?:thang|th)\b|(?:/ ?)?thang\b", after)
            if m:
                per_month = True
                j += len(m.group().split())
            before = u.clause_before(i)
            pm = re.search(r"(?:1|mot|moi|hang|moi mot) thang(?: (?:em|toi|minh|kiem|lam|duoc|dc|co|thu|dong|ra|tam|khoang|chung|nhan|lanh))*$", before)
            if pm:
                per_month = True
                k = i - len(pm.group().split())
                u.take(k, k + 2)
            role = _money_role(before, any_ui)
            if role is None and self.asked in AMOUNT_FIELDS:
                role = self.asked
            if role is None and per_month:
                role = "monthly_income"
            if role is None:
                a, b, t = u.span(i, j)
                self.unbound.append(Fact("amount", value, a, b, t))
                u.take(i, j)
                continue
            if self.has(role):
                continue
            self.add(role, value, i, j)

    def read_birth(self) -> None:
        u = self.u
        pats = [
            rf"\b(?:sinh|de|sanh)(?: vao)? thang (?P<m>\d{{1,2}}) (?:nam |/ )?(?P<y>{_YEAR}|\d\d)\b",
            rf"\b(?:sinh|ngay sinh|nam sinh|sinh nam|sinh ngay|de nam|sanh)(?: nam| ngay| thang)?\s?(?:(?P<d>\d{{1,2}}) ?[/.-] ?)?(?:(?P<m>\d{{1,2}}) ?[/.-] ?)?(?P<y>{_YEAR}|\d\d)\b",
            rf"\b(?:doi|tuoi) (?P<y>\d\d)\b",
            rf"^(?:em |toi |minh )?(?:sinh )?thang (?P<m>\d{{1,2}}) nam (?P<y>{_YEAR})\b",
        ]
        # "bố e 1960", "em 1985": a person and a year of birth.
        person = r"(?:em|toi|tui|minh|to|me|bo|ba|ma|ong|ba noi|ba ngoai|ong noi|ong ngoai|chong|vo|bo me)"
        pats.append(rf"(?:^|\b){person}(?: (?:em|toi|minh|tui|nha em))? (?P<y>19\d\d|200\d)(?= ,| \.|$| (?:nghi|lam|ban|o|song|da|dang|con|thi|muon|co|chua|khong|nam|nu|,))")
        for rx in pats:
            for m, i, j in list(u.finditer(rx)):
                if self.has("birth_year"):
                    return
                y = int(m.group("y"))
                if y < 100:
                    y += 1900 if y > self.today.year % 100 else 2000
                if not 1900 <= y <= self.today.year:
                    continue
                month = None
                gd = m.groupdict()
                if gd.get("m") and gd.get("d"):
                    month = int(gd["m"])
                elif gd.get("m"):
                    month = int(gd["m"])
                elif gd.get("d"):
                    month = int(gd["d"])
                if month is not None and not 1 <= month <= 12:
                    month = None
                self.add("birth_year", y, i, j, take=False)
                if month:
                    self.add("birth_month", month, i, j, take=False)
                u.take(i, j)

    def read_years(self) -> None:
        """Years and dates: joined ("từ năm 2006", "bắt đầu đóng 2010"), stopped ("nghỉ từ 2020")."""
        u = self.u
        stop = r"(?:nghi|ngung|dung|thoi|bo|khong dong|ngat|gian doan|that nghiep|mat viec|nghi viec|het dong|khong con dong)"
        rx = rf"\b(?:tu|bat dau|bat dau tu|tham gia tu|dong tu|tu hoi|hoi|nam|den|toi)\s(?:nam\s)?(?:(?:thang\s)?(?P<m>\d{{1,2}})\s?(?:/|nam|-)\s?)?(?P<y>{_YEAR})\b"
        for m, i, j in list(u.finditer(rx)):
            y = int(m.group("y"))
            mo = int(m.group("m")) if m.group("m") and 1 <= int(m.group("m")) <= 12 else None
            if y > self.today.year:
                continue
            before = u.clause_before(i)
            lead = m.group().split()[0]
            if re.search(r"\b(?:tham gia|bat dau|moi dong|dang ky)\b", before) and not re.search(stop + r"(?:\s\S+){0,3}$", before):
                field_y, field_m = "joined_year", "joined_month"  # "tham gia từ 9/2025, giờ nghỉ đóng": joined then
            elif re.search(stop + r"(?:\s\S+){0,3}$", before) or re.search(stop, " ".join(u.words[j : j + 3])) and not re.search(r"\bdong\b", before):
                field_y, field_m = "stopped_year", "stopped_month"
            elif lead in ("den", "toi") and re.search(r"\bdong\b|\btham gia\b", u.s[: m.start()]):
                field_y, field_m = "stopped_year", "stopped_month"
            elif lead == "nam" and not re.search(r"\b(?:dong|tham gia|bat dau)\b", before + " " + " ".join(u.words[j : j + 3])):
                continue  # "năm 2020 em nghỉ": left to other readers
            else:
                field_y, field_m = "joined_year", "joined_month"
            if self.has(field_y):
                continue
            self.add(field_y, y, i, j, take=False)
            if mo:
                self.add(field_m, mo, i, j, take=False)
            u.take(i, j)

    def read_ages(self) -> None:
        u = self.u
        child = r"(?:be|chau|con|dua|em be|dua nho|dua con|con nho|be nho|chau nho|con gai|con trai|dua lon|dua be)"
        # "2 đứa con dưới 6 tuổi", "1 bé 4 tuổi": children under six, not the subject's age.
        rx = rf"\b(?:co )?(?P<c>{NUM}) (?:{child})(?: (?:nho|con|em|toi|minh))?(?: (?:duoi|chua du|chua toi|chua den) (?:6|sau) tuoi| (?P<n>\d) tuoi)"
        for m, i, j in list(u.finditer(rx)):
            count = u.number(m, "c")
            if count is None:
                continue
            if m.group("n") is not None and int(m.group("n")) >= 6:
                u.take(i, j)
                continue
            self.add("children_under_6", int(count), i, j)
        rx = rf"\b(?:{child})(?: (?:nho|em|toi|minh|tui|e|nha em|nha toi|nha minh|cua em|cua toi|nha))? (?P<n>\d{{1,2}}) (?:tuoi|t)\b"
        for m, i, j in list(u.finditer(rx)):
            n = int(m.group("n"))
            if n < 6:
                cur = next((f for f in self.facts if f.field == "children_under_6"), None)
                if cur is None:
                    self.add("children_under_6", 1, i, j)
                else:
                    u.take(i, j)
            elif n < 16:
                u.take(i, j)
        for rx in (
            rf"(?P<n>\d{{1,3}}) ?(?:tuoi|t)\b",
            rf"\b(?P<n>{_WSEQ}) tuoi\b",
            rf"\b(?:nam nay|nay|hien tai|hien gio|gio|bay gio|da|duoc|tuoi)\s(?:(?:em|toi|minh|tui|ba|me|bo|ong|cung|da|la|duoc|tron|hon|gan|ngoai)\s)*(?P<n>\d{{2,3}})(?! ?(?:nam|thang|nguoi|nguoi|khau|trieu|tr|k|nghin|ngan|amt\d|%|/|lan|ngay|tuan|\d))\b",
        ):
            for m, i, j in list(u.finditer(rx)):
                n = u.number(m)
                if n is None:
                    continue
                n = int(n)
                unit_t = m.group().rstrip().endswith(" t") or re.search(r"\dt$", m.group())
                if not 1 <= n <= 115 or (unit_t and n < 15):
                    continue
                self.add("age", n, i, j)
        # "mẹ em 58", "ông 70": a relative and a bare number.
        for g in self.matches:
            if g.category != "kin" or self.has("age"):
                continue
            i, j = self.unit_of_char(g.start, g.end)
            if i < 0:
                continue
            k = j
            while k < len(u.words) and u.words[k] in ("em", "toi", "minh", "tui", "e", "nha", "cua", "to", "noi", "ngoai"):
                k += 1
            if k < len(u.words) and re.fullmatch(r"\d{2,3}", u.words[k]) and not u.used[k]:
                nxt = u.words[k + 1] if k + 1 < len(u.words) else ""
                if nxt in ("", ",", ".", "?", "!", "roi", "ma", "thi", "co", "con", "va", "dang", "muon", "a", "chua", "nay"):
                    n = int(u.words[k])
                    if 15 <= n <= 115:
                        self.add("age", n, k, k + 1)

    def read_people(self) -> None:
        u = self.u
        pe = r"(?:nguoi|khau|nhan khau|thanh vien|mieng an|suat)"
        # Members already covered ("2 người đã có thẻ", "trừ 1 người có bhyt").
        for rx in (
            rf"\b(?P<n>{NUM}) (?:{pe}|dua|chau|dua con)(?: (?:nha|kia|con lai|em|do))?(?: (?:da|dang|thi|deu|cung))*(?: (?:co|duoc cap|duoc|co san|dc))+ (?:the|bhyt|bao hiem|bh|the bhyt|bao hiem y te)",
            rf"\btru (?P<n>{NUM}) (?:{pe}|dua)",
        ):
            for m, i, j in list(u.finditer(rx)):
                n = u.number(m)
                if n is not None:
                    self.add("members_covered_elsewhere", int(n), i, j)
        rx = rf"\b(?:nha|gia dinh|ho|ca nha|ho gia dinh|gd|gia dinh|nha co|ho co)(?: (?:em|toi|minh|tui|co|gom|la|tong cong|tat ca|thi|ca thay|tong|duoc|hien|dang|cua|chi))* (?P<n>{NUM})(?: (?P<unit>{pe}|ng))?\b"
        for m, i, j in list(u.finditer(rx)):
            n = u.number(m)
            if n is None or not m.group("unit") and not re.fullmatch(r"\d+", m.group("n")):
                continue
            if m.group("unit") is None and j < len(u.words) and u.words[j] in ("tuoi", "nam", "thang", "dua", "con", "t"):
                continue
            self.add("household_members", int(n), i, j)
        rx = rf"\b(?P<n>{NUM}) (?:{pe})\b"
        for m, i, j in list(u.finditer(rx)):
            n = u.number(m)
            if n is None:
                continue
            self.add("household_members", int(n), i, j)
        # "2 vợ chồng", "3 mẹ con": the people named together are the household members asked about.
        rx = rf"\b(?P<n>{NUM}) (?:vo chong|bo me|ong ba|me con|bo con|ba me con|anh em|chi em|ba con)\b"
        for m, i, j in list(u.finditer(rx)):
            n = u.number(m)
            if n is not None and not self.has("household_members"):
                self.add("household_members", int(n), i, j)

    def read_contract_and_pregnancy_durations(self) -> None:
        u = self.u
        rx = rf"\b(?:hop dong|hd|hdld|hop dong lao dong|ky)(?: (?:lao dong|thoi vu|co thoi han|xac dinh thoi han|ky|co|la|thoi han|dc|duoc))* (?P<n>{NUM}) (?P<u>thang|nam)\b"
        for m, i, j in list(u.finditer(rx)):
            n = u.number(m)
            if n is None:
                continue
            self.add("has_contract", True, i, j, take=False)
            self.add("contract_months", int(n * (12 if m.group("u") == "nam" else 1)), i, j)
        rx = rf"\b(?:bau|mang thai|co thai|co bau|mang bau)(?: (?:duoc|dc|da|roi|em|nay))* (?P<n>{NUM}) (?:thang|tuan)\b"
        for m, i, j in list(u.finditer(rx)):
            n = u.number(m)
            if n is None:
                continue
            self.add("pregnant", True, i, j, take=False)
            if "tuan" in m.group():
                self.add("pregnancy_months", max(1, int(n) // 4), i, j)
            else:
                self.add("pregnancy_months", int(n), i, j)
        rx = rf"\b(?:thu viec|hoc viec)(?: (?:duoc|dc|da|roi|trong|la))* (?P<n>{NUM}) (?:thang|tuan|ngay)\b"
        for m, i, j in list(u.finditer(rx)):
            self.add("probation", True, i, j)

    def read_stopped_durations(self) -> None:
        u = self.u
        rx = rf"\b(?:nghi|ngung|dung|thoi|bo|khong dong|gian doan|that nghiep|mat viec)(?: (?:dong|viec|lam|bhxh|bao hiem|bh|duoc|dc|da|roi|em|lai))* (?P<n>{NUM}) (?P<u>nam|thang)(?! ?{_YEAR})\b"
        for m, i, j in list(u.finditer(rx)):
            n = u.number(m)
            if n is None:
                continue
            months = int(round(n * (12 if m.group("u") == "nam" else 1)))
            y, mo = self.today.year, self.today.month - months
            while mo <= 0:
                mo += 12
                y -= 1
            self.add("stopped_year", y, i, j, take=False)
            self.add("stopped_month", mo, i, j)

    def read_durations(self) -> None:
        u = self.u
        rx = rf"\b(?P<n>{NUM}) ?(?P<u>nam|thang)(?P<half> ruoi)?(?! ?(?:{_YEAR}|\d|nay\b(?! roi)|ngoai|sau|truoc|toi\b|kia|moi|sinh))"
        bare = re.fullmatch(rf"(?:(?:da|em|toi|minh|tui|duoc|dc|khoang|tam|chung|gan|hon|tren|co|dong|la)\s)*{NUM} ?(?:nam|thang)(?: ruoi)?(?:\s(?:roi|a|nhe|thoi|hon|nay roi|nay))*\s*[.!]?", u.s.strip())
        for m, i, j in list(u.finditer(rx)):
            n = u.number(m)
            if n is None:
                continue
            months = n * (12 if m.group("u") == "nam" else 1)
            if m.group("half"):
                months += 6 if m.group("u") == "nam" else 0.5
            months = int(round(months))
            before = u.clause_before(i, 10)
            after = " ".join(u.words[j : j + 4])
            if months == 1 and re.search(r"\b(?:bao nhieu|bn|tien|phi|gia|la|het|mat|dong|nop)$", before) and m.group("n") in ("1", "mot"):
                u.take(i, j)  # "đóng bao nhiêu 1 tháng": per month, not one month paid
                continue
            if re.search(r"\b(?:them|tiep|cho|du|toi thieu|it nhat|can|phai|con thieu|thieu)$", before) or re.match(r"(?:nua|toi|sau)\b", after):
                # "đóng thêm 10 năm nữa", "đóng 1 lần cho 10 năm", "cần đủ 20 năm": time to come, not paid
                u.take(i, j)
                continue
            clause = u.clause_of(i)
            after = " ".join(u.words[j : j + 4])
            pay_words = r"\b(?:dong|tham gia|qua trinh|thoi gian dong|so bhxh|bhxh|bhtn|bao hiem|bh|bat buoc|tu nguyen)\b"
            paid_ctx = bool(re.search(pay_words, before) or re.search(pay_words, after))
            if not paid_ctx and re.search(r"\b(?:duoc|da co|co)$", before):
                paid_ctx = not re.search(r"\b(?:lam|o|song|bau|mang thai|sinh|de|that nghiep|nghi|hoc|cuoi|lay)\b", before)
            target = None
            if paid_ctx or bare or (self.asked in MONTH_FIELDS):
                if re.search(r"\b(?:bhtn|that nghiep|tctn)\b", clause) or (self.asked == "months_paid_unemployment" and not paid_ctx):
                    target = "months_paid_unemployment"
                elif re.search(r"\b(?:bat buoc|cong ty|doanh nghiep|nha may|cong nhan|xi nghiep|khu cong nghiep|co quan)\b", clause):
                    target = "months_paid_compulsory"
                elif re.search(r"\btu nguyen\b", clause):
                    target = "months_paid_voluntary"
                elif self.asked in MONTH_FIELDS:
                    target = self.asked
                else:
                    target = "months_paid"
            if target is None:
                a, b, t = u.span(i, j)
                self.unbound.append(Fact("duration_months", months, a, b, t))
                u.take(i, j)
                continue
            if self.has(target):
                continue
            self.add(target, months, i, j)

    def read_period(self) -> None:
        u = self.u
        if self.has("payment_period"):
            return
        m = next(u.finditer(r"\b(?P<n>1|3|6|12|mot|ba|sau|muoi hai) thang(?: (?:em|toi|minh|se|thi))?(?: (?:dong|nop|dong tien))? (?:mot|1) lan\b|\b(?:dong|nop) (?:mot|1) lan (?P<n2>1|3|6|12|ba|sau|muoi hai) thang\b"), None)
        if m:
            mt, i, j = m
            raw = mt.group("n") or mt.group("n2")
            value = {"mot": 1, "ba": 3, "sau": 6, "muoi hai": 12}.get(raw) or int(raw)
            self.add("payment_period", value, i, j)
            return
        for months, rx in PERIOD_PATTERNS:
            for m, i, j in u.finditer(rf"(?<![a-z0-9])(?:{rx})(?![a-z0-9])"):
                self.add("payment_period", months, i, j)
                return

    def read_region(self) -> None:
        u = self.u
        for m, i, j in u.finditer(r"\bvung\s*(?P<r>iv|iii|ii|i|1|2|3|4|mot|hai|ba|bon)\b"):
            r = {"mot": "I", "hai": "II", "ba": "III", "bon": "IV"}.get(m.group("r")) or REGION_MAP[m.group("r")]
            self.add("region", r, i, j)

    def read_gender(self) -> None:
        u = self.u
        female = r"(?:nu|phu nu|nu gioi|dan ba|lao dong nu|gioi tinh nu|phai nu|la con gai|la gai)"
        male = r"(?:nam gioi|dan ong|gioi tinh nam|phai nam|la con trai|la trai|la nam|em nam|toi nam|minh nam|tui nam)"
        found: List[Tuple[int, str, int, int]] = []
        for gender, rx in (("female", female), ("male", male)):
            for m in re.finditer(rf"(?<![a-z0-9])(?:{rx})(?![a-z0-9])", u.s):
                i, j = u.unit_range(m.start(), m.end())
                if any(u.used[i:j]):
                    continue
                if gender == "male" and m.group().endswith("nam") and not self._plain_nam(j - 1):
                    continue
                if gender == "female" and m.group() == "nu" and self._typed(i) not in ("nu", "nữ"):
                    continue
                found.append((i, gender, i, j))
        # A bare "nam" / "nữ" answer ("nam ạ", "nu nhe").
        bare = re.fullmatch(r"(?:(?:da|em|toi|minh|la)\s)*(?P<g>nam|nu|trai|gai)(?:\s(?:a|nhe|nha|ak|ah|ban|ad|ha|anh|chi|em|nhe anh|nhe chi))*\s*[.!]?", u.s.strip())
        if bare and not found:
            i, j = u.group_units(bare, "g")
            g = bare.group("g")
            if g == "nam" and not self._plain_nam(i):
                pass
            elif self.asked in (None, "gender") and not any(u.used[i:j]):
                found.append((i, "male" if g in ("nam", "trai") else "female", i, j))
        if not found:
            # Taken back: "ko phải nam" on its own means the other one.
            s = u.s
            neg = re.search(r"\b(?:khong phai|khong)(?: la)? (?P<g>nam|nu)\b", s)
            if neg and (self.asked == "gender" or re.fullmatch(r"(?:\S+\s){0,3}(?:khong phai|khong)(?: la)? (?:nam|nu)(?:\s\S+){0,2}", s.strip())):
                i, j = u.group_units(neg, "g")
                if neg.group("g") == "nam" and not self._plain_nam(i):
                    return
                self.add("gender", "female" if neg.group("g") == "nam" else "male", i, j)
                self.correction = True
            return
        found.sort()
        _, gender, i, j = found[0]
        if any(u.ignored[i:j]):
            for _, g2, i2, j2 in found[1:]:
                if not any(u.ignored[i2:j2]):
                    self.add("gender", g2, i2, j2)
                    return
            return
        self.add("gender", gender, i, j)

    def _typed(self, k: int) -> str:
        return unicodedata.normalize("NFC", self.u.raw[k]).lower()

    def _plain_nam(self, k: int) -> bool:
        """ "nam" typed as the gender word: no breve/tone (not "năm"), not "Nam Định", "miền Nam"."""
        typed = self._typed(k)
        if typed != "nam":
            return False
        prev = self.u.words[k - 1] if k > 0 else ""
        nxt = self.u.words[k + 1] if k + 1 < len(self.u.words) else ""
        if prev in ("mien", "viet", "phia", "huong", "ha", "tay", "dong", "bac") or nxt in ("dinh", "bo", "phi", "trung", "ninh", "ha", "nay", "ngoai", "sau", "truoc", "toi"):
            return False
        if re.fullmatch(r"\d+(?:[.,]\d+)?", prev):
            return False  # "5 nam" = 5 years
        return True

    def read_gazetteer(self) -> None:
        u = self.u
        groups: List[str] = []
        explicit_none = False
        kin = None
        has_self = False
        works: List[GazetteerMatch] = []
        province = None
        for g in self.matches:
            if not self.match_free(g):
                continue
            if g.category == "group":
                if g.key == "none":
                    explicit_none = True
                elif g.negated:
                    self.excluded.append(g.key)
                elif g.key not in groups:
                    groups.append(g.key)
            elif g.category == "kin" and kin is None:
                kin = g
            elif g.category == "self":
                has_self = True
            elif g.category == "work" and not g.negated:
                works.append(g)
            elif g.category == "contract":
                value = g.key == "contract" and not g.negated
                if not self.has("has_contract"):
                    self.facts.append(Fact("has_contract", value, g.start, g.end, g.text))
            elif g.category == "event":
                name = "pregnant" if g.key == "pregnant" else "gave_birth"
                if not self.has(name):
                    self.facts.append(Fact(name, not g.negated, g.start, g.end, g.text))
            elif g.category == "province" and province is None:
                province = g
        if groups:
            self.facts.append(Fact("household_groups", tuple(groups)))
        elif explicit_none:
            m = next(g for g in self.matches if g.category == "group" and g.key == "none")
            self.facts.append(Fact("household_groups", ("other",), m.start, m.end, m.text))
        if kin is not None:
            if len(kin.candidates) > 1:
                self.ambiguous.append(("subject", kin.candidates))
                self.facts.append(Fact("subject_relation", kin.text, kin.start, kin.end, kin.text))
            else:
                self.facts.append(Fact("subject", kin.key, kin.start, kin.end, kin.text))
                self.facts.append(Fact("subject_relation", unicodedata.normalize("NFC", kin.text).lower(), kin.start, kin.end, kin.text))
                gender = kin.info.get("gender")
                if gender and not self.has("gender"):
                    self.facts.append(Fact("gender", gender, kin.start, kin.end, kin.text))
        elif has_self and not self.has("subject"):
            m = next(g for g in self.matches if g.category == "self")
            self.facts.append(Fact("subject", "self", m.start, m.end, m.text))
        if works:
            w = works[0]
            self.facts.append(Fact("work", w.key, w.start, w.end, w.text))
            flags: Dict[str, bool] = {}
            for w2 in works:
                for k, v in (w2.info.get("flags") or {}).items():
                    flags[k] = flags.get(k, False) or bool(v)
            for k, v in flags.items():
                if not self.has(k):
                    self.facts.append(Fact(k, v, w.start, w.end, w.text))
        if province is not None:
            self.facts.append(Fact("province_text", province.text, province.start, province.end, province.text))
            if len(province.candidates) == 1:
                self.facts.append(Fact("province", province.candidates[0], province.start, province.end, province.text))
            else:
                self.facts.append(Fact("province_candidates", province.candidates, province.start, province.end, province.text))
                self.ambiguous.append(("province", province.candidates))

    def read_bare_answer(self) -> None:
        """A bare "5", "0", "chưa", "có", "ko" answers the field just asked."""
        asked = self.asked
        if not asked or self.has(asked) or asked in self.unknown:
            return
        u = self.u
        s = u.s.strip(" .!?,")
        filler = r"(?:\s(?:a|nhe|nha|ak|ah|ha|ad|ban|thoi|roi|a a|nhe ban|ah|anh|chi|em|luon|ca|ngay nao|gi|het|lan nao|thang nao|nam nao|dau))*"
        lead = r"(?:(?:da|vang|em|toi|minh|tui|la|khoang|tam|chung|co|duoc|dc|gan)\s)*"
        yes = re.fullmatch(lead + r"(?:co|roi|dung|dung roi|vang|da co|co a|phai|uh|ok|co roi)" + filler, s)
        no = re.fullmatch(lead + r"(?:khong|chua|khong co|chua co|ko co|0|khong a|chua a|khong phai|chua dong|chua tung|chang|khong co ai|khong ai)" + filler, s)
        num = re.fullmatch(lead + rf"(?P<n>{NUM})" + r"(?:\s(?P<u>nguoi|nam|thang|tuoi|trieu|cu|tr|khau|dua|lan))?" + filler, s)
        whole = (0, len(u.words))
        if asked == "household_groups":
            if no or re.fullmatch(lead + r"(?:binh thuong|khong thuoc|khong thuoc dien|khong co gi|khong dien gi|ho binh thuong|khac)" + filler, s):
                self.add("household_groups", ("other",), *whole)
            return
        if asked in ("pregnant", "gave_birth", "has_contract", "probation", "domestic_work", "self_employed", "farming"):
            if yes:
                self.add(asked, True, *whole)
            elif no:
                self.add(asked, False, *whole)
            return
        if asked in ("household_members", "children_under_6", "members_covered_elsewhere") or asked in MONTH_FIELDS:
            if no:
                self.add(asked, 0, *whole)
                return
        if asked == "payment_period":
            m = re.fullmatch(lead + r"(?:dong\s)?(?P<n>1|3|6|12|mot|ba|sau|muoi hai)(?:\s(?:thang|th))?(?:\s(?:mot|1) lan)?" + filler, s)
            if m:
                v = {"mot": 1, "ba": 3, "sau": 6, "muoi hai": 12}.get(m.group("n")) or int(m.group("n"))
                self.add("payment_period", v, *whole)
            elif re.fullmatch(lead + r"(?:quy|theo quy|hang quy)" + filler, s):
                self.add("payment_period", 3, *whole)
            elif re.fullmatch(lead + r"(?:nam|1 nam|mot nam|theo nam|ca nam|hang nam)" + filler, s):
                self.add("payment_period", 12, *whole)
            elif re.fullmatch(lead + r"(?:thang|hang thang|theo thang|moi thang)" + filler, s):
                self.add("payment_period", 1, *whole)
            return
        if asked == "region":
            m = re.fullmatch(lead + r"(?:vung\s)?(?P<r>iv|iii|ii|i|1|2|3|4)" + filler, s)
            if m:
                self.add("region", REGION_MAP[m.group("r")], *whole)
            return
        if asked == "birth_year":
            m = re.fullmatch(lead + rf"(?:(?:thang\s)?(?P<m>\d{{1,2}})\s?(?:[/.-]|\snam)\s?)?(?:nam\s)?(?P<y>{_YEAR}|\d\d)" + filler, s)
            if m:
                y = int(m.group("y"))
                if y < 100:
                    y += 1900 if y > self.today.year % 100 else 2000
                if 1900 <= y <= self.today.year:
                    self.add("birth_year", y, *whole, take=False)
                    if m.group("m") and 1 <= int(m.group("m")) <= 12:
                        self.add("birth_month", int(m.group("m")), *whole)
            return
        if not num:
            return
        n = u.number(num)
        if n is None:
            return
        unit = num.group("u")
        if asked in AMOUNT_FIELDS:
            if unit in (None, "trieu", "cu", "tr") and 0 < n <= 200:
                self.add(asked, int(round(n * 1_000_000)), *whole)
        elif asked in MONTH_FIELDS:
            years = asked == "months_paid" and self.asked_raw == "years_paid" and unit != "thang"
            self.add(asked, int(round(n * (12 if (unit == "nam" or years) else 1))), *whole)
        elif asked in ("household_members", "children_under_6", "members_covered_elsewhere"):
            if n == int(n) and 0 <= n <= 50:
                self.add(asked, int(n), *whole)
        elif asked == "age":
            if 1 <= n <= 115:
                self.add("age", int(n), *whole)
        elif asked == "contract_months":
            self.add("contract_months", int(n * (12 if unit == "nam" else 1)), *whole)


def _money_role(before: str, any_ui: bool) -> Optional[str]:
    """Which amount field the words before an amount point to (the nearest keyword wins)."""
    rules = [
        ("contribution_income", r"(?:dong|chon|lay|dang ky|tham gia)(?: bhxh| bao hiem| bh| tu nguyen| bhxh tu nguyen)?(?: theo)? (?:muc|nguong)(?: thu nhap| luong)?|muc (?:dong|dang ky|chon)|muc thu nhap (?:dong|de dong|lam can cu|chon|dang ky|tham gia)|(?:dong|dang ky|tham gia) theo (?:thu nhap|luong)|can cu dong|lam can cu|muc thu nhap(?: (?:la|khoang|tam))?$"),
        ("wage_for_unemployment", r"luong (?:dong|tham gia|tinh|lam can cu|dang ky)(?: bhtn| bhxh| bao hiem| bh| bao hiem that nghiep)?|muc luong (?:dong|tham gia)|luong (?:bhxh|bhtn|bao hiem|bh)|luong binh quan|binh quan(?: luong)?|luong dong bao hiem"),
        ("monthly_payment", r"(?:dong|nop|tra|mat|ton|het|dong tien)(?: (?:moi thang|hang thang|1 thang|mot thang|khoang|tam|chung|co|duoc|dc|la|het|mat|toi|em|moi))*$|(?:tien dong|so tien dong|muc phi|phi)(?: (?:la|khoang|tam|moi thang))*$"),
        ("monthly_income", r"thu nhap|luong|kiem|lam ra|lam duoc|lanh|nhan|tien cong|doanh thu|loi nhuan|thu vao|an luong|bo tui|kiem duoc"),
    ]
    best: Optional[Tuple[int, int, str]] = None
    for priority, (role, rx) in enumerate(rules):
        for m in re.finditer(rf"(?<![a-z0-9])(?:{rx})(?![a-z0-9])", before):
            key = (m.end(), -priority)
            if best is None or key > (best[0], best[1]):
                best = (m.end(), -priority, role)
    if best is None:
        return None
    role = best[2]
    if role == "monthly_income" and any_ui and re.search(r"\bluong\b", before):
        return "wage_for_unemployment"
    return role


def read(text: str, today: dt.date, asked: Optional[str] = None) -> SituationUpdate:
    """What ``text`` says about the person's situation.

    ``asked``: the field the bot just asked for (a Situation field name, or one of the dialogue's names:
    income, group, period, people, wage, months, region, gender, birth, years_paid, province), so a bare
    "5", "nam", "ko biết", "0", "chưa" answers that field.
    """
    text = text or ""
    if is_only_symbols(text):
        return SituationUpdate(distress=is_distressed(text), only_symbols=True)
    if not text.strip():
        return SituationUpdate()
    return _Reader(text, today, asked).run()


# --- merging ----------------------------------------------------------------------------------------


def apply(situation: Optional[Situation], update: SituationUpdate) -> Situation:
    """``situation`` with ``update`` merged in: each value said replaces the old one; a correction or a
    follow-up ("còn 12 triệu thì sao?") replaces just the values it names. Household groups accumulate
    ("dân tộc thiểu số" then "hộ cận nghèo") unless corrected; an explicit "không thuộc diện nào" or the
    groups the person says they are not in remove them. A new subject (someone else) clears the person's
    facts (age, gender, months paid, work...) but keeps the household's (province, groups, members) and the
    chosen contribution level and period. Unbound amounts/durations go to the field last talked about."""
    s = situation or Situation()
    changes: Dict[str, Any] = {}
    values = update.values
    recent = list(s.recent)

    def touch(name: str) -> None:
        if name in recent:
            recent.remove(name)
        recent.append(name)

    new_subject = values.get("subject")
    unclear = next((tuple(c) for n, c in update.ambiguous if n == "subject"), None)
    if unclear and not new_subject:
        new_subject = "relative"  # someone else, which one to ask: subject_candidates
        changes["subject"] = "relative"
    if new_subject and new_subject != s.subject:
        for name in PERSONAL:
            changes[name] = None
        changes["subject_candidates"] = ()
        if "subject_relation" not in values:
            changes["subject_relation"] = None
    for name, value in values.items():
        if name == "household_groups":
            continue
        changes[name] = value
        touch(name)
    if "province" in values:
        changes["province_candidates"] = ()
    if "province_candidates" in values:
        cands = values["province_candidates"]
        if s.province_candidates and len(cands) > 1:
            common = tuple(c for c in cands if c in s.province_candidates)
            if len(common) == 1:
                changes["province"], changes["province_candidates"] = common[0], ()
        if changes.get("province_candidates"):
            changes["province"] = None
    for name, cands in update.ambiguous:
        if name == "subject":
            changes["subject_candidates"] = tuple(cands)
    if "subject" in values:
        changes["subject_candidates"] = ()

    # Groups.
    groups = list(s.household_groups)
    if "household_groups" in values:
        said = list(values["household_groups"])
        if said == ["other"] or update.correction or update.followup or "other" in groups:
            groups = said
        else:
            groups = [g for g in groups if g != "other"] + [g for g in said if g not in groups]
        touch("household_groups")
    if update.excluded_groups:
        groups = [g for g in groups if g not in update.excluded_groups]
        if not groups:
            groups = ["other"]
        touch("household_groups")
    changes["household_groups"] = tuple(groups)

    # Unbound numbers: the value last talked about.
    for f in update.unbound:
        if f.field == "amount":
            target = next((n for n in reversed(recent) if n in AMOUNT_FIELDS and n not in values), None)
            target = target or ("contribution_income" if s.contribution_income is not None else "monthly_income")
        elif f.field == "duration_months":
            target = next((n for n in reversed(recent) if n in MONTH_FIELDS and n not in values), None)
            target = target or "months_paid"
        else:
            continue
        if target in values:
            continue
        changes[target] = f.value
        touch(target)

    unknown = set(s.unknown) | set(update.unknown)
    unknown -= {n for n in changes if changes[n] is not None}
    for n in update.unknown:
        changes.setdefault(n, None if n != "household_groups" else ())
    changes["unknown"] = frozenset(unknown)
    changes["distress"] = update.distress
    changes["recent"] = tuple(recent)
    return dataclasses.replace(s, **changes)


def read_and_apply(
    situation: Optional[Situation], text: str, today: dt.date, asked: Optional[str] = None
) -> Tuple[Situation, SituationUpdate]:
    update = read(text, today, asked)
    return apply(situation, update), update


def calculator_inputs(s: Situation) -> Dict[str, Any]:
    """The Situation under the input names of actions/dialogue.py's calculators (only known values)."""
    out: Dict[str, Any] = {}
    if s.contribution_income is not None:
        out["income"] = s.contribution_income
    if s.household_groups:
        out["group"] = s.household_groups[0] if len(s.household_groups) == 1 else list(s.household_groups)
    if s.payment_period:
        out["period"] = s.payment_period
    if s.household_members is not None:
        covered = s.members_covered_elsewhere or 0
        out["people"] = max(0, s.household_members - covered)
    if s.wage_for_unemployment is not None:
        out["wage"] = s.wage_for_unemployment
    if s.months_paid_unemployment is not None:
        out["months"] = s.months_paid_unemployment
    if s.region:
        out["region"] = s.region
    if s.gender:
        out["gender"] = s.gender
    if s.birth_year:
        out["birth"] = {"year": s.birth_year, "month": s.birth_month or 1}
    paid = [s.months_paid, s.months_paid_voluntary, s.months_paid_compulsory]
    if any(p is not None for p in paid):
        out["years_paid"] = sum(p or 0 for p in paid) / 12
    if s.province:
        out["province"] = s.province
    return out
