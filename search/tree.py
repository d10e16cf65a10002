"""Our query tree: what ``search.query.parse`` produces and every engine translates. Engine-independent.

Leaves hold analysed values: one folded token for an analysed field's ``Term``, the normalised value for an exact
field, typed bounds (``Decimal``, ``date``, ``int``, ``str``) for a ``Range``. All nodes are frozen and hashable.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

__all__ = [
    "And",
    "Bound",
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
    "conjunction",
    "disjunction",
    "negation",
    "positive_terms",
]


@dataclass(frozen=True)
class Term:
    """One term. Analysed fields: one folded token. Exact fields: the normalised value."""

    field: str
    text: str


@dataclass(frozen=True)
class Phrase:
    """Folded tokens in this order, at most ``slop`` extra positions apart. One word: an exact (unstemmed) term."""

    field: str
    words: tuple[str, ...]
    slop: int = 0


@dataclass(frozen=True)
class Prefix:
    """Terms starting with ``text`` (folded, or normalised for exact fields)."""

    field: str
    text: str


@dataclass(frozen=True)
class Fuzzy:
    """Terms within ``distance`` edits of ``text``."""

    field: str
    text: str
    distance: int = 1


Bound = Decimal | date | int | str | None


@dataclass(frozen=True)
class Range:
    """Values between ``low`` and ``high`` (None: open). Decimal for amounts, date for dates, int, or str."""

    field: str
    low: Bound
    high: Bound
    include_low: bool = True
    include_high: bool = True


@dataclass(frozen=True)
class Exists:
    """Documents that have any value in ``field`` (``field:*``)."""

    field: str


@dataclass(frozen=True)
class Everything:
    """Every document (``*``)."""


@dataclass(frozen=True)
class Nothing:
    """No document (an empty query)."""


@dataclass(frozen=True)
class And:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    child: Node


Node = Term | Phrase | Prefix | Fuzzy | Range | Exists | Everything | Nothing | And | Or | Not


@dataclass(frozen=True)
class ParsedQuery:
    """A parsed query: its tree and what the user should know about how it was read."""

    tree: Node
    notes: tuple[str, ...] = ()


# -- building nodes ---------------------------------------------------------------------------------------------


def conjunction(nodes: list[Node | None]) -> Node | None:
    """AND of ``nodes``: None dropped, nested ANDs flattened, duplicates removed; one node is itself."""
    flat: list[Node] = []
    for node in nodes:
        if node is None:
            continue
        flat.extend(node.children if isinstance(node, And) else (node,))
    flat = list(dict.fromkeys(flat))
    if not flat:
        return None
    return flat[0] if len(flat) == 1 else And(tuple(flat))


def disjunction(nodes: list[Node | None]) -> Node | None:
    """OR of ``nodes``: None dropped, nested ORs flattened, duplicates removed; one node is itself."""
    flat: list[Node] = []
    for node in nodes:
        if node is None:
            continue
        flat.extend(node.children if isinstance(node, Or) else (node,))
    flat = list(dict.fromkeys(flat))
    if not flat:
        return None
    return flat[0] if len(flat) == 1 else Or(tuple(flat))


def negation(node: Node | None) -> Node | None:
    """NOT ``node`` (a double negation cancels)."""
    if node is None:
        return None
    return node.child if isinstance(node, Not) else Not(node)


def positive_terms(node: Node) -> list[Term | Phrase | Prefix | Fuzzy]:
    """The word-like leaves a document must or may contain (not those under NOT): what a highlighter marks."""
    if isinstance(node, (Term, Phrase, Prefix, Fuzzy)):
        return [node]
    if isinstance(node, (And, Or)):
        return [leaf for child in node.children for leaf in positive_terms(child)]
    return []
