"""Compare what the pipelines found with the violations the demo world planted (its ground truth)."""

from __future__ import annotations

from dataclasses import dataclass

from herald.db import Database


@dataclass(frozen=True)
class RuleCheck:
    rule_id: str
    planted: int
    found: int
    missed: tuple[str, ...]  # "subject @ period" planted but not found
    invented: tuple[str, ...]  # found but never planted

    @property
    def exact(self) -> bool:
        return not self.missed and not self.invented


def compare_with_ground_truth(db: Database, rules: set[str] | None = None) -> list[RuleCheck]:
    """Per rule: planted vs open findings. ``rules`` limits it to the rules the pipelines that ran can find."""
    truth = {(r["rule_id"], r["subject_id"], r["period"]) for r in db.fetch("world/ground_truth")}
    found = {(f["rule_id"], f["subject_id"], f["period"]) for f in db.fetch("findings/open")}
    checked = rules if rules is not None else {rule for rule, _, _ in truth | found}
    results = []
    for rule in sorted(checked):
        planted = {(s, p) for r, s, p in truth if r == rule}
        seen = {(s, p) for r, s, p in found if r == rule}
        results.append(RuleCheck(
            rule, len(planted), len(seen),
            tuple(f"{s} @ {p}" for s, p in sorted(planted - seen)),
            tuple(f"{s} @ {p}" for s, p in sorted(seen - planted)),
        ))
    return results
