"""PolicyError: every problem of a policy file at once, each naming the file, the line and what is wrong."""

from __future__ import annotations

from dataclasses import dataclass

from herald.errors import HeraldError


@dataclass(frozen=True, order=True)
class PolicyIssue:
    """One problem: where (file, 1-based line, dotted path inside the document) and what."""

    file: str
    line: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class PolicyError(HeraldError):
    """A policy file that cannot be used, or a lookup the policy cannot answer.

    ``errors`` holds one ``"file:line: path: message"`` string per problem; ``issues`` the same as
    structured records. A file with several problems reports all of them, sorted by line.
    """

    def __init__(self, issues: list[PolicyIssue] | list[str]):
        self.issues = [i for i in issues if isinstance(i, PolicyIssue)]
        self.errors = [str(i) for i in issues]
        super().__init__("\n".join(self.errors))
