"""The account lifecycle and watch records of the annual audit pack (issue 15: ACC-1 to ACC-5, PUB-6, SEC-2 to SEC-4).

Each account's pack gets one table per record, read by its own query under ``sql/audit/lifecycle_*.sql`` with the
pack's year and cutoff: the creation approval chain of its application (ACC-1, ACC-2), its filed changes with their
5-working-day clock (ACC-4), its handovers with the credential rotation that followed (ACC-5, SEC-1: the new
credential's fingerprint, never the credential), the delegations of publishing rights on it (PUB-6), the comment
watch's escalations and crisis findings (SEC-2, SEC-3), the complaints received through it with their clocks (SEC-4)
and the unauthorised lookalike accounts that name its host unit (ACC-1). The group pack gets them in summary, one row
an account, plus the group's full list of lookalike accounts.

The owning packages expose readers of their own (``herald.complaints.audit_complaints``,
``herald.comments.comment_watch_records``, ...); the pack reads through its own queries because those take no
cutoff, and nothing recorded after the cutoff may count: a step done, a message sent or a filing made after it shows
as not done, and a clock is judged at the cutoff. Rows come in the queries' ORDER BY, so the same database and
cutoff give equal tables.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from herald.audit.model import Column, Table
from herald.db import Transaction
from herald.timeutil import SHANGHAI

QUERIES = {
    "applications": "audit/lifecycle_applications", "changes": "audit/lifecycle_changes",
    "handovers": "audit/lifecycle_handovers", "delegations": "audit/lifecycle_delegations",
    "escalations": "audit/lifecycle_escalations", "crises": "audit/lifecycle_crises",
    "complaints": "audit/lifecycle_complaints", "unauthorised": "audit/lifecycle_unauthorised",
}
CLOCK_ZH = {"on_time": "按时", "late": "超时完成", "overdue": "已超时未完成", "running": "未到期", "not_started": "未开始"}
BREACHED = ("late", "overdue")
APPLICATION_ZH = {"pending": "审批中", "approved": "已批准", "rejected": "已驳回"}
DECISION_ZH = {"approved": "批准", "rejected": "驳回"}
CHANGE_ZH = {"account_name": "账号名称", "management_team": "管理团队", "maintenance_method": "维护方式"}
ROTATION_ZH = {"pending": "待轮换", "done": "已轮换", "failed": "轮换失败", "not_applicable": "无需轮换（平台无接口凭据）"}
DELEGATION_ZH = {"applied": "已申请", "granted": "已授权", "rejected": "已驳回", "revoked": "已收回", "expired": "到期收回"}
ACTIVITY_ZH = {"interactive": "互动活动", "live": "直播活动"}
ESCALATION_ZH = {"illegal": "违法违规评论", "reputation": "损害声誉评论", "crisis": "舆情危机"}
SENT_ZH = {"sent": "已报送", "pending": "未报送"}
FINDING_ZH = {"open": "未处置", "acknowledged": "处置中", "resolved": "已处置"}
COMPLAINT_ZH = {"registered": "已登记", "assigned": "已受理", "answered": "已答复", "followed_up": "已回访"}
CHANNEL_ZH = {"comment": "评论", "message": "私信/留言", "phone": "电话", "email": "邮件", "letter": "信函", "other": "其他"}
OUTCOME_ZH = {"satisfied": "满意", "unsatisfied": "不满意", "unreachable": "无法联系"}
PLATFORM_ZH = {"wechat": "微信公众号", "weibo": "微博"}
# What each record contributes to the verdict (herald.audit.verdict.Figures) and to the group's summary.
FIGURES = ("late_complaints", "open_crises", "unsent_escalations")


def clock(due: datetime | date | None, done: datetime | date | None, as_of: datetime | date) -> str:
    """A deadline judged at ``as_of``: on time, late (done after it), overdue (not done, past it), running."""
    if due is None:
        return "not_started"
    if done is not None:
        return "on_time" if done <= due else "late"
    return "overdue" if as_of > due else "running"


def person(name: str | None, person_id: str | None) -> str:
    if not person_id:
        return ""
    return f"{name or '（未登记）'}（{person_id}）"


def _cols(*spec: tuple[str, str] | tuple[str, str, str]) -> tuple[Column, ...]:
    return tuple(Column(*s) for s in spec)


def _source(name: str) -> str:
    return f"sql/{QUERIES[name]}.sql"


# ---------------------------------------------------------------------------------------------------- reading

@dataclass
class Records:
    """The lifecycle rows of one account or every account, split by account (lookalikes by the unit they name)."""

    by_account: dict[str, dict[str, list[dict[str, Any]]]]
    unauthorised: list[dict[str, Any]]

    def of(self, account_id: str, name: str) -> list[dict[str, Any]]:
        return self.by_account.get(account_id, {}).get(name, [])

    def naming(self, unit_id: str | None) -> list[dict[str, Any]]:
        return [r for r in self.unauthorised if unit_id is not None and r["unit_id"] == unit_id]


def read(tx: Transaction, params: Mapping[str, Any], account_id: str | None, host_unit_id: str | None = None) -> Records:
    """Every lifecycle dataset for the window's ``params`` (``AuditWindow.sql_params``); lookalikes naming
    ``host_unit_id`` for one account, every lookalike of the year for all (``account_id`` None)."""
    by_account: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for name, query in QUERIES.items():
        if name == "unauthorised":
            continue
        for row in tx.fetch(query, **{**params, "account_id": account_id}):
            by_account[row["account_id"]][name].append(row)
    unit = host_unit_id if account_id is not None else None
    if account_id is not None and unit is None:
        unauthorised: list[dict[str, Any]] = []
    else:
        unauthorised = tx.fetch(QUERIES["unauthorised"], **{**params, "unit_id": unit})
    return Records(by_account={k: dict(v) for k, v in by_account.items()}, unauthorised=unauthorised)


# ------------------------------------------------------------------------------------------------ account tables

def _shown(params: Mapping[str, Any], *names: str, **extra: Any) -> dict[str, Any]:
    out = {k: (v.isoformat() if isinstance(v, datetime | date) else v) for k, v in params.items()
           if k in ("cutoff", *names, "account_id")}
    return {**out, **extra}


def applications_table(rows: list[dict[str, Any]], params: Mapping[str, Any]) -> Table:
    """ACC-1, ACC-2: each application's creation chain step by step, with the decision recorded by the cutoff."""
    out = []
    by_app: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        by_app[r["application_id"]].append(r)
    for app_id, decisions in by_app.items():
        head = decisions[0]
        chain = json.loads(head["chain"] or "[]")
        answered: dict[int, dict[str, Any]] = {}
        for d in decisions:
            if d["event_id"] is None:
                continue
            detail = json.loads(d["step_detail"] or "{}")
            if detail.get("application_id") not in (None, app_id):
                continue  # a decision on another application of the same account
            answered.setdefault(int(detail.get("step_no") or 0), d)
        for step in chain:
            d = answered.get(int(step["step_no"]))
            related = "，相关部门" if step.get("related") else ""
            out.append((app_id, head["account_id"], person(head["applying_unit_name"], head["applying_unit_id"]),
                        person(head["applicant_name"], head["applicant_id"]), head["submitted_at"],
                        int(step["step_no"]), f"{step['label']}（{step['unit_name']}{related}）",
                        d["decision"] if d else "", DECISION_ZH.get(d["decision"], "") if d else "未审批",
                        person(d["actor_name"], d["actor_id"]) if d else "", d["step_decided_at"] if d else None,
                        head["state_at_cutoff"], APPLICATION_ZH.get(head["state_at_cutoff"], head["state_at_cutoff"]),
                        head["decided_at"], head["policy_id"]))
    states = Counter(by_app[a][0]["state_at_cutoff"] for a in by_app)
    return Table("creation_approvals", "账号开通申请及审批链（ACC-1、ACC-2）", _source("applications"),
                 _shown(params, "year_end"),
                 _cols(("application_id", "申请编号"), ("account_id", "账号"), ("applying_unit", "申请部门"),
                       ("applicant", "申请人"), ("submitted_at", "申请时间", "datetime"), ("step_no", "步骤", "int"),
                       ("step", "审批环节"), ("decision", "决定代码"), ("decision_label", "决定"), ("approver", "审批人"),
                       ("decided_at", "审批时间", "datetime"), ("state", "申请状态代码"), ("state_label", "截至基准时间的申请状态"),
                       ("completed_at", "审批完成时间", "datetime"), ("policy_id", "适用制度")),
                 tuple(out), {"rows": len(out), "applications": len(by_app),
                              "steps_decided": sum(1 for r in out if r[7]),
                              **{f"applications_{k}": states[k] for k in sorted(states)}},
                 note="每个开通申请按制度规定的开通审批链逐步列出；基准时间之后的审批不计，申请视为审批中。"
                      "账号在审计年度结束前提出申请的列入。")


