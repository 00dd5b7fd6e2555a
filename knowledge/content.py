"""Answer content: the Vietnamese text of every answer, as YAML files of Jinja2 templates.

A legal editor changes ``knowledge/content/*.yaml`` without touching Python. Each entry is one answer
(or one calculator's prompts, result and error messages) and may use only these names:

- ``p.NAME``: the value of parameter NAME in force on the day asked (``knowledge/parameters/``);
- ``since.NAME``: the day that value took effect (dd/mm/yyyy); ``in_force.NAME``: whether it is in force;
- ``upcoming.NAME``: the next value of NAME if it changes within a year (``.value``, ``.since``), else None;
- ``r.FIELD``: a field of the data its ``view`` (a pure function in ``knowledge/views.py`` or a
  calculator) returns: the entry must name the view, and FIELD must be one the view's result declares;
- ``i.NAME``: what the user said (calculator inputs, entity values);
- ``L.SECTION``: a table of labels (``knowledge/content/labels.yaml``): group names, periods...
- filters ``vnd``, ``percent``, ``num``, ``age`` and ``duration`` (months), ``join_vi``, ``date``, ``label``.

An entry may also list ``cites:``: parameters that back a statement without a figure (free legal aid
rests on the Legal Aid Law), so the legal-basis footer names them.

Everything is checked when the content loads, without rendering: an unknown name, parameter, view
field or label section, a figure typed into the text (digits belong in ``knowledge/parameters/``), or a
main text over the length budget is a :class:`ContentError` naming the file and line.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import re
import typing
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

import jinja2
import yaml
from jinja2 import meta, nodes

from knowledge import parameters as P
from knowledge.money import date_vi, format_number, percent, vnd

CONTENT_DIR = Path(__file__).with_name("content")
# The main text of an answer: about what fits on a phone screen. The rest goes behind "Xem thêm".
MAIN_TEXT_BUDGET = 600
MORE_TEXT_BUDGET = 900
# A rendered expression counts this many characters in the load-time length estimate.
EXPRESSION_ALLOWANCE = 10
NAMESPACES = {"p", "since", "in_force", "upcoming", "r", "i", "L"}
ENTRY_KEYS = {"text", "more", "view", "variants", "cites", "note"}
# Digits allowed in the static text of a template: list numbering at the start of a line, form numbers,
# and examples of how to type an answer, in brackets: "(ví dụ: 5/1980)".
ALLOWED_DIGITS = re.compile(r"(?m)^\s*\d+[.)](?=\s)|Mẫu số \d+|\(ví dụ: [^)]*\)")


class ContentError(ValueError):
    """A content file is wrong; the message names the file and line."""


def _age(months: int) -> str:
    years, rest = divmod(int(months), 12)
    return f"{years} tuổi" + (f" {rest} tháng" if rest else "")


def _duration(months: int) -> str:
    """Months as people say them: 12 -> '1 năm', 18 -> '1 năm 6 tháng', 5 -> '5 tháng'."""
    years, rest = divmod(int(months), 12)
    parts = ([f"{years} năm"] if years else []) + ([f"{rest} tháng"] if rest or not years else [])
    return " ".join(parts)


def _num(x: Any) -> str:
    """1.5 -> '1,5', 2.0 -> '2', 12000 -> '12.000'."""
    f = float(x)
    return format_number(int(f)) if f.is_integer() else f"{f:g}".replace(".", ",")


def _join_vi(items: Iterable[Any], last: str = "và") -> str:
    items = [str(x) for x in items]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {last} " + items[-1]


def _date(day: Any) -> str:
    """A date (or an ISO string from a parameter) as dd/mm/yyyy."""
    return date_vi(day if isinstance(day, dt.date) else dt.date.fromisoformat(str(day)))


@jinja2.pass_context
def _label(ctx: Any, value: Any, table: str) -> str:
    """``value | label("period")``: the label of a value; a table's ``other`` entry formats the rest."""
    labels = ctx["L"][table]
    if value in labels:
        return labels[value]
    if str(value) in labels:
        return labels[str(value)]
    return labels["other"].format(value)


