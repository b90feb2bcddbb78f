"""Fold the evasions people use to slip words past a screen, keeping a map back to the original text.

Every character of the original is folded on its own, in this order:

1. NFKC: full-width and half-width forms, circled and superscript digits, ligatures, mathematical
   alphanumerics, CJK compatibility ideographs and Kangxi radicals (``Ａ`` / ``𝐀`` -> ``A``, ``⾊`` -> ``色``).
2. Lookalikes of other scripts (``lookalike_table``, from Unicode's confusables data, UTS #39): a letter or
   digit of another script that imitates an ASCII letter or digit becomes that letter (Cyrillic ``а``/``Р``,
   Greek ``ο``/``Ν``, Cherokee, ... -> ``a``/``P``/``o``/``N``), and a character that imitates a Han
   character becomes it (katakana ``エ`` -> ``工``, the CJK radical ``⻩`` -> ``黄``). Before case
   folding, because the data is case-sensitive: Greek ``Η`` imitates ``H``, its small ``η`` nothing.
3. Separators vanish: whitespace, punctuation, symbols, emoji, zero-width and other format
   characters, combining marks, so ``赌 博``, ``赌_博``, ``賭*博``, ``赌\u200b博`` all read ``赌博``.
   Exception, the *hard boundaries*: line breaks and the full-width Chinese clause marks
   ``。，、；：！？`` become one ``\\n`` that no term can span. Chinese prose separates clauses with
   them, so ``…赌。博物馆…`` is two clauses, not a hit for 赌博; ASCII punctuation inside Chinese
   prose is the usual evasion device and is removed.
4. Case folding (``casefold``).
5. Traditional -> simplified, one character at a time from OpenCC's own ``TSCharacters`` table (first
   candidate). Character-for-character keeps the offset map trivial and is much faster than
   ``OpenCC('t2s').convert`` (about 0.4 M chars/s on this machine, against a cached table lookup);
   phrase-level conversion buys nothing for screening because terms are folded the same way.
   OpenCC maps 帳 to 帐 while modern usage writes 账号/账户, so the variant 帐 is folded to 账 too.
   Then variant characters (异体字) that ``TSCharacters`` lacks (``variant_table``): Taiwan and Hong Kong
   variants, Japanese shinjitai (``図`` -> ``图``) and the rarer traditional forms, from OpenCC's variant
   dictionaries, plus Han lookalikes from the confusables data (``値`` -> ``值``). A character that is
   itself standard simplified Chinese (GB 2312 or a simplified form OpenCC knows) is never folded by
   this step, so ``着``/``著``, ``芸``, ``干`` keep their own meanings.
6. Digit forms: any Unicode decimal digit -> ASCII, and the Chinese digit characters
   ``〇零一二三四五六七八九`` and the financial forms ``壹贰叁肆伍陆柒捌玖`` -> ``0-9``. Multi-digit
   numerals (``十``, ``百``) are not digits and stay.

Lexicon terms go through the same function, so any loss of information (``乾`` -> ``干``) applies to
both sides alike and only matters where two different words collapse into one. ASCII letters and digits
are never folded into one another (``0``/``O``, ``1``/``l``/``I`` stay apart), and no Han character
becomes a Latin letter (``丨`` is not ``l``): only other scripts are brought to the lexicon's forms.

``fold_character`` is the definition. ``normalise`` applies it through a code-point lookup table learnt
on first sight of each character, vectorised with NumPy (one gather over the text's code points, the
kept positions are the offset map), so ordinary text never runs a Python loop per character.
"""

from __future__ import annotations

import sys
import threading
import unicodedata
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

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


def _opencc_pairs(name: str) -> list[tuple[str, list[str]]]:
    """The (source, candidates) lines of one OpenCC dictionary."""
    with open(_opencc_dictionary(name), encoding="utf-8") as handle:
        return [(source, targets.split(" ")) for source, _, targets in
                (line.rstrip("\n").partition("\t") for line in handle)]


