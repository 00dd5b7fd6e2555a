"""Gazetteer: places (old and new names), household groups and their negations, work, relatives.

Messages are written the way people type on Zalo/Telegram: fragments, teen-code, with or without
diacritics. Every match must be an exact span of the message.
"""
import re
import time

import pytest

from bot import gazetteer as G
from bot.gazetteer import Gazetteer, find, find_provinces, historical_provinces, resolve_province, tokens

HCM, HN = "TP Hồ Chí Minh", "Hà Nội"


def _provinces(text):
    return [m.candidates for m in find_provinces(text)]


def _keys(text, category):
    return [(m.key, m.negated) for m in find(text, (category,))]


# --- provinces -------------------------------------------------------------------------------------

PROVINCES = [
    ("em ở HN", (HN,)),
    ("nha e o hn", (HN,)),
    ("Nhà em HN", (HN,)),
    ("chị ơi em ở hcm", (HCM,)),
    ("e lm ở tphcm", (HCM,)),
    ("tp.hcm có đóng đc ko", (HCM,)),
    ("dân sg nè", (HCM,)),
    ("SG", (HCM,)),
    ("mình ở Sài Gòn", (HCM,)),
    ("o sai gon a", (HCM,)),
    ("quê em Hà Tây", (HN,)),
    ("me e o ha tay cu", (HN,)),
    ("hồi xưa nhà ở tỉnh Sông Bé", (HCM, "Đồng Nai")),
    ("quê Hải Hưng", ("Hải Phòng", "Hưng Yên")),
    ("ông bà ở Nghệ Tĩnh", ("Nghệ An", "Hà Tĩnh")),
    ("bà ở Hà Bắc cũ", ("Bắc Ninh",)),
    ("Minh Hải cũ", ("Cà Mau",)),
    ("tỉnh Cửu Long", ("Vĩnh Long",)),
    ("hồi đó là Quảng Nam - Đà Nẵng", ("Đà Nẵng",)),
    ("đăng ký ở Vĩnh Phú", ("Phú Thọ",)),
    ("khai sinh ghi Hà Nam Ninh", ("Ninh Bình",)),
    ("quê Thuận Hải", ("Khánh Hòa", "Lâm Đồng")),
    ("Phú Khánh", ("Đắk Lắk", "Khánh Hòa")),
    ("sinh ra ở Nghĩa Bình", ("Quảng Ngãi", "Gia Lai")),
    ("Bình Trị Thiên cũ", ("Quảng Trị", "Huế")),
    ("Gia Lai - Kon Tum", ("Gia Lai", "Quảng Ngãi")),
    ("quê Hà Sơn Bình", (HN, "Phú Thọ")),
    ("nhà ở Bình Dương", (HCM,)),
    ("toi o binh duong", (HCM,)),
    ("em ở Long An", ("Tây Ninh",)),
    ("daklak", ("Đắk Lắk",)),
    ("quê Đắk Nông", ("Lâm Đồng",)),
    ("sống ở Huế", ("Huế",)),
    ("o hai phong", ("Hải Phòng",)),
    ("quê Hòa Bình", ("Phú Thọ",)),
]


@pytest.mark.parametrize("text, candidates", PROVINCES)
def test_provinces(text, candidates):
    assert _provinces(text) == [candidates]


@pytest.mark.parametrize(
    "text",
    [
        "hn",  # bare lower-case: hộ nghèo? Hà Nội? left alone
        "sg",
        "thuê hai phòng trọ",  # two rooms, not Hải Phòng
        "nhà mình hai người",  # not Minh Hải
        "vay ha bac",  # "vậy hả bác"
        "đồng bằng sông Cửu Long",  # the region, not the old province
        "mang thai bình thường",  # not Thái Bình
        "chị hue ơi",  # a name, not Huế
        "đóng 5 nam ha",  # "năm hả"
        "sống hòa bình",  # peace, not the province
    ],
)
def test_ordinary_words_are_not_provinces(text):
    assert _provinces(text) == []


def test_two_candidate_old_name_returns_both():
    (m,) = find_provinces("Em ở Sông Bé")
    assert m.ambiguous and m.candidates == (HCM, "Đồng Nai")
    assert m.info["kind"] == "historical" and m.info["became"] == ("Bình Dương", "Bình Phước")