def _shanghai_day(value: datetime | None) -> date | None:
    return value.astimezone(SHANGHAI).date() if value is not None else None


def changes_table(rows: list[dict[str, Any]], params: Mapping[str, Any], cutoff: datetime) -> Table:
    """ACC-4: each change with its filing deadline (5 Chinese working days) judged at the cutoff."""
    from herald.accounts.changes import working_days_taken

    today = _shanghai_day(cutoff)
    out = []
    for r in rows:
        filed_on = _shanghai_day(r["filed_at"])
        status = clock(r["deadline_on"], filed_on, today)
        taken = working_days_taken(r["effective_on"], filed_on or today)
        out.append((r["change_id"], r["account_id"], r["change_kind"], CHANGE_ZH.get(r["change_kind"], r["change_kind"]),
                    r["old_value"] or "", r["new_value"], r["effective_on"], r["deadline_on"],
                    person(r["reported_by_name"], r["reported_by"]), r["reported_at"], r["filed_at"],
                    person(r["filed_by_name"], r["filed_by"]), r["filing_ref"] or "", taken, status, CLOCK_ZH[status],
                    r["handover_id"] or ""))
    statuses = Counter(r[14] for r in out)
    return Table("account_changes", "账号变更及书面备案时限（ACC-4，5个工作日）", _source("changes"),
                 _shown(params, "year_first_on", "year_last_on"),
                 _cols(("change_id", "变更编号"), ("account_id", "账号"), ("change_kind", "变更事项代码"),
                       ("change_label", "变更事项"), ("old_value", "原内容"), ("new_value", "新内容"),
                       ("effective_on", "变更日期", "date"), ("deadline_on", "备案期限", "date"), ("reported_by", "报告人"),
                       ("reported_at", "报告时间", "datetime"), ("filed_at", "书面备案时间", "datetime"),
                       ("filed_by", "备案人"), ("filing_ref", "备案文号"), ("working_days", "已用工作日", "int"),
                       ("clock", "时限代码"), ("clock_label", "时限"), ("handover_id", "对应交接")),
                 tuple(out), {"rows": len(out), **{k: statuses[k] for k in sorted(statuses)}},
                 note="期限为变更日期后第5个工作日（中国法定节假日与调休），按北京时间日期判断；基准时间之后的备案不计。")


