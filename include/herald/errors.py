"""Errors that name the field and the rule, so a refusal tells people what to fix."""

from __future__ import annotations


class HeraldError(Exception):
    """Base class of every error Herald raises on purpose."""


class ValidationError(HeraldError):
    """Bad input, with every violation found (not just the first)."""

    def __init__(self, violations: list[Violation]):
        self.violations = list(violations)
        super().__init__("; ".join(str(v) for v in self.violations))


class Violation:
    """One broken rule: which field, which rule ID, and what is wrong (in words for people)."""

    __slots__ = ("field", "rule_id", "message")

    def __init__(self, field: str, rule_id: str, message: str):
        self.field = field
        self.rule_id = rule_id
        self.message = message

    def __str__(self) -> str:
        return f"{self.field} [{self.rule_id}]: {self.message}"

    def __repr__(self) -> str:
        return f"Violation({self.field!r}, {self.rule_id!r}, {self.message!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Violation) and (self.field, self.rule_id, self.message) == (
            other.field,
            other.rule_id,
            other.message,
        )

    def as_dict(self) -> dict:
        return {"field": self.field, "rule_id": self.rule_id, "message": self.message}
