"""A post's approval chain (PUB-2) and the steps added to it (CON-3, CON-5, CON-6).

The chain is the policy's chain for the account's level, plus:

- the confidentiality step (CON-3) when screening finds a ``secrets`` term that asks for review;
- the competent department's authorisation (CON-5, 003 §3.2.2) when the author marks the item as a
  major event, emergency, social hot spot or sensitive topic, or screening finds one of the policy's
  ``sensitive_topics.screened_categories`` (a person decides; the keywords only route);
- the creation chain's steps (CON-6, 000 §4.5 -> §3.2) when the author marks the item as a repost of
  paid content: each a step ``creation:<code>``, answered by whoever answers that creation step of an
  account application (the policy's ``creation_approval.approvers``: a role held for a unit).

Extra steps go before the chain's last signature (``position: before_final``) or after it (``last``).
A role already in the chain is not asked twice: its one signature covers both purposes (with
``one_step_per_person`` the same person could not sign two steps of one chain anyway). For the same
reason a sensitive paid repost whose creation chain passes the competent department (its creation step
is the department's function code: 000 集团行政中心, 001 公司办公室, 003 宣传部) gets no separate
authorisation step: the competent department's creation step is its authorisation too.

Every step is an ordinary step of the stored chain: signatures bind to the content hash (the marks are
part of it, ``herald.posts.model.content_hash``), so an edit voids them, and dispatch refuses a post
whose chain is incomplete for its current hash (PUB-1). A policy without the section cannot route
such an item: it is refused at the door with the rule, never queued without its step.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from herald.errors import Violation

POSITIONS = ("before_final", "last")


@dataclass(frozen=True)
class ChainReasons:
    """Why a post's chain has extra steps: what the author marked and what screening found."""

    confidential: bool = False
    marks: tuple[str, ...] = ()  # CON-5 marks the author set that the policy's section lists
    screened: tuple[str, ...] = ()  # CON-5 terms screening found (the lexicon's spelling), in order of position
    paid_repost: bool = False

    @property
    def sensitive(self) -> bool:
        return bool(self.marks or self.screened)

    @classmethod
    def from_stored(cls, stored: Mapping[str, Any] | None) -> ChainReasons:
        """As queueing recorded them in the post's screening (``chain_reasons``; none for posts queued before)."""
        stored = stored or {}
        return cls(bool(stored.get("confidential")), tuple(stored.get("sensitive_marks") or ()),
                   tuple(stored.get("sensitive_terms") or ()), bool(stored.get("paid_repost")))

    def as_dict(self) -> dict[str, Any]:
        return {"confidential": self.confidential, "sensitive_marks": list(self.marks),
                "sensitive_terms": list(self.screened), "paid_repost": self.paid_repost}


def sensitive_terms(screening_fields: Mapping[str, Mapping[str, Any]], categories: Iterable[str]) -> tuple[str, ...]:
    """The distinct terms of the screened categories that ask for a person (review or block), field by field."""
    wanted = set(categories)
    terms: list[str] = []
    for result in screening_fields.values():
        for hit in result.get("hits", ()):
            if hit["category"] in wanted and hit["action"] != "log" and hit["term"] not in terms:
                terms.append(hit["term"])
    return tuple(terms)


def reasons_for(policy, *, route: str | None, marks: Iterable[str], paid_repost: bool,
                screening_fields: Mapping[str, Mapping[str, Any]]) -> ChainReasons:
    from herald.screening import CONFIDENTIALITY_REVIEW

    section = policy.sensitive_topics
    listed = tuple(m for m in marks if section is None or m in section.marks)
    screened = sensitive_terms(screening_fields, section.screened_categories if section else ("sensitive_topic",))
    return ChainReasons(route == CONFIDENTIALITY_REVIEW, listed, screened, paid_repost)


