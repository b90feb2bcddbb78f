"""Shared by the door's fuzzing tests: what a readable refusal is, a request that passes, and the run's size.

A refusal people can act on names a field, a rule of the catalogue (or 格式 for a malformed request) and says what is
wrong in Chinese. ``HERALD_FUZZ=long`` (``make fuzz``) selects the Hypothesis profile ``long``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, settings

RULE_ID = re.compile(r"(?:ORG|ACC|CON|PUB|SEC)-[1-9][0-9]?|格式")
CHINESE = re.compile(r"[\u4e00-\u9fff]")

settings.register_profile("door", max_examples=150, deadline=None, database=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("long", settings.get_profile("door"), max_examples=5000, derandomize=False)
PROFILE = settings.get_profile("long" if os.environ.get("HERALD_FUZZ") == "long" else "door")


def violation_problems(violations: Iterable[Any]) -> list[str]:
    """What makes each violation (a ``Violation`` or its JSON) unreadable; empty when every one names field, rule, reason."""
    problems = []
    found = 0
    for violation in violations:
        found += 1
        item = violation if isinstance(violation, dict) else violation.as_dict()
        field, rule, message = item.get("field"), item.get("rule_id"), item.get("message")
        if not isinstance(field, str) or not field:
            problems.append(f"no field: {item!r}")
        if not isinstance(rule, str) or not RULE_ID.fullmatch(rule):
            problems.append(f"unknown rule: {item!r}")
        if not isinstance(message, str) or not CHINESE.search(message):
            problems.append(f"not said in Chinese: {item!r}")
    return problems if found else ["a refusal without violations"]


def assert_readable(violations: Iterable[Any], context: object = "") -> None:
    problems = violation_problems(violations)
    assert not problems, f"{context}\n" + "\n".join(problems)


def good_post(**changes: Any) -> dict[str, Any]:
    """A Weibo post the small organisation's second author (author2) may queue, two months ahead at 09:00 Shanghai."""
    publish_at = (datetime.now(UTC) + timedelta(days=60)).replace(hour=1, minute=0, second=0, microsecond=0)
    return {"account_id": "WB-GROUP", "author_id": "author2", "kind": "text", "category": "corporate_image",
            "source": "集团行政中心", "body": "集团第五届科技创新开放日本周举行，欢迎参观 https://example.com/open-day",
            "publish_at": publish_at.isoformat(), **changes}
