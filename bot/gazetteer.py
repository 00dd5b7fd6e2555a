"""Gazetteer matching: places (current, 2025-merged and older provinces), household groups with their
negations, kinds of work, labour contracts, pregnancy/childbirth, relatives and the writer.

Matching runs spaCy's ``PhraseMatcher`` (attr ``LOWER``) over a blank Vietnamese pipeline's vocabulary
(``spacy.blank("vi")`` with the pyvi segmenter switched off, so nothing is downloaded). The ``Doc`` is
built by this module from the FOLDED text (no diacritics, lower case; ``knowledge.text.fold_with_offsets``)
with teen-code expanded token by token ("ko" -> "khong", "e" -> "em", "ng" -> "nguoi"), so every match is
reported as an exact ``start``/``end`` span of what the user typed. When the user typed diacritics they are
checked against the gazetteer's spelling: "hai phòng" is not "Hải Phòng", "bà" is not "ba".

Lists: ``bot/data/gazetteer.yaml`` (and ``knowledge/data/provinces.json`` for the 34 current units and
the provinces merged into them in 2025). The matcher is built once per process (``gazetteer()``);
building takes ~0.3 s after spaCy is imported (spaCy itself takes ~5 s to import here because thinc
loads TensorFlow, which the Rasa process has loaded anyway); a message takes ~0.3 ms.
Without spaCy (e.g. an action server in a slim environment) the same lists are matched by a plain
n-gram lookup that gives the same results.

Public API::

    find(text, categories=None) -> List[GazetteerMatch]
    find_provinces(text) -> List[GazetteerMatch]          # .candidates: current unit(s), 2 when ambiguous
    resolve_province(name) -> Tuple[str, ...]             # any current / former / historical name
    historical_provinces() -> List[HistoricalProvince]    # old names, what they became, sources
    tokens(text) -> List[Tok]                             # the folded, teen-code-expanded tokens
    gazetteer() -> Gazetteer                              # the cached matcher (``.build_seconds``)
"""
from __future__ import annotations

import logging
import re
import time
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Set, Tuple

import yaml

from knowledge.text import fold, fold_with_offsets

logger = logging.getLogger(__name__)

DATA = Path(__file__).with_name("data") / "gazetteer.yaml"

CATEGORIES = ("province", "group", "negation", "work", "contract", "event", "kin", "self", "household")

_TOKEN = re.compile(r"[^\W_]+|[^\w\s]", re.UNICODE)

# Teen-code and abbreviations that stand for one word (folded). Multi-word expansions ("cty" ->
# "công ty") are left as they are: the gazetteer lists those spellings itself.
_SINGLE_LETTER = {"a", "e", "c", "k", "j", "s", "z", "v", "r", "t"}
# Teen-code that is typed with a tone mark ("mún", "đóq", "bít").
_ACCENTED_TEEN = {"mun", "doq", "bit", "bik", "hok", "khum", "hum"}


def _tone_marked(text: str) -> bool:
    return any(unicodedata.combining(c) for c in unicodedata.normalize("NFD", text))


@lru_cache(maxsize=1)
def _teen_code() -> Dict[str, str]:
    from bot.lexicon import ABBREVIATIONS

    table = {}
    for short, lemma in ABBREVIATIONS.items():
        if " " in lemma or "_" in lemma or short == lemma:
            continue
        table[short] = lemma
    return table


@lru_cache(maxsize=8192)
def _has_marks(text: str) -> bool:
    """True when ``text`` carries Vietnamese diacritics (tone/vowel marks or đ)."""
    for ch in text:
        if ch in "đĐ":
            return True
        if ord(ch) > 127 and ch.isalpha() and any(unicodedata.combining(c) for c in unicodedata.normalize("NFD", ch)):
            return True
        if unicodedata.combining(ch):
            return True
    return False


@dataclass(frozen=True)
class Tok:
    """One token: folded form, teen-code-expanded form (``norm``), span and text in the original."""

    folded: str
    norm: str
    start: int
    end: int
    text: str
    fstart: int  # span in the folded string
    fend: int


