"""Legal references: one document per reference, each article with the document it belongs to.

Covers the strict loader (what it refuses, and that the message names file and parameter), the grouping
of citations per document (knowledge/citations.py), contact facts never shown as a legal basis, and the
citations the 2026-12 legal audit found misattributed.
"""
import datetime as dt
import re

import pytest

from knowledge import __main__ as cli
from knowledge import compose
from knowledge import citations, content, parameters
from knowledge.parameters import Fact, Reference

DAY = dt.date(2026, 11, 25)

HEADER = "x:\n  description: d\n  label: l\n  unit: u\n  status: verified\n  values: {2025-01-01: 1}\n"
GOOD_REF = (
    "    - document: Luật Bảo hiểm xã hội 41/2024/QH15\n"
    "      articles: [Điều 32 khoản 2, Điều 36 khoản 1]\n"
    "      href: https://example.org/luat-41\n"
)


def _load(tmp_path, references: str, extra: str = ""):
    (tmp_path / "bad.yaml").write_text(HEADER + extra + "  references:\n" + references, encoding="utf-8")
    return parameters.load(tmp_path)


def _refused(tmp_path, references: str, extra: str = "") -> str:
    with pytest.raises(parameters.ParameterError) as err:
        _load(tmp_path, references, extra)
    message = str(err.value)
    assert "bad.yaml:x" in message, message  # names the file and the parameter
    return message


def _ref(document="Luật Bảo hiểm xã hội 41/2024/QH15", articles="[Điều 1]", href="https://example.org/a"):
    """One reference in YAML; a field given as None is left out."""
    fields = [("document", document), ("articles", articles), ("href", href)]
    lines = [f"{key}: {val}" for key, val in fields if val is not None]
    return "    - " + "\n      ".join(lines) + "\n"


# --- The loader --------------------------------------------------------------------------------------

def test_new_format_loads(tmp_path):
    p = _load(tmp_path, GOOD_REF)["x"]
    (r,) = p.references
    assert r == Reference(
        document="Luật Bảo hiểm xã hội 41/2024/QH15",
        articles=("Điều 32 khoản 2", "Điều 36 khoản 1"),
        href="https://example.org/luat-41",
    )
    assert r.citation == "Luật Bảo hiểm xã hội 41/2024/QH15, Điều 32 khoản 2, Điều 36 khoản 1"
    fact = p.at(dt.date(2025, 6, 1))
    assert fact.kind == "rule" and not fact.is_contact
    assert fact.basis == r.citation


@pytest.mark.parametrize(
    "reference, words",
    [
        (_ref(document=None), "no 'document'"),
        (_ref(articles=None), "no 'articles'"),
        (_ref(articles="[]"), "no 'articles'"),
        (_ref(href=None), "no 'href'"),
    ],
    ids=["no document", "no articles", "empty articles", "no href"],
)
def test_loader_refuses_a_missing_field(tmp_path, reference, words):
    assert words in _refused(tmp_path, reference)


@pytest.mark.parametrize(
    "document",
    [
        "Luật Dân số 113/2025/QH15; Nghị định 168/2026/NĐ-CP",
        "Luật Trợ giúp pháp lý 11/2017/QH14; Nghị định 144/2017/NĐ-CP",
        "Luật Bảo hiểm y tế (sửa đổi 2024) Điều 12 khoản 4; Nghị định 188/2025/NĐ-CP",
        "Luật Bảo hiểm y tế (sửa đổi bởi Luật 51/2024/QH15)",
        "Nghị định 07/2021/NĐ-CP (kéo dài đến hết 2026 theo Nghị định 351/2025/NĐ-CP)",
        "Bộ luật Lao động 45/2019/QH14 và Thông tư 10/2020/TT-BLĐTBXH",
        "Quyết định 1/2025/QĐ-TTg, Nghị quyết 2/2025/NQ-CP",
    ],
)
def test_loader_refuses_a_document_naming_two_documents(tmp_path, document):
    assert "more than one document" in _refused(tmp_path, _ref(document=document))


@pytest.mark.parametrize(
    "article",
    [
        "mức hỗ trợ (Nghị định)",
        "quy định ngưỡng chi phí (theo Luật BHYT Điều 22)",
        "kênh hỗ trợ chính thức",
        "chuẩn nghèo giai đoạn 2027–2030",
        "Art. 29",
        "điều 29",
    ],
)
def test_loader_refuses_an_article_that_is_not_an_article(tmp_path, article):
    assert "must start with" in _refused(tmp_path, _ref(articles=f'["{article}"]'))


