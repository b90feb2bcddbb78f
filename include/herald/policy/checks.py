"""Cross-field rules of a policy document that JSON Schema cannot express.

Each check reads the raw document defensively (a section may be missing or of the wrong type:
the schema reports that) and yields ``(path, message)`` so the loader can add the line number.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from herald.policy.model import ACCOUNT_LEVELS, CITATION_KEYS

Path = tuple[str | int, ...]
Problem = tuple[Path, str]


def _get(document: Any, *keys: str) -> Any:
    """``document[k1][k2]...`` or None when any step is missing or not a mapping."""
    node = document
    for key in keys:
        if not isinstance(node, Mapping):
            return None
        node = node.get(key)
    return node


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []


def check_roles_defined(document: Any) -> Iterator[Problem]:
    """Every role a chain, route or review names is one the policy defines (PUB-2, ORG-2)."""
    labels = _get(document, "roles", "labels")
    if not isinstance(labels, Mapping):
        return
    defined = ", ".join(labels)

    def unknown(role: Any) -> bool:
        return isinstance(role, str) and role not in labels

    references: list[tuple[Path, Any]] = [
        (("approval_chains", "author_role"), _get(document, "approval_chains", "author_role")),
        (("screening", "confidential_route_role"), _get(document, "screening", "confidential_route_role")),
        (("annual_inspection", "reviewed_by_role"), _get(document, "annual_inspection", "reviewed_by_role")),
    ]
    for level in ACCOUNT_LEVELS:
        references += [(("approval_chains", level, i), role)
                       for i, role in enumerate(_list(_get(document, "approval_chains", level)))]
    references += [(("notifications", "route_roles", i), role)
                   for i, role in enumerate(_list(_get(document, "notifications", "route_roles")))]
    for path, role in references:
        if unknown(role):
            yield path, f"role {role!r} is not defined in roles.labels (defined: {defined})"


def check_author_is_not_approver(document: Any) -> Iterator[Problem]:
    """The author submits; nobody approves their own item (PUB-1)."""
    author = _get(document, "approval_chains", "author_role")
    for level in ACCOUNT_LEVELS:
        for i, role in enumerate(_list(_get(document, "approval_chains", level))):
            if isinstance(author, str) and role == author:
                yield ("approval_chains", level, i), (
                    f"the author role {author!r} cannot also approve: an approval step must be someone else")


def check_chain_fits_lead_time(document: Any) -> Iterator[Problem]:
    """Every step may use its whole timeout and the chain still ends before a regular item's lead time."""
    hours = _get(document, "approval_chains", "response_timeout_hours")
    days = _get(document, "lead_time", "regular_min_days")
    if not (isinstance(hours, int) and isinstance(days, int)) or isinstance(hours, bool) or isinstance(days, bool):
        return
    for level in ACCOUNT_LEVELS:
        steps = len(_list(_get(document, "approval_chains", level)))
        if steps * hours > days * 24:
            yield ("approval_chains", "response_timeout_hours"), (
                f"{steps} steps of the {level} chain × {hours} h = {steps * hours} h exceed the regular "
                f"lead time of {days} days ({days * 24} h): an item requested on time could expire unanswered")


def check_image_bounds(document: Any) -> Iterator[Problem]:
    low = _get(document, "content", "image_min_bytes")
    high = _get(document, "content", "image_max_bytes")
    if isinstance(low, int) and isinstance(high, int) and low >= high:
        yield ("content", "image_min_bytes"), (
            f"{low} must be smaller than content.image_max_bytes ({high}): no image size would be allowed")


def check_channels_cover_platforms(document: Any) -> Iterator[Problem]:
    """Herald can only publish to an in-scope platform if it knows how (api, webhook or manual)."""
    channels = _get(document, "channels")
    if not isinstance(channels, Mapping):
        return
    for i, platform in enumerate(_list(_get(document, "platforms", "codes"))):
        if isinstance(platform, str) and platform not in channels:
            yield ("platforms", "codes", i), f"platform {platform!r} is in scope but channels has no entry for it"


def check_conditional_fields(document: Any) -> Iterator[Problem]:
    required = _list(_get(document, "registration", "required_fields"))
    conditional = _get(document, "registration", "conditional_required_fields")
    if not isinstance(conditional, Mapping):
        return
    for field_name, condition in conditional.items():
        path = ("registration", "conditional_required_fields", field_name)
        if field_name in required:
            yield path, f"{field_name!r} is also in required_fields: it cannot be both always and conditionally required"
        if isinstance(condition, str) and condition not in required:
            yield path, f"its condition field {condition!r} must itself be in required_fields"


def check_unique_codes(document: Any) -> Iterator[Problem]:
    for section, key in (("content", "categories"), ("creation_chain", "steps")):
        seen: set[str] = set()
        for i, item in enumerate(_list(_get(document, section, key))):
            code = item.get("code") if isinstance(item, Mapping) else None
            if isinstance(code, str):
                if code in seen:
                    yield (section, key, i, "code"), f"code {code!r} is given twice"
                seen.add(code)