def tokens(text: str) -> List[Tok]:
    """Tokens of ``text``: runs of letters/digits and single punctuation or symbol characters."""
    if not text:
        return []
    folded, spans = fold_with_offsets(text)
    teen = _teen_code()
    out = []
    for m in _TOKEN.finditer(folded):
        a, b = m.start(), m.end()
        start, end = spans[a][0], spans[b - 1][1]
        original = text[start:end]
        word = m.group()
        norm = teen.get(word, word)
        if norm != word and word in _SINGLE_LETTER and original.lower() != word:
            norm = word  # "ạ" is not "a" (anh); only the bare letter is teen-code
        elif norm != word and word not in _ACCENTED_TEEN and _tone_marked(original):
            norm = word  # "hồng" is not "hong" (không)
        out.append(Tok(word, norm, start, end, original, a, b))
    return out


def _phrase_tokens(phrase: str) -> List[Tuple[str, str]]:
    """(folded token, accented lower-case token) pairs of a gazetteer phrase."""
    phrase = unicodedata.normalize("NFC", phrase).lower()
    folded, spans = fold_with_offsets(phrase)
    return [(m.group(), phrase[spans[m.start()][0] : spans[m.end() - 1][1]]) for m in _TOKEN.finditer(folded)]


_TONE_STYLE = [
    (re.compile("o([àáảãạ])"), {"à": "òa", "á": "óa", "ả": "ỏa", "ã": "õa", "ạ": "ọa"}),
    (re.compile("o([èéẻẽẹ])"), {"è": "òe", "é": "óe", "ẻ": "ỏe", "ẽ": "õe", "ẹ": "ọe"}),
    (re.compile("u([ỳýỷỹỵ])"), {"ỳ": "ùy", "ý": "úy", "ỷ": "ủy", "ỹ": "ũy", "ỵ": "ụy"}),
]


@lru_cache(maxsize=4096)
def _tone_norm(word: str) -> str:
    """One tone-mark placement for comparison: "hoà" and "hòa", "thuỷ" and "thủy" compare equal."""
    word = unicodedata.normalize("NFC", word).lower()
    for rx, table in _TONE_STYLE:
        word = rx.sub(lambda m: table[m.group(1)], word)
    return word


@lru_cache(maxsize=8192)
def _accents_agree(typed: str, canonical: str, strict: bool) -> bool:
    """Typed token vs the gazetteer's spelling of the same folded word: equal, or (unless ``strict``)
    typed without diacritics."""
    t, c = _tone_norm(typed), _tone_norm(canonical)
    if t == c:
        return True
    if not _has_marks(t):
        return not strict
    if len(t) != len(c):
        return False
    for a, b in zip(t, c):
        if a != b and _has_marks(a):
            return False
        if a != b and strict:
            return False
    return True


def _token_agrees(tok: "Tok", folded: str, accented: str, strict: bool) -> bool:
    """A typed token against one spelling of the phrase (same folded word, or typed teen-code)."""
    if tok.folded != folded:
        return tok.folded != tok.norm  # the user typed teen-code ("ko") for the listed word ("không")
    return _accents_agree(tok.text, accented, strict)


def spelling_agrees(typed: str, canonical: str) -> bool:
    """Does a typed phrase agree with a listed spelling of the same folded phrase? Typed without any
    diacritics it always does; typed with some, every syllable must carry the listed ones
    ("Hải Phòng", "hai phong" yes; "hai phòng" no)."""
    t, c = _phrase_tokens(typed), _phrase_tokens(canonical)
    if [f for f, _ in t] != [f for f, _ in c]:
        return False
    if not any(_has_marks(a) for _, a in t):
        return True
    return all(_tone_norm(a) == _tone_norm(b) or (not _has_marks(a) and not _has_marks(b)) for (_, a), (_, b) in zip(t, c))


@dataclass(frozen=True)
class Entry:
    category: str
    key: str
    phrases: Tuple[Tuple[Tuple[str, str], ...], ...]  # each phrase: ((folded, accented), ...)
    candidates: Tuple[str, ...] = ()
    info: Mapping[str, Any] = field(default_factory=dict)
    cue: Optional[str] = None  # "always" | "unaccented"
    needs_next: frozenset = frozenset()
    exclude_next: frozenset = frozenset()
    needs_prev: frozenset = frozenset()
    exclude_prev: frozenset = frozenset()
    unaccented_needs_next: frozenset = frozenset()
    accented_only: bool = False
    strict: bool = False


