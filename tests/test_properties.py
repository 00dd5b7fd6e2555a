"""Property-based tests (hypothesis): whatever people or forgers send, the text functions, parsers,
calculators and webhook readers answer with data or a specific error, never a crash or a hang.

Strategies draw from the whole of Unicode (combining marks, compatibility characters that fold to several
letters, emoji, control characters), from Vietnamese-looking text and from JSON of any shape.
"""
from __future__ import annotations

import datetime as dt
import json
import time

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from bot.parsing import extract, find_amounts, parse_amount
from bot.segment import segment
from bot.situation import read
from knowledge.calculators import health, pension, unemployment, vsi
from knowledge.errors import InvalidInput, UnknownProvince
from knowledge.parameters import NotInForce
from knowledge.referral import find as find_province
from knowledge.text import fold, fold_with_offsets

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
DAY = st.dates(min_value=dt.date(2025, 1, 1), max_value=dt.date(2030, 12, 31))

VIETNAMESE = "aăâbcdđeêghiklmnoôơpqrstuưvxyáàảãạắằẳẵặấầẩẫậéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵ"
WORDS = ["bhxh", "bhyt", "tự nguyện", "đóng", "dong", "3 triệu", "3tr", "500k", "2.000.000đ", "ba củ", "năm",
         "tháng", "hộ nghèo", "cận nghèo", "Hà Nội", "binh duong", "Quảng Bình", "sdt", "0912345678", "ko", "đc",
         "bn", "z", "?", ",", ".", "😀", "\u0301", "½", "ﬁ", "\n", "  ", "%", "-", "/", "1/7/2026"]
vietnamese_text = st.lists(st.sampled_from(WORDS) | st.text(alphabet=VIETNAMESE + "0123456789 ", max_size=12),
                           max_size=30).map(" ".join)
any_text = st.text(max_size=300) | vietnamese_text


def _check_spans(text: str, items) -> None:
    previous_end = 0
    for item in items:
        assert 0 <= item.start < item.end <= len(text)
        assert item.start >= previous_end, "spans overlap or go back"
        assert item.text == text[item.start:item.end]
        previous_end = item.end


# --- the normaliser and the tokenizer ------------------------------------------------------------------


@FAST
@given(any_text)
def test_fold_maps_every_folded_character_back_into_the_text(text):
    folded, spans = fold_with_offsets(text)
    assert len(spans) == len(folded)
    assert all(0 <= a < b <= len(text) for a, b in spans)
    assert [a for a, _ in spans] == sorted(a for a, _ in spans)
    assert fold(folded) == folded  # folding twice changes nothing


@FAST
@given(any_text)
def test_segment_gives_ordered_non_overlapping_words_that_are_the_users_text(text):
    _check_spans(text, segment(text))


@FAST
@given(any_text | st.text(alphabet="😀,.?! ", max_size=5))
def test_the_classifier_reads_the_same_words_from_the_tokens_as_from_the_text(text):
    """The classifier takes a message's words from the tokenizer's lemmas instead of segmenting it again."""
    from rasa.shared.nlu.training_data.message import Message

    from bot.classifier import FoldedTextFeatures, tokenized_words
    from bot.components import VietnameseTokenizer

    message = Message(data={"text": text})
    VietnameseTokenizer(VietnameseTokenizer.get_default_config()).process([message])
    assert tokenized_words(message) == FoldedTextFeatures.words(text)


@FAST
@given(any_text)
def test_the_rasa_tokenizer_gives_exact_offsets(text):
    from rasa.shared.nlu.training_data.message import Message

    from bot.components import VietnameseTokenizer

    tokens = VietnameseTokenizer(VietnameseTokenizer.get_default_config()).tokenize(Message(data={"text": text}), "text")
    if text:
        assert tokens
    previous = 0
    for token in tokens:
        assert previous <= token.start <= token.end <= len(text)
        assert token.text == text[token.start:token.end]
        previous = token.end


def test_a_huge_message_is_read_quickly_and_only_its_beginning():
    from rasa.shared.nlu.training_data.message import Message

    from bot.components import ANALYSED_CHARS, VietnameseEntityExtractor, VietnameseTokenizer

    text = "tôi đóng bhxh 3 triệu 5 năm ở Hà Nội, sđt 0912345678 ạ. " * 20_000  # about a megabyte
    started = time.monotonic()
    tokens = VietnameseTokenizer(VietnameseTokenizer.get_default_config()).tokenize(Message(data={"text": text}), "text")
    message = Message(data={"text": text})
    VietnameseEntityExtractor({}).process([message])
    elapsed = time.monotonic() - started
    assert tokens and tokens[-1].end <= ANALYSED_CHARS
    assert all(e["end"] <= ANALYSED_CHARS for e in message.get("entities"))
    assert elapsed < 10, f"a 1 MB message took {elapsed:.1f} s"


# --- amounts, provinces, the situation reader ------------------------------------------------------------


@FAST
@given(any_text)
def test_extract_gives_valid_spans_and_positive_amounts(text):
    found = extract(text)
    for f in found:
        assert 0 <= f.start < f.end <= len(text) and f.text == text[f.start:f.end]
    for f in find_amounts(text):
        assert isinstance(f.value, int) and f.value > 0
    value = parse_amount(text)
    assert value is None or value > 0


@FAST
@given(st.integers(min_value=1, max_value=999), st.sampled_from(["triệu", "tr", "trieu", "củ", "cu"]))
def test_millions_are_read_in_any_spelling(n, unit):
    assert parse_amount(f"thu nhập {n} {unit}") == n * 1_000_000


@FAST
@given(any_text)
def test_a_province_is_found_or_refused_with_a_specific_error(text):
    try:
        province = find_province(text)
    except UnknownProvince:
        return
    assert province.name