FILTERS: Dict[str, Callable] = {
    "label": _label,
    "vnd": vnd,
    "percent": percent,
    "num": _num,
    "age": _age,
    "duration": _duration,
    "join_vi": _join_vi,
    "date": _date,
}


def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters.update(FILTERS)
    return env


ENV = environment()


# --- views: pure functions whose data an entry shows ----------------------------------------------

Views = Dict[str, Callable[..., Any]]


def view_fields(fn: Callable[..., Any]) -> Optional[frozenset]:
    """Names a view's result declares (dataclass fields and properties); None when it declares none."""
    hints = typing.get_type_hints(fn)
    result = hints.get("return")
    if result is None or not dataclasses.is_dataclass(result):
        return None
    names = {f.name for f in dataclasses.fields(result)}
    names |= {n for n, v in vars(result).items() if isinstance(v, property)}
    for base in result.__mro__[1:]:
        names |= {n for n, v in vars(base).items() if isinstance(v, property)}
    return frozenset(names)


# --- loading and validation -------------------------------------------------------------------------

@dataclass(frozen=True)
class Template:
    entry: str
    part: str
    file: str
    line: int  # line in the file where the template's first line is
    source: str
    compiled: jinja2.Template = field(repr=False, compare=False)
    parameters: frozenset = frozenset()


@dataclass(frozen=True)
class Entry:
    """One answer (or one calculator message) as written in a content file."""

    key: str
    file: str
    line: int
    parts: Mapping[str, Template]
    view: Optional[str] = None
    variants: Tuple[Mapping[str, Any], ...] = ()
    cites: Tuple[str, ...] = ()

    @property
    def text(self) -> Template:
        return self.parts["text"]

    @property
    def more(self) -> Optional[Template]:
        return self.parts.get("more")

    @property
    def parameters(self) -> frozenset:
        return frozenset().union(*(t.parameters for t in self.parts.values()))


def _walk(node: nodes.Node) -> Iterable[nodes.Node]:
    yield node
    for child in node.iter_child_nodes():
        yield from _walk(child)


def _estimate_length(node: nodes.Node) -> int:
    """Static characters plus an allowance per expression; the longest branch of an if, loops once."""
    if isinstance(node, nodes.TemplateData):
        return len(node.data)
    if isinstance(node, nodes.Output):
        return sum(_estimate_length(c) if isinstance(c, nodes.TemplateData) else EXPRESSION_ALLOWANCE for c in node.nodes)
    if isinstance(node, nodes.If):
        branches = [node.body] + [e.body for e in node.elif_] + [node.else_]
        return max(sum(_estimate_length(n) for n in branch) for branch in branches)
    if isinstance(node, nodes.For):
        return sum(_estimate_length(n) for n in node.body)
    return sum(_estimate_length(c) for c in node.iter_child_nodes())


