"""Parameters added in the 2026-12 round, and the loader rule for a reference that cites no article.

A rule's reference may say ``articles: []`` only with a ``note:`` saying why no article is cited (a
resolution cited as a whole, an article the sources do not give); every other refusal of the loader stays.
Each new parameter is checked for its value on 2026-12-01 and for the documents and articles it cites.
"""
import datetime as dt
import json
from pathlib import Path

import pytest

from knowledge import citations, parameters

DAY = dt.date(2026, 12, 1)
PROVINCES = Path(__file__).resolve().parents[1] / "knowledge" / "data" / "provinces.json"

LAW_41 = "Luật Bảo hiểm xã hội 41/2024/QH15"
LABOUR_CODE = "Bộ luật Lao động 45/2019/QH14"
LABOUR_CODE_HREF = "https://github.com/th982982982-crypto/KKhome/blob/487cd49/src/legal-docs/blld-45/index.html"
HI_LAW = "Luật Bảo hiểm y tế 25/2008/QH12 (sửa đổi 2024)"
HI_LAW_HREF = "https://datafiles.chinhphu.vn/cpp/files/vbpq/2025/01/luat51.pdf"
EMPLOYMENT_LAW = "Luật Việc làm 74/2025/QH15"

SIX = ["Hà Nội", "TP Hồ Chí Minh", "Hải Phòng", "Đà Nẵng", "Huế", "Cần Thơ"]


# --- The loader: articles: [] only with a note --------------------------------------------------------

# The strict loader's helpers: load a one-parameter file; a refusal names the file and the parameter.
from tests.test_references import _load, _refused  # noqa: E402


RESOLUTION = "    - document: Nghị quyết 202/2025/QH15\n      href: https://example.org/nq202\n"


def test_an_empty_article_list_with_a_note_is_accepted(tmp_path):
    ref = RESOLUTION + "      articles: []\n      note: the resolution as a whole; article not read\n"
    p = _load(tmp_path, ref)["x"]
    (r,) = p.references
    assert r.articles == ()
    assert r.note == "the resolution as a whole; article not read"
    assert r.citation == "Nghị quyết 202/2025/QH15"  # the document alone
    fact = p.at(dt.date(2025, 6, 1))
    assert fact.kind == "rule" and fact.basis == "Nghị quyết 202/2025/QH15"
    (doc,) = citations.documents([fact])
    assert doc.document == "Nghị quyết 202/2025/QH15" and doc.articles == ()


@pytest.mark.parametrize(
    "reference",
    [
        RESOLUTION + "      articles: []\n",
        RESOLUTION + "      articles: []\n      note: ''\n",
        RESOLUTION + "      articles: []\n      note: '   '\n",
        RESOLUTION + "      articles: []\n      note:\n",
        RESOLUTION + "      note: the resolution as a whole\n",  # a note alone: the empty list must be said
        RESOLUTION + "      articles:\n      note: the resolution as a whole\n",
        RESOLUTION + "      articles: ''\n      note: the resolution as a whole\n",
    ],
    ids=["empty, no note", "empty note", "blank note", "null note", "no articles key", "null articles", "empty string"],
)
def test_an_empty_article_list_without_a_note_is_refused(tmp_path, reference):
    assert "no 'articles'" in _refused(tmp_path, reference)


def test_a_note_does_not_lift_the_other_refusals(tmp_path):
    note = "      note: the resolution as a whole\n"
    two = "    - document: Nghị quyết 30/2026/QH16; Nghị quyết 36/2026/QH16\n      articles: []\n" + note
    assert "more than one document" in _refused(tmp_path, two + "      href: https://example.org\n")
    assert "no 'href'" in _refused(tmp_path, "    - document: Nghị quyết 30/2026/QH16\n      articles: []\n" + note)
    assert "no 'document'" in _refused(tmp_path, "    - articles: []\n      href: https://example.org\n" + note)
    bad_article = RESOLUTION + "      articles: [Điều 1 Nghị quyết 202/2025/QH15]\n" + note
    assert "names a document" in _refused(tmp_path, bad_article)
    assert "must start with" in _refused(tmp_path, RESOLUTION + "      articles: [toàn văn]\n" + note)
    assert "must be a list" in _refused(tmp_path, RESOLUTION + "      articles: Điều 1\n" + note)
    assert "unknown keys" in _refused(tmp_path, RESOLUTION + "      articles: []\n      why: x\n" + note)