@dataclass(frozen=True)
class GazetteerMatch:
    """A gazetteer hit: ``text[start:end]`` is exactly what the user typed.

    ``key``: the entry (province name as written in the lists, group, kind of work, relation...).
    ``candidates``: for provinces the current unit(s) — two or more when an old name now spans several
    units (Sông Bé -> TP Hồ Chí Minh, Đồng Nai); for relatives the possible subjects (unaccented "ba em"
    -> father or grandmother). ``negated``: a negation word comes right before ("không phải hộ nghèo").
    """

    category: str
    key: str
    start: int
    end: int
    text: str
    candidates: Tuple[str, ...] = ()
    negated: bool = False
    info: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)
    token_start: int = field(default=0, compare=False, hash=False)
    token_end: int = field(default=0, compare=False, hash=False)

    @property
    def ambiguous(self) -> bool:
        return len(self.candidates) > 1


@dataclass(frozen=True)
class HistoricalProvince:
    name: str
    became: Tuple[str, ...]
    current: Tuple[str, ...]
    when: str
    event: str
    sources: Tuple[str, ...]


class _PlainBackend:
    """n-gram dictionary lookup: the same matches as the PhraseMatcher, without spaCy."""

    name = "plain"

    def __init__(self) -> None:
        self._table: Dict[Tuple[str, ...], List[int]] = {}
        self._longest = 1

    def add(self, entry_id: int, patterns: Iterable[Tuple[str, ...]]) -> None:
        for p in patterns:
            self._table.setdefault(p, []).append(entry_id)
            self._longest = max(self._longest, len(p))

    def __call__(self, words: Sequence[str]) -> List[Tuple[int, int, int]]:
        out = []
        n = len(words)
        for i in range(n):
            for k in range(1, min(self._longest, n - i) + 1):
                for entry_id in self._table.get(tuple(words[i : i + k]), ()):
                    out.append((entry_id, i, i + k))
        return out


class _SpacyBackend:
    """spaCy PhraseMatcher on the LOWER attribute of Docs built from the normalised tokens."""

    name = "spacy"

    def __init__(self) -> None:
        import spacy
        from spacy.matcher import PhraseMatcher
        from spacy.tokens import Doc

        # spacy.blank("vi") needs pyvi unless its segmenter is switched off; only the vocab is used.
        self._nlp = spacy.blank("vi", config={"nlp": {"tokenizer": {"use_pyvi": False}}})
        self._Doc = Doc
        self._matcher = PhraseMatcher(self._nlp.vocab, attr="LOWER")
        self._ids: Dict[int, int] = {}

    def _doc(self, words: Sequence[str]):
        return self._Doc(self._nlp.vocab, words=list(words), spaces=[True] * len(words))

    def add(self, entry_id: int, patterns: Iterable[Tuple[str, ...]]) -> None:
        key = f"E{entry_id}"
        docs = [self._doc(p) for p in patterns]
        if docs:
            self._matcher.add(key, docs)
            self._ids[self._nlp.vocab.strings[key]] = entry_id

    def __call__(self, words: Sequence[str]) -> List[Tuple[int, int, int]]:
        if not words:
            return []
        return [(self._ids[mid], s, e) for mid, s, e in self._matcher(self._doc(words))]


def _as_set(values: Optional[Iterable[str]]) -> frozenset:
    out = set()
    for v in values or ():
        out.add(" ".join(t.norm for t in tokens(str(v))))
    return frozenset(out)