def handovers_table(rows: list[dict[str, Any]], params: Mapping[str, Any]) -> Table:
    """ACC-5, SEC-1: each filed handover with the credential rotation that followed (fingerprint, never the secret)."""
    out = tuple((r["handover_id"], r["account_id"], r["effective_on"], person(r["from_person_name"], r["from_person_id"]),
                 person(r["to_person_name"], r["to_person_id"]), r["receipt_ref"], person(r["receipt_by_name"], r["receipt_by"]),
                 r["receipt_on"], r["filed_at"], r["rotation_id"] or "", r["rotation_method"] or "",
                 r["rotation_state_at_cutoff"] or "",
                 ROTATION_ZH.get(r["rotation_state_at_cutoff"] or "", "未要求轮换"),
                 r["rotation_fingerprint"] or "", r["rotation_finished_at"]) for r in rows)
    states = Counter(r[11] or "none" for r in out)
    return Table("account_handovers", "运营人员交接及凭据轮换（ACC-5、SEC-1）", _source("handovers"),
                 _shown(params, "year_first_on", "year_last_on"),
                 _cols(("handover_id", "交接编号"), ("account_id", "账号"), ("effective_on", "交接日期", "date"),
                       ("from_person", "交出人"), ("to_person", "接收人"), ("receipt_ref", "主管部门回执"),
                       ("receipt_by", "回执签收人"), ("receipt_on", "回执日期", "date"), ("filed_at", "备案时间", "datetime"),
                       ("rotation_id", "轮换编号"), ("rotation_method", "轮换方式"), ("rotation_state", "轮换状态代码"),
                       ("rotation_label", "截至基准时间的轮换状态"), ("rotation_fingerprint", "新凭据指纹（SHA-256前12位）"),
                       ("rotation_finished_at", "轮换完成时间", "datetime")),
                 out, {"rows": len(out), **{f"rotation_{k}": states[k] for k in sorted(states)}},
                 note="交接后平台凭据由主管部门轮换，表中只记录新凭据的指纹，从不记录凭据本身。")