def test_a_contact_still_needs_no_articles_and_no_note(tmp_path):
    publisher = "    - document: Bảo hiểm xã hội Việt Nam\n      href: https://baohiemxahoi.gov.vn\n"
    fact = _load(tmp_path, publisher, extra="  kind: contact\n")["x"].at(dt.date(2025, 6, 1))
    assert fact.is_contact and fact.references[0].articles == ()


def test_every_real_reference_without_articles_says_why():
    for name, p in parameters.load().items():
        if p.kind != "rule":
            continue
        for r in p.references:
            assert r.articles or r.note, (name, r.document)


# --- The new parameters -------------------------------------------------------------------------------

def _docs(fact):
    return {r.document: r.articles for r in fact.references}


def test_centrally_run_cities_by_day():
    before = parameters.get("centrally_run_cities", dt.date(2026, 4, 29))
    assert before.value == SIX
    assert not before.uncertain and not before.caution
    assert list(_docs(before)) == ["Nghị quyết 202/2025/QH15"]

    dong_nai = parameters.get("centrally_run_cities", dt.date(2026, 4, 30))
    assert dong_nai.value == SIX + ["Đồng Nai"]
    assert dong_nai.effective_from == dt.date(2026, 4, 30)
    assert not dong_nai.uncertain and not dong_nai.caution
    assert list(_docs(dong_nai)) == ["Nghị quyết 202/2025/QH15", "Nghị quyết 30/2026/QH16"]

    quang_ninh = parameters.get("centrally_run_cities", dt.date(2026, 9, 1))
    assert quang_ninh.value == SIX + ["Đồng Nai", "Quảng Ninh"]
    assert "Bắc Ninh" not in quang_ninh.value
    assert not quang_ninh.uncertain and not quang_ninh.caution
    assert "Nghị quyết 36/2026/QH16" in _docs(quang_ninh)

    assert parameters.get("centrally_run_cities", dt.date(2025, 7, 1)).value == SIX
    with pytest.raises(parameters.NotInForce):
        parameters.get("centrally_run_cities", dt.date(2025, 6, 30))


def test_centrally_run_cities_on_2026_12_01_bac_ninh_is_uncertain():
    fact = parameters.get("centrally_run_cities", DAY)
    assert fact.value == SIX + ["Đồng Nai", "Quảng Ninh", "Bắc Ninh"]
    assert fact.effective_from == dt.date(2026, 10, 1)
    assert fact.uncertain
    assert "Bắc Ninh" in fact.caution and "chưa được xác minh" in fact.caution
    assert "anh/chị" in fact.caution.lower() and "1900 9068" in fact.caution and "BHXH" in fact.caution
    refs = {r.document: r for r in fact.references}
    assert len(refs) == 4
    for r in refs.values():
        assert r.articles == () and r.note  # no article given by the sources: said why
    assert refs["Nghị quyết 30/2026/QH16"].valid_from == dt.date(2026, 4, 30)
    assert refs["Nghị quyết 36/2026/QH16"].valid_from == dt.date(2026, 9, 1)
    bac_ninh = [r for d, r in refs.items() if "Bắc Ninh" in d]
    assert len(bac_ninh) == 1 and "docid=219328" in bac_ninh[0].href
    assert bac_ninh[0].valid_from == dt.date(2026, 10, 1)


def test_centrally_run_city_names_are_the_provinces_file_names():
    names = {p["province"] for p in json.loads(PROVINCES.read_text(encoding="utf-8"))["provinces"]}
    for start, cities in parameters.registry()["centrally_run_cities"].values:
        assert set(cities) <= names, (start, set(cities) - names)
        assert len(set(cities)) == len(cities)


def test_pregnancy_dismissal_protection():
    fact = parameters.get("pregnancy_dismissal_protection", DAY)
    assert fact.value == {"child_under_months": 12}
    assert not fact.uncertain
    assert _docs(fact) == {LABOUR_CODE: ("Điều 137 khoản 3",)}
    assert fact.sources == [LABOUR_CODE_HREF]


def test_pregnancy_work_protection():
    fact = parameters.get("pregnancy_work_protection", DAY)
    assert fact.value == {
        "no_overtime_from_month": 7,
        "no_overtime_from_month_remote": 6,
        "child_under_months": 12,
        "daily_break_minutes": 60,
    }
    assert not fact.uncertain
    assert _docs(fact) == {LABOUR_CODE: ("Điều 137 khoản 1, khoản 4",)}
    assert fact.sources == [LABOUR_CODE_HREF]


def test_compulsory_si_exclusions():
    fact = parameters.get("compulsory_si_exclusions", DAY)
    assert fact.value == {"domestic_workers": True}
    assert not fact.uncertain
    assert "Điều 2 khoản 7 điểm b" in _docs(fact)[LAW_41]
    assert parameters.registry()["compulsory_si_exclusions"].description == (
        "Domestic workers are excluded from compulsory SI and may join voluntary SI."
    )


