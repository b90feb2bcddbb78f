"""Fold the evasions people use to slip words past a screen, keeping a map back to the original text.

Every character of the original is folded on its own, in this order:

1. NFKC: full-width and half-width forms, circled and superscript digits, ligatures (``Ａ`` -> ``A``).
2. Separators vanish: whitespace, punctuation, symbols, emoji, zero-width and other format
   characters, combining marks, so ``赌 博``, ``赌_博``, ``賭*博``, ``赌\u200b博`` all read ``赌博``.
   Exception, the *hard boundaries*: line breaks and the full-width Chinese clause marks
   ``。，、；：！？`` become one ``\\n`` that no term can span. Chinese prose separates clauses with
   them, so ``…赌。博物馆…`` is two clauses, not a hit for 赌博; ASCII punctuation inside Chinese
   prose is the usual evasion device and is removed.
3. Case folding (``casefold``).
4. Traditional -> simplified, one character at a time from OpenCC's own ``TSCharacters`` table (first
   candidate). Character-for-character keeps the offset map trivial and is much faster than
   ``OpenCC('t2s').convert`` (about 0.4 M chars/s on this machine, against a cached table lookup);
   phrase-level conversion buys nothing for screening because terms are folded the same way.
   OpenCC maps 帳 to 帐 while modern usage writes 账号/账户, so the variant 帐 is folded to 账 too.
5. Digit forms: any Unicode decimal digit -> ASCII, and the Chinese digit characters
   ``〇零一二三四五六七八九`` and the financial forms ``壹贰叁肆伍陆柒捌玖`` -> ``0-9``. Multi-digit
   numerals (``十``, ``百``) are not digits and stay.

Lexicon terms go through the same function, so any loss of information (``乾`` -> ``干``) applies to
both sides alike and only matters where two different words collapse into one.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

BOUNDARY = "\n"

# Line breaks and full-width Chinese clause punctuation: a term never matches across them.
_HARD_BOUNDARIES = frozenset("\n\r\u2028\u2029\u0085\u3002\uff0c\u3001\uff1b\uff1a\uff01\uff1f")

# Categories whose characters vanish: separators (Z*), punctuation (P*), symbols (S*),
# control/format/unassigned/private (C*, which holds the zero-width characters), marks (M*).
_VANISHING_CATEGORY_INITIALS = frozenset("ZPSCM")

# Applied after traditional -> simplified, so 貳 arrives here as 贰.
_CHINESE_DIGITS = {
    **{ch: str(value) for value, ch in enumerate("〇一二三四五六七八九")},
    "零": "0",
    **{ch: str(value + 1) for value, ch in enumerate("壹贰叁肆伍陆柒捌玖")},
}

# Simplified characters with a standard variant that evasion (or plain habit) swaps in.
_SIMPLIFIED_VARIANTS = {"帐": "账"}


def _opencc_dictionary(name: str) -> Path:
    import opencc  # opencc-python-reimplemented; only its data files are used

    return Path(opencc.__file__).resolve().parent / "dictionary" / name


@lru_cache(maxsize=1)
def traditional_to_simplified_table() -> dict[str, str]:
    """Single-character traditional -> simplified pairs from OpenCC's TSCharacters (first candidate)."""
    table: dict[str, str] = {}
    with open(_opencc_dictionary("TSCharacters.txt"), encoding="utf-8") as handle:
        for line in handle:
            source, _, targets = line.rstrip("\n").partition("\t")
            candidates = targets.split(" ")
            if len(source) == 1 and candidates and len(candidates[0]) == 1 and candidates[0] != source:
                table[source] = candidates[0]
    table = {traditional: _SIMPLIFIED_VARIANTS.get(simple, simple) for traditional, simple in table.items()}  # 帳->账
    table.update(_SIMPLIFIED_VARIANTS)
    return table


def fold_character(ch: str) -> str:
    """The folded form of one original character: '' (vanishes), BOUNDARY, or one or more characters."""
    if ch in _HARD_BOUNDARIES:
        return BOUNDARY
    t2s = traditional_to_simplified_table()
    folded = []
    for c in unicodedata.normalize("NFKC", ch):
        if c in _HARD_BOUNDARIES:
            return BOUNDARY  # e.g. the half-width ideographic full stop U+FF61 folds to 。
        if unicodedata.category(c)[0] in _VANISHING_CATEGORY_INITIALS:
            continue
        for d in c.casefold():
            d = t2s.get(d, d)
            decimal = unicodedata.decimal(d, None)
            if decimal is not None:
                d = str(decimal)
            folded.append(_CHINESE_DIGITS.get(d, d))
    return "".join(folded)


@dataclass(frozen=True)
class NormalisedText:
    """The folded text and, for each of its characters, the index of the original character it came from."""

    original: str
    text: str
    origin: list[int]

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """The original [start, end) that produced the folded [start, end); end > start."""
        return self.origin[start], self.origin[end - 1] + 1


# Folding is per character and pure, so a process-wide cache makes repeated characters a dict hit.
_FOLD_CACHE: dict[str, str] = {}


def normalise(text: str) -> NormalisedText:
    folded: list[str] = []
    origin: list[int] = []
    cache_get = _FOLD_CACHE.get
    for index, ch in enumerate(text):
        mapped = cache_get(ch)
        if mapped is None:
            mapped = _FOLD_CACHE[ch] = fold_character(ch)
        if not mapped:
            continue
        folded.append(mapped)
        if len(mapped) == 1:
            origin.append(index)
        else:
            origin.extend([index] * len(mapped))
    return NormalisedText(original=text, text="".join(folded), origin=origin)


def normalise_term(term: str) -> str:
    """A lexicon term folded like screened text; refuses terms that fold to < 2 chars or span a boundary."""
    folded = normalise(term).text
    if BOUNDARY in folded:
        raise ValueError(f"term {term!r} contains a line break or Chinese clause punctuation; no text could match it")
    if len(folded) < 2:
        raise ValueError(f"term {term!r} folds to {folded!r}: terms need at least 2 characters after folding")
    return folded