@pytest.mark.parametrize(
    "name, current",
    [("Hà Tây", (HN,)), ("ha tay", (HN,)), ("Sông Bé", (HCM, "Đồng Nai")), ("Hà Bắc", ("Bắc Ninh",)),
     ("tỉnh Long An", ("Tây Ninh",)), ("Hà Nội", (HN,)), ("Quảng Nam - Đà Nẵng", ("Đà Nẵng",)), ("Atlantis", ())],
)
def test_resolve_province(name, current):
    assert resolve_province(name) == current


def test_every_old_name_has_sources_and_resolves_to_current_units():
    from knowledge.referral import provinces

    current = {p.name for p in provinces()}
    history = historical_provinces()
    names = {h.name for h in history}
    for expected in ("Hà Tây", "Sông Bé", "Hà Bắc", "Minh Hải", "Nghệ Tĩnh", "Quảng Nam - Đà Nẵng", "Vĩnh Phú",
                     "Cửu Long", "Nam Hà", "Hà Nam Ninh", "Hải Hưng", "Thuận Hải", "Phú Khánh", "Nghĩa Bình",
                     "Bình Trị Thiên", "Gia Lai - Kon Tum"):
        assert expected in names
    for h in history:
        assert h.current and set(h.current) <= current, h.name
        assert h.sources and all(re.match(r"https?://\S+", s) for s in h.sources), h.name
        assert h.event and h.when


def test_2025_merger_names_resolve_through_provinces_json():
    assert _provinces("quê em Hà Giang") == [("Tuyên Quang",)]
    assert _provinces("nha o vung tau") == [(HCM,)]


# --- household groups ------------------------------------------------------------------------------

GROUPS = [
    ("nhà e hộ cận nghèo", [("near_poor", False)]),
    ("nha e thuoc ho ngheo", [("poor", False)]),
    ("ko thuộc hộ cận nghèo", [("near_poor", True)]),
    ("không phải hộ nghèo đâu", [("poor", True)]),
    ("k phải là hộ nghèo", [("poor", True)]),
    ("ko thuoc dien ho ngheo", [("poor", True)]),
    ("không thuộc đối tượng nào", [("none", False)]),
    ("ko thuoc dien nao het", [("none", False)]),
    ("hộ bình thường thôi", [("none", False)]),
    ("e là người dân tộc thiểu số", [("ethnic_minority", False)]),
    ("người Tày", [("ethnic_minority", False)]),
    ("em người Kinh", [("ethnic_minority", True)]),
    ("hộ làm nông lâm ngư diêm nghiệp có mức sống trung bình", [("farm_average", False)]),
    ("nhà ở xã đảo", [("island", False)]),
    ("dân tộc thiểu số, hộ cận nghèo", [("ethnic_minority", False), ("near_poor", False)]),
]


@pytest.mark.parametrize("text, expected", GROUPS)
def test_groups_and_negation(text, expected):
    assert _keys(text, "group") == expected


# --- work, contract, events ------------------------------------------------------------------------

WORK = [
    ("e lm osin", "domestic_worker"),
    ("giúp việc nhà theo giờ", "domestic_worker"),
    ("mẹ bán hàng rong", "street_vendor"),
    ("chồng chạy grab", "ride_hailing"),
    ("chạy xe ôm ở bến xe", "ride_hailing"),
    ("bme làm ruộng", "farmer"),
    ("đi biển đánh cá", "fisher"),
    ("làm phụ hồ", "construction"),
    ("công nhân may", "factory_worker"),
    ("lm cty", "factory_worker"),
    ("e làm thời vụ", "seasonal"),
    ("đang thử việc", "probation"),
    ("em làm tự do", "freelance"),
    ("bán tạp hóa ở chợ", "trader"),
]


@pytest.mark.parametrize("text, kind", WORK)
def test_work(text, kind):
    assert [k for k, neg in _keys(text, "work") if not neg][:1] == [kind]


def test_work_flags():
    (m,) = find("e lm osin", ("work",))
    assert m.info["flags"] == {"domestic_work": True}
    (m,) = find("làm ruộng", ("work",))
    assert m.info["flags"]["farming"] is True


@pytest.mark.parametrize(
    "text, expected",
    [("có hợp đồng 1 năm", [("contract", False)]), ("không có hợp đồng", [("contract", True)]),
     ("ko ky hd", [("contract", True)]), ("làm miệng thôi", [("no_contract", False)])],
)
def test_contract(text, expected):
    assert _keys(text, "contract") == expected


