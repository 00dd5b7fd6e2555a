"""Amount parser and entity extraction on the spellings people really type."""
import pytest

from bot.parsing import extract, parse_amount

AMOUNTS = [
    ("2 triệu", 2_000_000),
    ("2 trieu", 2_000_000),
    ("2tr", 2_000_000),
    ("2 tr", 2_000_000),
    ("2TR", 2_000_000),
    ("2.000.000đ", 2_000_000),
    ("2.000.000 đ", 2_000_000),
    ("2,000,000 vnd", 2_000_000),
    ("2000000", 2_000_000),
    ("1tr5", 1_500_000),
    ("1tr25", 1_250_000),
    ("1tr200", 1_200_000),
    ("1tr200k", 1_200_000),
    ("1 triệu 2", 1_200_000),
    ("1 triệu 200 nghìn", 1_200_000),
    ("hai triệu rưỡi", 2_500_000),
    ("hai trieu ruoi", 2_500_000),
    ("2 triệu rưỡi", 2_500_000),
    ("2,5 triệu", 2_500_000),
    ("2.5tr", 2_500_000),
    ("1,5tr", 1_500_000),
    ("500k", 500_000),
    ("500 nghìn", 500_000),
    ("500 ngàn", 500_000),
    ("500 ngan", 500_000),
    ("3 củ", 3_000_000),
    ("một triệu năm trăm nghìn", 1_500_000),
    ("một triệu rưỡi", 1_500_000),
    ("ba trăm ngàn", 300_000),
    ("mười lăm triệu", 15_000_000),
    ("hai mươi triệu", 20_000_000),
    ("1.500.000 đồng", 1_500_000),
    ("50.600.000 VNĐ", 50_600_000),
    ("700.000d", 700_000),
    ("4tr7", 4_700_000),
    ("1 tỷ", 1_000_000_000),
    ("thu nhập 3 triệu, hộ cận nghèo", 3_000_000),
    ("lương 10tr đóng 30 tháng", 10_000_000),
]


@pytest.mark.parametrize("text, value", AMOUNTS)
def test_amounts(text, value):
    assert parse_amount(text) == value


@pytest.mark.parametrize(
    "text", ["năm 2025", "đóng 15 năm", "nhà 3 người", "5 triệu 3 tháng"[:0] or "3 tháng", "hai năm", "12", "vùng 1", ""]
)
def test_not_amounts(text):
    assert parse_amount(text) is None


def test_amount_followed_by_duration_is_not_merged():
    found = extract("lương 5 triệu 3 tháng")
    assert [(f.entity, f.value) for f in found if f.entity == "amount"] == [("amount", 5_000_000)]
    assert any(f.entity == "duration" and f.value == 3 for f in found)


def _ents(text):
    return {f.entity: f.value for f in extract(text)}


def test_spans_are_exact_substrings():
    text = "Tôi ở Long An, thu nhập 3tr, hộ cận nghèo, đóng hàng tháng 😀"
    for f in extract(text):
        assert text[f.start : f.end] == f.text


@pytest.mark.parametrize(
    "text, entity, value",
    [
        ("Tôi ở Long An", "province", "Tây Ninh"),
        ("toi o binh duong", "province", "TP Hồ Chí Minh"),
        ("ở Sài Gòn", "province", "TP Hồ Chí Minh"),
        ("quê Hà Giang", "province", "Tuyên Quang"),
        ("sống ở Huế", "province", "Huế"),
        ("tỉnh Nghệ An", "province", "Nghệ An"),
        ("nhà ở vũng tàu", "province", "TP Hồ Chí Minh"),
        ("Daklak", "province", "Đắk Lắk"),
        ("hộ cận nghèo", "group", "near_poor"),
        ("ho ngheo", "group", "poor"),
        ("không phải hộ nghèo", "group", "other"),
        ("người dân tộc Tày", "group", "ethnic_minority"),
        ("sống ở xã đảo", "group", "island"),
        ("bình thường", "group", "other"),
        ("tôi là nữ", "gender", "female"),
        ("toi la nam, sinh 1975", "gender", "male"),
        ("nhà 4 người", "people", 4),
        ("hộ có ba người", "people", 3),
        ("45 tuổi", "age", 45),
        ("vùng 1", "region", "I"),
        ("vung iv", "region", "IV"),
        ("đóng hằng tháng", "period", 1),
        ("6 tháng một lần", "period", 6),
        ("đóng theo năm", "period", 12),
    ],
)
def test_entities(text, entity, value):
    assert _ents(text).get(entity) == value


def test_duration_and_birth():
    e = _ents("tôi sinh 5/1980, đã đóng 10 năm")
    assert e["birth"] == "1980-05"
    assert e["duration"] == 120


def test_chi_hue_is_a_name_not_the_city():
    assert "province" not in _ents("chị hue hỏi về bhyt")


@pytest.mark.parametrize(
    "text, entity",
    [
        ("đóng từ tháng 12/2024", "duration"),  # "từ" is not the number four
        ("gặp khó khăn", "group"),  # "khó khăn" is not "hộ khá"
        ("ký hợp đồng bằng giấy tờ", "people"),  # "bằng" is not "ba người"
        ("con gái tôi", "people"),
    ],
)
def test_no_false_entities_in_ordinary_words(text, entity):
    assert entity not in _ents(text)


def test_word_numbers_need_a_space_before_the_unit():
    assert _ents("hai người")["people"] == 2
    assert _ents("ba năm")["duration"] == 36
    assert _ents("14,5 năm")["duration"] == 174


@pytest.mark.parametrize(
    "text, entity",
    [
        ("bà năm nay 68 tuổi", "duration"),  # "bà", not the number three
        ("thu nhap e tam 3 cu 1 thang", "duration"),  # per month, not one month
        ("lương 8tr/tháng", "duration"),
        ("thuê hai phòng trọ", "province"),  # two rooms, not Hải Phòng
        ("mang thai bình thường", "group"),
        ("mang thai bình thường", "province"),
        ("thai binh thuong", "province"),
    ],
)
def test_spelling_and_per_month_are_respected(text, entity):
    assert entity not in _ents(text)


@pytest.mark.parametrize(
    "text, entity, value",
    [("bà năm nay 68 tuổi", "age", 68), ("thu nhap e tam 3 cu 1 thang", "amount", 3_000_000), ("ở Hải Phòng", "province", "Hải Phòng"),
     ("o hai phong", "province", "Hải Phòng"), ("quê thai binh", "province", "Hưng Yên"), ("đóng ba năm", "duration", 36)],
)
def test_spelling_checks_keep_real_entities(text, entity, value):
    assert _ents(text)[entity] == value


def test_phone_id_card_and_si_numbers_are_no_amounts():
    from bot.parsing import find_amounts

    for text in ("số tôi 0912345678", "cccd 001203004567", "mã số bhxh 7912345678", "sdt 0987 654 321"):
        assert find_amounts(text) == [], text
    assert [f.value for f in find_amounts("lương 3000000, tôi gọi 0912345678")] == [3000000]
