"""Queue a timed release: check everything at once, store the post only if nothing is wrong.

The same checks run again just before dispatch (``validate``), because the account, the lexicon,
the calendar or the day's other mass sends may have changed since the post was queued.
"""

from __future__ import annotations

import dataclasses
import json
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from herald.content import ContentItem, check_item
from herald.db import Database, Transaction
from herald.errors import ValidationError, Violation
from herald.posts.model import PostRequest, ReleaseRequest, content_hash
from herald.posts.safety import check_text_field
from herald.timeutil import local_day, require_aware, shanghai_midnight_utc


@dataclasses.dataclass(frozen=True)
class Checked:
    """A request that passed every check, with what storing it needs."""

    request: PostRequest
    account: dict[str, Any]
    policy: Any
    chain: tuple[str, ...]
    screening: dict[str, Any]
    content_hash: str


@lru_cache(maxsize=8)
def _lexicon(name: str):
    from herald.screening import load_lexicon

    return load_lexicon(name)


def _default_policy_for(policy_id: str):
    from herald.policy import load_policy

    return load_policy(policy_id)


def approval_chain_for(policy, level: str, screening_route: str | None) -> tuple[str, ...]:
    """The policy's chain for the account level; a confidential hit adds the confidentiality step
    (CON-3) before the final signature unless the chain already has it."""
    from herald.screening import CONFIDENTIALITY_REVIEW

    chain = tuple(policy.approval_chain(level))
    role = policy.confidential_route_role
    if screening_route == CONFIDENTIALITY_REVIEW and role not in chain:
        chain = chain[:-1] + (role,) + chain[-1:]
    return chain


def validate(
    tx: Transaction,
    request: PostRequest,
    *,
    now: datetime,
    policy_for: Callable[[str], Any] = _default_policy_for,
    exclude_post_id: str = "",
    for_dispatch: bool = False,
    field_prefix: str = "",
) -> Checked:
    """Every check of CON-1..CON-10, ACC-1, ORG-1 and screening; raise ValidationError with all violations."""
    from herald.screening import screen, to_violations

    now = require_aware(now, "now")
    name = (lambda f: f"{field_prefix}{f}")
    violations: list[Violation] = []
    account = tx.fetch_one("posts/account_for_post", account_id=request.account_id)
    if account is None:
        raise ValidationError([Violation(name("account_id"), "ACC-1",
                                         f"账号“{request.account_id}”未登记，未经审批的账号不得发布信息")])
    if account["state"] != "active":
        violations.append(Violation(name("account_id"), "ACC-1",
                                    f"账号“{account['name']}”当前状态为{_STATE_ZH.get(account['state'], account['state'])}，只有启用的账号可以发布"))
    author = tx.fetch_one("posts/person", person_id=request.author_id)
    if author is None or not author["is_active"]:
        violations.append(Violation(name("author_id"), "PUB-3", f"提交人“{request.author_id}”不是在册人员"))
    policy = policy_for(account["policy_id"])
    if account["platform"] not in policy.platforms:
        violations.append(Violation(name("account_id"), "ORG-1",
                                    f"平台“{account['platform']}”不在{policy.policy_id}号制度的管理范围内"))
    if request.kind == "mass_send" and account["platform"] != "wechat":
        violations.append(Violation(name("kind"), "CON-9", "只有微信公众号可以群发(mass_send)"))

    rules = policy
    preview_sent_at = None
    if not for_dispatch:
        # The preview (test) send happens at dispatch, just before the mass send; it is checked then.
        rules = dataclasses.replace(policy, mass_send=dataclasses.replace(policy.mass_send, preview_required=False))
    other_mass_sends: tuple[datetime, ...] = ()
    if request.kind == "mass_send":
        day_start = shanghai_midnight_utc(local_day(request.publish_at))
        other_mass_sends = tuple(
            row["send_at"] for row in tx.fetch(
                "posts/mass_sends_on_account", account_id=request.account_id, exclude_post_id=exclude_post_id,
                from_at=day_start, to_at=day_start + timedelta(days=1),
            )
        )
    item = ContentItem(
        platform=account["platform"], body=request.body, category=request.category, source=request.source,
        requested_at=now, publish_at=request.publish_at, urgency=request.urgency, kind=request.kind,
        media=request.media, preview_sent_at=preview_sent_at, other_mass_sends_at=other_mass_sends,
    )
    violations += [Violation(name(v.field), v.rule_id, v.message) for v in check_item(item, rules)]

    html_body = account["platform"] in ("wechat", "website", "blog") and request.kind in ("article", "page")
    texts = request.screened_text()
    for field_name, value in texts.items():
        violations += check_text_field(name(field_name), value, html_allowed=html_body and field_name == "body")
    for field_name in ("category",):
        value = getattr(request, field_name)
        if value:
            violations += check_text_field(name(field_name), value, html_allowed=False)

    lexicon = _lexicon(policy.screening.lexicon)
    route = None
    screening: dict[str, Any] = {"fields": {}}
    for field_name, value in texts.items():
        result = screen(value, lexicon)
        screening["fields"][field_name] = result.as_dict()
        screening["lexicon_version"], screening["lexicon_sha256"] = result.lexicon_version, result.lexicon_sha256
        blocking = dataclasses.replace(result, hits=[h for h in result.hits if h.action == "block"])
        violations += to_violations(blocking, name(field_name))
        route = route or result.route
    screening["route"] = route

    if violations:
        raise ValidationError(violations)
    return Checked(request, account, policy, approval_chain_for(policy, account["level"], route), screening,
                   content_hash(request))