@FAST
@given(any_text, DAY, st.sampled_from([None, "income", "people", "period", "months", "birth", "province", "group"]))
def test_the_situation_reader_never_crashes(text, day, asked):
    update = read(text, day, asked)
    assert update is not None


# --- calculators: a result or InvalidInput -----------------------------------------------------------------

huge_int = st.integers(min_value=-10**20, max_value=10**20)


def result_or_clear_error(calculate):
    """The calculator's result, or None when it refused the inputs by name: InvalidInput (with the content
    key of its Vietnamese message) or NotInForce (a day before the rule's first effective date)."""
    try:
        return calculate()
    except InvalidInput as error:
        assert error.content_key.startswith("error.")
    except NotInForce:
        pass
    return None


@FAST
@given(DAY, huge_int, st.lists(st.sampled_from(["poor", "near_poor", "ethnic_minority", "island", "other", "?"]), max_size=3),
       st.integers(min_value=-5, max_value=400))
def test_the_voluntary_si_quote_is_a_result_or_a_clear_error(day, income, groups, period):
    q = result_or_clear_error(lambda: vsi.quote(day, income, groups or ["other"], period))
    if q is None:
        return
    assert 0 <= q.support_month <= q.gross_month and q.net_month == q.gross_month - q.support_month
    assert q.income == income and q.period_months == period


@FAST
@given(DAY, st.integers(min_value=-10, max_value=10**6), st.one_of(st.none(), st.integers(min_value=-5, max_value=100)),
       st.integers(min_value=-3, max_value=50), st.integers(min_value=-3, max_value=50))
def test_the_household_health_quote_is_a_result_or_a_clear_error(day, members, period, children, elsewhere):
    q = result_or_clear_error(lambda: health.household(day, members, period, children_under_6=children, covered_elsewhere=elsewhere))
    if q is None:
        return
    assert q.payers >= 0 and all(m >= 0 for m in q.per_member_month) and q.ladder_total_month >= 0
    assert q.state_pays or q.payers == 0 or q.ladder_total_month > 0


@FAST
@given(DAY, huge_int, st.integers(min_value=-100, max_value=10**6), st.sampled_from([None, "I", "II", "III", "IV", "V"]))
def test_the_unemployment_benefit_is_a_result_or_a_clear_error(day, wage, months, region):
    q = result_or_clear_error(lambda: unemployment.benefit(day, wage, months, region))
    if q is None:
        return
    assert q.monthly >= 0 and q.months >= 0 and (q.cap is None or q.monthly <= q.cap)


@FAST
@given(st.sampled_from(["male", "female", "x"]), st.integers(min_value=-10**6, max_value=10**6),
       st.integers(min_value=-20, max_value=40), DAY)
def test_the_retirement_age_is_a_result_or_a_clear_error(gender, year, month, day):
    age = result_or_clear_error(lambda: pension.retirement_age(gender, year, month, day))
    if age is None:
        return
    assert 40 <= age.years <= 70 and 0 <= age.months < 12


# --- webhook readers: any body is read or refused with a status ------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5),
    max_leaves=20,
)
bodies = st.binary(max_size=300) | json_values.map(lambda v: json.dumps(v).encode())


@FAST
@given(bodies, st.text(max_size=80))
def test_the_zalo_reader_refuses_any_unsigned_body_with_a_status(raw, header):
    from channels.zalo import RejectedEvent, read_event

    with pytest.raises(RejectedEvent) as refused:
        read_event(raw, header, "app-1", "secret", dt.datetime.utcnow())
    assert refused.value.status in (400, 401)


@FAST
@given(json_values, json_values, json_values, st.integers(min_value=-10**15, max_value=10**15) | st.text(max_size=15))
def test_the_zalo_reader_reads_any_signed_event_or_refuses_it_with_a_status(message, sender, name, timestamp):
    from channels.zalo import RejectedEvent, read_event, signature

    raw = json.dumps({"app_id": "app-1", "timestamp": timestamp, "event_name": name, "message": message,
                      "sender": sender}).encode()
    header = "mac=" + signature("app-1", raw, str(timestamp), "secret")
    try:
        event, msg_id = read_event(raw, header, "app-1", "secret", dt.datetime.utcnow())
    except RejectedEvent as refused:
        assert refused.status in (400, 401)
        return
    assert isinstance(event, dict) and isinstance(msg_id, str) and msg_id


def test_the_zalo_reader_accepts_a_fresh_signed_text_message():
    from channels.zalo import read_event, signature

    timestamp = str(int(time.time() * 1000))
    raw = json.dumps({"app_id": "app-1", "timestamp": timestamp, "event_name": "user_send_text",
                      "message": {"msg_id": "m1", "text": "bhxh"}, "sender": {"id": "u1"}}).encode()
    event, msg_id = read_event(raw, signature("app-1", raw, timestamp, "secret"), "app-1", "secret", dt.datetime.utcnow())
    assert msg_id == "m1" and event["sender"]["id"] == "u1"


@FAST
@given(bodies | json_values.map(lambda v: json.dumps({"update_id": 1, "message": v}).encode()))
def test_the_telegram_reader_reads_an_update_or_refuses_it(raw):
    from channels.telegram import read_update

    try:
        update = read_update(raw, None)
    except ValueError as refused:
        assert "malformed update" in str(refused)
        return
    assert update.update_id is not None


@FAST
@given(st.text(max_size=3000), st.integers(min_value=20, max_value=4096))
def test_splitting_a_reply_never_loses_text_or_exceeds_the_limit(text, limit):
    from channels.common import split_message

    assume(text.strip())
    pieces = split_message(text, limit)
    assert all(len(p) <= limit for p in pieces)
    assert "".join(pieces).split() == text.split() or "".join("".join(pieces).split()) == "".join(text.split())
