"""Plain, tested parsers for the values workers type: amounts, durations, people, groups, places...

All matching runs on folded text (no diacritics, lower case) and reports spans of the original text.
Nothing here imports Rasa.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any, Dict, List, Optional, Tuple

from knowledge.text import fold_with_offsets


@dataclass(frozen=True)
class Found:
    entity: str
    start: int
    end: int
    value: Any
    text: str


# --- numbers ----------------------------------------------------------------------------------------

DIGIT_WORDS = {
    "khong": 0, "mot": 1, "mo": 1, "hai": 2, "ba": 3, "bon": 4, "tu": 4, "nam": 5, "lam": 5,
    "sau": 6, "bay": 7, "tam": 8, "chin": 9,
}
MULTIPLIERS = {"nghin": 1_000, "ngan": 1_000, "trieu": 1_000_000, "ty": 1_000_000_000, "ti": 1_000_000_000}
NUMBER_WORDS = set(DIGIT_WORDS) | set(MULTIPLIERS) | {"muoi", "tram", "ruoi", "linh", "le", "mươi"}
NOT_MONEY_AFTER = r"(?!\s*(?:thang|nam|ngay|nguoi|lan|gio|tuoi|tuan|dua|con|ky|khau|thanh vien)\b)"

_DEC = r"\d+(?:[.,]\d+)?"


def _decimal(text: str) -> Decimal:
    """'2,5' / '2.5' -> 2.5; '2.000' / '1,500' (3 digits after the mark) -> thousands."""
    text = text.strip()
    if re.fullmatch(r"\d{1,3}(?:[.,]\d{3})+", text):
        return Decimal(re.sub(r"[.,]", "", text))
    return Decimal(text.replace(",", "."))


def _tail(digits: str, unit: int) -> Decimal:
    """Digits after a unit: '1tr5' -> 5 × 100 000, '1tr25' -> 250 000, '1tr200' -> 200 000."""
    return Decimal(int(digits)) * Decimal(unit) / (Decimal(10) ** len(digits))


UNIT_BIG = {"ty": 10**9, "ti": 10**9, "trieu": 10**6, "tr": 10**6, "cu": 10**6, "m": 10**6}
UNIT_K = {"nghin": 1000, "ngan": 1000, "k": 1000, "ngin": 1000}

AMOUNT_BIG = re.compile(
    rf"(?<![\w.,])(?P<a>{_DEC})\s*(?P<u>ty|ti|trieu|tr|cu|m)(?![a-z])"
    rf"(?:\s*(?P<b>\d{{1,3}})(?:\s*(?P<bu>nghin|ngan|ngin|k)(?![a-z]))?{NOT_MONEY_AFTER}(?!\d|[.,]\d))?"
    r"(?:\s*(?P<half>ruoi))?"
)
AMOUNT_K = re.compile(rf"(?<![\w.,])(?P<a>{_DEC})\s*(?P<u>nghin|ngan|ngin|k)(?![a-z])")
AMOUNT_PLAIN = re.compile(
    r"(?<![\w.,])(?P<a>\d{1,3}(?:[.,]\d{3})+|\d+)(?![.,]?\d)\s*(?P<cur>dong|d|vnd|vnđ)?(?![a-z])"
)


# A bare run of digits this long, or one that starts with 0, is a phone, ID-card or SI number, not money.
IDENTIFIER_DIGITS = 9


def _plain_is_money(a: str, cur: Optional[str]) -> bool:
    if a.isdigit() and (len(a) >= IDENTIFIER_DIGITS or (a.startswith("0") and len(a) > 1)):
        return False
    value = _decimal(a)
    if cur:
        return value >= 1000
    if re.fullmatch(r"\d{1,3}(?:[.,]\d{3})+", a):
        return value >= 10_000
    return value >= 10_000  # bare 4-digit numbers are years or counts, not money


def _word_amounts(folded: str) -> List[Tuple[int, int, int]]:
    """Amounts written in words: 'hai triệu rưỡi', 'một triệu năm trăm nghìn', 'ba trăm ngàn'."""
    found = []
    tokens = [(m.start(), m.end(), m.group()) for m in re.finditer(r"[a-z]+|\d+", folded)]
    i = 0
    while i < len(tokens):
        if tokens[i][2] not in NUMBER_WORDS or tokens[i][2] in MULTIPLIERS or tokens[i][2] == "ruoi":
            i += 1
            continue
        j = i
        while j < len(tokens) and tokens[j][2] in NUMBER_WORDS:
            j += 1
        words = [t[2] for t in tokens[i:j]]
        value, used = _words_to_number(words)
        if value is not None and used:
            found.append((tokens[i][0], tokens[i + used - 1][1], value))
            i += used
        else:
            i = j if j > i else i + 1
    return found


def _words_to_number(words: List[str]) -> Tuple[Optional[int], int]:
    """Parse a run of number words; returns (value, words used), or (None, 0) without a multiplier."""
    total = Decimal(0)
    small = Decimal(0)  # the part under 1000 being built
    pending = 0  # a digit waiting for "mươi"/"trăm" or the end
    last_unit: Optional[int] = None
    used = 0
    for idx, w in enumerate(words):
        if w in DIGIT_WORDS:
            if pending:
                break  # "hai ba" is not a number
            pending = DIGIT_WORDS[w] or 0
            if DIGIT_WORDS[w] == 0:
                pending = 0
        elif w == "muoi":
            small += (pending or 1) * 10
            pending = 0
        elif w == "tram":
            small += (pending or 1) * 100
            pending = 0
        elif w in ("linh", "le"):
            pass
        elif w in MULTIPLIERS:
            unit = MULTIPLIERS[w]
            chunk = small + pending or 1
            if last_unit is not None and unit > last_unit:
                total = (total + chunk) * unit
            else:
                total += chunk * unit
            last_unit = unit
            small, pending = Decimal(0), 0
        elif w == "ruoi":
            if last_unit is None:
                break
            total += Decimal(last_unit) / 2
            used = idx + 1
            break
        else:
            break
        used = idx + 1
    if last_unit is None:
        return None, 0
    rest = small + pending
    if rest:
        # trailing "hai triệu hai" / "một triệu năm trăm" (no unit): a fraction of the last unit
        digits = len(str(int(rest)))
        total += rest * Decimal(last_unit) / (Decimal(10) ** digits)
    return int(total), used


def _money_from_match(m: re.Match, kind: str) -> Optional[int]:
    if kind == "big":
        unit = UNIT_BIG[m.group("u")]
        value = _decimal(m.group("a")) * unit
        if m.group("b"):
            if m.group("bu"):
                value += Decimal(int(m.group("b"))) * UNIT_K[m.group("bu")]
            else:
                value += _tail(m.group("b"), unit)
        if m.group("half"):
            value += Decimal(unit) / 2
        return int(value)
    if kind == "k":
        return int(_decimal(m.group("a")) * UNIT_K[m.group("u")])
    if _plain_is_money(m.group("a"), m.group("cur")):
        return int(_decimal(m.group("a")))
    return None


def find_amounts(text: str) -> List[Found]:
    folded, spans = fold_with_offsets(text)
    hits: List[Tuple[int, int, int]] = []

    def free(a: int, b: int) -> bool:
        return all(b <= s or a >= e for s, e, _ in hits)

    for kind, rx in (("big", AMOUNT_BIG), ("k", AMOUNT_K), ("plain", AMOUNT_PLAIN)):
        for m in rx.finditer(folded):
            end = m.end()
            while end > m.start() and folded[end - 1] == " ":
                end -= 1
            if not free(m.start(), end):
                continue
            if kind == "plain" and m.group("cur") == "dong":
                # "đóng" (to pay) and "đồng" (the currency) fold alike: the verb is no currency.
                typed = text[spans[m.start("cur")][0]:spans[m.end("cur") - 1][1]]
                if unicodedata.normalize("NFC", typed).lower() not in ("đồng", "dong"):
                    continue
                if typed.lower() == "dong" and _decimal(m.group("a")) < 10_000:
                    continue
            value = _money_from_match(m, kind)
            if value is not None and value > 0:
                hits.append((m.start(), end, value))
    for a, b, value in _word_amounts(folded):
        if free(a, b) and value > 0:
            hits.append((a, b, value))
    out = []
    for a, b, value in sorted(hits):
        start, end = spans[a][0], spans[b - 1][1]
        out.append(Found("amount", start, end, value, text[start:end]))
    return out


def parse_amount(text: str) -> Optional[int]:
    """The first amount in ``text`` (in đồng), or None."""
    found = find_amounts(text)
    return found[0].value if found else None


# --- small numbers, durations, people -----------------------------------------------------------------

# "tư" (4) is left out: folded it is "tu", as in "từ tháng 12" (since December).
_SMALL_WORD = r"(?:muoi mot|muoi hai|muoi lam|hai muoi|ba muoi|mot|hai|ba|bon|nam|sau|bay|tam|chin|muoi)"
_SMALL_VALUES = {
    "mot": 1, "hai": 2, "ba": 3, "bon": 4, "tu": 4, "nam": 5, "sau": 6, "bay": 7, "tam": 8, "chin": 9,
    "muoi": 10, "muoi mot": 11, "muoi hai": 12, "muoi lam": 15, "hai muoi": 20, "ba muoi": 30,
}


def _small(value: str) -> Decimal:
    value = value.strip()
    if value in _SMALL_VALUES:
        return Decimal(_SMALL_VALUES[value])
    return _decimal(value)


DURATION = re.compile(
    rf"(?<![\w.,])(?:(?P<d>\d+(?:[.,]5)?)\s*|(?P<w>{_SMALL_WORD})\s+)(?P<u>nam|thang)(?![a-z])"
    r"(?:\s*(?P<half>ruoi))?(?!\s*(?:19|20)\d\d)"
)
PEOPLE = re.compile(
    rf"(?<![\w.,])(?:(?P<d>\d+)\s*|(?P<w>{_SMALL_WORD})\s+)"
    r"(?:nguoi|ng|thanh vien|nhan khau|khau|dua con|dua nho|dua|nhan mang)(?![a-z])"
)
AGE = re.compile(r"(?<![\w.,])(?P<n>\d{1,3})\s*(?:tuoi|t)(?![a-z])")
BIRTH = re.compile(
    r"(?:sinh|sn|nam sinh|ngay sinh)\s*(?:nam|ngay|thang)?\s*(?:(?P<d>\d{1,2})\s*[/.-]\s*)?(?:(?P<m>\d{1,2})\s*[/.-]\s*)?(?P<y>(?:19|20)\d\d)"
)
BIRTH_MONTH = re.compile(r"(?:sinh|sn)\s*thang\s*(?P<m>\d{1,2})\s*(?:nam|/|-)\s*(?P<y>(?:19|20)\d\d)")


# How number words are spelled when the user types diacritics: "bà năm nay" is not "ba năm" (3 years).
NUMBER_WORD_SPELLING = {
    "mot": {"một", "mốt"}, "hai": {"hai"}, "ba": {"ba"}, "bon": {"bốn"}, "tu": {"tư"}, "nam": {"năm"},
    "lam": {"lăm"}, "sau": {"sáu"}, "bay": {"bảy", "bẩy"}, "tam": {"tám"}, "chin": {"chín"},
    "muoi": {"mười", "mươi"},
}


def _marked(word: str) -> bool:
    return "đ" in word or any(unicodedata.combining(c) for c in unicodedata.normalize("NFD", word))


def _spelled_as_number(text: Optional[str], spans, a: int, b: int) -> bool:
    """The number words at folded [a, b) are typed as numbers (or without diacritics at all)."""
    if text is None or spans is None:
        return True
    original = unicodedata.normalize("NFC", text[spans[a][0] : spans[b - 1][1]]).lower()
    for word in original.split():
        key = _fold_word(word)
        if _marked(word) and key in NUMBER_WORD_SPELLING and word not in NUMBER_WORD_SPELLING[key]:
            return False
    return True


def _fold_word(word: str) -> str:
    from knowledge.text import fold

    return fold(word)


def find_durations(folded: str, text: Optional[str] = None, spans=None) -> List[Tuple[int, int, int]]:
    """Durations in months: '15 năm' -> 180, '30 tháng' -> 30, '1 năm rưỡi' -> 18.

    With the original ``text`` and its ``spans`` (from ``fold_with_offsets``), number words must be
    spelled as numbers: "bà năm nay 68 tuổi" has no duration."""
    out = []
    for m in DURATION.finditer(folded):
        if m.group("w") and not _spelled_as_number(text, spans, m.start("w"), m.end("w")):
            continue
        n = _small(m.group("d") or m.group("w"))
        if m.group("half"):
            n += Decimal("0.5")
        unit = "year" if m.group("u") == "nam" else "month"
        months = int(n * 12) if unit == "year" else int(n)
        out.append((m.start(), m.end(), months))
    return out


# --- categories ----------------------------------------------------------------------------------------

NEGATION = r"(?:khong phai|ko phai|k phai|kp|khong thuoc|ko thuoc|k thuoc|chua phai|khong la|khong co)\s+(?:la\s+|dien\s+|ho\s+)?"
GROUP_PATTERNS = [
    ("near_poor", r"(?:ho\s+)?can\s*ngheo|\bhcn\b"),
    ("poor", r"ho\s+ngheo|gia dinh ngheo|nha ngheo|\bhn\b(?=\s*(?:,|\.|$|thi|co))|thuoc dien ngheo|so ngheo"),
    ("ethnic_minority", r"dan toc thieu so|\bdtts\b|nguoi dan toc|dong bao dan toc|(?:dan toc|nguoi)\s+(?:tay|thai|muong|khmer|kho me|hmong|h mong|mong|dao|e de|ede|gia rai|ba na|xo dang|cham|nung|san diu|co ho|ra glai)\b"),
    ("island", r"xa dao|dac khu|huyen dao|song (?:tren|ngoai|o) dao|\bo dao\b"),
    ("other", r"(?:(?<=ho )|(?<=nha )|(?<=dien )|(?<=la )|(?<=thuoc )|(?<=dinh )|(?<=nguoi )|^\s*)binh thuong|khong thuoc (?:dien|nhom) nao|khong co (?:dien|uu tien) gi|ho kha|ho trung binh|doi tuong khac|nguoi thuong|nhom khac|ko thuoc dien nao|k thuoc dien nao|khong ngheo|ko ngheo"),
]
GENDER_PATTERNS = [
    ("female", r"\b(?:nu|phu nu|dan ba|con gai|lao dong nu|gioi tinh nu|me bim)\b"),
    ("male", r"\b(?:nam gioi|dan ong|con trai|gioi tinh nam|(?:toi|tui|minh|em|anh|la)\s+(?:la\s+)?nam(?!\s*(?:\d|nay|ngoai|sau|truoc|roi|nua|thu|do|kia|moi|sinh|tuoi))(?=\s*(?:,|\.|$|sinh|\d|tuoi|nha|ha|a|ak)))\b"),
]
PERIOD_PATTERNS = [
    (12, r"(?:theo|hang|moi|tung|ca)\s+nam(?:\s+(?:mot|1)\s+lan)?(?![a-z])(?!\s*\d)|(?:1|mot|12)\s*(?:nam|thang)\s*(?:mot|1)\s*lan"),
    (6, r"(?:6|sau)\s*thang\s*(?:mot|1)\s*lan|nua nam(?:\s*(?:mot|1)\s*lan)?|theo\s+(?:6|sau)\s*thang"),
    (3, r"(?:3|ba)\s*thang\s*(?:mot|1)\s*lan|theo quy|hang quy|moi quy|theo\s+(?:3|ba)\s*thang"),
    (1, r"hang thang|moi thang|tung thang|thang\s*(?:mot|1)\s*lan|theo thang|1\s*thang\s*(?:mot|1)\s*lan|dong thang"),
]
REGION = re.compile(r"vung\s*(?P<r>iv|iii|ii|i|1|2|3|4)(?![a-z0-9])")
REGION_MAP = {"1": "I", "2": "II", "3": "III", "4": "IV", "i": "I", "ii": "II", "iii": "III", "iv": "IV"}


def _span(spans, a: int, b: int) -> Tuple[int, int]:
    return spans[a][0], spans[b - 1][1]


@lru_cache(maxsize=1)
def _province_patterns():
    from knowledge.referral import alias_index

    items = sorted(alias_index().items(), key=lambda kv: -len(kv[0]))
    return [(re.compile(rf"(?<![a-z0-9]){re.escape(alias)}(?![a-z0-9])"), alias, target) for alias, (target, _) in items]


SHORT_ALIAS_NEEDS_ACCENT = {"hue"}


@lru_cache(maxsize=1)
def _province_spellings() -> Dict[str, List[str]]:
    """folded alias -> the spellings with diacritics the directory uses for it."""
    from knowledge import referral

    names: List[str] = []
    for p in referral.provinces():
        names += [p.name, p.name.replace("TP ", "")] + list(p.former) + list(referral.EXTRA_ALIASES.get(p.name, []))
        for f in p.former:
            names += list(getattr(referral, "_EXTRA_FORMER", {}).get(f, []))
    table: Dict[str, List[str]] = {}
    for n in names:
        table.setdefault(referral._key(n), []).append(n)
    return table


def _spelling_ok(alias: str, original: str) -> bool:
    from bot.gazetteer import spelling_agrees

    spellings = [s for s in _province_spellings().get(alias, []) if _marked(s)]
    if not spellings or not _marked(original):
        return True
    return any(spelling_agrees(original.replace("-", " "), s.replace("-", " ")) for s in spellings)


def find_provinces(text: str, folded: str, spans) -> List[Found]:
    out: List[Found] = []
    taken: List[Tuple[int, int]] = []
    for rx, alias, target in _province_patterns():
        for m in rx.finditer(folded):
            a, b = m.start(), m.end()
            if any(not (b <= s or a >= e) for s, e in taken):
                continue
            start, end = _span(spans, a, b)
            original = text[start:end]
            if alias in SHORT_ALIAS_NEEDS_ACCENT and original.lower() != "huế":
                continue
            if alias in {"hn", "sg"} and not re.search(rf"(?:o|tai|tp|thanh pho|song|que|lam)\s+{alias}(?![a-z])", folded):
                continue
            if re.match(r"\s+(?:thuong|duong)\b", folded[b:]) and alias in ("thai binh", "hoa binh"):
                continue  # "mang thai bình thường", "Thái Bình Dương"
            if not _spelling_ok(alias, original):
                continue  # "hai phòng" (two rooms) is not Hải Phòng
            taken.append((a, b))
            out.append(Found("province", start, end, target, original))
    return out


def _birth(year: int, month: Optional[int]) -> str:
    """Birth as 'YYYY-MM' (or 'YYYY' when the month is not given)."""
    return f"{year:04d}-{month:02d}" if month and 1 <= month <= 12 else f"{year:04d}"


def parse_birth(value: str) -> Tuple[int, Optional[int]]:
    year, _, month = str(value).partition("-")
    return int(year), int(month) if month else None


def extract(text: str) -> List[Found]:
    """All entities in ``text``, non-overlapping, in order."""
    if not text:
        return []
    folded, spans = fold_with_offsets(text)
    found: List[Found] = list(find_amounts(text))

    def add(entity: str, a: int, b: int, value: Any) -> None:
        if b <= a:
            return
        s, e = _span(spans, a, b)
        if any(not (e <= f.start or s >= f.end) for f in found):
            return
        found.append(Found(entity, s, e, value, text[s:e]))

    for months, rx in PERIOD_PATTERNS:
        for m in re.finditer(rx, folded):
            add("period", m.start(), m.end(), months)
    amount_ends = [f.end for f in found if f.entity == "amount"]
    for a, b, value in find_durations(folded, text, spans):
        # "3 củ 1 tháng", "8tr/tháng": per month, not one month of anything.
        if value == 1 and any(re.fullmatch(r"\s*/?\s*", text[e : spans[a][0]] or "") for e in amount_ends if e <= spans[a][0]):
            continue
        add("duration", a, b, value)
    for m in PEOPLE.finditer(folded):
        if m.group("w") and not _spelled_as_number(text, spans, m.start("w"), m.end("w")):
            continue
        add("people", m.start(), m.end(), int(_small(m.group("d") or m.group("w"))))
    for m in BIRTH_MONTH.finditer(folded):
        add("birth", m.start(), m.end(), _birth(int(m.group("y")), int(m.group("m"))))
    for m in BIRTH.finditer(folded):
        month = int(m.group("m")) if m.group("m") else (int(m.group("d")) if m.group("d") and not m.group("m") else None)
        if month is not None and not 1 <= month <= 12:
            month = None
        add("birth", m.start(), m.end(), _birth(int(m.group("y")), month))
    for m in AGE.finditer(folded):
        add("age", m.start(), m.end(), int(m.group("n")))
    for m in REGION.finditer(folded):
        add("region", m.start(), m.end(), REGION_MAP[m.group("r")])
    negated = [(m.start(), m.end()) for m in re.finditer(NEGATION, folded)]
    for group, rx in GROUP_PATTERNS:
        for m in re.finditer(rf"(?<![a-z])(?:{rx})(?![a-z])", folded):
            value = group
            if group != "other" and any(s0 <= m.start() <= e + 3 for s0, e in negated):
                value = "other"
            add("group", m.start(), m.end(), value)
    for gender, rx in GENDER_PATTERNS:
        for m in re.finditer(rx, folded):
            add("gender", m.start(), m.end(), gender)
    for f in find_provinces(text, folded, spans):
        if not any(not (f.end <= g.start or f.start >= g.end) for g in found):
            found.append(f)
    return sorted(found, key=lambda f: f.start)