def test_ui_exclusions():
    fact = parameters.get("ui_exclusions", DAY)
    assert fact.value == {
        "probation": True,
        "domestic_workers": True,
        "pensioners": True,
        "self_employed": True,
        "voluntary_si_only": True,
    }
    assert not fact.uncertain
    assert _docs(fact) == {EMPLOYMENT_LAW: ("Điều 31",)}
    with pytest.raises(parameters.NotInForce):
        parameters.get("ui_exclusions", dt.date(2025, 12, 31))


def test_hi_no_top_up_on_base_rise_is_uncertain():
    fact = parameters.get("hi_no_top_up_on_base_rise", DAY)
    assert fact.value == {"top_up": False}
    assert fact.uncertain
    assert "188/2025" in fact.caution and "1900 9068" in fact.caution and "anh/chị" in fact.caution.lower()
    docs = _docs(fact)
    assert docs["Nghị định 146/2018/NĐ-CP"] == ("Điều 10 khoản 3",)
    assert docs["Thông tư 81/2025/TT-BCA"] == ()
    (tt81,) = [r for r in fact.references if r.document.startswith("Thông tư 81/2025")]
    assert tt81.note and tt81.valid_from == dt.date(2025, 10, 13)


def test_hi_supported_may_choose_household():
    fact = parameters.get("hi_supported_may_choose_household", DAY)
    assert fact.value == {"may_choose": True}
    assert not fact.uncertain
    assert _docs(fact) == {HI_LAW: ("Điều 13 khoản 5 điểm e",)}
    assert fact.sources == [HI_LAW_HREF]


def test_hi_state_support_gains_two_keys_and_keeps_the_others():
    fact = parameters.get("hi_state_support", DAY)
    assert fact.value == {
        "full": 1.0,
        "child_under_age": 6,
        "near_poor": 0.7,
        "student": 0.5,
        "farm_average_living": 0.3,
        "poor_household": 1.0,
        "near_poor_poor_commune": 1.0,
    }
    assert "Điều 12 khoản 3" in _docs(fact)[HI_LAW]


def test_hi_household_counts_uncovered_only_is_uncertain():
    fact = parameters.get("hi_household_counts_uncovered_only", DAY)
    assert fact.value == {"covered_elsewhere_counted": False}
    assert fact.uncertain
    assert "1900 9068" in fact.caution and "anh/chị" in fact.caution.lower()
    assert _docs(fact) == {HI_LAW: ("Điều 13 khoản 6",)}
    (ref,) = fact.references
    assert ref.href == HI_LAW_HREF and "uncertain" in ref.note.lower()


def test_vsi_monthly_allowance_art23():
    fact = parameters.get("vsi_monthly_allowance_art23", DAY)
    assert fact.value == {"until_social_pension_age": True}
    assert not fact.uncertain
    assert _docs(fact) == {LAW_41: ("Điều 23–24",)}


def test_base_salary_before_and_after_decree_161():
    after = parameters.get("base_salary", DAY)
    assert after.value == 2530000 and after.effective_from == dt.date(2026, 7, 1)
    assert _docs(after) == {"Nghị định 161/2026/NĐ-CP": ("Điều 3 khoản 2",)}
    before = parameters.get("base_salary", dt.date(2026, 6, 30))
    assert before.value == 2340000 and before.effective_from == dt.date(2024, 7, 1)
    assert before.effective_to == dt.date(2026, 6, 30)
    assert list(_docs(before)) == ["Nghị định 73/2024/NĐ-CP"]


@pytest.mark.parametrize(
    "name",
    [
        "centrally_run_cities",
        "pregnancy_dismissal_protection",
        "pregnancy_work_protection",
        "compulsory_si_exclusions",
        "ui_exclusions",
        "hi_no_top_up_on_base_rise",
        "hi_supported_may_choose_household",
        "hi_household_counts_uncovered_only",
        "vsi_monthly_allowance_art23",
    ],
)
def test_new_parameters_are_complete(name):
    p = parameters.registry()[name]
    assert p.description and p.label and p.unit and p.status in parameters.STATUSES and p.values
    assert p.kind == "rule" and p.references
    for r in p.references:
        assert r.href.startswith("https://"), (name, r.href)
        assert len(parameters.DOCUMENT_TYPE.findall(r.document)) == 1, (name, r.document)
    if p.status == "uncertain" or p.uncertain_from:
        assert p.caution and "1900 9068" in p.caution, name
