"""The screening lexicon: terms tagged with category, severity and action, plus an allow-list, versioned and hashed.

File format (UTF-8, tab-separated, ``#`` starts a comment line)::

    # version: 2026.1
    category<TAB>term<TAB>severity<TAB>action
    gambling<TAB>赌博<TAB>high<TAB>block

and beside ``NAME.tsv`` an optional ``NAME.allow.tsv`` with ``category<TAB>term<TAB>reason``: an allowed
phrase suppresses hits of its category that lie inside it (``最佳实践`` is management jargon, not the
advertising superlative ``最佳``).

``Lexicon.sha256`` hashes the folded entries with their tags, sorted, so two files that differ only in
order, spacing or traditional/simplified spelling hash alike, and any change that can alter a decision
(a term, its category, severity or action, an allowed phrase) changes the hash.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import ahocorasick_rs

from herald.screening.normalise import normalise_term

# CON-3 (secrets), CON-5 (sensitive_topic: major events, emergencies, social hot spots and sensitive issues of
# 003 §3.2.2, which need the competent department's authorisation) and CON-4 / 001 art.16 (the rest).
# Anchors: 互联网信息服务管理办法 §15, 广告法 §9.
CATEGORIES = (
    "secrets",
    "honour",
    "rumour",
    "obscenity",
    "gambling",
    "violence",
    "terror",
    "crime_incitement",
    "false_promotion",
    "absolute_advertising",
    "sensitive_topic",
)
SEVERITIES = ("low", "medium", "high", "critical")  # the finding severities, minus "info"
ACTIONS = ("block", "review", "log")

LEXICON_DIR = Path(__file__).resolve().parent / "lexicons"


@dataclass(frozen=True)
class Term:
    category: str
    term: str
    severity: str
    action: str

    def __post_init__(self) -> None:
        if self.category not in CATEGORIES:
            raise ValueError(f"term {self.term!r}: category {self.category!r} is not one of {CATEGORIES}")
        if self.severity not in SEVERITIES:
            raise ValueError(f"term {self.term!r}: severity {self.severity!r} is not one of {SEVERITIES}")
        if self.action not in ACTIONS:
            raise ValueError(f"term {self.term!r}: action {self.action!r} is not one of {ACTIONS}")


@dataclass(frozen=True)
class AllowedPhrase:
    category: str
    phrase: str
    reason: str = ""

    def __post_init__(self) -> None:
        if self.category not in CATEGORIES:
            raise ValueError(f"allowed phrase {self.phrase!r}: category {self.category!r} is not one of {CATEGORIES}")


@dataclass(frozen=True)
class Pattern:
    """One automaton pattern: a prohibited term or an allowed phrase, in folded form."""

    folded: str
    term: Term | None
    allowed: AllowedPhrase | None


class Lexicon:
    """Immutable once built: the folded patterns and the automaton over them."""

    def __init__(self, terms: Iterable[Term], allowed: Iterable[AllowedPhrase] = (), version: str = "unversioned"):
        self.version = version
        self.terms: tuple[Term, ...] = tuple(terms)
        self.allowed: tuple[AllowedPhrase, ...] = tuple(allowed)
        patterns: list[Pattern] = []
        by_folded: dict[str, Pattern] = {}
        for term in self.terms:
            self._add(patterns, by_folded, Pattern(normalise_term(term.term), term, None))
        for phrase in self.allowed:
            self._add(patterns, by_folded, Pattern(normalise_term(phrase.phrase), None, phrase))
        self.patterns: tuple[Pattern, ...] = tuple(patterns)
        self.sha256 = _hash_patterns(self.patterns)
        # Standard match kind: the only one that reports overlapping matches (see screen.py).
        self._automaton = ahocorasick_rs.AhoCorasick([p.folded for p in self.patterns])

    @staticmethod
    def _add(patterns: list[Pattern], by_folded: dict[str, Pattern], pattern: Pattern) -> None:
        existing = by_folded.get(pattern.folded)
        if existing is None:
            by_folded[pattern.folded] = pattern
            patterns.append(pattern)
            return
        if _tags(existing) != _tags(pattern):
            # Two spellings of one folded term with different tags would make the result depend on file order.
            raise ValueError(
                f"lexicon: {pattern.folded!r} appears twice with different tags: {_tags(existing)} and {_tags(pattern)}"
            )

    @classmethod
    def from_terms(
        cls, terms: Iterable[Term], allowed: Iterable[AllowedPhrase] = (), version: str = "unversioned"
    ) -> Lexicon:
        return cls(terms, allowed, version)

    def find(self, folded_text: str) -> list[tuple[Pattern, int, int]]:
        """Every occurrence of every pattern in folded text, overlaps included, as (pattern, start, end)."""
        return [
            (self.patterns[index], start, end)
            for index, start, end in self._automaton.find_matches_as_indexes(folded_text, overlapping=True)
        ]

    def __len__(self) -> int:
        return len(self.terms)

    def __repr__(self) -> str:
        return f"Lexicon(version={self.version!r}, terms={len(self.terms)}, allowed={len(self.allowed)}, sha256={self.sha256[:12]}…)"


def _tags(pattern: Pattern) -> tuple[str, ...]:
    if pattern.term is not None:
        return ("term", pattern.term.category, pattern.term.severity, pattern.term.action)
    assert pattern.allowed is not None
    return ("allow", pattern.allowed.category)


def _hash_patterns(patterns: Iterable[Pattern]) -> str:
    lines = sorted("\t".join((p.folded, *_tags(p))) for p in patterns)
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()


def load_lexicon(name_or_path: str | Path = "default") -> Lexicon:
    """A shipped lexicon by name (``lexicons/NAME.tsv``) or a TSV file by path; its allow-list sits beside it."""
    path = Path(name_or_path)
    if path.suffix != ".tsv":
        path = LEXICON_DIR / f"{name_or_path}.tsv"
    if not path.is_file():
        raise FileNotFoundError(f"lexicon {name_or_path!r}: no file {path}")
    version, rows = _read_tsv(path, expected_columns=4)
    terms = [Term(category=c, term=t, severity=s, action=a) for (c, t, s, a) in rows]
    allowed: list[AllowedPhrase] = []
    allow_path = path.with_name(path.stem + ".allow.tsv")
    if allow_path.is_file():
        _, allow_rows = _read_tsv(allow_path, expected_columns=3)
        allowed = [AllowedPhrase(category=c, phrase=p, reason=r) for (c, p, r) in allow_rows]
    if version is None:
        raise ValueError(f"lexicon {path}: missing '# version: ...' header line")
    return Lexicon(terms, allowed, version)


def _read_tsv(path: Path, expected_columns: int) -> tuple[str | None, list[tuple[str, ...]]]:
    version = None
    rows: list[tuple[str, ...]] = []
    header_seen = False
    for line_no, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            key, _, value = line[1:].partition(":")
            if key.strip() == "version":
                version = value.strip()
            continue
        cells = tuple(cell.strip() for cell in raw.split("\t"))
        if not header_seen:
            header_seen = True  # the first non-comment line names the columns
            continue
        if len(cells) != expected_columns:
            raise ValueError(f"{path}:{line_no}: expected {expected_columns} tab-separated columns, got {len(cells)}")
        rows.append(cells)
    return version, rows
