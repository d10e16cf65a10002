"""Sigillo's query language, read into our own query tree (engine-independent).

Every engine translates the same tree, so the language does not change with the engine. ``parse`` never raises:
what it cannot read is searched as plain words, and ``ParsedQuery.notes`` says so.

Grammar (operators in capitals are operators; ``and``, ``or``, ``not`` in lower case are words)::

    query      := or_expr
    or_expr    := and_expr ( "OR" and_expr )*
    and_expr   := unary ( ["AND"] unary )*                 adjacent terms are ANDed
    unary      := ("NOT" | "-") unary | primary            NOT binds tighter than AND, AND tighter than OR
    primary    := "(" or_expr ")" | clause
    clause     := [FIELD ":"] value
    value      := WORD                                     fattura  FT-2024/0153  (a word with inner
                                                           punctuation is the phrase of its parts)
                | WORD "*"                                 ross*     (prefix)
                | WORD "~" [DIGIT]                         rossi~  rossi~2   (fuzzy: edits, 1 by default, 2 at
                                                           most; the first letter must match)
                | "*"                                      every document; field:* documents that have the field
                | '"' words '"' ["~" DIGITS]               "amount due"   "amount due"~2  (phrase; one quoted
                                                           word matches exactly, without stemming)
                | "(" or_expr ")"                          doc_type:(invoice OR receipt)
                | ("[" | "{") [bound] "TO" [bound] ("]" | "}")   [] inclusive, {} exclusive, a side empty or *
                | (">" | ">=" | "<" | "<=") bound          total_amount:>=1000   due_date:<2025-03-01
    FIELD      := a name of search.fields.FIELDS, ALIASES or GROUPS (case-insensitive); a group such as
                  vat_id, amount, debtor searches each of its fields (ORed)
    WORD       := characters up to a space, a parenthesis or a quote; "+word" is the same as word

Typed values: amounts as ``1234.56``, ``1.234,56`` or ``1,234.56``; dates as ``YYYY``, ``YYYY-MM`` or
``YYYY-MM-DD``, where a year or a month means the whole period (``issue_date:2024``, ``due_date:[TO 2024-03]``
ends on 31 March). Identifiers (VAT ids, IBAN, tax codes) match whatever their spacing and case; ``id:`` matches
any prefix of a document id.

What cannot be read falls back, always with a note:

* unbalanced quotes or parentheses, dangling operators, an unclosed range: the input's words, ANDed;
* an unknown field ``foo:bar``: the words ``foo`` and ``bar``;
* a value that does not fit its field (``total_amount:abc``, ``due_date:2024-13``, a range without ``TO``):
  that clause's words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from . import analysis
from .fields import (
    DEFAULT_FIELD,
    FieldSpec,
    Kind,
    ValueProblem,
    field_spec,
    field_specs,
    normalise,
    parse_amount,
    parse_date_period,
    parse_integer,
)
from .tree import (
    And,
    Bound,
    Everything,
    Exists,
    Fuzzy,
    Node,
    Not,
    Nothing,
    Or,
    ParsedQuery,
    Phrase,
    Prefix,
    Range,
    Term,
    conjunction,
    disjunction,
    negation,
    positive_terms,
)

__all__ = [
    "And",
    "Everything",
    "Exists",
    "Fuzzy",
    "Node",
    "Not",
    "Nothing",
    "Or",
    "ParsedQuery",
    "Phrase",
    "Prefix",
    "Range",
    "Term",
    "parse",
    "positive_terms",
]  # the tree's names are re-exported: ``from search.query import ParsedQuery, parse`` is the usual import

MAX_FUZZY = 2
FUZZY_PREFIX = 1  # leading characters a fuzzy match keeps (engines and the highlighter agree on it)

# -- lexer ------------------------------------------------------------------------------------------------------


class _Failure(Exception):
    """The input is not in the grammar: the parser falls back to its words."""


@dataclass(frozen=True)
class _Tok:
    kind: str  # WORD PHRASE FIELD RANGE CMP LP RP AND OR NOT MINUS
    text: str = ""
    extra: str = ""  # PHRASE: slop digits; RANGE: the brackets "[]" "{}" "[}"...; CMP: the operator


_QUOTES = str.maketrans({c: '"' for c in "\u201c\u201d\u201e\u201f\u00ab\u00bb\u2033"})
_FIELD = re.compile(r"([A-Za-z_][A-Za-z0-9_]*):(?=[^\s)])")
_STOP = set('()"') | {" ", "\t", "\n", "\r", "\f", "\v"}
_OPERATORS = {"AND", "OR", "NOT"}


def _lex(s: str) -> list[_Tok]:
    out: list[_Tok] = []
    i, n = 0, len(s)

    def bare(j: int) -> int:
        while j < n and s[j] not in _STOP and not s[j].isspace():
            j += 1
        return j

    def phrase(j: int) -> int:  # s[j] == '"'
        close = s.find('"', j + 1)
        if close < 0:
            raise _Failure("unbalanced quotes")
        m = re.match(r"~(\d+)", s[close + 1 :])
        out.append(_Tok("PHRASE", s[j + 1 : close], m.group(1) if m else ""))
        return close + 1 + (m.end() if m else 0)

    while i < n:
        c = s[i]
        if c.isspace():
            i += 1
        elif c == "(":
            out.append(_Tok("LP"))
            i += 1
        elif c == ")":
            out.append(_Tok("RP"))
            i += 1
        elif c == '"':
            i = phrase(i)
        elif c in "-+" and (i + 1 >= n or s[i + 1].isspace() or s[i + 1] == ")"):
            raise _Failure(f"'{c}' with nothing after it")
        elif c == "-":
            out.append(_Tok("MINUS"))
            i += 1
        elif c == "+":
            i += 1  # "+word": required, which every ANDed word already is
        elif m := _FIELD.match(s, i):
            out.append(_Tok("FIELD", m.group(1)))
            i = m.end()
            c = s[i]
            if c in "[{":
                close = min((k for k in (s.find("]", i), s.find("}", i)) if k >= 0), default=-1)
                if close < 0:
                    raise _Failure("a range without its closing bracket")
                out.append(_Tok("RANGE", s[i + 1 : close], c + s[close]))
                i = close + 1
            elif c in "<>":
                op = s[i : i + 2] if s[i + 1 : i + 2] == "=" else c
                end = bare(i + len(op))
                if end == i + len(op):
                    raise _Failure(f"'{op}' with no value after it")
                out.append(_Tok("CMP", s[i + len(op) : end], op))
                i = end
            elif c == '"':
                i = phrase(i)
            elif c != "(":
                end = bare(i)
                out.append(_Tok("WORD", s[i:end]))
                i = end
        else:
            end = bare(i)
            word = s[i:end]
            out.append(_Tok(word) if word in _OPERATORS else _Tok("WORD", word))
            i = end
    return out


# -- parser -----------------------------------------------------------------------------------------------------


class _Parser:
    def __init__(self, tokens: list[_Tok]) -> None:
        self.toks = tokens
        self.pos = 0
        self.notes: list[str] = []

    def peek(self) -> str:
        return self.toks[self.pos].kind if self.pos < len(self.toks) else "EOF"

    def take(self) -> _Tok:
        tok = self.toks[self.pos]
        self.pos += 1
        return tok

    def parse(self) -> Node | None:
        node = self.or_expr(None)
        if self.peek() != "EOF":
            raise _Failure("a closing parenthesis without its opening one")
        return node

    def or_expr(self, spec: FieldSpec | None) -> Node | None:
        nodes = [self.and_expr(spec)]
        while self.peek() == "OR":
            self.take()
            nodes.append(self.and_expr(spec))
        return disjunction(nodes)

    def and_expr(self, spec: FieldSpec | None) -> Node | None:
        if self.peek() in ("OR", "AND", "RP", "EOF"):
            raise _Failure(self._where("a term was expected"))
        nodes = [self.unary(spec)]
        while self.peek() not in ("OR", "RP", "EOF"):
            if self.peek() == "AND":
                self.take()
                if self.peek() in ("OR", "AND", "RP", "EOF"):
                    raise _Failure("AND with nothing after it")
            nodes.append(self.unary(spec))
        return conjunction(nodes)

    def _where(self, what: str) -> str:
        kind = self.peek()
        if kind == "EOF":
            return "the query ends with an operator" if self.pos else "the query is empty"
        return {"OR": "OR", "AND": "AND", "RP": "')'"}[kind] + f" where {what}"

    def unary(self, spec: FieldSpec | None) -> Node | None:
        if self.peek() in ("NOT", "MINUS"):
            word = "NOT" if self.take().kind == "NOT" else "'-'"
            if self.peek() in ("OR", "AND", "RP", "EOF"):
                raise _Failure(f"{word} with nothing after it")
            return negation(self.unary(spec))
        return self.primary(spec)

    def primary(self, spec: FieldSpec | None) -> Node | None:
        tok = self.take()
        if tok.kind == "LP":
            if self.peek() == "RP":
                raise _Failure("empty parentheses")
            node = self.or_expr(spec)
            if self.peek() != "RP":
                raise _Failure("unbalanced parentheses")
            self.take()
            return node
        if tok.kind == "FIELD":
            return self.field_clause(tok.text)
        if tok.kind in ("WORD", "PHRASE"):
            return self.value(spec or _DEFAULT, tok)
        raise _Failure("unexpected input")  # pragma: no cover - the callers check the token kind

    def field_clause(self, name: str) -> Node | None:
        specs = field_specs(name)
        if not specs:
            self.notes.append(f"unknown field '{name}'; searched as words")
            if self.peek() == "LP":
                return conjunction([_words(name), self.primary(None)])
            tok = self.take()
            rest = self.value(_DEFAULT, tok) if tok.kind in ("WORD", "PHRASE") else _words(_TO.sub(" ", tok.text))
            return conjunction([_words(name), rest])
        start, nodes = self.pos, []
        for spec in specs:  # a group name: the same value read for each of its fields, ORed
            self.pos = start
            if self.peek() == "LP":  # field:( ... ): the group, searched in that field
                nodes.append(self.primary(spec))
            else:
                nodes.append(self.value(spec, self.take(), name.lower()))
        return disjunction(nodes)

    def value(self, spec: FieldSpec, tok: _Tok, label: str | None = None) -> Node | None:
        try:
            return _value(spec, tok, self.notes)
        except ValueProblem as exc:
            self.notes.append(f"{exc} for {label or spec.name}; searched as words")
            if tok.kind in ("WORD", "PHRASE"):
                return _value(_DEFAULT, tok, self.notes)
            return _words(_TO.sub(" ", tok.text) if tok.kind == "RANGE" else tok.text)


_DEFAULT = field_spec(DEFAULT_FIELD)
assert _DEFAULT is not None


def _words(text: str) -> Node | None:
    """The plain words of ``text``, ANDed, in the default field."""
    return conjunction([Term(DEFAULT_FIELD, t) for t in analysis.terms(text)])


# -- values -----------------------------------------------------------------------------------------------------

_FUZZY = re.compile(r"^(.+?)~(\d*)$")


def _value(spec: FieldSpec, tok: _Tok, notes: list[str]) -> Node | None:
    kind = spec.kind
    if tok.kind == "RANGE":
        return _range(spec, tok.text, tok.extra)
    if tok.kind == "CMP":
        return _compare(spec, tok.extra, tok.text)
    if tok.kind == "PHRASE":
        return _phrase(spec, tok.text, int(tok.extra or 0))
    word = tok.text
    if word == "*":
        return Everything() if spec.name == DEFAULT_FIELD else Exists(spec.name)
    if kind.ordered:
        return _typed_range(spec, word[:-1] if word.endswith("*") and kind is Kind.DATE else word)
    if kind is Kind.DOC_ID:
        return _doc_id(word.rstrip("*"))
    if len(word) > 1 and word.endswith("*"):
        return _prefix(spec, word.rstrip("*"))
    if m := _FUZZY.match(word):
        distance = int(m.group(2) or 1)
        if distance > MAX_FUZZY:
            notes.append(f"a fuzzy match allows at most {MAX_FUZZY} edits; used {MAX_FUZZY}")
            distance = MAX_FUZZY
        return _fuzzy(spec, m.group(1), distance)
    return _term(spec, word)


def _term(spec: FieldSpec, word: str) -> Node | None:
    if spec.kind.exact:
        return Term(spec.name, _exact(spec, word))
    parts = analysis.terms(word)
    if spec.kind is Kind.NAMES or len(parts) <= 1:
        return conjunction([Term(spec.name, t) for t in parts])
    return Phrase(spec.name, tuple(parts))


def _phrase(spec: FieldSpec, text: str, slop: int) -> Node | None:
    if spec.kind.ordered:
        return _typed_range(spec, text)
    if spec.kind is Kind.DOC_ID:
        return _doc_id(text)
    if spec.kind.exact:
        return Term(spec.name, _exact(spec, text))
    parts = analysis.terms(text)
    if not parts:
        return None
    if spec.kind is Kind.NAMES:
        return conjunction([Term(spec.name, t) for t in parts])
    return Phrase(spec.name, tuple(parts), slop)


def _prefix(spec: FieldSpec, text: str) -> Node | None:
    if spec.kind.exact:
        return Prefix(spec.name, _exact(spec, text))
    parts = analysis.terms(text)
    if not parts:
        return None
    return conjunction([*(Term(spec.name, t) for t in parts[:-1]), Prefix(spec.name, parts[-1])])


def _fuzzy(spec: FieldSpec, text: str, distance: int) -> Node | None:
    if spec.kind.exact:
        value = _exact(spec, text)
        return Fuzzy(spec.name, value, distance) if distance else Term(spec.name, value)
    parts = analysis.terms(text)
    if not distance:
        return _term(spec, text)
    return conjunction([Fuzzy(spec.name, t, distance) for t in parts])


def _exact(spec: FieldSpec, text: str) -> str:
    value = normalise(spec, text)
    if not value:
        raise ValueProblem(f"{text!r} is not a value")
    return value


def _doc_id(text: str) -> Node:
    value = text.strip().lower()
    if not re.fullmatch(r"[0-9a-f]{1,64}", value):
        raise ValueProblem(f"{text!r} is not a document id (hexadecimal)")
    return Prefix("id", value)


def _typed(spec: FieldSpec, text: str) -> tuple[Bound, Bound]:
    """A typed value as its smallest and largest value (a date period gives its first and last day)."""
    if spec.kind is Kind.DATE:
        return parse_date_period(text)
    if spec.kind is Kind.AMOUNT:
        amount = parse_amount(text)
        return amount, amount
    number = parse_integer(text)
    return number, number


def _typed_range(spec: FieldSpec, text: str) -> Node:
    low, high = _typed(spec, text)
    return Range(spec.name, low, high)


def _compare(spec: FieldSpec, op: str, text: str) -> Node:
    if not spec.kind.ordered:
        raise ValueProblem(f"'{op}' compares numbers and dates, not values")
    first, last = _typed(spec, text)
    if op == ">":
        return Range(spec.name, last, None, include_low=False)
    if op == ">=":
        return Range(spec.name, first, None)
    if op == "<":
        return Range(spec.name, None, first, include_high=False)
    return Range(spec.name, None, last)


_TO = re.compile(r"(?:^|\s+)TO(?:\s+|$)", re.IGNORECASE)


def _range(spec: FieldSpec, inner: str, brackets: str) -> Node:
    pieces = _TO.split(inner.strip())
    if len(pieces) != 2:
        raise ValueProblem(f"'{brackets[0]}{inner}{brackets[1]}' is not a range (a TO b)")
    low_text, high_text = (p.strip().strip('"').strip() for p in pieces)
    low_text = "" if low_text == "*" else low_text
    high_text = "" if high_text == "*" else high_text
    include_low, include_high = brackets[0] == "[", brackets[1] == "]"
    if not low_text and not high_text:
        return Exists(spec.name)
    if spec.kind.ordered:
        low = high = None
        if low_text:
            first, last = _typed(spec, low_text)
            low = first if include_low else last
        if high_text:
            first, last = _typed(spec, high_text)
            high = last if include_high else first
        return Range(spec.name, low, high, include_low, include_high)
    if spec.kind.exact:
        low_s = _exact(spec, low_text) if low_text else None
        high_s = _exact(spec, high_text) if high_text else None
        return Range(spec.name, low_s, high_s, include_low, include_high)
    raise ValueProblem(f"a range needs a field of numbers, dates or codes, not {spec.name}")


# -- entry points -----------------------------------------------------------------------------------------------


def _fallback_words(text: str) -> Node | None:
    """The words of an input the grammar could not read: operators and known field names dropped."""
    nodes: list[Node | None] = []
    for chunk in text.split():
        if chunk in _OPERATORS or chunk == "TO":
            continue
        m = _FIELD.match(chunk)
        if m and field_specs(m.group(1)):
            chunk = chunk[m.end() :]
        nodes.append(_words(chunk))
    return conjunction(nodes)


def parse(text: str) -> ParsedQuery:
    """Read ``text`` in Sigillo's query language. Never raises: see the module docstring for the fallbacks."""
    text = text.translate(_QUOTES)
    notes: list[str] = []
    try:
        parser = _Parser(_lex(text))
        tree = parser.parse() if parser.toks else None
        notes.extend(parser.notes)
    except (_Failure, RecursionError) as exc:
        reason = str(exc) if isinstance(exc, _Failure) else "too deeply nested"
        notes = [f"could not parse the query ({reason}); searched its words instead"]
        tree = _fallback_words(text)
    except Exception:  # a bug of ours must not cost the user their search: search the words
        notes = ["could not parse the query; searched its words instead"]
        tree = _fallback_words(text)
    if tree is None:
        notes.append("the query is empty" if not text.strip() else "the query has no words to search for")
        tree = Nothing()
    return ParsedQuery(tree, tuple(dict.fromkeys(notes)))