class Gazetteer:
    def __init__(self, data: Optional[Mapping[str, Any]] = None, backend: str = "auto") -> None:
        t0 = time.perf_counter()
        self.data = dict(data if data is not None else yaml.safe_load(DATA.read_text(encoding="utf-8")))
        self.entries: List[Entry] = []
        self._province_names: Dict[str, Tuple[str, ...]] = {}
        self.historical: List[HistoricalProvince] = []
        self._load()
        self.backend = self._make_backend(backend)
        for i, entry in enumerate(self.entries):
            patterns = {tuple(_norm_word(f) for f, _ in phrase) for phrase in entry.phrases}
            self.backend.add(i, sorted(patterns))
        self._cues = [tuple(_norm_word(f) for f, _ in _phrase_tokens(c)) for c in self.data.get("place_cues", [])]
        self._neg_fillers = _as_set(self.data.get("negation_fillers"))
        self.build_seconds = time.perf_counter() - t0

    # --- building -------------------------------------------------------------------------------------

    @staticmethod
    def _make_backend(kind: str):
        if kind in ("auto", "spacy"):
            try:
                return _SpacyBackend()
            except Exception as err:  # noqa: BLE001 - spaCy missing or broken: same lists, plain lookup
                if kind == "spacy":
                    raise
                logger.warning("spaCy PhraseMatcher unavailable (%s); using plain lookup", err)
        return _PlainBackend()

    def _add(self, category: str, key: str, phrases: Iterable[str], candidates: Sequence[str] = (), info=None, **opts) -> None:
        toks = tuple(tuple(_phrase_tokens(p)) for p in phrases if str(p).strip())
        if not toks:
            return
        self.entries.append(
            Entry(
                category=category,
                key=key,
                phrases=toks,
                candidates=tuple(candidates),
                info=dict(info or {}),
                cue=opts.get("cue"),
                needs_next=_as_set(opts.get("needs_next")),
                exclude_next=_as_set(opts.get("exclude_next")),
                needs_prev=_as_set(opts.get("needs_prev")),
                exclude_prev=_as_set(opts.get("exclude_prev")),
                unaccented_needs_next=_as_set(opts.get("unaccented_needs_next")),
                accented_only=bool(opts.get("accented_only")),
                strict=bool(opts.get("strict")),
            )
        )

    def _load(self) -> None:
        from knowledge import referral

        d = self.data
        prov = d.get("provinces") or {}
        current = [p.name for p in referral.provinces()]
        former = {f: p.name for p in referral.provinces() for f in p.former}
        historical = {h["name"]: h for h in prov.get("historical") or []}

        def resolve(name: str, seen: Tuple[str, ...] = ()) -> Tuple[str, ...]:
            if name in current:
                return (name,)
            if name in former:
                return (former[name],)
            if name in historical and name not in seen:
                out: List[str] = []
                for b in historical[name]["became"]:
                    for c in resolve(b, seen + (name,)):
                        if c not in out:
                            out.append(c)
                return tuple(out)
            try:
                return (referral.find(name).name,)
            except Exception:  # noqa: BLE001
                raise ValueError(f"gazetteer: '{name}' is no current, former or listed historical province")

        self._resolve = resolve
        aliases = prov.get("aliases") or {}
        alias_opts: Dict[str, Dict[str, Any]] = {}
        for target, items in aliases.items():
            for item in items or ():
                alias_opts[_folded_key(item["name"])] = {k: v for k, v in item.items() if k != "name"}

        def add_place(key: str, names: Iterable[str], cands: Tuple[str, ...], info: Dict[str, Any], **opts) -> None:
            for n in dict.fromkeys(names):
                o = dict(opts)
                o.update(alias_opts.get(_folded_key(n), {}))
                self._add("province", key, [n], cands, info, **o)
                self._province_names.setdefault(_folded_key(n), cands)

        for name in current:
            names = [name, name.replace("TP ", "")]
            names += list(referral.EXTRA_ALIASES.get(name, []))
            names += [i["name"] for i in aliases.get(name, []) or []]
            add_place(name, names, (name,), {"kind": "current"})
        risky = prov.get("risky_former") or {}
        former_aliases = prov.get("former_aliases") or {}
        for f, unit in former.items():
            names = [f] + list(former_aliases.get(f, [])) + list(getattr(referral, "_EXTRA_FORMER", {}).get(f, []))
            add_place(f, names, (unit,), {"kind": "former_2025", "merged_into": unit}, **(risky.get(f) or {}))
        for h in prov.get("historical") or []:
            cands = resolve(h["name"])
            record = HistoricalProvince(
                h["name"], tuple(h["became"]), cands, str(h.get("when", "")), h.get("event", ""), tuple(h.get("sources", ()))
            )
            self.historical.append(record)
            self._province_names.setdefault(_folded_key(h["name"]), cands)
            info = {"kind": "historical", "became": record.became, "when": record.when, "event": record.event,
                    "sources": record.sources}
            opts = {k: h[k] for k in ("cue", "needs_next", "exclude_next") if k in h}
            add_place(h["name"], h.get("aliases") or [], cands, info, **opts)

        groups = d.get("groups") or {}
        for g, words in groups.items():
            if g == "not_ethnic_minority":
                self._add("group", "ethnic_minority", words, info={"says_not": True})
            elif g == "none":
                self._add("group", "none", words)
            else:
                self._add("group", g, words)
        self._add("negation", "not", d.get("negation") or [])
        for kind, spec in (d.get("work") or {}).items():
            self._add("work", kind, spec.get("words") or [], info={"flags": dict(spec.get("flags") or {})})
        contract = d.get("contract") or {}
        self._add("contract", "contract", contract.get("written") or [])
        self._add("contract", "no_contract", contract.get("oral_or_none") or [])
        for event, words in (d.get("events") or {}).items():
            self._add("event", event, words)
        for k in d.get("kinship") or []:
            opts = {o: k[o] for o in ("needs_next", "exclude_next", "needs_prev", "exclude_prev", "unaccented_needs_next", "accented_only") if o in k}
            self._add("kin", k["subject"], k["words"], (k["subject"],), {"gender": k.get("gender")}, strict=True, **opts)
        self._add("self", "self", d.get("self") or [])
        self._add("household", "household", d.get("household") or [])

    # --- matching -------------------------------------------------------------------------------------

    def _place_cue_before(self, norms: Sequence[str], s: int) -> bool:
        fillers = {"em", "toi", "tui", "minh", "o", "ben", "tai", "la", "thanh", "pho", "tinh", "tp", "nha", "cua", "anh", "chi"}
        for end in (s, s - 1, s - 2):
            if end <= 0 or any(norms[j] not in fillers for j in range(end, s)):
                continue
            for cue in self._cues:
                k = len(cue)
                if end - k >= 0 and tuple(norms[end - k : end]) == cue:
                    return True
        return False

    def _accept(self, entry: Entry, toks: Sequence[Tok], s: int, e: int, accented_message: bool) -> bool:
        norms = [t.norm for t in toks]
        span = toks[s:e]
        span_marked = any(_has_marks(t.text) for t in span)
        window = tuple(norms[s:e])
        partial = accented_message and span_marked and len(span) > 1
        ok = False
        for phrase in entry.phrases:
            if tuple(_norm_word(f) for f, _ in phrase) != window:
                continue
            if partial and any(
                t.folded == f and not _has_marks(t.text) and _has_marks(acc) for t, (f, acc) in zip(span, phrase)
            ):
                continue  # some syllables typed with diacritics, one without: "hai phòng" is not "Hải Phòng"
            strict = entry.strict and accented_message
            if all(_token_agrees(t, f, acc, strict) for t, (f, acc) in zip(span, phrase)):
                ok = True
                break
        if not ok:
            return False
        if entry.accented_only and not accented_message:
            return False
        nxt = norms[e] if e < len(norms) else ""
        prev = norms[s - 1] if s > 0 else ""
        if entry.needs_next and nxt not in entry.needs_next:
            return False
        if nxt and nxt in entry.exclude_next:
            return False
        if entry.needs_prev and prev not in entry.needs_prev:
            return False
        if prev and prev in entry.exclude_prev:
            return False
        if entry.unaccented_needs_next and not accented_message and nxt not in entry.unaccented_needs_next:
            return False
        if entry.cue == "always" or (entry.cue == "unaccented" and not span_marked):
            letters = "".join(ch for t in span for ch in t.text if ch.isalpha())
            upper = len(letters) >= 2 and letters.isupper()
            title = len(span) > 1 and all(t.text[:1].isupper() for t in span if t.text[:1].isalpha())
            if not (upper or title or self._place_cue_before(norms, s)):
                return False
        return True

    def match(self, text: str, categories: Optional[Iterable[str]] = None) -> List[GazetteerMatch]:
        toks = tokens(text)
        if not toks:
            return []
        wanted = set(categories) if categories else None
        accented = _has_marks(text)
        raw = self.backend([t.norm for t in toks])
        accepted: Dict[Tuple[str, int, int], List[Entry]] = {}
        for entry_id, s, e in raw:
            entry = self.entries[entry_id]
            if wanted is not None and entry.category not in wanted and entry.category != "negation":
                continue
            if self._accept(entry, toks, s, e, accented):
                accepted.setdefault((entry.category, s, e), []).append((entry_id, entry))
        for key in accepted:
            accepted[key] = [en for _, en in sorted(accepted[key], key=lambda x: x[0])]
        # Content first (longest, then leftmost; on a tie the category listed first), then negation
        # words in the gaps: "chưa có bầu" is "chưa" + "có bầu", not "chưa có" + "bầu".
        order = sorted(accepted, key=lambda k: (k[0] == "negation", -(k[2] - k[1]), k[1], CATEGORIES.index(k[0])))
        taken = [False] * len(toks)
        chosen: List[Tuple[str, int, int]] = []
        for key in order:
            _, s, e = key
            if any(taken[s:e]):
                continue
            for i in range(s, e):
                taken[i] = True
            chosen.append(key)
        chosen.sort(key=lambda k: k[1])
        negations = [(s, e) for c, s, e in chosen if c == "negation"]
        out: List[GazetteerMatch] = []
        for cat, s, e in chosen:
            if wanted is not None and cat not in wanted:
                continue
            entries = accepted[(cat, s, e)]
            first = entries[0]
            candidates: List[str] = []
            for en in entries:
                for c in en.candidates:
                    if c not in candidates:
                        candidates.append(c)
            info = dict(first.info)
            if cat == "kin" and len({en.key for en in entries}) > 1:
                genders = {en.info.get("gender") for en in entries}
                info["gender"] = genders.pop() if len(genders) == 1 else None
            negated = False
            if cat in ("group", "work", "contract", "event"):
                negated = self._negated(toks, negations, s)
                if info.get("says_not"):
                    negated = True
            start, end = toks[s].start, toks[e - 1].end
            out.append(
                GazetteerMatch(cat, first.key, start, end, text[start:end], tuple(candidates), negated, info, s, e)
            )
        return out

    def _negated(self, toks: Sequence[Tok], negations: Sequence[Tuple[int, int]], s: int) -> bool:
        for ns, ne in negations:
            if ne > s or s - ne > 2:
                continue
            if all(toks[j].norm in self._neg_fillers for j in range(ne, s)):
                return True
        return False

    def resolve_province(self, name: str) -> Tuple[str, ...]:
        key = _folded_key(name)
        for prefix in ("tinh ", "thanh pho ", "tp "):
            if key.startswith(prefix) and key[len(prefix):] in self._province_names:
                key = key[len(prefix):]
        return self._province_names.get(key, ())


def _norm_word(folded: str) -> str:
    return _teen_code().get(folded, folded)


def _folded_key(name: str) -> str:
    return " ".join(t.folded for t in tokens(str(name)) if t.folded not in {"-", "–", "."})


@lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    """The process-wide matcher, built on first use."""
    g = Gazetteer()
    logger.info("gazetteer: %d entries, %s backend, built in %.3f s", len(g.entries), g.backend.name, g.build_seconds)
    return g


def find(text: str, categories: Optional[Iterable[str]] = None) -> List[GazetteerMatch]:
    """All gazetteer matches in ``text`` (non-overlapping, in order); optionally only some categories."""
    return gazetteer().match(text, categories)


def find_provinces(text: str) -> List[GazetteerMatch]:
    return gazetteer().match(text, ("province",))


def resolve_province(name: str) -> Tuple[str, ...]:
    """Current unit(s) for a current, 2025-merged or older province name; () if unknown."""
    return gazetteer().resolve_province(name)


def historical_provinces() -> List[HistoricalProvince]:
    return list(gazetteer().historical)
