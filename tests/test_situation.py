"""Reading the person's situation from chat messages and merging it turn by turn.

The messages are the kind people send on Zalo/Telegram: fragments, teen-code, without diacritics,
with emoji. Each case names the facts the message must give — and, where it matters, the facts it must
NOT give (a grandmother's age is not "3 years paid"; "3 củ 1 tháng" is an income per month, not one month
of contributions).
"""
import dataclasses
import datetime as dt
import time

import pytest

from bot.situation import (
    FIELDS, Situation, apply, calculator_inputs, is_distressed, is_only_symbols, read, read_and_apply,
)

TODAY = dt.date(2026, 11, 15)
HCM = "TP Hồ Chí Minh"


def facts(text, asked=None):
    return read(text, TODAY, asked).values


def chat(*messages):
    """Run a conversation; a message may be (text, asked)."""
    s = Situation()
    for m in messages:
        text, asked = m if isinstance(m, tuple) else (m, None)
        s, _ = read_and_apply(s, text, TODAY, asked)
    return s


# --- the cases seen in testing ----------------------------------------------------------------------


def test_three_cu_a_month_is_income_not_one_month_paid():
    f = facts("thu nhap e tam 3 cu 1 thang")
    assert f["monthly_income"] == 3_000_000
    assert not any(k.startswith("months_paid") for k in f)
    assert "contribution_income" not in f


def test_grandmother_age_is_not_three_years_paid():
    f = facts("bà năm nay 68 tuổi")
    assert f["age"] == 68 and f["subject"] == "grandmother" and f["gender"] == "female"
    assert not any(k.startswith("months_paid") for k in f)


def test_nam_is_male_as_an_answer_but_5_nam_is_five_years():
    assert facts("nam", "gender") == {"gender": "male"}
    assert facts("nam ạ") == {"gender": "male"}
    f = facts("5 nam")
    assert f == {"months_paid": 60}
    assert facts("5 nam", "years_paid") == {"months_paid": 60}
    assert "gender" not in facts("đóng 5 nam roi")


@pytest.mark.parametrize(
    "text, province",
    [("em ở HN", "Hà Nội"), ("nha e o hcm", HCM), ("tphcm", HCM), ("o sg", HCM), ("Sài Gòn", HCM),
     ("quê em Hà Tây", "Hà Nội"), ("me e o ha tay", "Hà Nội")],
)
def test_places(text, province):
    assert facts(text)["province"] == province


def test_old_name_spanning_two_units_is_asked_about():
    u = read("nhà ở Sông Bé", TODAY)
    assert "province" not in u.values
    assert u.values["province_candidates"] == (HCM, "Đồng Nai")
    assert ("province", (HCM, "Đồng Nai")) in u.ambiguous
    s = chat("nhà ở Sông Bé")
    assert s.province is None and s.province_candidates == (HCM, "Đồng Nai")
    s = chat("nhà ở Sông Bé", "Bình Phước")  # the answer picks one
    assert s.province == "Đồng Nai" and s.province_candidates == ()


# --- money: what kind of amount --------------------------------------------------------------------

MONEY = [
    ("thu nhap e tam 3 cu 1 thang", "monthly_income", 3_000_000),
    ("lương 8tr/tháng", "monthly_income", 8_000_000),
    ("thu nhập tầm 5 triệu", "monthly_income", 5_000_000),
    ("chồng e chạy grab, thu nhập tầm 10 củ", "monthly_income", 10_000_000),
    ("lương 4tr2 một tháng, đóng mức nào", "monthly_income", 4_200_000),
    ("1 tháng e kiếm đc khoảng 6 triệu", "monthly_income", 6_000_000),
    ("e lm osin, lương 6tr/th", "monthly_income", 6_000_000),
    ("em muốn đóng theo mức 5 triệu", "contribution_income", 5_000_000),
    ("đóng mức 2tr được ko", "contribution_income", 2_000_000),
    ("chọn mức thu nhập 1tr5 để đóng", "contribution_income", 1_500_000),
    ("mỗi tháng e đóng 330k", "monthly_payment", 330_000),
    ("lương đóng bhtn 7 triệu", "wage_for_unemployment", 7_000_000),
    ("cty đóng cho e 24 tháng bhtn, lương đóng bh 6tr5", "wage_for_unemployment", 6_500_000),
    ("mất việc rồi, lương 9 triệu thì trợ cấp thất nghiệp bao nhiêu", "wage_for_unemployment", 9_000_000),
]