@pytest.mark.parametrize(
    "article",
    [
        "Điều 12 khoản 4 (Luật)",
        "Điều 29 (sửa đổi Điều 139 khoản 1 Bộ luật Lao động)",
        "Điều 3 Nghị định 07/2021/NĐ-CP",
        "Điều 22 Luật BHYT",
        "Điều 5 (NĐ 159)",
        "Điều 3 của 73/2024/NĐ-CP",
    ],
)
def test_loader_refuses_an_article_naming_a_document(tmp_path, article):
    assert "names a document" in _refused(tmp_path, _ref(articles=f'["{article}"]'))


def test_loader_refuses_an_article_list_naming_a_document_first(tmp_path):
    # "Luật BHYT Điều 22" starts with a document: refused whichever rule catches it first.
    _refused(tmp_path, _ref(articles='["Luật BHYT Điều 22"]'))


@pytest.mark.parametrize("article", ["Khoản 2 Điều 3", "Phụ lục I", "Chương II", "Mục 3", "Điều 24–26"])
def test_loader_accepts_the_parts_of_a_document(tmp_path, article):
    (r,) = _load(tmp_path, _ref(articles=f'["{article}"]'))["x"].references
    assert r.articles == (article,)


def test_loader_refuses_the_old_format_and_a_string_of_articles(tmp_path):
    old = "    - basis: Luật A\n      article: Điều 1\n      href: https://example.org\n"
    assert "old reference format" in _refused(tmp_path, old)
    assert "must be a list" in _refused(tmp_path, _ref(articles='"Điều 1, Điều 2"'))


def test_loader_refuses_an_unknown_kind(tmp_path):
    assert "kind must be one of" in _refused(tmp_path, GOOD_REF, extra="  kind: hotline\n")


def test_a_contact_needs_no_articles_but_a_rule_does(tmp_path):
    publisher = _ref(document="Bảo hiểm xã hội Việt Nam", articles=None, href="https://baohiemxahoi.gov.vn")
    fact = _load(tmp_path, publisher, extra="  kind: contact\n")["x"].at(dt.date(2025, 6, 1))
    assert fact.is_contact and fact.kind == "contact"
    assert fact.references[0].articles == ()
    assert "no 'articles'" in _refused(tmp_path, publisher)


# --- Grouping per document ---------------------------------------------------------------------------

def _fact(name, refs, since=dt.date(2025, 7, 1), kind="rule"):
    return Fact(name, 1, "u", "l", since, None, tuple(refs), kind=kind)


LAW = "Law A 1/2024"
DECREE = "Decree B 2/2025"


def test_documents_group_merge_and_keep_first_seen_order():
    f1 = _fact("a", [Reference(LAW, ("Art 3", "Art 1"), "https://law")], dt.date(2025, 7, 1))
    f2 = _fact("b", [Reference(DECREE, ("Art 5",), "https://decree"), Reference(LAW, ("Art 1", "Art 9"), "https://law2")],
               dt.date(2026, 1, 1))
    f3 = _fact("c", [Reference(DECREE, ("Art 5", "Art 6"), "https://decree")], dt.date(2025, 8, 1))
    docs = citations.documents([f1, f2, f3])
    assert [d.document for d in docs] == [LAW, DECREE]
    law, decree = docs
    assert law.articles == ("Art 3", "Art 1", "Art 9")
    assert decree.articles == ("Art 5", "Art 6")
    assert law.href == "https://law"  # first seen
    assert law.since == dt.date(2026, 1, 1) and decree.since == dt.date(2026, 1, 1)
    assert law.citation == "Law A 1/2024, Art 3, Art 1, Art 9"
    assert citations.effective_from([f1, f2, f3]) == dt.date(2026, 1, 1)


def test_documents_since_is_per_document():
    f1 = _fact("a", [Reference(LAW, ("Art 1",), "https://law")], dt.date(2025, 7, 1))
    f2 = _fact("b", [Reference(DECREE, ("Art 5",), "https://decree")], dt.date(2026, 1, 1))
    law, decree = citations.documents([f1, f2])
    assert law.since == dt.date(2025, 7, 1) and decree.since == dt.date(2026, 1, 1)


