"""Screen a text against a lexicon (CON-3, CON-4): what was found, where in the original, and what follows.

Match semantics, pinned by tests: every occurrence of every term is reported, overlaps included
(``赌博网站`` yields both ``赌博`` and ``赌博网站``; ``机密文件泄露`` yields ``机密文件`` and ``文件泄露``).
Leftmost-longest matching would hide the second of two overlapping terms. A hit is suppressed only
when an allowed phrase of the same category covers it entirely.

Decision:
- ``blocked`` is true when any hit has action ``block``;
- ``route`` names the review step the text needs: ``confidentiality_review`` when a ``secrets`` hit
  (CON-3) is present (the post goes to the confidentiality step of its chain, e.g. 001's 保密领导小组),
  else ``content_review`` when any other hit asks for review (rumours and false promotions are not
  keyword-decidable), else ``None``. A blocked text keeps its route: it says who looks at it after editing.
  A ``sensitive_topic`` hit (CON-5) that asks for review also adds the competent department's
  authorisation step to a post's chain (``herald.posts.chain``); its route is ``content_review`` like
  any other review hit.
- ``log`` hits are kept in the result for statistics and raise no violation.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

from herald.errors import Violation
from herald.screening.lexicon import Lexicon
from herald.screening.normalise import normalise

CONFIDENTIALITY_REVIEW = "confidentiality_review"
CONTENT_REVIEW = "content_review"

_CATEGORY_NAMES_ZH = {
    "secrets": "涉密或敏感经营信息",
    "honour": "损害公司荣誉形象",
    "rumour": "谣言",
    "obscenity": "淫秽色情",
    "gambling": "赌博",
    "violence": "暴力凶杀",
    "terror": "恐怖",
    "crime_incitement": "教唆犯罪",
    "false_promotion": "虚假促销宣传",
    "absolute_advertising": "广告绝对化用语",
    "sensitive_topic": "重大事件、突发事件、社会热点或敏感问题",
}
# The rule a hit of each category cites; every other category is prohibited content (CON-4).
_RULE_OF_CATEGORY = {"secrets": "CON-3", "sensitive_topic": "CON-5"}


@dataclass(frozen=True)
class Hit:
    category: str
    term: str  # the lexicon's spelling
    severity: str
    action: str
    start: int  # [start, end) in the ORIGINAL text
    end: int
    snippet: str  # original[start:end], evasions and all (e.g. "賭*博")

    def as_dict(self) -> dict:
        return {
            "category": self.category,
            "term": self.term,
            "severity": self.severity,
            "action": self.action,
            "start": self.start,
            "end": self.end,
            "snippet": self.snippet,
        }


@dataclass(frozen=True)
class ScreeningResult:
    hits: list[Hit]
    blocked: bool
    route: str | None
    lexicon_version: str
    lexicon_sha256: str
    suppressed: list[Hit] = field(default_factory=list)  # hits an allowed phrase covered, kept for the audit trail

    def as_dict(self) -> dict:
        return {
            "hits": [h.as_dict() for h in self.hits],
            "suppressed": [h.as_dict() for h in self.suppressed],
            "blocked": self.blocked,
            "route": self.route,
            "lexicon_version": self.lexicon_version,
            "lexicon_sha256": self.lexicon_sha256,
        }


def screen(text: str, lexicon: Lexicon, categories: Collection[str] | None = None) -> ScreeningResult:
    """Screen `text`; with `categories` (e.g. a policy's ``screening.blocked_categories``), hits of other
    categories are ignored."""
    folded = normalise(text)
    matches = lexicon.find(folded.text)
    allowed_spans: dict[str, list[tuple[int, int]]] = {}
    for pattern, start, end in matches:
        if pattern.allowed is not None:
            allowed_spans.setdefault(pattern.allowed.category, []).append((start, end))

    hits: list[Hit] = []
    suppressed: list[Hit] = []
    for pattern, start, end in matches:
        term = pattern.term
        if term is None or (categories is not None and term.category not in categories):
            continue
        original_start, original_end = folded.original_span(start, end)
        hit = Hit(
            category=term.category,
            term=term.term,
            severity=term.severity,
            action=term.action,
            start=original_start,
            end=original_end,
            snippet=text[original_start:original_end],
        )
        covered = any(a <= start and end <= b for a, b in allowed_spans.get(term.category, ()))
        (suppressed if covered else hits).append(hit)

    hits.sort(key=_position)
    suppressed.sort(key=_position)
    return ScreeningResult(
        hits=hits,
        blocked=any(h.action == "block" for h in hits),
        route=_route(hits),
        lexicon_version=lexicon.version,
        lexicon_sha256=lexicon.sha256,
        suppressed=suppressed,
    )


def _position(hit: Hit) -> tuple:
    return (hit.start, hit.end, hit.category, hit.term)


def _route(hits: list[Hit]) -> str | None:
    if any(h.category == "secrets" and h.action != "log" for h in hits):
        return CONFIDENTIALITY_REVIEW
    if any(h.action == "review" for h in hits):
        return CONTENT_REVIEW
    return None


def to_violations(result: ScreeningResult, field: str) -> list[Violation]:
    """One violation per hit that blocks or needs review: CON-3 for secrets, CON-4 for the prohibited categories."""
    violations = []
    for hit in result.hits:
        if hit.action == "log":
            continue
        rule_id = _RULE_OF_CATEGORY.get(hit.category, "CON-4")
        consequence = "禁止发布" if hit.action == "block" else {
            "secrets": "需经保密审查", "sensitive_topic": "需经主管部门授权"}.get(hit.category, "需人工审核")
        message = (
            f"第{hit.start + 1}–{hit.end}字“{hit.snippet}”命中{_CATEGORY_NAMES_ZH[hit.category]}词“{hit.term}”，"
            f"{consequence}（词库版本 {result.lexicon_version}）"
        )
        violations.append(Violation(field, rule_id, message))
    return violations