@pytest.mark.parametrize("text, field, value", MONEY)
def test_money_kind(text, field, value):
    f = facts(text)
    assert f.get(field) == value
    others = {"monthly_income", "contribution_income", "monthly_payment", "wage_for_unemployment"} - {field}
    assert not others & set(f)


def test_income_is_not_the_chosen_contribution_level():
    s = chat("thu nhập 2 triệu", "em muốn đóng theo mức 5 triệu")
    assert s.monthly_income == 2_000_000 and s.contribution_income == 5_000_000
    assert calculator_inputs(s)["income"] == 5_000_000


# --- ages, months and years paid, people, dates -----------------------------------------------------

NUMBERS = [
    ("đóng được 30 tháng", {"months_paid": 30}),
    ("đóng 20 năm", {"months_paid": 240}),
    ("e dong bhxh dc 15 nam roi", {"months_paid": 180, "subject": "self"}),
    ("đóng tự nguyện được 8 năm rồi", {"months_paid_voluntary": 96}),
    ("e dong bhxh bat buoc 10 nam, tu nguyen 3 nam", {"months_paid_compulsory": 120, "months_paid_voluntary": 36}),
    ("mình làm cty 7 năm có đóng bh", {"months_paid_compulsory": 84}),
    ("đóng bhtn được 2 năm rưỡi", {"months_paid_unemployment": 30}),
    ("năm nay 60", {"age": 60}),
    ("e 32t, nữ", {"age": 32, "gender": "female"}),
    ("ông nội năm nay 75 tuổi", {"age": 75, "subject": "grandfather"}),
    ("mẹ em 58", {"age": 58, "subject": "mother"}),
    ("nhà 4 người", {"household_members": 4}),
    ("4 khẩu", {"household_members": 4}),
    ("nha e 4 ng", {"household_members": 4}),
    ("hộ có năm người", {"household_members": 5}),
    ("nhà e 6 khẩu, 2 đứa con dưới 6 tuổi", {"household_members": 6, "children_under_6": 2}),
    ("nha e 5 nguoi, 2 nguoi da co the bhyt, 1 be 3 tuoi", {"household_members": 5, "members_covered_elsewhere": 2, "children_under_6": 1}),
    ("từ năm 2006", {"joined_year": 2006}),
    ("e bắt đầu đóng từ tháng 5/2015", {"joined_year": 2015, "joined_month": 5}),
    ("nghỉ đóng từ 2020", {"stopped_year": 2020}),
    ("ngưng đóng 2 năm rồi", {"stopped_year": 2024, "stopped_month": 11}),
    ("sinh 6/1970", {"birth_year": 1970, "birth_month": 6}),
    ("sn 1975", {"birth_year": 1975}),
    ("sn 85", {"birth_year": 1985}),
    ("sinh 12/3/1979", {"birth_year": 1979, "birth_month": 3}),
    ("bố e 1960 nghỉ hưu rồi", {"birth_year": 1960, "subject": "father", "work": "retired"}),
    ("sinh tháng 8 năm 1972", {"birth_year": 1972, "birth_month": 8}),
    ("hợp đồng 12 tháng", {"has_contract": True, "contract_months": 12}),
    ("vợ em có bầu 5 tháng", {"pregnant": True, "pregnancy_months": 5, "subject": "wife"}),
    ("e mới sinh được 2 tháng", {"gave_birth": True, "gave_birth_year": 2026, "gave_birth_month": 9}),
    ("đóng 6 tháng một lần", {"payment_period": 6}),
    ("e muốn đóng theo mức 2 triệu, 6 tháng đóng 1 lần", {"contribution_income": 2_000_000, "payment_period": 6}),
    ("đóng hằng quý được không", {"payment_period": 3}),
    ("vùng 3", {"region": "III"}),
    ("bé nhà e 2 tuổi", {"children_under_6": 1}),
    ("thu nhập 1 tháng được 4 triệu rưỡi", {"monthly_income": 4_500_000}),
    ("e ở Đồng Nai, vùng 2, lương 7 triệu, đóng bhtn 3 năm", {"region": "II", "wage_for_unemployment": 7_000_000, "months_paid_unemployment": 36, "province": "Đồng Nai"}),
    ("mình muốn mua bhyt cho 3 người", {"household_members": 3}),
    ("dạ 3 người ạ", {"household_members": 3}),
    ("me e nam nay 55 tuoi, ban hang o cho", {"age": 55, "subject": "mother", "work": "trader"}),
    ("cho e hỏi đóng bhxh tn 3 năm nay rồi giờ ngưng được ko", {"months_paid_voluntary": 36}),
]