def check_value_clauses_name_values(document: Any) -> Iterator[Problem]:
    """A value_clauses entry must cite a value that exists beside it, or it cites nothing."""
    if not isinstance(document, Mapping):
        return
    for section, body in document.items():
        overrides = _get(body, "value_clauses")
        if not isinstance(overrides, Mapping):
            continue
        for key in overrides:
            if key in CITATION_KEYS or key not in body:
                yield (section, "value_clauses", key), f"cites {key!r}, which is not a value of {section}"


def check_timezone(document: Any) -> Iterator[Problem]:
    name = _get(document, "cadence", "timezone")
    if isinstance(name, str) and name:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            yield ("cadence", "timezone"), f"{name!r} is not a known IANA time zone"


def check_dates(document: Any) -> Iterator[Problem]:
    since = _get(document, "assessment", "since_on")
    if isinstance(since, str):
        try:
            date.fromisoformat(since)
        except ValueError:
            yield ("assessment", "since_on"), f"{since!r} is not a calendar date (YYYY-MM-DD)"


def check_extra_post_steps(document: Any) -> Iterator[Problem]:
    """CON-5 and CON-6: the authorising role is defined and is not the author's; a paid repost's steps are
    creation_chain steps, in its order, each with a creation_approval approver when that section is present."""
    labels = _get(document, "roles", "labels")
    role = _get(document, "sensitive_topics", "authorising_role")
    if isinstance(labels, Mapping) and isinstance(role, str) and role not in labels:
        yield ("sensitive_topics", "authorising_role"), (
            f"role {role!r} is not defined in roles.labels (defined: {', '.join(labels)})")
    if isinstance(role, str) and role == _get(document, "approval_chains", "author_role"):
        yield ("sensitive_topics", "authorising_role"), (
            f"the author role {role!r} cannot also authorise: the authorisation must be someone else's")
    codes = [s.get("code") for s in _list(_get(document, "creation_chain", "steps")) if isinstance(s, Mapping)]
    approvers = _get(document, "creation_approval", "approvers")
    last = -1
    for i, step in enumerate(_list(_get(document, "paid_repost", "steps"))):
        if step not in codes:
            yield ("paid_repost", "steps", i), f"{step!r} is not a creation_chain step (steps: {', '.join(map(str, codes))})"
            continue
        if codes.index(step) < last:
            yield ("paid_repost", "steps", i), f"{step!r} comes before the previous step in creation_chain: keep its order"
        last = codes.index(step)
        if isinstance(approvers, Mapping) and step not in approvers:
            yield ("paid_repost", "steps", i), f"creation step {step!r} has no approver in creation_approval.approvers"


# The roles the comment watch's escalations (SEC-2, SEC-3) and the complaints' handlers (SEC-4) are routed to: the
# host unit's head and the competent department covering it (herald.cadence.digest.Router, sql/cadence/route_holders.sql).
ROUTED_ROLES = ("host_unit_head", "competent_department_head")
WATCH_CATEGORY_KEYS = ("illegal_categories", "reputation_categories", "negative_categories")


def check_account_sections(document: Any) -> Iterator[Problem]:
    """ACC-2, PUB-6, SEC-2 to SEC-4: the roles the creation approvers, the delegation's approver, the comment watch and
    the complaints are answered by are defined, and the comment watch's categories are screening categories."""
    labels = _get(document, "roles", "labels")
    if isinstance(labels, Mapping):
        defined = ", ".join(labels)
        references: list[tuple[Path, Any]] = [
            (("delegated_access", "approver_role"), _get(document, "delegated_access", "approver_role"))]
        approvers = _get(document, "creation_approval", "approvers")
        if isinstance(approvers, Mapping):
            references += [(("creation_approval", "approvers", code, "role"), _get(approver, "role"))
                           for code, approver in approvers.items()]
        for section in ("comment_watch", "complaints"):
            if isinstance(_get(document, section), Mapping):
                references += [((section,), role) for role in ROUTED_ROLES if role not in labels]
        for path, role in references:
            if isinstance(role, str) and role not in labels:
                routed = f" ({path[0]} is routed to {' and '.join(ROUTED_ROLES)})" if len(path) == 1 else ""
                yield path, f"role {role!r} is not defined in roles.labels{routed} (defined: {defined})"
    from herald.screening.lexicon import CATEGORIES  # the screening categories a comment can be found under

    for key in WATCH_CATEGORY_KEYS:
        for i, category in enumerate(_list(_get(document, "comment_watch", key))):
            if isinstance(category, str) and category not in CATEGORIES:
                yield ("comment_watch", key, i), (
                    f"{category!r} is not a screening category (categories: {', '.join(CATEGORIES)})")


CHECKS: tuple[Callable[[Any], Iterator[Problem]], ...] = (
    check_roles_defined,
    check_author_is_not_approver,
    check_chain_fits_lead_time,
    check_image_bounds,
    check_channels_cover_platforms,
    check_conditional_fields,
    check_unique_codes,
    check_value_clauses_name_values,
    check_timezone,
    check_dates,
    check_extra_post_steps,
    check_account_sections,
)


def semantic_problems(document: Any) -> Iterator[Problem]:
    for check in CHECKS:
        yield from check(document)
