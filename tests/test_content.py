"""The content layer refuses what a legal editor could get wrong, naming the file and line."""
import datetime as dt
import textwrap

import pytest

from knowledge import content, parameters
from knowledge.content import ContentError

DAY = dt.date(2026, 12, 1)


def _load(tmp_path, text, labels="group: {poor: hộ nghèo}\n"):
    (tmp_path / "labels.yaml").write_text(labels, encoding="utf-8")
    (tmp_path / "x.yaml").write_text(textwrap.dedent(text), encoding="utf-8")
    return content.load(tmp_path)


def test_the_real_content_loads():
    c = content.load()
    assert "vsi_contribution" in c.entries and "calc.vsi.result" in c.entries


def test_an_unknown_parameter_is_named_with_file_and_line(tmp_path):
    with pytest.raises(ContentError, match=r"x.yaml:4: a.text: unknown parameter 'base_salery'"):
        _load(tmp_path, """\
            a:
              text: |
                Dòng một.
                Lương cơ sở {{ p.base_salery | vnd }}.
            """)


def test_a_figure_typed_into_a_template_is_refused(tmp_path):
    with pytest.raises(ContentError, match=r"x.yaml:3: a.text: figure '22%'|figure '22'"):
        _load(tmp_path, """\
            a:
              text: |
                Mức đóng là 22% thu nhập.
            """)


def test_a_figure_typed_into_an_expression_is_refused(tmp_path):
    with pytest.raises(ContentError, match="figure 15 typed"):
        _load(tmp_path, """\
            a:
              text: |
                {% if p.pension_min_years > 15 %}nhiều{% endif %}
            """)
    with pytest.raises(ContentError, match="figure in the string"):
        _load(tmp_path, """\
            a:
              text: |
                {{ "5 năm" }}
            """)


def test_numbering_form_numbers_and_typing_examples_are_not_figures(tmp_path):
    c = _load(tmp_path, """\
        a:
          text: |
            1. Nộp tờ khai (Mẫu số 01) (ví dụ: 5/1980).
            2. Chờ {{ p.social_pension_procedure }} ngày.
        """)
    assert "Mẫu số 01" in content.render("a", DAY, source=c).text


def test_unknown_names_views_fields_labels_and_filters_are_refused(tmp_path):
    cases = [
        ("{{ x }}", "unknown name 'x'"),
        ("{{ r.minimum }}", "names no view"),
        ("{{ L.nope }}", "unknown label table 'nope'"),
        ("{{ p.base_salary | money }}", "unknown filter 'money'"),
        ("{{ 1 | label('nope') }}", "label needs a known table"),
    ]
    for body, message in cases:
        with pytest.raises(ContentError, match=message):
            _load(tmp_path, f"a:\n  text: |\n    {body}\n")
    with pytest.raises(ContentError, match="has no field 'minimun'"):
        _load(tmp_path, "a:\n  view: vsi_overview\n  text: |\n    {{ r.minimun }}\n")
    with pytest.raises(ContentError, match="unknown view"):
        _load(tmp_path, "a:\n  view: nope\n  text: |\n    x\n")
    with pytest.raises(ContentError, match="cites: unknown parameter"):
        _load(tmp_path, "a:\n  cites: [nope]\n  text: |\n    x\n")


def test_a_main_text_over_the_budget_is_refused(tmp_path):
    long_line = "Một câu rất dài cho điện thoại. " * 25
    with pytest.raises(ContentError, match="over the budget of 600: put the rest under 'more'"):
        _load(tmp_path, f"a:\n  text: |\n    {long_line}\n")
    c = _load(tmp_path, f"a:\n  text: |\n    Ngắn.\n  more: |\n    {long_line}\n")
    assert content.render("a", DAY, source=c).more


def test_rendering_records_the_facts_shown_and_cited():
    r = content.render("wage_arrears", DAY)
    names = [f.name for f in r.facts]
    assert "dispute_time_limits" in names and "legal_aid_law" in names  # shown, and cited by `cites:`
    assert all(parameters.get(f.name, DAY) == f for f in r.facts)


def test_every_answer_is_within_the_budget_as_rendered():
    c = content.content()
    for day in (dt.date(2026, 6, 30), DAY, dt.date(2027, 1, 1)):
        for key, entry in c.entries.items():
            if key.startswith(("error.", "basis.")):
                continue
            for inputs in entry.variants or ({},):
                r = content.render(key, day, inputs)
                assert len(r.text) <= content.MAIN_TEXT_BUDGET, (key, day, len(r.text))
                assert len(r.more) <= content.MORE_TEXT_BUDGET, (key, day, len(r.more))