@pytest.mark.parametrize("text, expected", NUMBERS)
def test_numbers_bound_by_context(text, expected):
    f = facts(text)
    for k, v in expected.items():
        assert f.get(k) == v, (k, f)


@pytest.mark.parametrize(
    "text, absent",
    [
        ("mún đóq bhxh tn thj đóng bn 1 tháng", "months_paid"),  # "how much a month"
        ("e mang bầu 7 tháng", "months_paid"),
        ("em đang thử việc 2 tháng", "months_paid"),
        ("hợp đồng 12 tháng", "months_paid"),
        ("con gái em 4 tuổi", "age"),  # the child's age is not the subject's
        ("nhà mình hai người", "province"),
        ("bà năm nay 68 tuổi", "months_paid"),
        ("mang thai bình thường", "household_groups"),
        ("tôi 50 tuổi rồi đóng thêm 10 năm nữa có lương hưu ko", "months_paid"),  # years to come
        ("e đóng 1 lần cho 10 năm được ko", "months_paid"),
        ("bé nhà e 2 tuổi", "age"),
        ("ông chủ không trả lương", "subject"),
    ],
)
def test_numbers_not_misread(text, absent):
    assert absent not in facts(text)


# --- who, gender ------------------------------------------------------------------------------------

WHO = [
    ("mẹ em 58 tuổi bán hàng rong ở Long An", {"subject": "mother", "gender": "female", "age": 58, "work": "street_vendor", "province": "Tây Ninh"}),
    ("bme e ở quê làm ruộng, hộ cận nghèo", {"subject": "parents", "work": "farmer", "farming": True, "household_groups": ("near_poor",)}),
    ("ck e chạy grab", {"subject": "husband", "gender": "male", "work": "ride_hailing", "self_employed": True}),
    ("bà ngoại 80t ở Nghệ Tĩnh cũ", {"subject": "grandmother", "age": 80, "province_candidates": ("Nghệ An", "Hà Tĩnh")}),
    ("e là nữ, 35t, bán tạp hóa", {"subject": "self", "gender": "female", "age": 35, "work": "trader"}),
    ("tôi nam, sinh năm 1980", {"gender": "male", "birth_year": 1980}),
    ("em là con trai", {"gender": "male", "subject": "self"}),
    ("e lm osin cho nhà người ta", {"work": "domestic_worker", "domestic_work": True}),
    ("e làm phụ hồ, ko có hđ", {"work": "construction", "has_contract": False}),
    ("em đang thử việc, cty chưa ký hợp đồng", {"probation": True, "has_contract": False}),
]


@pytest.mark.parametrize("text, expected", WHO)
def test_who_and_what(text, expected):
    f = facts(text)
    for k, v in expected.items():
        assert f.get(k) == v, (k, f)


def test_unaccented_ba_is_asked_about():
    u = read("ba em 60 tuoi", TODAY)
    assert [(name, set(c)) for name, c in u.ambiguous] == [("subject", {"grandmother", "father"})]
    s = apply(Situation(), u)
    assert s.subject == "relative" and set(s.subject_candidates) == {"father", "grandmother"} and s.age == 60


# --- household groups -------------------------------------------------------------------------------

