"""How findings and reports, read by people in Chinese, cite the clause behind a policy value."""

from __future__ import annotations

import re
from typing import Any

_CLAUSE_REFERENCE = re.compile(r"\b\d{3} (?:§|art\.)[\d.]+(?:[–-][\d.]+)?(?: note \d+)?")


def citation(policy: Any, path: str) -> str:
    """How a finding read by people cites the clause behind a value (Herald defaults name what they follow)."""
    clause = policy.clause(path)
    if clause.startswith("Herald default"):
        followed = _CLAUSE_REFERENCE.findall(clause)
        if followed:
            return f"{policy.policy_id}号制度未作规定，参照" + "、".join(dict.fromkeys(followed))
        return f"{policy.policy_id}号制度未作规定，采用Herald默认规则"
    return f"依据{clause}"