def compile_template(
    source: str,
    *,
    entry: str,
    part: str,
    file: str,
    line: int,
    parameter_names: Iterable[str],
    label_sections: Iterable[str],
    fields: Optional[frozenset],
    budget: Optional[int] = None,
) -> Template:
    """Parse and check one template; raise ContentError naming ``file:line`` on the first defect."""
    where = lambda lineno: f"{file}:{line + max(lineno, 1) - 1}: {entry}.{part}"  # noqa: E731
    try:
        ast = ENV.parse(source)
    except jinja2.TemplateSyntaxError as err:
        raise ContentError(f"{where(err.lineno or 1)}: template syntax error: {err.message}") from err
    known_labels = set(label_sections)
    for n in _walk(ast):
        if isinstance(n, nodes.Filter) and n.name not in ENV.filters:
            raise ContentError(f"{where(n.lineno)}: unknown filter '{n.name}'")
        if isinstance(n, nodes.Filter) and n.name == "label":
            table = n.args[0].value if n.args and isinstance(n.args[0], nodes.Const) else None
            if table not in known_labels:
                raise ContentError(f"{where(n.lineno)}: label needs a known table name, got {table!r}")
    loop_names = {n.name for n in _walk(ast) if isinstance(n, nodes.Name) and n.ctx in ("store", "param")}
    unknown = meta.find_undeclared_variables(ast) - NAMESPACES - loop_names
    if unknown:
        first = sorted(unknown)[0]
        lineno = next((n.lineno for n in _walk(ast) if isinstance(n, nodes.Name) and n.name == first), 1)
        raise ContentError(
            f"{where(lineno)}: unknown name '{first}' (use p.<parameter>, since.<parameter>, r.<field>, i.<input>, L.<labels>)"
        )
    params = set()
    known_params = set(parameter_names)
    for n in _walk(ast):
        if isinstance(n, nodes.Getitem) and isinstance(n.node, nodes.Name) and n.node.name in ("p", "since", "in_force", "upcoming", "r"):
            raise ContentError(f"{where(n.lineno)}: write {n.node.name}.<name>, not {n.node.name}[...]")
        if not (isinstance(n, nodes.Getattr) and isinstance(n.node, nodes.Name)):
            continue
        ns, attr = n.node.name, n.attr
        if ns in ("p", "since", "in_force", "upcoming"):
            if attr not in known_params:
                raise ContentError(f"{where(n.lineno)}: unknown parameter '{attr}'")
            params.add(attr)
        elif ns == "r":
            if fields is None:
                raise ContentError(f"{where(n.lineno)}: r.{attr} is used but the entry names no view")
            if attr not in fields:
                raise ContentError(f"{where(n.lineno)}: the view's result has no field '{attr}'")
        elif ns == "L" and attr not in known_labels:
            raise ContentError(f"{where(n.lineno)}: unknown label table '{attr}'")

    for n in _walk(ast):
        if isinstance(n, nodes.TemplateData):
            stripped = ALLOWED_DIGITS.sub("", n.data)
            m = re.search(r"\d+(?:[.,]\d+)*", stripped)
            if m:
                lineno = n.lineno + n.data[: n.data.find(m.group())].count("\n") if m.group() in n.data else n.lineno
                raise ContentError(
                    f"{where(lineno)}: figure '{m.group()}' typed into the text: take it from knowledge/parameters/ "
                    "(p.<parameter>) or from the view (r.<field>)"
                )
        if isinstance(n, nodes.Const) and isinstance(n.value, str) and re.search(r"\d", n.value):
            raise ContentError(f"{where(n.lineno)}: figure in the string '{n.value}': take it from the data")
        if isinstance(n, nodes.Const) and isinstance(n.value, (int, float)) and not isinstance(n.value, bool) \
                and n.value not in (0, 1):
            raise ContentError(f"{where(n.lineno)}: figure {n.value} typed into the template: take it from the data")
    if budget is not None:
        estimate = _estimate_length(ast)
        if estimate > budget:
            raise ContentError(
                f"{where(1)}: about {estimate} characters, over the budget of {budget}: put the rest under 'more'"
            )
    return Template(entry, part, file, line, source, ENV.from_string(source), frozenset(params))


def _node_line(node: yaml.Node) -> int:
    """First line of a value node's text (block scalars start on the line after the indicator)."""
    line = node.start_mark.line + 1
    if isinstance(node, yaml.ScalarNode) and node.style in ("|", ">"):
        line += 1
    return line