def test_a_whole_article_or_range_absorbs_its_parts():
    f1 = _fact("a", [Reference(LAW, ("Art 24–26", "Art 102 clause 2–3 (x)", "Art 10"), "https://law")])
    f2 = _fact("b", [Reference(LAW, ("Art 26", "Art 25 clause 1", "Art 102", "Art 1", "Art 27"), "https://law")])
    (law,) = citations.documents([f1, f2])
    assert law.articles == ("Art 24–26", "Art 10", "Art 102", "Art 1", "Art 27")


def test_contact_facts_are_never_a_legal_basis():
    hotline = _fact("hotline", [Reference("Publisher", (), "https://publisher")], dt.date(2027, 1, 1), kind="contact")
    rule = _fact("rule", [Reference(LAW, ("Art 1",), "https://law")], dt.date(2025, 7, 1))
    assert [d.document for d in citations.documents([hotline, rule])] == [LAW]
    assert citations.effective_from([hotline, rule]) == dt.date(2025, 7, 1)
    assert citations.documents([hotline]) == []
    assert citations.main_document([hotline]) is None
    assert citations.effective_from([hotline]) is None
    assert compose.short_basis([hotline], DAY) == ""
    line = compose.short_basis([hotline, rule], DAY)
    assert "Publisher" not in line and line == "📘 Căn cứ: Law A 1/2024, Art 1. Áp dụng từ 01/07/2025."


def test_main_document_is_cited_by_most_facts_ties_first_seen():
    law = Reference(LAW, ("Art 1",), "https://law")
    decree = Reference(DECREE, ("Art 2",), "https://decree")
    hotline = _fact("h", [Reference(DECREE, (), "https://x")] * 3, kind="contact")
    assert citations.main_document([_fact("a", [law]), _fact("b", [decree]), _fact("c", [decree])]).document == DECREE
    assert citations.main_document([_fact("a", [law]), _fact("b", [decree])]).document == LAW
    assert citations.main_document([_fact("a", [law]), hotline, _fact("b", [decree, law])]).document == LAW
    assert citations.main_document([]) is None


def test_basis_line_has_one_entry_per_document():
    f1 = _fact("a", [Reference(LAW, ("Art 1",), "https://law")], dt.date(2025, 7, 1))
    f2 = _fact("b", [Reference(DECREE, ("Art 5",), "https://decree"), Reference(LAW, ("Art 2",), "https://law")],
               dt.date(2026, 1, 1))
    assert compose.short_basis([f1, f2], DAY) == (
        "📘 Căn cứ: Law A 1/2024, Art 1, Art 2 và văn bản khác. Áp dụng từ 01/01/2026."
    )
    assert compose.full_basis([f1, f2], DAY).split("\n")[1:] == [
        "• Law A 1/2024: Art 1, Art 2 (áp dụng từ 01/01/2026)",
        "• Decree B 2/2025: Art 5 (áp dụng từ 01/01/2026)",
    ]


# --- The real parameter files ------------------------------------------------------------------------

def _docs(*names, on=DAY):
    return {d.document: d.articles for d in citations.documents([parameters.get(n, on) for n in names])}


def test_second_child_maternity_cites_article_29_with_the_population_law():
    docs = _docs("maternity_leave_second_child_months")
    assert docs["Luật Dân số 113/2025/QH15"] == ("Điều 29",)
    assert not any("Điều 29" in a for d, arts in docs.items() if d.startswith("Nghị định 168/2026") for a in arts)
    line = compose.full_basis([parameters.get("maternity_leave_second_child_months", DAY)], DAY)
    assert "Nghị định 168/2026/NĐ-CP: Điều 29" not in line
    assert "Luật Dân số 113/2025/QH15: Điều 29" in line


def test_legal_aid_articles_7_and_27_are_the_laws_article_2_the_decrees():
    docs = _docs("legal_aid_law")
    assert docs["Luật Trợ giúp pháp lý 11/2017/QH14"] == ("Điều 2", "Điều 7", "Điều 27")
    assert docs["Nghị định 144/2017/NĐ-CP"] == ("Điều 2",)
    line = compose.full_basis([parameters.get("legal_aid_law", DAY)], DAY)
    assert "Nghị định 144/2017/NĐ-CP: Điều 2, Điều 7" not in line
    assert "• Luật Trợ giúp pháp lý 11/2017/QH14: Điều 2, Điều 7, Điều 27 (" in line
    assert "• Nghị định 144/2017/NĐ-CP: Điều 2 (" in line


