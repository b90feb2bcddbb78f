"""How findings and reports, read by people in Chinese, cite the clause behind a policy value: each clause once."""

from __future__ import annotations

import re
from typing import Any

# A clause as the packs write it: "000 §4.4", "001 art.12.2", "003 §5.1 note 3".
CLAUSE = re.compile(r"(\d{3}) (?:§([\d.]+)|art\.([\d.]+))(?: note (\d+))?")
_SAME_POLICY = re.compile(r"(?<![\w.])(?:art\.([\d.]+)|§([\d.]+))")


def clause_label(clause: str) -> str:
    """Clauses in Chinese: 000号制度§4.4, 001号制度第12.2条, 003号制度§5.1注3."""
    def words(match: re.Match) -> str:
        policy, section, article, note = match.groups()
        where = f"§{section}" if section else f"第{article}条"
        return f"{policy}号制度{where}" + (f"注{note}" if note else "")

    # A later clause of the same policy written without it ("001 art.12.1, art.7"): 第7条.
    return _SAME_POLICY.sub(lambda m: f"第{m.group(1)}条" if m.group(1) else f"§{m.group(2)}", CLAUSE.sub(words, clause))


def citation(policy: Any, path: str) -> str:
    """The citation people read: 依据000号制度§4.4; for a value the policy does not set, what Herald applies
    instead: 000号制度未作规定，参照002号制度第10.2条 (a second clause of the same pack without the pack again)."""
    return people_citation(policy.clause(path), policy.policy_id)


def people_citation(clause: str, policy_id: str | None = None) -> str:
    """A clause as people read it (see ``citation``); without ``policy_id`` (a group pack mixes policies) a value the
    policy does not set reads 参照… or 按Herald默认规则 alone. The English reason of a Herald default stays in the
    policy pack, for engineers."""
    if clause.startswith("Herald default"):
        applied = re.split(r"\b(?:applies|adopts)\b", clause, maxsplit=1)
        adopted, last_policy = [], None
        for match in CLAUSE.finditer(applied[1]) if len(applied) == 2 else ():
            label = clause_label(match.group(0))
            adopted.append(label.removeprefix(f"{last_policy}号制度") if match.group(1) == last_policy else label)
            last_policy = match.group(1)
        basis = f"参照{'、'.join(adopted)}" if adopted else "按Herald默认规则"
        return f"{policy_id}号制度未作规定，{basis}" if policy_id else basis
    return f"依据{clause_label(clause)}"