def delegations_table(rows: list[dict[str, Any]], params: Mapping[str, Any], cutoff: datetime) -> Table:
    """PUB-6: delegated publishing rights with their windows, decisions and revocation, as at the cutoff."""
    out = []
    for r in rows:
        state = r["state_at_cutoff"]
        overstayed = state == "granted" and r["window_end_at"] <= cutoff
        ended = "" if r["ended_at"] is None else (person(r["ended_by_name"], r["ended_by"]) if r["ended_by"]
                                                    else "Herald到期自动收回")
        out.append((r["delegation_id"], r["account_id"], person(r["unit_name"], r["unit_id"]),
                    ACTIVITY_ZH.get(r["activity_kind"], r["activity_kind"]), r["title"], r["window_start_at"],
                    r["window_end_at"], person(r["applied_by_name"], r["applied_by"]), r["applied_at"],
                    person(r["decided_by_name"], r["decided_by"]), r["decided_at"], state, DELEGATION_ZH.get(state, state),
                    ended, r["ended_at"], int(r["people"]), int(r["posts"]), overstayed))
    states = Counter(r[11] for r in out)
    return Table("delegations", "互动、直播活动的登录授权（PUB-6）", _source("delegations"),
                 _shown(params, "year_start", "year_end"),
                 _cols(("delegation_id", "授权编号"), ("account_id", "账号"), ("unit", "被授权单位"), ("activity", "活动类型"),
                       ("title", "活动"), ("window_start_at", "授权开始", "datetime"), ("window_end_at", "授权结束", "datetime"),
                       ("applied_by", "申请人"), ("applied_at", "申请时间", "datetime"), ("decided_by", "审批人"),
                       ("decided_at", "审批时间", "datetime"), ("state", "状态代码"), ("state_label", "截至基准时间的状态"),
                       ("ended_by", "收回人"), ("ended_at", "收回时间", "datetime"), ("people", "被授权人数", "int"),
                       ("posts", "授权期间排期的稿件", "int"), ("is_overstayed", "到期未收回", "bool")),
                 tuple(out), {"rows": len(out), **{k: states[k] for k in sorted(states)},
                              "overstayed": sum(1 for r in out if r[17])},
                 note="授权期限与审计年度有交集的授权均列入；“到期未收回”指基准时间时授权期已过而授权仍有效。")