def missing_sections(policy, reasons: ChainReasons, field_prefix: str = "") -> list[Violation]:
    """CON-5 / CON-6: an item that needs a step the policy does not configure cannot be queued."""
    from herald.policy.citation import citation

    violations = []
    if reasons.sensitive and policy.sensitive_topics is None:
        violations.append(Violation(f"{field_prefix}sensitive_marks", "CON-5",
                                    f"本信息涉及重大事件、突发事件、社会热点或敏感问题，需经主管部门授权，但{policy.policy_id}号制度"
                                    "未配置授权环节（sensitive_topics），不能提交"))
    if reasons.paid_repost:
        if policy.paid_repost is None:
            violations.append(Violation(f"{field_prefix}paid_repost", "CON-6",
                                        f"转载付费信息须按平台开通审批流程审批，但{policy.policy_id}号制度未配置该流程（paid_repost），不能提交"))
        elif policy.creation_approval is None:
            violations.append(Violation(f"{field_prefix}paid_repost", "CON-6",
                                        f"转载付费信息须按平台开通审批流程（{citation(policy, 'creation_chain')}）审批，"
                                        f"但{policy.policy_id}号制度未配置开通审批各步骤的审批人（creation_approval），不能提交"))
    return violations


def chain_for(policy, level: str, reasons: ChainReasons) -> tuple[str, ...]:
    """The roles that sign, in order: the policy's chain for the level with the extra steps the reasons call for."""
    from herald.policy.model import CREATION_STEP_PREFIX

    base = tuple(policy.approval_chain(level))
    before: list[str] = []
    after: list[str] = []

    def add(role: str, position: str) -> None:
        if role not in base and role not in before and role not in after:
            (after if position == "last" else before).append(role)

    paid = [CREATION_STEP_PREFIX + code for code in policy.paid_repost.steps] \
        if reasons.paid_repost and policy.paid_repost is not None else []
    if reasons.confidential:
        add(policy.confidential_route_role, "before_final")
    if reasons.sensitive and policy.sensitive_topics is not None and _competent_step(policy) not in paid:
        add(policy.sensitive_topics.authorising_role, policy.sensitive_topics.position)
    for role in paid:
        add(role, policy.paid_repost.position)
    return base[:-1] + tuple(before) + base[-1:] + tuple(after)


def _competent_step(policy) -> str:
    """The creation step the competent department signs (its function code names it in creation_chain)."""
    return "creation:" + policy.competent_department.function_code


def step_purposes(policy, chain: Iterable[str], reasons: ChainReasons) -> dict[str, str]:
    """Role -> why the step is in the chain, in words for approvers (only the extra steps' roles)."""
    from herald.posts.model import PAID_REPOST_ZH, SENSITIVE_MARKS_ZH

    purposes: dict[str, str] = {}
    chain = tuple(chain)
    if reasons.paid_repost and policy.paid_repost is not None:
        for code in policy.paid_repost.steps:
            purposes["creation:" + code] = f"{PAID_REPOST_ZH}，按平台开通审批流程审批（CON-6）"
    if reasons.sensitive and policy.sensitive_topics is not None:
        what = "、".join([SENSITIVE_MARKS_ZH.get(m, m) for m in reasons.marks]
                        + [f"命中“{t}”" for t in reasons.screened])
        role = policy.sensitive_topics.authorising_role
        if role not in chain and _competent_step(policy) in chain:
            role = _competent_step(policy)  # the competent department's creation step authorises it too
        purposes[role] = "；".join(filter(None, (purposes.get(role), f"涉及{what}，需经主管部门授权（CON-5）")))
    if reasons.confidential:
        purposes.setdefault(policy.confidential_route_role, "疑似涉密，保密审查（CON-3）")
    return {role: why for role, why in purposes.items() if role in chain}


# --- who answers a creation step of a post's chain (CON-6) --------------------------------------------


def creation_step_holders(tx, account_id: str, code: str, on) -> list[dict[str, Any]]:
    """Holders of the creation step ``code`` for the account: its policy's ``creation_approval`` approver
    (a role held for a unit: ``applying`` = the account's host unit, ``group:<function>`` = that department
    of the group, ``company:<function>`` = that department of the host unit's nearest company). Nobody when
    the policy names no approver for the step."""
    from herald.posts.policies import default_policy_for

    account = tx.fetch_one("posts/account_for_post", account_id=account_id)
    if account is None:
        return []
    approval = default_policy_for(account["policy_id"]).creation_approval
    approver = approval.approvers.get(code) if approval is not None else None
    if approver is None:
        return []
    scope, _, function_code = approver.unit.partition(":")
    if scope not in ("applying", "group", "company"):
        return []
    return tx.fetch("posts/creation_step_holders", account_id=account_id, role=approver.role, scope=scope,
                    function_code=function_code, on=on)