GROUPS = [
    ("nhà e thuộc hộ cận nghèo", ("near_poor",)),
    ("tôi là người dân tộc Tày ở Cao Bằng", ("ethnic_minority",)),
    ("hộ làm nông nghiệp có mức sống trung bình", ("farm_average",)),
    ("không thuộc đối tượng nào", ("other",)),
    ("ko thuoc dien nao", ("other",)),
    ("không phải hộ nghèo", ("other",)),
    ("ko thuộc hộ cận nghèo", ("other",)),
    ("e ko phải hộ nghèo, cũng ko phải dân tộc", ("other",)),
    ("dtts, hộ nghèo", ("ethnic_minority", "poor")),
]


@pytest.mark.parametrize("text, groups", GROUPS)
def test_groups(text, groups):
    assert chat(text).household_groups == groups


def test_groups_accumulate_and_negations_remove():
    s = chat("nhà em dân tộc thiểu số", "hộ cận nghèo nữa")
    assert s.household_groups == ("ethnic_minority", "near_poor")
    assert chat("nhà em hộ nghèo", "à không phải hộ nghèo").household_groups == ("other",)
    assert chat("nhà em dân tộc thiểu số", "không phải hộ nghèo").household_groups == ("ethnic_minority",)
    assert chat("dtts", "à nhầm, không thuộc diện nào").household_groups == ("other",)


# --- answers to the question just asked -------------------------------------------------------------

ANSWERS = [
    ("5", "people", {"household_members": 5}),
    ("5", "income", {"contribution_income": 5_000_000}),
    ("2,5", "income", {"contribution_income": 2_500_000}),
    ("5", "years_paid", {"months_paid": 60}),
    ("0", "children", {"children_under_6": 0}),
    ("chưa", "years_paid", {"months_paid": 0}),
    ("chưa đóng ngày nào", "years_paid", {"months_paid": 0}),
    ("ko", "group", {"household_groups": ("other",)}),
    ("bình thường", "group", {"household_groups": ("other",)}),
    ("nữ", "gender", {"gender": "female"}),
    ("nam a", "gender", {"gender": "male"}),
    ("6", "period", {"payment_period": 6}),
    ("theo quý", "period", {"payment_period": 3}),
    ("2", "region", {"region": "II"}),
    ("em 1985", "birth", {"birth_year": 1985}),
    ("5/1980", "birth", {"birth_year": 1980, "birth_month": 5}),
    ("có", "pregnant", {"pregnant": True}),
    ("chưa", "pregnant", {"pregnant": False}),
    ("24", "months", {"months_paid_unemployment": 24}),
    ("Bình Dương", "province", {"province": HCM}),
]


@pytest.mark.parametrize("text, asked, expected", ANSWERS)
def test_bare_answers(text, asked, expected):
    f = facts(text, asked)
    for k, v in expected.items():
        assert f.get(k) == v, (k, f)


@pytest.mark.parametrize("text", ["ko biết", "k biet nua", "hok bít", "không nhớ", "chịu"])
def test_dont_know(text):
    u = read(text, TODAY, "gender")
    assert u.unknown == {"gender"} and not u.facts
    s = apply(Situation(), u)
    assert "gender" in s.unknown and not s.known("gender")


# --- corrections and follow-ups ---------------------------------------------------------------------


def test_corrections_replace_one_value():
    s = chat("nhà em 5 người ở Hà Nội", "à nhầm, 4 người")
    assert s.household_members == 4 and s.province == "Hà Nội"
    assert chat("nhà em 5 người", "không phải, 4 người").household_members == 4
    assert chat("không phải 5 người mà 6 người").household_members == 6
    u = read("e nhầm, sinh năm 1976 chứ k phải 1975", TODAY)
    assert u.correction and u.values["birth_year"] == 1976


def test_gender_taken_back():
    u = read("ko phải nam, nữ", TODAY, "gender")
    assert u.correction and u.values == {"gender": "female"}
    assert chat("em là nam", ("ko phải nam, nữ", "gender")).gender == "female"


