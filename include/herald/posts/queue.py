"""Queue a timed release: check everything at once, store the post only if nothing is wrong.

The same checks run again just before dispatch (``validate``), because the account, the lexicon,
the calendar or the day's other mass sends may have changed since the post was queued.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Collection
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from herald.content import ContentItem, check_item, check_weibo_link
from herald.db import Database, Transaction
from herald.errors import ValidationError, Violation
from herald.posts.approval import role_holders
from herald.posts.chain import ChainReasons, chain_for, missing_sections, reasons_for
from herald.posts.events import new_id, record_event
from herald.posts.model import PostRequest, ReleaseRequest, content_hash
from herald.posts.policies import default_policy_for
from herald.posts.safety import check_text_field
from herald.timeutil import local_day, require_aware, shanghai_midnight_utc

# (account_id, platform) -> the safe domains registered for the account's Weibo app, or None when not known
# (the doors read them from the account's connection: herald_airflow.platform_hooks.safe_domains_for).
SafeDomainsFor = Callable[[str, str], "Collection[str] | None"]


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


def approval_chain_for(policy, level: str, screening_route: str | None,
                       reasons: ChainReasons | None = None) -> tuple[str, ...]:
    """The policy's chain for the account level; a confidential hit adds the confidentiality step
    (CON-3) before the final signature unless the chain already has it; ``reasons`` (the author's
    marks and what screening found) add the steps of CON-5 and CON-6 (``herald.posts.chain``)."""
    from herald.screening import CONFIDENTIALITY_REVIEW

    if reasons is None:
        reasons = ChainReasons(confidential=screening_route == CONFIDENTIALITY_REVIEW)
    return chain_for(policy, level, reasons)


def validate(
    tx: Transaction,
    request: PostRequest,
    *,
    now: datetime,
    policy_for: Callable[[str], Any] = default_policy_for,
    exclude_post_id: str = "",
    for_dispatch: bool = False,
    field_prefix: str = "",
    safe_domains_for: SafeDomainsFor | None = None,
) -> Checked:
    """Every check of CON-1..CON-10, ACC-1, ORG-1, PUB-2 (the author's role) and screening; raise
    ValidationError with all violations.

    The ids are checked for invisible characters (CON-4) before anything is looked up with them. The
    author's drafting role is judged on the day the post is queued or edited; at dispatch
    (``for_dispatch``) the signed chain stands for it, so an author who changed post since does not
    void an approved item.
    """
    from herald.screening import screen, to_violations

    now = require_aware(now, "now")

    def name(field: str) -> str:
        return f"{field_prefix}{field}"

    id_violations = check_ids({name("account_id"): request.account_id, name("author_id"): request.author_id})
    if id_violations:
        raise ValidationError(id_violations)
    violations: list[Violation] = []
    account = tx.fetch_one("posts/account_for_post", account_id=request.account_id)
    if account is None:
        raise ValidationError([Violation(name("account_id"), "ACC-1",
                                         f"账号“{request.account_id}”未登记，未经审批的账号不得发布信息")])
    if account["state"] != "active":
        state = _STATE_ZH.get(account["state"], account["state"])
        violations.append(Violation(name("account_id"), "ACC-1",
                                    f"账号“{account['name']}”当前状态为{state}，只有启用的账号可以发布"))
    author = tx.fetch_one("posts/person", person_id=request.author_id)
    if author is None or not author["is_active"]:
        violations.append(Violation(name("author_id"), "PUB-3", f"提交人“{request.author_id}”不是在册人员"))
    policy = policy_for(account["policy_id"])
    if author is not None and author["is_active"] and not for_dispatch:
        violations += _check_author_role(tx, request, account, author, policy, now, name("author_id"))
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
        title=request.title,
    )
    violations += [Violation(name(v.field), v.rule_id, v.message) for v in check_item(item, rules)]
    if account["platform"] == "weibo" and safe_domains_for is not None:
        # CON-7: the link must be on a safe domain of the account's app, known from its connection.
        domains = safe_domains_for(request.account_id, account["platform"])
        violations += [found for v in check_weibo_link(request.body, domains)
                       if (found := Violation(name(v.field), v.rule_id, v.message)) not in violations]

    html_body = account["platform"] in ("wechat", "website", "blog") and request.kind in ("article", "page")
    texts = request.screened_text()
    for field_name, value in texts.items():
        violations += check_text_field(name(field_name), value, html_allowed=html_body and field_name == "body")
    for field_name in ("category",):
        value = getattr(request, field_name)
        if value:
            violations += check_text_field(name(field_name), value, html_allowed=False)
    for index, medium in enumerate(request.media):
        filename = medium.get("filename")
        if isinstance(filename, str):
            violations += check_text_field(name(f"media[{index}].filename"), filename, html_allowed=False)

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
    reasons = reasons_for(policy, route=route, marks=request.sensitive_marks, paid_repost=request.paid_repost,
                          screening_fields=screening["fields"])
    screening["chain_reasons"] = reasons.as_dict()
    violations += missing_sections(policy, reasons, field_prefix)

    if violations:
        raise ValidationError(violations)
    return Checked(request, account, policy, approval_chain_for(policy, account["level"], route, reasons), screening,
                   content_hash(request))


_STATE_ZH = {"applied": "申请中", "active": "启用", "suspended": "暂停", "deregistered": "已注销"}


def check_ids(ids: dict[str, str]) -> list[Violation]:
    """CON-4 on identifiers, by field: invisible characters (NUL above all, which the database
    refuses outright) are named before an id is used in a query."""
    return [v for field, value in ids.items() if isinstance(value, str)
            for v in check_text_field(field, value, html_allowed=False)]


def _check_author_role(tx: Transaction, request: PostRequest, account, author, policy, now: datetime,
                       field: str) -> list[Violation]:
    """PUB-2: the author holds the policy's drafting role (``author_role``) for this account on the day.

    Each pack names who drafts and submits (the info officer of 000, 001 and 002, the operator of
    003); the chain's signatures review that person's submission, so nobody else may submit.
    """
    from herald.policy.citation import citation  # herald.policy loads on first use, as in herald.posts.policies

    role = policy.author_role
    holders = {h["person_id"] for h in role_holders(tx, request.account_id, role, local_day(now))}
    if request.author_id in holders:
        return []
    label = policy.roles.get(role, role)
    return [Violation(field, "PUB-2",
                      f"“{author['name']}”在 {local_day(now).isoformat()} 不担任账号“{account['name']}”的{label}，"
                      f"只有该角色可以起草并提交发布申请（{citation(policy, 'author_role')}）")]


def store(tx: Transaction, checked: Checked, *, now: datetime, release_id: str | None = None) -> str:
    request = checked.request
    post_id = new_id("P")
    reason = "等待审批：" + " → ".join(checked.policy.role_label(r) for r in checked.chain)
    tx.execute(
        "posts/insert_post",
        post_id=post_id, release_id=release_id, account_id=request.account_id, author_id=request.author_id,
        kind=request.kind, title=request.title, body=request.body, category=request.category, source=request.source,
        media=json.dumps(list(request.media), ensure_ascii=False, sort_keys=True),
        publish_at=request.publish_at, urgency=request.urgency, content_hash=checked.content_hash,
        state="awaiting_approval", state_reason=reason, requested_at=now, updated_at=now,
        approval_chain=json.dumps(list(checked.chain)), screening=json.dumps(checked.screening, ensure_ascii=False),
        policy_id=checked.policy.policy_id, policy_sha256=checked.policy.content_hash,
        sensitive_marks=json.dumps(list(request.sensitive_marks)), is_paid_repost=request.paid_repost,
    )
    record_event(tx, post_id, "awaiting_approval", reason, request.author_id, now)
    return post_id


def queue_post(db: Database, request: PostRequest, *, now: datetime,
               policy_for: Callable[[str], Any] = default_policy_for,
               safe_domains_for: SafeDomainsFor | None = None) -> str:
    """Check and store one post; return its id. On any violation nothing is stored."""
    with db.transaction() as tx:
        checked = validate(tx, request, now=now, policy_for=policy_for, safe_domains_for=safe_domains_for)
        return store(tx, checked, now=now)


def queue_release(db: Database, release: ReleaseRequest, *, now: datetime,
                  policy_for: Callable[[str], Any] = default_policy_for,
                  safe_domains_for: SafeDomainsFor | None = None) -> tuple[str, list[str]]:
    """Queue a matrix release (PUB-7) over many accounts: all posts or none, every violation named per account."""
    if not release.account_ids:
        raise ValidationError([Violation("account_ids", "PUB-7", "矩阵发布至少需要一个账号")])
    violations = check_ids({f"account_ids[{i}]": a for i, a in enumerate(release.account_ids)})
    if violations:
        raise ValidationError(violations)
    keys = [a.strip() if isinstance(a, str) else a for a in release.account_ids]
    first_index: dict[Any, int] = {}
    for index, key in enumerate(keys):
        first = first_index.setdefault(key, index)
        if first != index:
            violations.append(Violation(f"account_ids[{index}]", "PUB-7",
                                        f"账号“{key}”在矩阵发布中重复列出（第 {first + 1} 项已有），每个账号只能发布一次"))
    release_id = new_id("R")
    checked_all: list[Checked] = []
    with db.transaction() as tx:
        for index, account_id in enumerate(release.account_ids):
            if first_index[keys[index]] != index:
                continue  # a repeat, named above: its account is checked once, at its first place
            where = f"accounts[{index}]"
            account = tx.fetch_one("posts/account_for_post", account_id=account_id)
            platform = account["platform"] if account else ""
            try:
                request = PostRequest.from_mapping(release.request_for(account_id, platform), where=where)
                checked_all.append(validate(tx, request, now=now, policy_for=policy_for, field_prefix=f"{where}.",
                                            safe_domains_for=safe_domains_for))
            except ValidationError as error:
                violations += error.violations
        if violations:
            raise ValidationError(violations)
        post_ids = [store(tx, checked, now=now, release_id=release_id) for checked in checked_all]
    return release_id, post_ids