@lru_cache(maxsize=1)
def traditional_to_simplified_table() -> dict[str, str]:
    """Single-character traditional -> simplified pairs from OpenCC's TSCharacters (first candidate)."""
    table: dict[str, str] = {}
    for source, candidates in _opencc_pairs("TSCharacters.txt"):
        if len(source) == 1 and candidates and len(candidates[0]) == 1 and candidates[0] != source:
            table[source] = candidates[0]
    table = {traditional: _SIMPLIFIED_VARIANTS.get(simple, simple) for traditional, simple in table.items()}  # 帳->账
    table.update(_SIMPLIFIED_VARIANTS)
    return table


def _script(ch: str) -> str:
    """The Unicode script (Scripts.txt, as confusable-homoglyphs ships it) of one character: 'HAN', 'LATIN', ..."""
    from confusable_homoglyphs.categories import alias

    return alias(ch)


def _is_han_letter(ch: str) -> bool:
    return len(ch) == 1 and unicodedata.category(ch) == "Lo" and _script(ch) == "HAN"


def _gb2312_han() -> set[str]:
    """The 6,763 hanzi of GB 2312, the basic set of simplified Chinese (all in the U+4E00 block)."""
    chars = set()
    for code in range(0x4E00, 0xA000):
        try:
            chr(code).encode("gb2312")
        except UnicodeEncodeError:
            continue
        chars.add(chr(code))
    return chars


@lru_cache(maxsize=1)
def standard_simplified() -> frozenset[str]:
    """Han characters that are standard simplified Chinese: GB 2312's, plus every simplified form OpenCC knows
    (the keys of STCharacters and the targets of TSCharacters). The variant step never folds these."""
    chars = _gb2312_han()
    chars.update(source for source, _ in _opencc_pairs("STCharacters.txt") if len(source) == 1)
    chars.update(traditional_to_simplified_table().values())
    return frozenset(chars)


@lru_cache(maxsize=1)
def lookalike_table() -> dict[str, str]:
    """Characters of other scripts that imitate an ASCII letter or digit, or a Han character -> that character.

    Built once from Unicode's confusables data (confusables.txt of UTS #39, which confusable-homoglyphs ships
    as JSON: every source -> prototype pair, stored in both directions). Each prototype with its sources is
    one class of lookalikes. A character is folded when it is:

    - not ASCII, unchanged by NFKC (NFKC comes first), not a decimal digit (digits fold to their value), and
      a letter or number (L*, N*), so separators and symbols keep vanishing; or a Han-script symbol (the CJK
      radicals ``⻩``, ``⻔``, which imitate whole characters);
    - in a class holding an ASCII letter or digit -> that one (a letter for a letter, the same case when the
      class offers it: Cyrillic ``І`` -> ``I``, Cyrillic ``і`` -> ``i``); ``0``/``O`` and ``1``/``l``/``I``
      share classes, but ASCII itself is never folded;
    - otherwise in a class holding exactly one Han character, or whose prototype is one -> that character
      (katakana ``ロ`` -> ``口``, ``ー`` -> ``一``).

    Han characters themselves never appear as sources here: ``丨`` and ``〇`` stay Chinese; Han variants
    are ``variant_table``'s business.
    """
    from confusable_homoglyphs.confusables import confusables_data

    table: dict[str, str] = {}
    for source in confusables_data:
        if len(source) != 1 or source.isascii() or unicodedata.normalize("NFKC", source) != source:
            continue
        category = unicodedata.category(source)
        script = _script(source)
        if unicodedata.decimal(source, None) is not None or not (
            (category[0] in "LN" and script != "HAN") or (category == "So" and script == "HAN")
        ):
            continue
        prototype, members = _confusable_class(confusables_data, source)
        latin = [m for m in members if len(m) == 1 and m.isascii() and m.isalnum()]
        if latin and script != "HAN":
            table[source] = max(latin, key=lambda m: _likeness(source, m, prototype))
            continue
        han = [m for m in members if _is_han_letter(m)]
        if len(han) == 1 or prototype in han:
            table[source] = han[0] if len(han) == 1 else prototype
    return table


