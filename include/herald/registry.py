"""The account registry check: every active account is authorised (ACC-1) and fully registered (ACC-3).

Runs daily. Findings are about standing state (period ``standing``): they stay open while the
gap exists and resolve themselves on the first check after it is closed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from herald.cadence.labels import account_label
from herald.db import Transaction
from herald.findings import STANDING, Finding, Scope
from herald.policy.citation import citation

RULES = ("ACC-1", "ACC-3")
SCOPE = Scope(rule_ids=RULES, period_from=STANDING, period_to=STANDING)

# Labels of the registration form (003 §5.1) for the messages people read.
FIELD_LABELS = {
    "creating_unit_id": "创建单位",
    "opened_on": "创建时间",
    "platform": "新媒体平台",
    "name": "账号名称",
    "platform_account_id": "账号ID",
    "link": "媒体链接地址或服务号",
    "is_verified": "是否认证",
    "verification_documents": "认证需要文件",
    "purpose": "宗旨",
    "content_scope": "内容范围",
    "supervising_leader_id": "主管领导",
    "administrators": "管理员信息",
    "host_unit_opinion_by": "主办单位意见(负责人签字)",
    "host_unit_opinion_on": "主办单位意见(日期)",
    "is_host_unit_sealed": "主办单位公章",
    "competent_opinion_by": "主管部门意见(负责人签字)",
    "competent_opinion_on": "主管部门意见(日期)",
}






def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def missing_registration_fields(account: dict[str, Any], required: tuple[str, ...],
                                conditional: dict[str, str]) -> list[str]:
    """Fields of the registration record the account leaves empty (ACC-3)."""
    missing = []
    for name in required:
        if name == "administrators":
            if not account.get("administrator_count"):
                missing.append(name)
        elif name in conditional:
            if account.get(conditional[name]) and _is_blank(account.get(name)):
                missing.append(name)
        elif _is_blank(account.get(name)):
            missing.append(name)
    return missing


def missing_creation_steps(decisions: list[dict[str, Any]], chain: tuple[str, ...]) -> list[str]:
    """Steps of the creation chain (ACC-2) without a standing approval; a rejected step counts as missing."""
    approved = {d["step"] for d in decisions if d["decision"] == "approved"}
    return [step for step in chain if step not in approved]


def check_registry(tx: Transaction, policy_for: Callable[[str], Any]) -> tuple[list[Finding], dict[str, int]]:
    """Return the registry findings and what was read (for the ledger)."""
    accounts = tx.fetch("registry/active_accounts")
    decisions_by_account: dict[str, list[dict[str, Any]]] = defaultdict(list)
    decisions = tx.fetch("registry/creation_decisions")
    for decision in decisions:
        decisions_by_account[decision["account_id"]].append(decision)

    findings = []
    for account in accounts:
        policy = policy_for(account["policy_id"])
        label = f"“{account_label(account)}”"
        step_labels = {step.code: step.label for step in policy.creation_steps}
        steps = missing_creation_steps(decisions_by_account[account["account_id"]], tuple(policy.creation_chain))
        if steps:
            findings.append(
                Finding(
                    rule_id="ACC-1",
                    subject_type="account",
                    subject_id=account["account_id"],
                    period=STANDING,
                    severity="high",
                    summary=f"账号{label}已启用，但开通审批未完成：缺少" + "、".join(step_labels.get(s, s) for s in steps)
                    + f"审批（{citation(policy, 'creation_chain')}）。",
                    evidence={
                        "policy_id": policy.policy_id,
                        "creation_chain": list(policy.creation_chain),
                        "missing_steps": steps,
                        "decisions": [
                            {"step": d["step"], "decision": d["decision"], "at": d["occurred_at"]}
                            for d in decisions_by_account[account["account_id"]]
                        ],
                    },
                )
            )
        fields = missing_registration_fields(
            account, tuple(policy.registration_required_fields), dict(policy.conditional_required_fields)
        )
        if fields:
            findings.append(
                Finding(
                    rule_id="ACC-3",
                    subject_type="account",
                    subject_id=account["account_id"],
                    period=STANDING,
                    severity="medium",
                    summary=f"账号{label}的备案登记表不完整：缺少" + "、".join(FIELD_LABELS.get(f, f) for f in fields)
                    + f"（{citation(policy, 'registration_required_fields')}）。",
                    evidence={"policy_id": policy.policy_id, "missing_fields": fields},
                )
            )
    return findings, {"active_accounts": len(accounts), "creation_decisions": len(decisions)}