def escalations_table(rows: list[dict[str, Any]], params: Mapping[str, Any]) -> Table:
    """SEC-2, SEC-3: each escalation with its evidence and whether it was sent by the cutoff."""
    out = []
    for r in rows:
        arrived = r["commented_at"] or r["pulled_at"] or r["detected_at"]
        seconds = int((r["sent_at"] - arrived).total_seconds()) if r["sent_at"] is not None else None
        out.append((r["escalation_id"], r["account_id"], r["kind"], ESCALATION_ZH.get(r["kind"], r["kind"]), r["summary"],
                    r["platform_comment_id"] or "", r["commented_at"], r["detected_at"], r["sent_at"], seconds,
                    r["state_at_cutoff"], SENT_ZH[r["state_at_cutoff"]], int(r["deliveries"]), r["finding_id"] or "",
                    r["evidence_path"] or "", r["evidence_sha256"] or ""))
    kinds = Counter(r[2] for r in out)
    return Table("comment_escalations", "评论监测上报（SEC-2、SEC-3）", _source("escalations"),
                 _shown(params, "year_start", "year_end"),
                 _cols(("escalation_id", "上报编号"), ("account_id", "账号"), ("kind", "类别代码"), ("kind_label", "类别"),
                       ("summary", "摘要"), ("platform_comment_id", "平台评论ID"), ("commented_at", "评论时间", "datetime"),
                       ("detected_at", "发现时间", "datetime"), ("sent_at", "报送时间", "datetime"),
                       ("seconds_to_send", "评论到报送（秒）", "int"), ("state", "报送状态代码"), ("state_label", "截至基准时间"),
                       ("deliveries", "送达对象数", "int"), ("finding_id", "检查发现编号"), ("evidence_path", "证据存档"),
                       ("evidence_sha256", "证据SHA-256")),
                 tuple(out), {"rows": len(out), **{k: kinds[k] for k in sorted(kinds)},
                              "unsent": sum(1 for r in out if r[10] != "sent")},
                 note="报送对象为主办单位负责人和主管部门；评论原文在证据存档中，本表不重复。基准时间之后的报送不计。")


def crises_table(rows: list[dict[str, Any]], params: Mapping[str, Any]) -> Table:
    """SEC-3: the crisis findings the comment watch opened, with their state at the cutoff."""
    out = tuple((r["finding_id"], r["account_id"], r["period"], r["severity"], r["summary"], r["first_detected_at"],
                 r["escalation_id"] or "", r["escalation_sent_at"], r["state_at_cutoff"],
                 FINDING_ZH.get(r["state_at_cutoff"], r["state_at_cutoff"]), r["resolved_at"]) for r in rows)
    states = Counter(r[8] for r in out)
    return Table("comment_crises", "舆情危机（评论负面激增，SEC-3）", _source("crises"), _shown(params, "year_start", "year_end"),
                 _cols(("finding_id", "发现编号"), ("account_id", "账号"), ("period", "日期"), ("severity", "严重程度"),
                       ("summary", "摘要"), ("detected_at", "发现时间", "datetime"), ("escalation_id", "上报编号"),
                       ("escalation_sent_at", "报送时间", "datetime"), ("state", "状态代码"), ("state_label", "截至基准时间的状态"),
                       ("resolved_at", "处置完成时间", "datetime")),
                 out, {"rows": len(out), **{k: states[k] for k in sorted(states)},
                       "unresolved": sum(1 for r in out if r[8] != "resolved")})


def complaint_clocks(row: Mapping[str, Any], cutoff: datetime) -> dict[str, str]:
    return {"assign": clock(row["assign_due_at"], row["assigned_at"], cutoff),
            "answer": clock(row["answer_due_at"], row["answered_at"], cutoff),
            "follow_up": clock(row["follow_up_due_at"], row["followed_up_at"], cutoff)}


def complaint_state(row: Mapping[str, Any]) -> str:
    return ("followed_up" if row["followed_up_at"] else "answered" if row["answered_at"]
            else "assigned" if row["assigned_at"] else "registered")