def _confusable_class(data: dict[str, list[dict[str, str]]], source: str) -> tuple[str, set[str]]:
    """(prototype, members) of the class of `source`: a prototype is linked to each of its sources and a
    source to its prototype only, so the class is the neighbourhood of whichever of the two has more links."""
    neighbours = [entry["c"] for entry in data[source]]
    if len(neighbours) == 1:
        single = neighbours[0]
        farther = [entry["c"] for entry in data.get(single, ())]
        if len(farther) > 1 or len(single) > 1:  # source -> prototype
            return single, {single, *farther}
    return source, {source, *neighbours}  # `source` is a prototype (or a pair of two, either way round)


def _likeness(source: str, candidate: str, prototype: str) -> tuple[bool, bool, bool]:
    """How well an ASCII candidate stands for `source`: letter for letter, then same case, then the prototype."""
    category = unicodedata.category(source)
    same_case = (category == "Lu" and candidate.isupper()) or (category == "Ll" and candidate.islower())
    return (candidate.isalpha() == (category[0] == "L"), same_case, candidate == prototype)


@lru_cache(maxsize=1)
def variant_table() -> dict[str, str]:
    """Variant Han characters (异体字) that TSCharacters does not fold -> their standard simplified form.

    From OpenCC's dictionaries: the Taiwan and Hong Kong variants (``TWVariantsRev``, ``HKVariantsRev``:
    variant -> OpenCC's traditional form), Japanese shinjitai (``JPVariants`` read backwards: ``図`` -> ``圖``)
    and the other traditional forms listed under one simplified character (``STCharacters`` read backwards:
    ``牠`` -> ``它``), each then through TSCharacters; plus pairs of Han lookalikes in Unicode's confusables
    data whose other side is in GB 2312 (``値`` -> ``值``). Only characters outside ``standard_simplified``
    are folded, only to a standard simplified character, and only when every source agrees on it.
    """
    from confusable_homoglyphs.confusables import confusables_data

    t2s = traditional_to_simplified_table()
    standard = standard_simplified()
    gb2312 = _gb2312_han()
    offers: dict[str, set[str]] = {}

    def offer(variant: str, form: str, allowed: Collection[str]) -> None:
        if len(variant) == 1 and len(form) == 1:
            simplified = t2s.get(form, form)
            if simplified in allowed and simplified != variant:
                offers.setdefault(variant, set()).add(_SIMPLIFIED_VARIANTS.get(simplified, simplified))

    for name in ("TWVariantsRev.txt", "HKVariantsRev.txt"):
        for variant, forms in _opencc_pairs(name):
            offer(variant, forms[0], standard)
    for traditional, japanese in _opencc_pairs("JPVariants.txt"):
        for variant in japanese:
            offer(variant, traditional, standard)
    for simplified, traditionals in _opencc_pairs("STCharacters.txt"):
        for variant in traditionals:
            offer(variant, simplified, standard)
    for variant, entries in confusables_data.items():
        if _is_han_letter(variant):
            for entry in entries:
                if _is_han_letter(entry["c"]):
                    offer(variant, entry["c"], gb2312)
    return {
        variant: next(iter(forms))
        for variant, forms in offers.items()
        if len(forms) == 1 and variant not in t2s and variant not in standard and _is_han_letter(variant)
        and unicodedata.normalize("NFKC", variant) == variant
    }


@lru_cache(maxsize=1)
def _han_table() -> dict[str, str]:
    return {**variant_table(), **traditional_to_simplified_table()}