def test_follow_up_changes_one_value():
    s = chat("em muốn đóng theo mức 5 triệu, hằng tháng", "còn 12 triệu thì sao?")
    assert s.contribution_income == 12_000_000 and s.payment_period == 1
    u = read("còn 12 triệu thì sao?", TODAY)
    assert u.followup and [f.value for f in u.unbound] == [12_000_000]
    s = chat("thu nhập 3 triệu", "thế 5 triệu thì sao")
    assert s.monthly_income == 5_000_000
    s = chat(("5 nam", "years_paid"), "còn nếu đóng 20 năm thì sao")
    assert s.months_paid == 240
    assert chat("nhà em hộ nghèo", "còn hộ cận nghèo thì sao").household_groups == ("near_poor",)


def test_new_subject_clears_the_persons_facts_only():
    s = chat("tôi 45 tuổi, nữ, đóng bhxh 10 năm, ở Long An, hộ cận nghèo", "còn mẹ em thì sao? 68 tuổi")
    assert s.subject == "mother" and s.age == 68 and s.gender == "female"
    assert s.months_paid is None
    assert s.province == "Tây Ninh" and s.household_groups == ("near_poor",)


# --- emoji, stickers, distress ----------------------------------------------------------------------


@pytest.mark.parametrize("text", ["🙏🙏🙏", "👍", "😭😭", ":(", "…", "❤️"])
def test_only_symbols(text):
    assert is_only_symbols(text)
    u = read(text, TODAY)
    assert u.only_symbols and not u.facts


@pytest.mark.parametrize("text", ["ok 👍", "", "5", "hi"])
def test_not_only_symbols(text):
    assert not is_only_symbols(text)


@pytest.mark.parametrize("text", ["😭😭", "ko dc j hết à 😢", "huhu em bị đuổi việc rồi", "mình buồn quá :(", "🥺", "bế tắc quá"])
def test_distress(text):
    assert is_distressed(text) and read(text, TODAY).distress
    assert apply(Situation(), read(text, TODAY)).distress


@pytest.mark.parametrize("text", ["🙏", "ok 👍 cảm ơn", "nhà e 4 người"])
def test_no_distress(text):
    assert not is_distressed(text)


# --- structure, spans, speed ------------------------------------------------------------------------

ALL = [t for t, *_ in MONEY] + [t for t, _ in NUMBERS] + [t for t, _ in WHO] + [t for t, _ in GROUPS] + [t for t, *_ in ANSWERS]


@pytest.mark.parametrize("text", ALL)
def test_fact_spans_are_exact(text):
    for f in read(text, TODAY).facts:
        if f.start >= 0:
            assert text[f.start : f.end] == f.text and f.text


@pytest.mark.parametrize(
    "words, value",
    [("ba", 3), ("muoi lam", 15), ("hai muoi mot", 21), ("sau muoi tam", 68), ("bay muoi", 70), ("hai muoi tu", 24),
     ("mot tram linh nam", 105), ("ba nam", None)],
)
def test_number_words(words, value):
    from bot.situation import _words_value

    assert _words_value(words.split()) == value


def test_situation_is_frozen_and_typed():
    s = Situation()
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.age = 3  # type: ignore[misc]
    assert "monthly_income" in FIELDS and "contribution_income" in FIELDS and "household_groups" in FIELDS
    assert s.subject == "self" and s.household_groups == ()


def test_calculator_inputs():
    s = chat("nhà 5 người, 1 người đã có thẻ bhyt", "đóng theo mức 3 triệu, hộ cận nghèo, 6 tháng một lần", "tôi nữ, sinh 5/1980, đóng 10 năm")
    assert calculator_inputs(s) == {
        "income": 3_000_000, "group": "near_poor", "period": 6, "people": 4, "gender": "female",
        "birth": {"year": 1980, "month": 5}, "years_paid": 10.0,
    }


def test_reading_is_fast():
    read("warm up", TODAY)
    t0 = time.perf_counter()
    for _ in range(5):
        for text in ALL:
            read(text, TODAY)
    assert (time.perf_counter() - t0) * 1000 / (5 * len(ALL)) < 10.0