def complaints_table(rows: list[dict[str, Any]], params: Mapping[str, Any], cutoff: datetime) -> Table:
    """SEC-4: each complaint with its three clocks (accept, answer, follow up) judged at the cutoff."""
    out = []
    for r in rows:
        clocks = complaint_clocks(r, cutoff)
        state = complaint_state(r)
        out.append((r["complaint_id"], r["account_id"], CHANNEL_ZH.get(r["channel"], r["channel"]), r["received_at"],
                    state, COMPLAINT_ZH[state], person(r["assignee_name"], r["assignee_id"]),
                    r["assign_due_at"], r["assigned_at"], CLOCK_ZH[clocks["assign"]],
                    r["answer_due_at"], r["answered_at"], CLOCK_ZH[clocks["answer"]],
                    r["follow_up_due_at"], r["followed_up_at"], CLOCK_ZH[clocks["follow_up"]],
                    OUTCOME_ZH.get(r["outcome"] or "", ""), any(c in BREACHED for c in clocks.values())))
    states = Counter(r[4] for r in out)
    return Table("complaints", "客户投诉的受理、答复和回访（SEC-4）", _source("complaints"),
                 _shown(params, "year_start", "year_end"),
                 _cols(("complaint_id", "投诉编号"), ("account_id", "账号"), ("channel", "来源"),
                       ("received_at", "收到时间", "datetime"), ("state", "状态代码"), ("state_label", "截至基准时间的状态"),
                       ("assignee", "受理人"), ("assign_due_at", "受理期限", "datetime"), ("assigned_at", "受理时间", "datetime"),
                       ("assign_clock", "受理时限"), ("answer_due_at", "答复期限", "datetime"),
                       ("answered_at", "答复时间", "datetime"), ("answer_clock", "答复时限"),
                       ("follow_up_due_at", "回访期限", "datetime"), ("followed_up_at", "回访时间", "datetime"),
                       ("follow_up_clock", "回访时限"), ("outcome", "回访结果"), ("is_clock_breached", "超时", "bool")),
                 tuple(out), {"rows": len(out), **{k: states[k] for k in sorted(states)},
                              "clock_breached": sum(1 for r in out if r[17])},
                 note="时限来自账号所属制度的 complaints 一节；按基准时间判断，基准时间之后完成的步骤视为未完成。")


def unauthorised_table(rows: list[dict[str, Any]], params: Mapping[str, Any], unit_id: str | None) -> Table:
    """ACC-1: lookalike accounts not registered with the company, naming the unit."""
    out = tuple((r["finding_id"], PLATFORM_ZH.get(r["platform"] or "", r["platform"] or ""), r["platform_account_id"] or "",
                 r["screen_name"] or "", r["followers_count"], person(r["unit_name"], r["unit_id"]) or "本公司（未指明单位）",
                 r["summary"], r["first_detected_at"], r["last_detected_at"], r["state_at_cutoff"],
                 FINDING_ZH.get(r["state_at_cutoff"], r["state_at_cutoff"]), r["resolved_at"]) for r in rows)
    states = Counter(r[9] for r in out)
    return Table("unauthorised_accounts", "冒用公司名义、未经批准开设的账号（ACC-1）", _source("unauthorised"),
                 _shown(params, "year_start", "year_end", unit_id=unit_id),
                 _cols(("finding_id", "发现编号"), ("platform", "平台"), ("platform_account_id", "平台账号ID"),
                       ("screen_name", "账号名称"), ("followers_count", "粉丝数", "int"), ("unit", "所冒用的单位"),
                       ("summary", "摘要"), ("first_detected_at", "首次发现时间", "datetime"),
                       ("last_detected_at", "最近发现时间", "datetime"), ("state", "状态代码"),
                       ("state_label", "截至基准时间的状态"), ("resolved_at", "处置完成时间", "datetime")),
                 out, {"rows": len(out), **{k: states[k] for k in sorted(states)}},
                 note=("名称中含本账号主办单位名称的冒用账号。" if unit_id else "全集团的冒用账号。")
                      + "来自平台搜索结果（未备案账号扫描）。")


def account_tables(records: Records, account_id: str, host_unit_id: str | None, params: Mapping[str, Any],
                   cutoff: datetime) -> tuple[Table, ...]:
    """The lifecycle tables of one account's pack, in reading order."""
    of = records.of
    return (
        applications_table(of(account_id, "applications"), params),
        changes_table(of(account_id, "changes"), params, cutoff),
        handovers_table(of(account_id, "handovers"), params),
        delegations_table(of(account_id, "delegations"), params, cutoff),
        escalations_table(of(account_id, "escalations"), params),
        crises_table(of(account_id, "crises"), params),
        complaints_table(of(account_id, "complaints"), params, cutoff),
        unauthorised_table(records.naming(host_unit_id), params, host_unit_id),
    )


