"""CON-1 (the item belongs to a permitted category) and CON-2 (the item names its source)."""

from __future__ import annotations

from collections.abc import Container

from herald.errors import Violation


def check_category(category: str | None, allowed_codes: Container[str], field: str = "category") -> list[Violation]:
    if category is None or not str(category).strip():
        return [Violation(field, "CON-1", "未选择信息类别：每条信息须属于制度允许的信息类别之一")]
    if category not in allowed_codes:
        return [Violation(field, "CON-1", f"信息类别“{category}”不在本制度允许的类别之内")]
    return []


def check_source(source: str | None, field: str = "source") -> list[Violation]:
    if source is None or not str(source).strip():
        return [Violation(field, "CON-2", "未注明信息来源：来源不明的信息不予发布")]
    return []