def fold_character(ch: str) -> str:
    """The folded form of one original character: '' (vanishes), BOUNDARY, or one or more characters."""
    if ch in _HARD_BOUNDARIES:
        return BOUNDARY
    lookalikes = lookalike_table()
    han = _han_table()
    folded = []
    for c in unicodedata.normalize("NFKC", ch):
        if c in _HARD_BOUNDARIES:
            return BOUNDARY  # e.g. the half-width ideographic full stop U+FF61 folds to 。
        c = lookalikes.get(c, c)
        if unicodedata.category(c)[0] in _VANISHING_CATEGORY_INITIALS:
            continue
        for d in c.casefold():
            d = han.get(d, d)
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
    origin: Sequence[int] = field(compare=False, repr=False)  # a NumPy integer array from normalise()

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """The original [start, end) that produced the folded [start, end); end > start."""
        return int(self.origin[start]), int(self.origin[end - 1]) + 1


# What a code point folds to, as one uint32 per code point: a code point, or one of these markers (all above
# U+10FFFF). Learnt on first sight through fold_character, so each character's fold is computed once.
_NOT_A_CODE_POINT = 0x110000
_VANISHES = 0x110000
_EXPANDS = 0x110001  # two or more characters, kept in _EXPANSIONS
_UNSEEN = 0x110002
_EXPANSIONS: dict[int, str] = {}
_LEARNING = threading.Lock()


@lru_cache(maxsize=1)
def _code_table() -> np.ndarray:
    return np.full(sys.maxunicode + 1, _UNSEEN, dtype=np.uint32)  # 4.4 MB


def _learn(table: np.ndarray, codes: np.ndarray) -> None:
    with _LEARNING:
        for code in np.unique(codes).tolist():
            mapped = fold_character(chr(code))
            if len(mapped) > 1:
                _EXPANSIONS[code] = mapped
            table[code] = ord(mapped) if len(mapped) == 1 else _EXPANDS if mapped else _VANISHES


def _decode(folded: np.ndarray) -> str:
    return folded[folded < _NOT_A_CODE_POINT].tobytes().decode("utf-32-le")


def normalise(text: str) -> NormalisedText:
    table = _code_table()
    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype="<u4")
    folded = table[codes]
    special = np.flatnonzero(folded >= _NOT_A_CODE_POINT)  # vanishing, expanding or not seen yet
    markers = folded[special]
    unseen = markers == _UNSEEN
    if unseen.any():
        _learn(table, codes[special[unseen]])
        folded[special] = markers = table[codes[special]]
    if not len(special):
        return NormalisedText(original=text, text=folded.tobytes().decode("utf-32-le"), origin=np.arange(len(codes)))
    expanding = special[markers == _EXPANDS]
    if not len(expanding):
        kept = folded < _NOT_A_CODE_POINT
        return NormalisedText(original=text, text=folded[kept].tobytes().decode("utf-32-le"),
                              origin=np.flatnonzero(kept))
    # Rare: characters that fold to several (㍿ -> 株式会社, ﬁ -> fi); their original index repeats.
    counts = (folded < _NOT_A_CODE_POINT).astype(np.intp)
    pieces, start = [], 0
    for position in expanding.tolist():
        expansion = _EXPANSIONS[int(codes[position])]
        counts[position] = len(expansion)
        pieces += [_decode(folded[start:position]), expansion]
        start = position + 1
    pieces.append(_decode(folded[start:]))
    return NormalisedText(original=text, text="".join(pieces), origin=np.repeat(np.arange(len(codes)), counts))


def normalise_term(term: str) -> str:
    """A lexicon term folded like screened text; refuses terms that fold to < 2 chars or span a boundary."""
    folded = normalise(term).text
    if BOUNDARY in folded:
        raise ValueError(f"term {term!r} contains a line break or Chinese clause punctuation; no text could match it")
    if len(folded) < 2:
        raise ValueError(f"term {term!r} folds to {folded!r}: terms need at least 2 characters after folding")
    return folded
