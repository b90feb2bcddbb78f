"""CON-1 (the item belongs to a permitted category) and CON-2 (the item names its source)."""

from __future__ import annotations

import unicodedata
from collections.abc import Container, Iterable

from herald.errors import Violation


def check_category(category: str | None, allowed_codes: Container[str], field: str = "category") -> list[Violation]:
    if category is None or not str(category).strip():
        return [Violation(field, "CON-1", "未选择信息类别：每条信息须属于制度允许的信息类别之一")]
    if category not in allowed_codes:
        return [Violation(field, "CON-1", f"信息类别“{category}”不在本制度允许的类别之内")]
    return []


def source_key(text: str) -> str:
    """How a source is compared with the policy's placeholder words: NFKC (full-width forms fold to
    ASCII), casefolded, with every punctuation mark, symbol, separator and control/format character
    removed, so ``“未知。”``, ``N/A`` and ``来源：不详`` read as ``未知``, ``na`` and ``来源不详``."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in folded if unicodedata.category(ch)[0] not in "PSZC")


def check_source(source: str | None, placeholders: Iterable[str] = (), field: str = "source") -> list[Violation]:
    """CON-2 (001 art.11, 002 art.10.1): a source is named, and names something real.

    A source that is only punctuation, or that reads as one of the policy's placeholder words
    (``content.source_placeholders``: 未知, 来自网络, unknown, n/a ...) once compared by
    ``source_key``, leaves the item of unknown source and is refused with the word it matched.
    """
    if source is None or not str(source).strip():
        return [Violation(field, "CON-2", "未注明信息来源：来源不明的信息不予发布")]
    key = source_key(str(source))
    words = {source_key(word): word for word in placeholders}
    if key in words or not key:
        word = words.get(key, str(source).strip())
        return [Violation(field, "CON-2",
                          f"信息来源“{str(source).strip()}”不是真实来源（“{word}”是制度不认可的来源写法）："
                          "请注明具体的来源单位、媒体或作者，来源不明的信息不予发布")]
    return []
