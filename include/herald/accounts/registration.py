"""Filing an account application: the registration form (备案登记表, 003 §5.1) as a record (ACC-1, ACC-2, ACC-3).

``apply_for_account`` checks the form against the organisation and the applying unit's policy and, in one
transaction, creates the account in state ``applied`` with every registration field, its administrators, the
application (with its creation chain expanded, ``herald.accounts.chain``) and a ``state_change`` event. Every problem
is named at once, each with its field and rule; on any problem nothing is written.

Completeness (ACC-3) is checked against the policy's ``registration.required_fields``, except what the chain itself
fills in: the opening date (set when the last step is approved) and the host unit's and competent department's
opinions (the policy's ``host_unit_opinion_step`` and ``competent_opinion_step`` sign them).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from herald.accounts.chain import Org, expand_chain
from herald.db import Database, Transaction
from herald.errors import ValidationError, Violation
from herald.posts.policies import default_policy_for
from herald.registry import FIELD_LABELS as REGISTRATION_FORM_LABELS
from herald.timeutil import require_aware

VIAS = ("api", "cli", "import")
# The registration form's labels (003 §5.1), for messages people read; shared with the registry check.
FIELD_LABELS = {
    **REGISTRATION_FORM_LABELS,  # the registration form's own labels (003 §5.1), as the registry check names them
    # and the fields of the application that the form has no line for, or names differently
    "account_id": "账号编号",
    "host_unit_id": "主办单位",
    "planned_opened_on": "创建时间",
    "administrator_ids": "管理员信息",
    "related_unit_ids": "相关部门",
    "parent_account_id": "上级账号",
}
# Required fields the creation chain fills in, by the opinion step that signs them.
HOST_OPINION_FIELDS = ("host_unit_opinion_by", "host_unit_opinion_on")
COMPETENT_OPINION_FIELDS = ("competent_opinion_by", "competent_opinion_on")
PLATFORM_LABELS = {
    "wechat": "微信公众号", "weibo": "微博", "qq": "QQ工作群", "website": "企业官方网站", "blog": "博客",
    "tieba": "百度贴吧", "forum": "论坛", "mobile_newspaper": "手机报", "app": "APP客户端", "network_video": "网络视频",
    "mobile_tv": "移动电视",
}


@dataclass(frozen=True)
class ApplicationRequest:
    """The registration form as the domain reads it (``herald.boundary.accounts.AccountApplicationIn`` builds it)."""

    platform: str
    name: str
    creating_unit_id: str
    account_id: str | None = None
    platform_account_id: str | None = None
    link: str | None = None
    is_verified: bool | None = None
    verification_documents: str | None = None
    purpose: str | None = None
    content_scope: str | None = None
    host_unit_id: str | None = None
    planned_opened_on: date | None = None
    supervising_leader_id: str | None = None
    administrator_ids: tuple[str, ...] = ()
    related_unit_ids: tuple[str, ...] = ()
    parent_account_id: str | None = None

    @classmethod
    def from_mapping(cls, fields: Mapping[str, Any]) -> ApplicationRequest:
        values = dict(fields)
        for name in ("administrator_ids", "related_unit_ids"):
            values[name] = tuple(values.get(name) or ())
        return cls(**values)


@dataclass(frozen=True)
class Source:
    """Where a filed form came from, when it was a file (an Excel import): its name and SHA-256."""

    name: str
    sha256: str
    cells: Mapping[str, str] = field(default_factory=dict)  # request field -> "sheet!B5", to name cells in refusals


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == ()


def missing_fields(request: ApplicationRequest, policy: Any) -> list[str]:
    """Required registration fields (ACC-3) the form leaves empty, other than those the creation chain fills in."""
    approval = policy.creation_approval
    chain_codes = set(policy.creation_chain)
    filled_by_chain = {"opened_on"}
    if approval is not None and approval.host_unit_opinion_step in chain_codes:
        filled_by_chain.update(HOST_OPINION_FIELDS)
    if approval is not None and approval.competent_opinion_step in chain_codes:
        filled_by_chain.update(COMPETENT_OPINION_FIELDS)
    values = {name: getattr(request, name, None) for name in ApplicationRequest.__dataclass_fields__}
    values["administrators"] = request.administrator_ids
    missing = []
    for name in policy.registration_required_fields:
        if name in filled_by_chain:
            continue
        if name in policy.conditional_required_fields:
            if values.get(policy.conditional_required_fields[name]) and _blank(values.get(name)):
                missing.append(name)
        elif _blank(values.get(name)):
            missing.append("administrator_ids" if name == "administrators" else name)
    for name, condition in policy.conditional_required_fields.items():
        if name not in policy.registration_required_fields and values.get(condition) and _blank(values.get(name)):
            missing.append(name)
    return missing


def _check_people(tx: Transaction, request: ApplicationRequest) -> list[Violation]:
    violations = []
    if request.supervising_leader_id:
        leader = tx.fetch_one("accounts/person", person_id=request.supervising_leader_id)
        if leader is None or not leader["is_active"]:
            violations.append(Violation("supervising_leader_id", "ACC-3",
                                        f"主管领导“{request.supervising_leader_id}”不是在册人员"))
    seen: set[str] = set()
    for index, person_id in enumerate(request.administrator_ids):
        where = f"administrator_ids[{index}]"
        if person_id in seen:
            violations.append(Violation(where, "ACC-3", f"管理员“{person_id}”重复填写"))
            continue
        seen.add(person_id)
        person = tx.fetch_one("accounts/person", person_id=person_id)
        if person is None or not person["is_active"]:
            violations.append(Violation(where, "ACC-3", f"管理员“{person_id}”不是在册人员"))
    return violations


def _check_units(org: Org, request: ApplicationRequest) -> list[Violation]:
    violations = []
    if org.get(request.creating_unit_id) is None:
        violations.append(Violation("creating_unit_id", "ACC-3", f"创建单位“{request.creating_unit_id}”不在组织机构中"))
    if request.host_unit_id and org.get(request.host_unit_id) is None:
        violations.append(Violation("host_unit_id", "ACC-3", f"主办单位“{request.host_unit_id}”不在组织机构中"))
    seen: set[str] = set()
    for index, unit_id in enumerate(request.related_unit_ids):
        where = f"related_unit_ids[{index}]"
        if org.get(unit_id) is None:
            violations.append(Violation(where, "ACC-2", f"相关部门“{unit_id}”不在组织机构中"))
        elif unit_id == request.creating_unit_id:
            violations.append(Violation(where, "ACC-2", "相关部门不能是申请部门本身"))
        elif unit_id in seen:
            violations.append(Violation(where, "ACC-2", f"相关部门“{org.units[unit_id]['name']}”重复填写"))
        seen.add(unit_id)
    return violations


def _check_account(tx: Transaction, request: ApplicationRequest, policy: Any) -> list[Violation]:
    violations = []
    if request.platform not in policy.platforms:
        allowed = "、".join(PLATFORM_LABELS.get(p, p) for p in policy.platforms)
        violations.append(Violation("platform", "ORG-1", f"{policy.policy_id}号制度管理的平台不包括"
                                                         f"“{PLATFORM_LABELS.get(request.platform, request.platform)}”（可选：{allowed}）"))
    if request.account_id and tx.fetch_one("accounts/account_exists", account_id=request.account_id):
        violations.append(Violation("account_id", "ACC-1", f"账号编号“{request.account_id}”已被使用"))
    if request.platform_account_id:
        same = tx.fetch_one("accounts/same_platform_account", platform=request.platform,
                            platform_account_id=request.platform_account_id)
        if same is not None:
            violations.append(Violation("platform_account_id", "ACC-1",
                                        f"{PLATFORM_LABELS.get(request.platform, request.platform)}账号ID“{request.platform_account_id}”"
                                        f"已登记为“{same['name']}”（{same['account_id']}），不能重复申请"))
    if request.parent_account_id:
        parent = tx.fetch_one("accounts/account_exists", account_id=request.parent_account_id)
        if parent is None or parent["state"] not in ("active", "suspended"):
            violations.append(Violation("parent_account_id", "ORG-3",
                                        f"上级账号“{request.parent_account_id}”不存在或未开通"))
    return violations


def apply_for_account(db: Database, request: ApplicationRequest, *, applicant_id: str, via: str, now: datetime,
                      source: Source | None = None, policy_for: Callable[[str], Any] = default_policy_for
                      ) -> dict[str, Any]:
    """File the form; return ``{application_id, account_id, chain}``. Raises ``ValidationError`` naming every problem."""
    now = require_aware(now, "now")
    if via not in VIAS:
        raise ValidationError([Violation("via", "ACC-2", f"申请渠道“{via}”无效")])
    with db.transaction() as tx:
        org = Org(tx.fetch("accounts/units"))
        violations = _check_units(org, request)
        applicant = tx.fetch_one("accounts/person", person_id=applicant_id)
        if applicant is None or not applicant["is_active"]:
            violations.append(Violation("applicant_id", "ACC-2", f"申请人“{applicant_id}”不是在册人员"))
        unit = org.get(request.creating_unit_id)
        if unit is None:
            raise ValidationError(violations)  # no unit, no policy: the rest cannot be judged
        policy = policy_for(unit["policy_id"])
        violations += _check_people(tx, request)
        violations += _check_account(tx, request, policy)
        violations += [Violation(name, "ACC-3", f"备案登记表必填项“{FIELD_LABELS.get(name, name)}”未填写"
                                 + ("（已认证的账号须注明认证文件）" if name == "verification_documents" else ""))
                       for name in missing_fields(request, policy)]
        related = tuple(u for u in request.related_unit_ids if org.get(u) is not None)
        chain, chain_violations = expand_chain(policy, org, request.creating_unit_id, related)
        violations += chain_violations
        if violations:
            raise ValidationError(violations)

        account_id = request.account_id or f"acct-{request.platform}-{uuid.uuid4().hex[:10]}"
        application_id = f"APP-{uuid.uuid4().hex[:16]}"
        tx.execute("accounts/insert_account", account_id=account_id, platform=request.platform, name=request.name,
                   platform_account_id=request.platform_account_id, link=request.link, is_verified=request.is_verified,
                   verification_documents=request.verification_documents, purpose=request.purpose,
                   content_scope=request.content_scope, creating_unit_id=request.creating_unit_id,
                   host_unit_id=request.host_unit_id or request.creating_unit_id,
                   supervising_leader_id=request.supervising_leader_id,
                   level="subordinate" if request.parent_account_id else "group",
                   parent_account_id=request.parent_account_id, policy_id=policy.policy_id, now=now)
        for person_id in request.administrator_ids:
            tx.execute("accounts/insert_admin", account_id=account_id, person_id=person_id)
        tx.execute("accounts/insert_application", application_id=application_id, account_id=account_id,
                   applicant_id=applicant_id, applying_unit_id=request.creating_unit_id,
                   related_unit_ids=json.dumps(list(related)), planned_opened_on=request.planned_opened_on,
                   chain=json.dumps([s.as_dict() for s in chain], ensure_ascii=False),
                   state_reason=f"等待{chain[0].title}审批", via=via,
                   source_name=source.name if source else None, source_sha256=source.sha256 if source else None,
                   policy_id=policy.policy_id, policy_sha256=policy.content_hash, now=now)
        tx.execute("accounts/insert_event", event_id=f"AE-{uuid.uuid4().hex[:20]}", account_id=account_id,
                   kind="state_change", step=None, decision=None, actor_id=applicant_id, new_state="applied",
                   occurred_at=now, detail=json.dumps({"application_id": application_id, "via": via,
                                                       "reason": "提交账号开通申请（备案登记表）"}, ensure_ascii=False))
    return {"application_id": application_id, "account_id": account_id, "state": "pending",
            "chain": [s.as_dict() for s in chain]}