def test_health_support_law_article_sits_with_the_law():
    docs = _docs("hi_state_support")
    (law,) = [d for d in docs if d.startswith("Luật Bảo hiểm y tế")]
    assert "Điều 12 khoản 4" in docs[law]
    assert not any("(Luật)" in a or "Nghị định" in a for arts in docs.values() for a in arts)
    assert not any(d.startswith("Nghị định 188/2025") and any(a.startswith("Điều 12") for a in arts)
                   for d, arts in docs.items())
    line = compose.full_basis([parameters.get("hi_state_support", DAY)], DAY)
    assert "Nghị định 188/2025/NĐ-CP, Điều 12" not in line and "(Luật)" not in line


def test_who_must_join_unemployment_insurance_is_the_employment_law():
    fact = parameters.get("ui_compulsory_contract_months", DAY)
    assert fact.value == 1
    assert fact.effective_from == dt.date(2026, 1, 1)
    assert not fact.uncertain and not fact.caution
    assert _docs("ui_compulsory_contract_months") == {"Luật Việc làm 74/2025/QH15": ("Điều 31",)}
    with pytest.raises(parameters.NotInForce):
        parameters.get("ui_compulsory_contract_months", dt.date(2025, 12, 31))


def test_the_hotline_is_a_contact_and_never_cited():
    hotline = parameters.get("vss_hotline", DAY)
    assert hotline.is_contact
    assert citations.documents([hotline]) == []
    contacts = [n for n, p in parameters.load().items() if p.kind == "contact"]
    assert contacts == ["vss_hotline"]


WRONG = [
    "Nghị định 168/2026/NĐ-CP, Điều 29",
    "Nghị định 144/2017/NĐ-CP, Điều 2, Điều 7",
    "(Luật)",
    "(Nghị định)",
    "Tổng đài chăm sóc khách hàng",
    "Bảo hiểm xã hội Việt Nam",  # the hotline's publisher is not a legal basis
]


@pytest.mark.parametrize("day", [dt.date(2026, 6, 30), DAY, dt.date(2027, 1, 1)])
def test_no_answer_footer_repeats_a_misattributed_citation(day):
    for key, entry in content.content().entries.items():
        if entry.view and not entry.variants and key.startswith(("calc.", "error.")):
            continue
        for inputs in entry.variants or ({},):
            try:
                rendered = content.render(key, day, inputs)
            except Exception:  # entries that need inputs (errors, prompts) are rendered by other tests
                continue
            for line in (compose.short_basis(rendered.facts, day), compose.full_basis(rendered.facts, day)):
                for wrong in WRONG:
                    assert wrong not in line, (key, wrong, line)
            # every citation sits inside one document entry: "• <document>: <articles> (...)"
            for row in compose.full_basis(rendered.facts, day).split("\n")[1:]:
                assert len(parameters.DOCUMENT_TYPE.findall(row.split(":")[0])) == 1, (key, row)


def test_every_parameter_loads_with_well_formed_references():
    registry = parameters.load()
    assert "ui_compulsory_contract_months" in registry
    spellings = {}
    for name, p in registry.items():
        assert p.kind in parameters.KINDS, name
        assert p.references, name
        for start, value in p.values:
            if value is not None:
                fact = p.at(start)
                assert fact.kind == p.kind
        for r in p.references:
            assert r.href.startswith(("http://", "https://")), (name, r.href)
            assert ";" not in r.document and len(parameters.DOCUMENT_TYPE.findall(r.document)) <= 1, name
            if p.kind == "rule":
                assert r.articles or r.note, name
                assert len(parameters.DOCUMENT_TYPE.findall(r.document)) == 1, (name, r.document)
            for a in r.articles:
                assert parameters.ARTICLE_START.match(a) and not parameters.DOCUMENT_IN_ARTICLE.search(a), (name, a)
            number = re.search(r"\d+/\d{4}/\S+", r.document)
            if number:
                spellings.setdefault(number.group(), set()).add(r.document)
    # one spelling per document, so that grouping per document works across files
    assert {n: s for n, s in spellings.items() if len(s) > 1} == {}


def test_check_passes_on_the_real_files_and_fails_on_a_bad_address(tmp_path, monkeypatch, capsys):
    assert cli.check(DAY, 90) == 0
    _load(tmp_path, _ref(href="www.example.org"))  # loads: the address is checked by `check`
    real_load = parameters.load
    monkeypatch.setattr(parameters, "load", lambda: real_load(tmp_path))
    assert cli.check(DAY, 90) == 1
    assert "not an http(s) address" in capsys.readouterr().out