def figures(records: Records, account_id: str, cutoff: datetime) -> dict[str, int]:
    """What the verdict weighs from these records (``FIGURES``), the same for an account pack and the group's."""
    return {
        "late_complaints": sum(1 for r in records.of(account_id, "complaints")
                               if any(c in BREACHED for c in complaint_clocks(r, cutoff).values())),
        "open_crises": sum(1 for r in records.of(account_id, "crises") if r["state_at_cutoff"] != "resolved"),
        "unsent_escalations": sum(1 for r in records.of(account_id, "escalations") if r["state_at_cutoff"] != "sent"),
    }


# -------------------------------------------------------------------------------------------------- group tables

SUMMARY_COLUMNS = (
    ("creation_steps", "开通审批步骤（已决定）"), ("changes", "变更"), ("changes_late", "变更备案超时"), ("handovers", "交接"),
    ("handovers_rotated", "交接后已轮换凭据"), ("delegations", "登录授权"), ("escalations", "评论上报"),
    ("unsent_escalations", "未报送的上报"), ("crises", "舆情危机"), ("open_crises", "未处置的舆情危机"),
    ("complaints", "客户投诉"), ("late_complaints", "超时的投诉"), ("lookalikes", "冒用本单位名义的账号"),
)


def summary_row(records: Records, account_id: str, host_unit_id: str | None, cutoff: datetime) -> dict[str, int]:
    """One account's counts, each equal to a row count or control total of that account's own pack."""
    of = records.of
    apps = applications_table(of(account_id, "applications"), {})
    changes = changes_table(of(account_id, "changes"), {}, cutoff)
    return {
        "creation_steps": int(apps.control_totals["steps_decided"]),
        "changes": changes.row_count,
        "changes_late": sum(int(changes.control_totals.get(k, 0)) for k in BREACHED),
        "handovers": len(of(account_id, "handovers")),
        "handovers_rotated": sum(1 for r in of(account_id, "handovers") if r["rotation_state_at_cutoff"] == "done"),
        "delegations": len(of(account_id, "delegations")),
        "escalations": len(of(account_id, "escalations")),
        "crises": len(of(account_id, "crises")),
        "complaints": len(of(account_id, "complaints")),
        "lookalikes": len(records.naming(host_unit_id)),
        **figures(records, account_id, cutoff),
    }


def group_tables(records: Records, accounts: Iterable[Mapping[str, Any]], params: Mapping[str, Any],
                 cutoff: datetime) -> tuple[Table, ...]:
    """The group pack's summary, one row an account (the sums are its control totals), and every lookalike."""
    rows = []
    for a in accounts:
        counts = summary_row(records, a["account_id"], a["host_unit_id"], cutoff)
        rows.append((a["account_id"], person(a["name"], a["account_id"]), *(counts[k] for k, _ in SUMMARY_COLUMNS)))
    totals = {k: sum(r[n + 2] for r in rows) for n, (k, _) in enumerate(SUMMARY_COLUMNS)}
    summary = Table("lifecycle_by_account", "账号生命周期与监测记录汇总（按账号）",
                    "; ".join(_source(n) for n in QUERIES), _shown(params, "year_start", "year_end"),
                    _cols(("account_id", "账号代码"), ("account", "账号"), *((k, label, "int") for k, label in SUMMARY_COLUMNS)),
                    tuple(rows), {"rows": len(rows), **totals},
                    note="各列与对应账号审计包中同名表格的行数或控制总数一致；冒用账号按名称所含单位计入该单位的每个账号，"
                         "全集团去重后的清单见“冒用公司名义、未经批准开设的账号”表。")
    return summary, unauthorised_table(records.unauthorised, params, None)
