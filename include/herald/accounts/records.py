"""Reading applications back: one with its steps and history (``application_status``), a list, and the audit pack's rows.

``lifecycle_rows(db, account_id, window)`` is what the annual audit pack reads (ACC-1, ACC-2, ACC-3): every application
filed or decided in the window, one row per creation-step decision, for one account or (``account_id`` None) the group.
Its SQL is ``sql/accounts/lifecycle_rows.sql``.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from herald.accounts.approval import STATE_ZH, current_step
from herald.accounts.chain import chain_from_json
from herald.accounts.registration import PLATFORM_LABELS
from herald.db import Database
from herald.errors import ValidationError, Violation
from herald.timeutil import format_shanghai, require_aware

VIA_ZH = {"api": "HTTP 接口", "cli": "命令行", "import": "Excel 导入", "hitl": "Airflow 审批任务"}
DECISION_ZH = {"approved": "批准", "rejected": "驳回"}


def _summary(row: dict[str, Any]) -> dict[str, Any]:
    step = current_step(row)
    return {
        "application_id": row["application_id"], "account_id": row["account_id"], "account_name": row["account_name"],
        "platform": row["platform"], "platform_label": PLATFORM_LABELS.get(row["platform"], row["platform"]),
        "applying_unit": {"unit_id": row["applying_unit_id"], "name": row["applying_unit_name"]},
        "applicant": {"person_id": row["applicant_id"], "name": row["applicant_name"]},
        "state": row["state"], "state_label": STATE_ZH.get(row["state"], row["state"]), "state_reason": row["state_reason"],
        "current_step": step.as_dict() if step else None, "account_state": row["account_state"],
        "via": row["via"], "submitted_at": row["submitted_at"], "submitted_at_shanghai": format_shanghai(row["submitted_at"]),
        "decided_at": row["decided_at"], "policy_id": row["policy_id"],
    }


def application_status(db: Database, application_id: str) -> dict[str, Any]:
    """The application: its registration record, chain (each step with its decision, if any) and history."""
    with db.transaction() as tx:
        row = tx.fetch_one("accounts/application", application_id=application_id)
        if row is None:
            raise ValidationError([Violation("application_id", "ACC-2", f"开通申请“{application_id}”不存在")])
        admins = tx.fetch("accounts/admins", account_id=row["account_id"])
        events = tx.fetch("accounts/creation_events", account_id=row["account_id"])
        leader = tx.fetch_one("accounts/person", person_id=row["supervising_leader_id"]) if row["supervising_leader_id"] else None
    decisions = {}
    history = []
    for event in events:
        detail = json.loads(event["detail"]) if event["detail"] else {}
        if detail.get("application_id") != application_id:
            continue
        if event["kind"] == "creation_step":
            decisions[detail.get("step_no")] = {"decision": event["decision"], "by": event["actor_id"],
                                                "by_name": event["actor_name"], "at": event["occurred_at"],
                                                "via": detail.get("via"), "reason": detail.get("reason")}
        history.append({"kind": event["kind"], "step": event["step"], "decision": event["decision"],
                        "new_state": event["new_state"], "by": event["actor_id"], "by_name": event["actor_name"],
                        "at": event["occurred_at"], "at_shanghai": format_shanghai(event["occurred_at"]), "detail": detail})
    chain = [{**step.as_dict(), "title": step.title, "decided": decisions.get(step.step_no)}
             for step in chain_from_json(json.loads(row["chain"]))]
    registration = {name: row[name] for name in (
        "platform", "platform_account_id", "link", "is_verified", "verification_documents", "purpose", "content_scope",
        "creating_unit_id", "host_unit_id", "supervising_leader_id", "host_unit_opinion_by", "host_unit_opinion_on",
        "is_host_unit_sealed", "competent_opinion_by", "competent_opinion_on", "level", "parent_account_id", "opened_on",
        "planned_opened_on")}
    registration["name"] = row["account_name"]
    registration["supervising_leader"] = ({k: leader[k] for k in ("person_id", "name", "office_phone", "mobile")}
                                          if leader else None)
    registration["administrators"] = admins
    return {**_summary(row), "registration": registration, "related_unit_ids": json.loads(row["related_unit_ids"]),
            "source": {"name": row["source_name"], "sha256": row["source_sha256"]} if row["source_name"] else None,
            "policy_sha256": row["policy_sha256"], "chain": chain, "history": history}


def list_applications(db: Database, *, state: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
    return [_summary(row) for row in db.fetch("accounts/applications", state=state, limit=limit)]


def lifecycle_rows(db: Database, account_id: str | None, window: tuple[datetime, datetime]) -> list[dict[str, Any]]:
    """The audit pack's rows (ACC-1, ACC-2, ACC-3): applications and their creation-step decisions in ``window``.

    ``window`` is ``(from, to)``, timezone-aware, ``to`` exclusive (an audit year: Shanghai midnights of 1 January).
    One row per decision (``step`` None for an application not yet decided on), oldest first per account.
    """
    window_from, window_to = (require_aware(window[0], "window[0]"), require_aware(window[1], "window[1]"))
    rows = db.fetch("accounts/lifecycle_rows", account_id=account_id, window_from=window_from, window_to=window_to)
    out = []
    for row in rows:
        detail = json.loads(row.pop("detail")) if row.get("detail") else {}
        if row["step"] is not None and detail.get("application_id") not in (None, row["application_id"]):
            continue  # a decision on another application of the same account
        out.append({**row, "step_no": detail.get("step_no"), "step_via": detail.get("via"),
                    "step_reason": detail.get("reason"),
                    "step_via_label": VIA_ZH.get(detail.get("via"), detail.get("via")),
                    "decision_label": DECISION_ZH.get(row["decision"], row["decision"])})
    # Decisions in the order they were made; steps decided in the same instant (a batch) in chain order.
    out.sort(key=lambda r: (r["account_id"], r["submitted_at"], r["application_id"],
                            r["decided_step_at"] is not None, r["decided_step_at"] or r["submitted_at"], r["step_no"] or 0))
    return out