def load_file(
    path: Path,
    *,
    parameter_names: Iterable[str],
    label_sections: Iterable[str],
    views: Views,
    budgets: Mapping[str, Optional[int]],
) -> Dict[str, Entry]:
    """Entries of one content file, each checked; the key of an entry may hold nested parts (``a.b``)."""
    name = path.relative_to(path.parent.parent).as_posix() if path.parent.name == "content" else path.name
    name = f"knowledge/{name}" if not name.startswith("knowledge/") else name
    try:
        root = yaml.compose(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        raise ContentError(f"{name}: not valid YAML: {err}") from err
    if root is None:
        return {}
    if not isinstance(root, yaml.MappingNode):
        raise ContentError(f"{name}:1: a content file is a mapping of entries")
    parameter_names = set(parameter_names)
    label_sections = set(label_sections)
    entries: Dict[str, Entry] = {}

    def build(key: str, node: yaml.MappingNode) -> None:
        raw = {k.value: v for k, v in node.value}
        nested = {k: v for k, v in raw.items() if isinstance(v, yaml.MappingNode) and k not in ENTRY_KEYS}
        if "text" not in raw:
            if not nested:
                raise ContentError(f"{name}:{node.start_mark.line + 1}: entry '{key}' has no text")
            for k, v in nested.items():
                build(f"{key}.{k}", v)
            return
        extra = set(raw) - ENTRY_KEYS
        if extra:
            raise ContentError(f"{name}:{node.start_mark.line + 1}: entry '{key}' has unknown keys {sorted(extra)}")
        view = raw["view"].value if "view" in raw else None
        if view is not None and view not in views:
            raise ContentError(f"{name}:{raw['view'].start_mark.line + 1}: entry '{key}' names an unknown view '{view}'")
        fields = view_fields(views[view]) if view else None
        if view and fields is None:
            raise ContentError(f"{name}: view '{view}' must return a dataclass (its fields are what r. may show)")
        parts = {}
        for part in ("text", "more"):
            if part not in raw:
                continue
            vnode = raw[part]
            if not isinstance(vnode, yaml.ScalarNode):
                raise ContentError(f"{name}:{vnode.start_mark.line + 1}: {key}.{part} must be text")
            parts[part] = compile_template(
                vnode.value.rstrip("\n"),
                entry=key,
                part=part,
                file=name,
                line=_node_line(vnode),
                parameter_names=parameter_names,
                label_sections=label_sections,
                fields=fields,
                budget=budgets.get(part),
            )
        variants: Tuple[Mapping[str, Any], ...] = ()
        if "variants" in raw:
            data = yaml.safe_load(yaml.serialize(raw["variants"]))
            if not isinstance(data, list) or not all(isinstance(v, dict) for v in data):
                raise ContentError(f"{name}:{raw['variants'].start_mark.line + 1}: {key}.variants is a list of inputs")
            variants = tuple(data)
        cites: Tuple[str, ...] = ()
        if "cites" in raw:
            cites = tuple(yaml.safe_load(yaml.serialize(raw["cites"])) or ())
            for c in cites:
                if c not in parameter_names:
                    raise ContentError(f"{name}:{raw['cites'].start_mark.line + 1}: {key}.cites: unknown parameter '{c}'")
        if key in entries:
            raise ContentError(f"{name}:{node.start_mark.line + 1}: entry '{key}' defined twice")
        entries[key] = Entry(key, name, node.start_mark.line + 1, parts, view, variants, cites)

    for knode, vnode in root.value:
        if not isinstance(vnode, yaml.MappingNode):
            raise ContentError(f"{name}:{knode.start_mark.line + 1}: entry '{knode.value}' must be a mapping")
        build(knode.value, vnode)
    return entries


@dataclass(frozen=True)
class Content:
    entries: Mapping[str, Entry]
    labels: Mapping[str, Mapping[Any, str]]
    views: Views

    def __contains__(self, key: str) -> bool:
        return key in self.entries

    def entry(self, key: str) -> Entry:
        try:
            return self.entries[key]
        except KeyError:
            raise KeyError(f"no content entry '{key}' in knowledge/content/") from None


def load_labels(path: Path) -> Dict[str, Dict[Any, str]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise ContentError(f"{path.name}: labels are tables of key: text")
    return data


def load(directory: Path = CONTENT_DIR, views: Optional[Views] = None,
         parameters: Optional[Mapping[str, Any]] = None) -> Content:
    """Load and check every content file in ``directory``."""
    if views is None:
        from knowledge.views import VIEWS

        views = VIEWS
    parameter_names = set(parameters if parameters is not None else P.registry())
    labels = load_labels(directory / "labels.yaml") if (directory / "labels.yaml").exists() else {}
    entries: Dict[str, Entry] = {}
    budgets = {"text": MAIN_TEXT_BUDGET, "more": MORE_TEXT_BUDGET}
    for path in sorted(directory.glob("*.yaml")):
        if path.name == "labels.yaml":
            continue
        for key, entry in load_file(
            path, parameter_names=parameter_names, label_sections=labels, views=views, budgets=budgets
        ).items():
            if key in entries:
                raise ContentError(f"{entry.file}:{entry.line}: entry '{key}' is also in {entries[key].file}")
            entries[key] = entry
    return Content(entries, labels, views)


@lru_cache(maxsize=1)
def content() -> Content:
    return load()


# --- rendering ----------------------------------------------------------------------------------------

class _Facts:
    """``p.NAME`` / ``since.NAME``: the parameter in force on the day, recording every fact shown."""

    def __init__(self, on: dt.date, used: List[P.Fact], attribute: str) -> None:
        self._on, self._used, self._attribute = on, used, attribute

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        if self._attribute == "in_force":
            try:
                P.get(name, self._on)
            except P.NotInForce:
                return False
            return True
        fact = P.get(name, self._on)
        if fact not in self._used:
            self._used.append(fact)
        return fact.value if self._attribute == "value" else fact.since


UPCOMING_WINDOW_DAYS = 365


@dataclass(frozen=True)
class Upcoming:
    value: Any
    since: str


class _Upcoming:
    """``upcoming.NAME``: the value NAME takes next, within a year, with its fact recorded (and its caution)."""

    def __init__(self, on: dt.date, used: List[P.Fact]) -> None:
        self._on, self._used = on, used

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        parameter = P.registry()[name]
        horizon = self._on + dt.timedelta(days=UPCOMING_WINDOW_DAYS)
        for day in parameter.changes_between(self._on, horizon):
            try:
                fact = parameter.at(day)
            except P.NotInForce:
                return None
            if fact not in self._used:
                self._used.append(fact)
            return Upcoming(fact.value, fact.since)
        return None


class _Inputs(dict):
    """``i.NAME``: an input the user gave; a missing one reads as None (templates test it with ``if``)."""

    def __getattr__(self, name: str) -> Any:
        return self.get(name)


@dataclass
class Rendered:
    """The text of one entry for one day and input, with the facts it showed."""

    text: str
    more: str = ""
    facts: List[P.Fact] = field(default_factory=list)
    data: Any = None


def render(key: str, on: dt.date, inputs: Optional[Mapping[str, Any]] = None, data: Any = None,
           source: Optional[Content] = None) -> Rendered:
    """Render entry ``key`` for day ``on``. ``data`` is the view's result; computed when not given."""
    src = source or content()
    entry = src.entry(key)
    inputs = dict(inputs or {})
    if entry.view and data is None:
        data = src.views[entry.view](on, inputs)
    used: List[P.Fact] = []
    context = {
        "p": _Facts(on, used, "value"),
        "since": _Facts(on, used, "since"),
        "in_force": _Facts(on, used, "in_force"),
        "upcoming": _Upcoming(on, used),
        "i": _Inputs(inputs),
        "L": src.labels,
        "r": data,
    }
    text = _tidy(entry.text.compiled.render(context))
    more = _tidy(entry.more.compiled.render(context)) if entry.more else ""
    for fact in list(getattr(data, "facts", ()) or ()) + [P.get(n, on) for n in entry.cites]:
        if fact not in used:
            used.append(fact)
    return Rendered(text, more, used, data)


def _tidy(text: str) -> str:
    lines = [line.rstrip() for line in text.strip().split("\n")]
    out: List[str] = []
    for line in lines:
        if not line and (not out or not out[-1]):
            continue
        out.append(line)
    return "\n".join(out)