@pytest.mark.parametrize(
    "text, expected",
    [("vợ e có bầu", [("pregnant", False)]), ("chưa có bầu", [("pregnant", True)]),
     ("mới sinh con tháng trước", [("gave_birth", False)])],
)
def test_events(text, expected):
    assert _keys(text, "event") == expected


# --- relatives and the writer ----------------------------------------------------------------------

KIN = [
    ("bà năm nay 68 tuổi", ("grandmother",), "female"),
    ("ba em năm nay 60", ("father",), "male"),
    ("bố e làm ruộng", ("father",), "male"),
    ("mẹ em bán hàng", ("mother",), "female"),
    ("me e 58t", ("mother",), "female"),
    ("mẹ chồng em", ("mother_in_law",), "female"),
    ("ck e chạy xe", ("husband",), "male"),
    ("vk e có bầu", ("wife",), "female"),
    ("con gái em 4 tuổi", ("daughter",), "female"),
    ("em gái mình", ("younger_sister",), "female"),
    ("ông ngoại 80 tuổi", ("grandfather",), "male"),
    ("bố mẹ em ở quê", ("parents",), None),
    ("ba em 60 tuoi", ("grandmother", "father"), None),  # no diacritics: bà or ba
]


@pytest.mark.parametrize("text, subjects, gender", KIN)
def test_kinship(text, subjects, gender):
    (m,) = find(text, ("kin",))
    assert tuple(sorted(m.candidates)) == tuple(sorted(subjects))
    assert m.info.get("gender") == gender


@pytest.mark.parametrize(
    "text",
    ["ba người", "ba tháng", "bo dong tu 2019", "ck cho e 500k", "vô làm công ty", "chỉ đóng bhyt thôi",
     "ông chủ không trả lương", "bà bầu được nghỉ mấy tháng", "có được không", "con 12 trieu thi sao"],
)
def test_ordinary_words_are_not_relatives(text):
    assert find(text, ("kin",)) == []


def test_self_words():
    assert [m.text for m in find("e muốn hỏi, mình 35t", ("self",))] == ["e", "mình"]


# --- tokens, spans, backends, timing ---------------------------------------------------------------


def test_teen_code_tokens():
    assert [t.norm for t in tokens("ko dc j, e mún hỏi")] == ["khong", "duoc", "gi", ",", "em", "muon", "hoi"]
    assert [t.norm for t in tokens("dạ vâng ạ")][-1] == "a"  # "ạ" is not "a" (anh)
    assert [t.norm for t in tokens("màu hồng")][-1] == "hong"  # "hồng" is not "hong" (không)


ALL_MESSAGES = [t for t, _ in PROVINCES] + [t for t, _ in GROUPS] + [t for t, _ in WORK] + [t for t, *_ in KIN]


@pytest.mark.parametrize("text", ALL_MESSAGES + ["Đóng BHXH ở Hà Nội 😀", "  nhà e 4 ng   o SG  ", "a" * 500])
def test_spans_are_exact(text):
    for m in find(text):
        assert text[m.start : m.end] == m.text and m.text.strip() == m.text


def test_phrase_matcher_is_used_and_plain_lookup_agrees():
    assert G.gazetteer().backend.name == "spacy"
    plain = Gazetteer(backend="plain")
    for text in ALL_MESSAGES:
        assert plain.match(text) == find(text), text


def test_build_and_match_are_fast():
    import spacy  # noqa: F401 - imported once per process anyway (Rasa loads it); not part of the build

    t0 = time.perf_counter()
    g = Gazetteer()
    build = time.perf_counter() - t0
    assert build < 3.0
    g.match("warm up")
    t0 = time.perf_counter()
    for _ in range(20):
        for text in ALL_MESSAGES:
            g.match(text)
    per_message_ms = (time.perf_counter() - t0) * 1000 / (20 * len(ALL_MESSAGES))
    assert per_message_ms < 5.0
    long_text = "thu nhap e tam 3 cu 1 thang, nha e 4 ng o Sông Bé, ko thuoc ho can ngheo, me e ban hang rong " * 3
    t0 = time.perf_counter()
    for _ in range(50):
        g.match(long_text)
    assert (time.perf_counter() - t0) * 1000 / 50 < 5.0