_STATE_ZH = {"applied": "申请中", "active": "启用", "suspended": "暂停", "deregistered": "已注销"}


def _new_id(prefix: str) -> str:
    # Time-ordered, so events recorded within the same business timestamp still list in the order made.
    return f"{prefix}-{time.time_ns():020d}-{uuid.uuid4().hex[:8]}"


def store(tx: Transaction, checked: Checked, *, now: datetime, release_id: str | None = None) -> str:
    request = checked.request
    post_id = _new_id("P")
    reason = "等待审批：" + " → ".join(checked.policy.roles.get(r, r) for r in checked.chain)
    tx.execute(
        "posts/insert_post",
        post_id=post_id, release_id=release_id, account_id=request.account_id, author_id=request.author_id,
        kind=request.kind, title=request.title, body=request.body, category=request.category, source=request.source,
        media=json.dumps(list(request.media), ensure_ascii=False, sort_keys=True),
        publish_at=request.publish_at, urgency=request.urgency, content_hash=checked.content_hash,
        state="awaiting_approval", state_reason=reason, requested_at=now, updated_at=now,
        approval_chain=json.dumps(list(checked.chain)), screening=json.dumps(checked.screening, ensure_ascii=False),
        policy_id=checked.policy.policy_id, policy_sha256=checked.policy.content_hash,
    )
    record_event(tx, post_id, "awaiting_approval", reason, request.author_id, now)
    return post_id


def record_event(tx: Transaction, post_id: str, state: str, reason: str, actor_id: str | None, now: datetime) -> None:
    record_events(tx, [(post_id, state, reason, actor_id)], now)


def record_events(tx: Transaction, events: list[tuple[str, str, str, str | None]], now: datetime) -> None:
    """Several posts' (post_id, state, reason, actor_id) events in one round trip (a burst's claims)."""
    tx.execute_many("posts/insert_post_event", [
        {"event_id": _new_id("E"), "post_id": post_id, "state": state, "reason": reason, "actor_id": actor_id,
         "occurred_at": now} for post_id, state, reason, actor_id in events])


def queue_post(db: Database, request: PostRequest, *, now: datetime,
               policy_for: Callable[[str], Any] = _default_policy_for) -> str:
    """Check and store one post; return its id. On any violation nothing is stored."""
    with db.transaction() as tx:
        checked = validate(tx, request, now=now, policy_for=policy_for)
        return store(tx, checked, now=now)


def queue_release(db: Database, release: ReleaseRequest, *, now: datetime,
                  policy_for: Callable[[str], Any] = _default_policy_for) -> tuple[str, list[str]]:
    """Queue a matrix release (PUB-7) over many accounts: all posts or none, every violation named per account."""
    if not release.account_ids:
        raise ValidationError([Violation("account_ids", "PUB-7", "矩阵发布至少需要一个账号")])
    release_id = _new_id("R")
    violations: list[Violation] = []
    checked_all: list[Checked] = []
    with db.transaction() as tx:
        for index, account_id in enumerate(release.account_ids):
            where = f"accounts[{index}]"
            account = tx.fetch_one("posts/account_for_post", account_id=account_id)
            platform = account["platform"] if account else ""
            try:
                request = PostRequest.from_mapping(release.request_for(account_id, platform), where=where)
                checked_all.append(validate(tx, request, now=now, policy_for=policy_for, field_prefix=f"{where}."))
            except ValidationError as error:
                violations += error.violations
        if violations:
            raise ValidationError(violations)
        post_ids = [store(tx, checked, now=now, release_id=release_id) for checked in checked_all]
    return release_id, post_ids
