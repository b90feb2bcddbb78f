"""Build the annual audit packs (ACC-6, SEC-5) from Herald's database: one per account and one for the group.

Each table names the SQL file it came from (``sql/audit/*.sql``), the parameters bound, the cutoff, its rows in
a stable order and its control totals, so an auditor can re-run the query and test the table's completeness
and accuracy. Nothing recorded after the cutoff counts; the year is the Shanghai calendar year, and the weekly
calendar covers the ISO weeks of the year's ISO week-year (weeks belong to the year of their Thursday, policy
``cadence.audit_year``). The same database and cutoff give equal ``Pack`` objects.

``build_account_packs`` reads every dataset once for all accounts and splits it; ``build_account_pack`` reads
one account; ``build_group_pack`` reads aggregates only (``sql/audit/item_totals.sql``), so it stays within
memory over ten million items. The data-quality gate (``herald.audit.quality``, Great Expectations) runs
last, unless ``gate=False`` (then ``with_quality`` adds it later; the benchmark times it apart).
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from herald.audit import lifecycle, run_history
from herald.audit import tieouts as tie
from herald.audit.model import Column, Pack, QualityResult, Table, Verdict
from herald.audit.verdict import LEVEL_ORDER, WEEKLY_RULE, Figures, judge
from herald.db import Database, Transaction
from herald.policy.loader import load_policy
from herald.policy.model import Policy
from herald.registry import FIELD_LABELS, missing_registration_fields
from herald.timeutil import (
    SHANGHAI,
    format_shanghai,
    iso_week_label,
    require_aware,
    shanghai_midnight_utc,
    week_index_monday,
)

NOT_GATED = QualityResult(passed=False, results_json="{}", failures=(
    {"dataset": "—", "expectation": "数据质量检查", "rows": "", "why": "尚未运行数据质量检查"},))

ORIGIN_ZH = {"dispatch": "Herald定时发布", "manual_confirmation": "人工发布并确认", "platform_observed": "平台上发现（未经Herald）"}
STATE_ZH = {"open": "未整改", "acknowledged": "已确认，整改中", "resolved": "已整改"}
VIA_ZH = {"api": "接口", "cli": "命令行", "page": "页面", "admin_override": "数据库直接修改", "scan": "复查未再发现"}
EVENT_ZH = {"change_filed": "变更备案", "handover": "交接", "state_change": "状态变更"}
STATUS_ZH = {"live": "在线", "deleted_by_user": "运营方删除", "banned": "平台屏蔽", "unknown": "未知"}
WEEK_ZH = {"met": "达标", "missed": "未更新（违规）", "not_judged": "不判定（未开通满一周或已注销）",
           "not_yet": "尚未结束", "short": "未达标，未判定（暂停期间或未扫描）"}
PLATFORM_ZH = {"wechat": "微信公众号", "weibo": "微博", "qq": "QQ", "website": "网站", "blog": "博客", "tieba": "贴吧",
               "forum": "论坛", "mobile_newspaper": "手机报", "app": "客户端", "network_video": "网络视频",
               "mobile_tv": "手机电视"}


@dataclass(frozen=True)
class AuditWindow:
    """The audit year and its as-of cutoff (timezone-aware; stored as UTC)."""

    year: int
    cutoff: datetime

    def __post_init__(self) -> None:
        object.__setattr__(self, "cutoff", require_aware(self.cutoff, "cutoff"))

    @property
    def year_start(self) -> datetime:
        return shanghai_midnight_utc(date(self.year, 1, 1))

    @property
    def year_end(self) -> datetime:
        return shanghai_midnight_utc(date(self.year + 1, 1, 1))

    @property
    def first_week_monday(self) -> date:
        return date.fromisocalendar(self.year, 1, 1)

    @property
    def weeks(self) -> list[int]:
        """Week indexes (herald.timeutil) of the ISO weeks of the ISO week-year: 52 or 53."""
        # The same count as epoch_to_local_week_index (week 1 starts Monday 1970-01-05): days since 1970-01-01, +3, /7.
        first = ((self.first_week_monday - date(1970, 1, 1)).days + 3) // 7
        last = ((date.fromisocalendar(self.year + 1, 1, 1) - date(1970, 1, 1)).days + 3) // 7
        return list(range(first, last))

    def sql_params(self, account_id: str | None) -> dict[str, Any]:
        return {
            "year_start": self.year_start, "year_end": self.year_end, "cutoff": self.cutoff,
            "year_first_on": date(self.year, 1, 1), "year_last_on": date(self.year, 12, 31),
            "weeks_start": shanghai_midnight_utc(self.first_week_monday),
            "weeks_end": shanghai_midnight_utc(date.fromisocalendar(self.year + 1, 1, 1)),
            "year_prefix": f"{self.year}-%", "account_id": account_id,
        }

    def shown_params(self, account_id: str | None, *names: str) -> dict[str, Any]:
        """The bound parameters a table states (JSON-able), the cutoff always among them."""
        params = self.sql_params(account_id)
        keep = ("cutoff", *names, "account_id")
        return {k: _json_value(params[k]) for k in keep if k in params}

    def previous(self) -> AuditWindow:
        return AuditWindow(self.year - 1, min(self.cutoff, self.year_start))


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def person(name: str | None, person_id: str | None) -> str:
    """People by name, with their id in brackets."""
    if not person_id:
        return ""
    return f"{name or '（未登记）'}（{person_id}）"


def _sql(name: str) -> str:
    return f"sql/{name}.sql"


def _cols(*spec: tuple[str, str] | tuple[str, str, str]) -> tuple[Column, ...]:
    return tuple(Column(*s) for s in spec)


def _memo(policy_for: Callable[[str], Policy]) -> Callable[[str], Policy]:
    """One policy lookup per id for the whole build (load_policy stats the file on every call: seconds at scale)."""
    seen: dict[str, Policy] = {}

    def get(policy_id: str) -> Policy:
        if policy_id not in seen:
            seen[policy_id] = policy_for(policy_id)
        return seen[policy_id]

    return get


def _by_account(rows: Iterable[dict[str, Any]]) -> dict[str | None, list[dict[str, Any]]]:
    grouped: dict[str | None, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        grouped[row["account_id"]].append(row)
    return grouped


def is_approved(approved_steps: int, rejected: bool, has_post: bool, chain_length: int) -> bool:
    """PUB-1, PUB-2: the chain is complete for the published content hash and no step rejected that hash."""
    return has_post and not rejected and approved_steps >= chain_length


def standing(finding: Mapping[str, Any]) -> bool:
    """A finding that counts against the year: not withdrawn by a later scan (resolved because no longer seen)."""
    return not (finding["state_at_cutoff"] == "resolved" and finding["resolved_via"] in ("scan", None))


# ---------------------------------------------------------------------------------------------------- reading

@dataclass
class _Data:
    """Every dataset an account pack reads, for one account or all (split by account)."""

    accounts: list[dict[str, Any]]
    admins: dict[str | None, list[dict[str, Any]]]
    roles: dict[str | None, list[dict[str, Any]]]
    events: dict[str | None, list[dict[str, Any]]]
    items: dict[str | None, list[dict[str, Any]]]
    approvals: dict[str | None, list[dict[str, Any]]]
    weekly: dict[str | None, list[dict[str, Any]]]
    findings: dict[str | None, list[dict[str, Any]]]
    totals: dict[str | None, dict[str, Any]]
    lifecycle: lifecycle.Records  # issue 15's records (ACC-1 to ACC-5, PUB-6, SEC-2 to SEC-4)


def _read(tx: Transaction, window: AuditWindow, account_id: str | None) -> _Data:
    p = window.sql_params(account_id)
    accounts = tx.fetch("audit/accounts", **p)
    host_unit = accounts[0]["host_unit_id"] if account_id is not None and accounts else None
    return _Data(
        accounts=accounts,
        admins=_by_account(tx.fetch("audit/account_admins", **p)),
        roles=_by_account(tx.fetch("audit/role_holders", **p)),
        events=_by_account(tx.fetch("audit/account_events", **p)),
        items=_by_account(tx.fetch("audit/published_items", **p)),
        approvals=_by_account(tx.fetch("audit/approval_steps", **p)),
        weekly=_by_account(tx.fetch("audit/weekly_items", **p)),
        findings=_by_account(tx.fetch("audit/findings", **p)),
        totals={r["account_id"]: r for r in tx.fetch("audit/control_totals", **p)},
        lifecycle=lifecycle.read(tx, p, account_id, host_unit),
    )


def _findings_in_db(tx: Transaction, window: AuditWindow, account_id: str | None) -> int:
    return int(tx.scalar("audit/findings_count", **window.sql_params(account_id)) or 0)


# ------------------------------------------------------------------------------------------------ account pack

def account_ids(db: Database, window: AuditWindow) -> list[str]:
    """The accounts inspected for the year (the DAG maps one task over them)."""
    with db.transaction() as tx:
        return [r["account_id"] for r in tx.fetch("audit/accounts", **window.sql_params(None))]


def build_account_pack(db: Database, account_id: str, window: AuditWindow, *, gate: bool = True,
                       policy_for: Callable[[str], Policy] = load_policy) -> Pack:
    with db.transaction() as tx:
        data = _read(tx, window, account_id)
        in_db = _findings_in_db(tx, window, account_id)
    if not data.accounts:
        raise LookupError(f"account {account_id!r} is not inspected for {window.year} (unknown, or not open that year)")
    pack = _account_pack(data.accounts[0], data, in_db, window, policy_for(data.accounts[0]["policy_id"]))
    return with_quality(pack) if gate else pack


def build_account_packs(db: Database, window: AuditWindow, *, gate: bool = True,
                        policy_for: Callable[[str], Policy] = load_policy) -> list[Pack]:
    """Every account's pack, reading each dataset once for all accounts."""
    policy_for = _memo(policy_for)
    with db.transaction() as tx:
        data = _read(tx, window, None)
        in_db = {a["account_id"]: _findings_in_db(tx, window, a["account_id"]) for a in data.accounts}
    packs = [_account_pack(a, data, in_db[a["account_id"]], window, policy_for(a["policy_id"])) for a in data.accounts]
    return [with_quality(p) for p in packs] if gate else packs


def with_quality(pack: Pack) -> Pack:
    """The pack with the data-quality gate's result (Great Expectations; imported only here)."""
    from herald.audit.quality import check_pack

    return replace(pack, quality=check_pack(pack))


def _account_pack(account: dict[str, Any], data: _Data, findings_in_db: int, window: AuditWindow,
                  policy: Policy) -> Pack:
    aid = account["account_id"]
    items = data.items.get(aid, [])
    findings = data.findings.get(aid, [])
    chain = policy.approval_chain(account["level"])
    registration, missing = _registration_table(account, data.admins.get(aid, []), policy, window)
    item_table = _items_table(items, chain, window, aid, "published_items", "已发布信息（审批、审查、发送、归档）")
    observed = [r for r in items if r["origin"] == "platform_observed"]
    observed_table = _items_table(observed, chain, window, aid, "observed_items", "平台上发现、未经Herald发送的信息（PUB-1/PUB-3）",
                                  note="来自 published_items.sql，取 origin = platform_observed 的行。")
    finding_table = _findings_table(findings, window, aid)
    totals = dict(data.totals.get(aid) or {})
    control = _control_table(window, aid, totals, findings_in_db)
    tieouts = tie.compute(item_table.row_count, {**totals}, finding_table.row_count, findings_in_db) + tie.crises(
        len(data.lifecycle.of(aid, "crises")), findings)
    weekly_table, missed = _weekly_table(data.weekly.get(aid, []), findings, account, policy, window)
    figures = Figures(
        missed_weeks=missed,
        unapproved_items=sum(1 for r in items if r["origin"] != "platform_observed"
                             and not is_approved(r["approved_steps"], bool(r["rejected_steps"]), r["post_id"] is not None,
                                                 len(chain))),
        unarchived_items=sum(1 for r in items if r["bundle_path"] is None),
        findings_by_rule=dict(Counter(f["rule_id"] for f in findings if standing(f))),
        registration_missing=tuple(FIELD_LABELS.get(m, m) for m in missing),
        **lifecycle.figures(data.lifecycle, aid, window.cutoff),
    )
    verdict = judge(figures, policy)
    watch = lifecycle.account_tables(data.lifecycle, aid, account["host_unit_id"], window.sql_params(aid), window.cutoff)
    tables = (
        registration,
        _people_table(data.roles.get(aid, []), policy, window, aid),
        _events_table(data.events.get(aid, []), window, aid),
        *watch,
        weekly_table,
        *_publishing_tables(items, policy, window, aid),
        finding_table,
        _findings_by_rule_table(findings, window, aid, "findings_by_rule"),
        item_table,
        _approvals_table(data.approvals.get(aid, []), window, aid),
        observed_table,
        control,
    )
    summary = {
        "year": window.year, "cutoff": format_shanghai(window.cutoff), "account": person(account["name"], aid),
        "platform": PLATFORM_ZH.get(account["platform"], account["platform"]),
        "host_unit": person(account["host_unit_name"], account["host_unit_id"]),
        "competent_department": policy.competent_department.name, "policy": f"{policy.policy_id} {policy.title}",
        "items": item_table.row_count, "observed_items": len(observed), "missed_weeks": missed,
        "unapproved_items": figures.unapproved_items, "unarchived_items": figures.unarchived_items,
        "findings": finding_table.row_count,
        "complaints": len(data.lifecycle.of(aid, "complaints")), "late_complaints": figures.late_complaints,
        "escalations": len(data.lifecycle.of(aid, "escalations")), "unsent_escalations": figures.unsent_escalations,
        "open_crises": figures.open_crises, "verdict": verdict.label,
        "may_be_rated_advanced": verdict.may_be_rated_advanced,
    }
    return Pack(year=window.year, cutoff=window.cutoff, account_id=aid,
                title=f"{account['name']}（{aid}）{window.year} 年度审计包", summary=summary, tables=tables,
                tieouts=tieouts, verdict=verdict, quality=NOT_GATED, policy_id=policy.policy_id)


def _registration_table(account: dict[str, Any], admins: list[dict[str, Any]], policy: Policy,
                        window: AuditWindow) -> tuple[Table, list[str]]:
    required = policy.registration_required_fields
    conditional = dict(policy.conditional_required_fields)
    missing = missing_registration_fields(account, required, conditional)
    shown = {
        "creating_unit_id": person(account["creating_unit_name"], account["creating_unit_id"]),
        "supervising_leader_id": person(account["supervising_leader_name"], account["supervising_leader_id"]),
        "host_unit_opinion_by": person(account["host_unit_opinion_by_name"], account["host_unit_opinion_by"]),
        "competent_opinion_by": person(account["competent_opinion_by_name"], account["competent_opinion_by"]),
        "administrators": "、".join(person(a["name"], a["person_id"]) for a in admins),
        "platform": PLATFORM_ZH.get(account["platform"], account["platform"]),
    }
    rows = []
    for name, label in FIELD_LABELS.items():
        value = shown.get(name, account.get(name))
        needed = name in required or (name in conditional and bool(account.get(conditional[name])))
        rows.append((name, label, _text(value), needed, name not in missing and value not in (None, "")))
    rows.append(("host_unit_id", "主办单位", person(account["host_unit_name"], account["host_unit_id"]), False, True))
    rows.append(("competent_department", "主管部门", policy.competent_department.name, False, True))
    rows.append(("state", "账号状态", account["state"], False, True))
    rows.append(("closed_on", "注销日期", _text(account["closed_on"]), False, account["closed_on"] is not None))
    table = Table("registration", "备案登记表及完整性（ACC-3）", _sql("audit/accounts"),
                  window.shown_params(account["account_id"], "year_first_on", "year_last_on"),
                  _cols(("field", "字段"), ("label", "项目"), ("value", "登记内容"), ("is_required", "必填", "bool"),
                        ("is_present", "已填写", "bool")),
                  tuple(rows), {"rows": len(rows), "required": sum(1 for r in rows if r[3]), "missing": len(missing)},
                  note="登记内容为账号备案记录的现状；年内的变更见“变更、交接与状态”表。管理员来自 account_admins.sql。")
    return table, missing


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    return value.isoformat() if isinstance(value, date) else str(value)


def _people_table(roles: list[dict[str, Any]], policy: Policy, window: AuditWindow, aid: str) -> Table:
    rows = tuple((r["role"], policy.roles.get(r["role"], r["role"]), person(r["person_name"], r["person_id"]),
                  person(r["unit_name"], r["unit_id"]), r["valid_from_on"], r["valid_to_on"]) for r in roles)
    return Table("people", "主办单位、主管部门、负责人与运营人员（年内任职，ACC-5）", _sql("audit/role_holders"),
                 window.shown_params(aid, "year_first_on", "year_last_on"),
                 _cols(("role", "角色代码"), ("role_label", "角色"), ("person", "人员"), ("unit", "所属单位"),
                       ("valid_from_on", "起始日期", "date"), ("valid_to_on", "截止日期", "date")),
                 rows, {"rows": len(rows), "operators": sum(1 for r in rows if r[0] == "operator")})


def _events_table(events: list[dict[str, Any]], window: AuditWindow, aid: str) -> Table:
    rows = tuple((e["event_id"], EVENT_ZH.get(e["kind"], e["kind"]), e["occurred_at"], e["filed_at"],
                  e["step"] or e["new_state"] or "", person(e["from_person_name"], e["from_person_id"]),
                  person(e["to_person_name"], e["to_person_id"]), person(e["actor_name"], e["actor_id"]),
                  _detail(e["detail"])) for e in events)
    kinds = Counter(e["kind"] for e in events)
    return Table("events", "变更备案、交接与状态变更（ACC-4、ACC-5）", _sql("audit/account_events"),
                 window.shown_params(aid, "year_start", "year_end"),
                 _cols(("event_id", "事件编号"), ("kind", "类别"), ("occurred_at", "发生时间", "datetime"),
                       ("filed_at", "备案时间", "datetime"), ("item", "变更事项/新状态"), ("from_person", "交出人"),
                       ("to_person", "接收人"), ("actor", "经办人"), ("detail", "说明")),
                 rows, {"rows": len(rows), **{k: kinds[k] for k in sorted(kinds)}})


def _detail(text: str | None) -> str:
    if not text:
        return ""
    try:
        value = json.loads(text)
    except ValueError:
        return text
    if isinstance(value, dict):
        return "；".join(f"{v}" for _, v in sorted(value.items()))
    return text


def _weekly_table(weekly: list[dict[str, Any]], findings: list[dict[str, Any]], account: dict[str, Any],
                  policy: Policy, window: AuditWindow) -> tuple[Table, int]:
    """The ISO weeks of the year with the weekly rule's judgement (PUB-5) as the cadence scan recorded it."""
    cadence = policy.cadence
    per_week = {r["week_index"]: r for r in weekly}
    lapses = {f["period"]: f for f in findings if f["rule_id"] == WEEKLY_RULE and standing(f)}
    opened, closed = account["opened_on"], account["closed_on"]
    first_judged = None if opened is None else opened + timedelta(days=(7 - opened.weekday()) % 7)
    today = window.cutoff.astimezone(SHANGHAI).date()
    rows = []
    for week in window.weeks:
        monday = week_index_monday(week)
        label = iso_week_label(monday)
        r = per_week.get(week, {})
        live, deleted, banned, observed = (int(r.get(k) or 0) for k in
                                           ("live_items", "deleted_items", "banned_items", "observed_items"))
        counted = live + (deleted if cadence.count_deleted_by_user else 0) + (banned if cadence.count_banned_by_platform else 0)
        if label in lapses:
            judgement = "missed"
        elif first_judged is None or monday < first_judged or (closed is not None and monday + timedelta(days=6) > closed):
            judgement = "not_judged"
        elif monday + timedelta(days=6) >= today:
            judgement = "not_yet" if counted < cadence.min_items else "met"
        elif counted >= cadence.min_items:
            judgement = "met"
        else:
            judgement = "short"
        finding = lapses.get(label)
        rows.append((label, monday, counted, live, deleted, banned, observed, judgement, WEEK_ZH[judgement],
                     finding["finding_id"] if finding else ""))
    judged = Counter(r[7] for r in rows)
    table = Table("weekly", f"每周更新情况（{len(rows)}个ISO周，PUB-5）", _sql("audit/weekly_items"),
                  window.shown_params(account["account_id"], "weeks_start", "weeks_end"),
                  _cols(("week", "周"), ("monday_on", "周一", "date"), ("counted_items", "计入条数", "int"),
                        ("live_items", "在线", "int"), ("deleted_items", "运营方删除", "int"),
                        ("banned_items", "平台屏蔽", "int"), ("observed_items", "平台发现", "int"),
                        ("judgement", "判定代码"), ("judgement_label", "判定"), ("finding_id", "检查发现编号")),
                  tuple(rows), {"rows": len(rows), **{k: judged[k] for k in sorted(judged)},
                                "counted_items": sum(r[2] for r in rows)},
                  note=f"按北京时间的ISO周统计；每周至少{cadence.min_items}条（{policy.clause('cadence.min_items')}）。"
                       "“未更新”以每周更新扫描记录的检查发现为准。")
    return table, len(lapses)


def _publishing_tables(items: list[dict[str, Any]], policy: Policy, window: AuditWindow, aid: str) -> list[Table]:
    params = window.shown_params(aid, "year_start", "year_end")
    by_month = Counter(r["published_at"].astimezone(SHANGHAI).strftime("%Y-%m") for r in items)
    by_category = Counter(r["category"] or "" for r in items)
    by_platform = Counter(r["platform"] for r in items)
    return _summary_tables(by_month, by_category, by_platform, policy, params)


def _summary_tables(by_month: Counter, by_category: Counter, by_platform: Counter, policy: Policy | None,
                    params: dict[str, Any], source: str = "audit/published_items") -> list[Table]:
    labels = dict(policy.content.categories) if policy else {}
    month_rows = tuple((m, by_month[m]) for m in sorted(by_month))
    cat_rows = tuple((c, labels.get(c, c or "（未分类：非Herald发送）"), by_category[c]) for c in sorted(by_category))
    plat_rows = tuple((p, PLATFORM_ZH.get(p, p), by_platform[p]) for p in sorted(by_platform))
    total = sum(by_month.values())
    return [
        Table("publishing_by_month", "按月发布（北京时间）", _sql(source), params,
              _cols(("month", "月份"), ("items", "条数", "int")), month_rows, {"rows": len(month_rows), "items": total}),
        Table("publishing_by_category", "按内容类别发布", _sql(source), params,
              _cols(("category", "类别代码"), ("category_label", "类别"), ("items", "条数", "int")), cat_rows,
              {"rows": len(cat_rows), "items": total}),
        Table("publishing_by_platform", "按平台发布", _sql(source), params,
              _cols(("platform", "平台代码"), ("platform_label", "平台"), ("items", "条数", "int")), plat_rows,
              {"rows": len(plat_rows), "items": total}),
    ]


def _screening(text: str | None) -> str:
    if not text:
        return "无记录"
    try:
        value = json.loads(text)
    except ValueError:
        return "记录无法解析"
    if not value:
        return "无记录"
    hits = sum(len(r.get("hits", [])) for r in (value.get("fields") or {}).values())
    route = value.get("route")
    return f"命中{hits}处" + (f"，转{route}审核" if route else "") if hits or route else "无命中"


def _items_table(items: list[dict[str, Any]], chain: tuple[str, ...], window: AuditWindow, aid: str | None, key: str,
                 title: str, note: str = "") -> Table:
    rows = []
    for r in items:
        lateness = None
        if r["scheduled_at"] is not None and r["origin"] != "platform_observed":
            lateness = int((r["published_at"] - r["scheduled_at"]).total_seconds())
        complete = is_approved(r["approved_steps"], bool(r["rejected_steps"]), r["post_id"] is not None, len(chain))
        rows.append((r["item_id"], r["account_id"], r["published_at"], r["platform"], ORIGIN_ZH.get(r["origin"], r["origin"]),
                     r["origin"], r["platform_item_id"], r["post_id"], r["category"] or "", r["content_hash"] or "",
                     "→".join(chain), int(r["approved_steps"]), complete, _screening(r["screening"]),
                     int(r["attempt_count"]), lateness, bool(r["is_handoff_late"]), person(r["operator_name"], r["operator_id"]),
                     STATUS_ZH.get(r["platform_status"], r["platform_status"]), r["bundle_path"] or "",
                     r["manifest_sha256"] or "", r["bundle_path"] is not None))
    origins = Counter(r[5] for r in rows)
    return Table(key, title, _sql("audit/published_items"), window.shown_params(aid, "year_start", "year_end"),
                 _cols(("item_id", "信息编号"), ("account_id", "账号"), ("published_at", "发布时间", "datetime"),
                       ("platform", "平台"), ("origin_label", "来源"), ("origin", "来源代码"),
                       ("platform_item_id", "平台信息ID"), ("post_id", "稿件编号"), ("category", "类别"),
                       ("content_hash", "发布内容哈希"), ("chain", "应有审批链"), ("approved_steps", "已审批步数", "int"),
                       ("is_chain_complete", "审批链完整", "bool"), ("screening", "敏感词审查"),
                       ("attempts", "发送尝试次数", "int"), ("lateness_seconds", "延迟（秒）", "int"),
                       ("is_handoff_late", "人工发布逾期", "bool"), ("published_by", "发布人"),
                       ("platform_status", "平台状态"), ("bundle_path", "归档包"), ("manifest_sha256", "归档清单SHA-256"),
                       ("is_archived", "已归档", "bool")),
                 tuple(rows), {"rows": len(rows), **{k: origins[k] for k in sorted(origins)},
                               "chain_complete": sum(1 for r in rows if r[12]), "archived": sum(1 for r in rows if r[21])},
                 note=note or "审批链按账号所属制度的审批链核对发布时的内容哈希；延迟为实际发布时间减计划发布时间。")


def _approvals_table(steps: list[dict[str, Any]], window: AuditWindow, aid: str) -> Table:
    rows = tuple((s["item_id"], s["post_id"], int(s["step_no"]), s["role"], person(s["approver_name"], s["approver_id"]),
                  s["decision"], s["via"], s["content_hash"], bool(s["is_for_published"]), s["decided_at"]) for s in steps)
    return Table("approvals", "审批记录（PUB-2）", _sql("audit/approval_steps"),
                 window.shown_params(aid, "year_start", "year_end"),
                 _cols(("item_id", "信息编号"), ("post_id", "稿件编号"), ("step_no", "步骤", "int"), ("role", "角色"),
                       ("approver", "审批人"), ("decision", "决定"), ("via", "途径"), ("content_hash", "内容哈希"),
                       ("is_for_published", "针对发布内容", "bool"), ("decided_at", "审批时间", "datetime")),
                 rows, {"rows": len(rows), "approved": sum(1 for r in rows if r[5] == "approved")})


def _findings_table(findings: list[dict[str, Any]], window: AuditWindow, aid: str | None) -> Table:
    rows = tuple((f["finding_id"], f["account_id"] or "", f["rule_id"], f["subject_id"], f["period"], f["severity"],
                  f["summary"], f["state_at_cutoff"], STATE_ZH.get(f["state_at_cutoff"], f["state_at_cutoff"]),
                  f["first_detected_at"], f["resolved_at"], VIA_ZH.get(f["resolved_via"] or "", f["resolved_via"] or ""),
                  person(f["resolved_by_name"], f["resolved_by"]) if f["resolved_by_name"] else (f["resolved_by"] or ""),
                  f["resolution_reason"] or "", f["detected_by"]) for f in findings)
    states = Counter(r[7] for r in rows)
    return Table("findings", "检查发现及整改情况", _sql("audit/findings"),
                 window.shown_params(aid, "year_start", "year_prefix"),
                 _cols(("finding_id", "发现编号"), ("account_id", "账号"), ("rule_id", "规则"), ("subject_id", "对象"),
                       ("period", "期间"), ("severity", "严重程度"), ("summary", "摘要"), ("state", "状态代码"),
                       ("state_label", "截至基准时间的状态"), ("detected_at", "首次发现时间", "datetime"),
                       ("resolved_at", "整改时间", "datetime"), ("resolved_via", "整改方式"), ("resolved_by", "整改人"),
                       ("resolution_reason", "整改说明"), ("detected_by", "发现者")),
                 rows, {"rows": len(rows), **{k: states[k] for k in sorted(states)}})


def _findings_by_rule_table(findings: list[dict[str, Any]], window: AuditWindow, aid: str | None, key: str) -> Table:
    per_rule: dict[str, Counter] = defaultdict(Counter)
    accounts: dict[str, set] = defaultdict(set)
    for f in findings:
        per_rule[f["rule_id"]][f["state_at_cutoff"]] += 1
        per_rule[f["rule_id"]]["standing"] += standing(f)
        if f["account_id"]:
            accounts[f["rule_id"]].add(f["account_id"])
    rows = tuple((rule, sum(c[s] for s in STATE_ZH), c["open"], c["acknowledged"], c["resolved"], c["standing"],
                  len(accounts[rule])) for rule, c in sorted(per_rule.items()))
    return Table(key, "按规则汇总的检查发现", _sql("audit/findings"), window.shown_params(aid, "year_start", "year_prefix"),
                 _cols(("rule_id", "规则"), ("findings", "发现数", "int"), ("open", "未整改", "int"),
                       ("acknowledged", "整改中", "int"), ("resolved", "已整改", "int"), ("standing", "计入违规", "int"),
                       ("accounts", "涉及账号数", "int")),
                 rows, {"rows": len(rows), "findings": sum(r[1] for r in rows)})


def _control_table(window: AuditWindow, aid: str | None, totals: Mapping[str, Any], findings_in_db: int) -> Table:
    names = (("confirmed_dispatches", "平台确认的发送"), ("manual_confirmations", "人工确认的发布"),
             ("observed_items", "平台上发现的信息"), ("archive_bundles", "归档包"))
    rows = tuple((key, label, int(totals.get(key) or 0)) for key, label in names)
    rows += (("findings_in_database", "数据库中本年度的检查发现", findings_in_db),)
    return Table("control_totals", "控制总数（独立计数，用于勾稽核对）", _sql("audit/control_totals"),
                 window.shown_params(aid, "year_start", "year_end"),
                 _cols(("total", "项目代码"), ("label", "项目"), ("value", "数值", "int")), rows,
                 {r[0]: r[2] for r in rows},
                 note="检查发现数来自 sql/audit/findings_count.sql。")


# ---------------------------------------------------------------------------------------------------- group pack

@dataclass
class _GroupRead:
    accounts: list[dict[str, Any]]
    totals: list[dict[str, Any]]
    findings: list[dict[str, Any]]
    control: list[dict[str, Any]]
    findings_in_db: int
    lifecycle: lifecycle.Records
    cutoff: datetime


def _read_group(tx: Transaction, window: AuditWindow) -> _GroupRead:
    p = window.sql_params(None)
    return _GroupRead(tx.fetch("audit/accounts", **p), tx.fetch("audit/item_totals", **p), tx.fetch("audit/findings", **p),
                      tx.fetch("audit/control_totals", **p), _findings_in_db(tx, window, None),
                      lifecycle.read(tx, p, None), window.cutoff)


def group_verdicts(read: _GroupRead, policy_for: Callable[[str], Policy]) -> dict[str, tuple[Verdict, Figures, int]]:
    """Each account's verdict from the group's aggregates: the same ``judge`` over the same figures."""
    items: dict[str, Counter] = defaultdict(Counter)
    levels = {a["account_id"]: a for a in read.accounts}
    for r in read.totals:
        a = levels.get(r["account_id"])
        if a is None:
            continue
        chain = len(policy_for(a["policy_id"]).approval_chain(a["level"]))
        n = int(r["items"])
        c = items[r["account_id"]]
        c["items"] += n
        if r["origin"] != "platform_observed" and not is_approved(int(r["approved_steps"]), bool(r["rejected"]),
                                                                  int(r["approved_steps"]) >= 0, chain):
            c["unapproved"] += n
        if not r["bundled"]:
            c["unarchived"] += n
    by_rule: dict[str, Counter] = defaultdict(Counter)
    for f in read.findings:
        if f["account_id"] and standing(f):
            by_rule[f["account_id"]][f["rule_id"]] += 1
    out = {}
    for a in read.accounts:
        aid = a["account_id"]
        policy = policy_for(a["policy_id"])
        missing = missing_registration_fields(a, policy.registration_required_fields,
                                              dict(policy.conditional_required_fields))
        fig = Figures(missed_weeks=by_rule[aid][WEEKLY_RULE], unapproved_items=items[aid]["unapproved"],
                      unarchived_items=items[aid]["unarchived"], findings_by_rule=dict(by_rule[aid]),
                      registration_missing=tuple(FIELD_LABELS.get(m, m) for m in missing),
                      **lifecycle.figures(read.lifecycle, aid, read.cutoff))
        out[aid] = (judge(fig, policy), fig, items[aid]["items"])
    return out


def build_group_pack(db: Database, window: AuditWindow, *, gate: bool = True,
                     policy_for: Callable[[str], Policy] = load_policy) -> Pack:
    policy_for = _memo(policy_for)
    with db.transaction() as tx:
        read = _read_group(tx, window)
        units = {u["unit_id"]: u for u in tx.fetch("audit/org_units")}
        ledger = tx.fetch("audit/ledger_runs", **window.sql_params(None))
        run_match = run_history.read_match(tx, window.year, window.year_start, window.year_end, window.cutoff)
        detections = tx.fetch("audit/finding_runs", cutoff=window.cutoff, from_at=min(
            (f["first_detected_at"] for f in read.findings), default=window.year_start) - run_history.DETECTION_SLACK)
        previous = _read_group(tx, window.previous())
    verdicts = group_verdicts(read, policy_for)
    params = window.shown_params(None, "year_start", "year_end")
    ranked = sorted(read.accounts, key=lambda a: (LEVEL_ORDER[verdicts[a["account_id"]][0].level],
                                                  verdicts[a["account_id"]][1].violations,
                                                  verdicts[a["account_id"]][1].missed_weeks, a["account_id"]))
    rank_rows = tuple(
        (n, a["account_id"], person(a["name"], a["account_id"]), person(a["host_unit_name"], a["host_unit_id"]),
         PLATFORM_ZH.get(a["platform"], a["platform"]), verdicts[a["account_id"]][0].level, verdicts[a["account_id"]][0].label,
         verdicts[a["account_id"]][2], verdicts[a["account_id"]][1].missed_weeks,
         verdicts[a["account_id"]][1].unapproved_items, sum(verdicts[a["account_id"]][1].findings_by_rule.values()),
         verdicts[a["account_id"]][0].may_be_rated_advanced,
         "；".join(f"{r.rule_id} {r.text}" for r in verdicts[a["account_id"]][0].reasons))
        for n, a in enumerate(ranked, 1))
    levels = Counter(r[5] for r in rank_rows)
    ranking = Table("accounts_ranked", "账号排名及年度审核结论", _sql("audit/item_totals"), params,
                    _cols(("rank", "名次", "int"), ("account_id", "账号代码"), ("account", "账号"), ("host_unit", "主办单位"),
                          ("platform", "平台"), ("verdict", "结论代码"), ("verdict_label", "结论"), ("items", "发布条数", "int"),
                          ("missed_weeks", "未更新周数", "int"), ("unapproved_items", "审批不完整条数", "int"),
                          ("findings", "计入违规的发现", "int"), ("may_be_rated_advanced", "可评先进", "bool"),
                          ("reasons", "理由")),
                    rank_rows, {"rows": len(rank_rows), **{k: levels[k] for k in sorted(levels)},
                                "items": sum(r[7] for r in rank_rows)},
                    note="排名：结论（合格在前）、违规数、未更新周数、账号代码。结论与各账号审计包一致（同一判定函数）。")
    per_unit: dict[str, Counter] = defaultdict(Counter)
    for a in read.accounts:
        v = verdicts[a["account_id"]][0]
        c = per_unit[a["host_unit_id"]]
        c["accounts"] += 1
        c[v.level] += 1
        c["blocked"] += not v.may_be_rated_advanced
    unit_rows = tuple((uid, person(units.get(uid, {}).get("name"), uid), c["accounts"], c["pass"], c["pass_with_remarks"],
                       c["fail"], c["blocked"] == 0) for uid, c in sorted(per_unit.items()))
    by_unit = Table("verdicts_by_unit", "按主办单位汇总的审核结论（SEC-5）", _sql("audit/accounts"), params,
                    _cols(("unit_id", "单位代码"), ("unit", "主办单位"), ("accounts", "账号数", "int"), ("pass", "合格", "int"),
                          ("pass_with_remarks", "基本合格", "int"), ("fail", "不合格", "int"),
                          ("may_be_rated_advanced", "可评先进", "bool")),
                    unit_rows, {"rows": len(unit_rows), "accounts": sum(r[2] for r in unit_rows)},
                    note="单位下任一账号有违规或未合格，该单位不得评为先进。")
    by_month, by_platform, by_category = Counter(), Counter(), Counter()
    for r in read.totals:
        by_month[r["month"]] += int(r["items"])
        by_platform[r["platform"]] += int(r["items"])
    summary_tables = _summary_tables(by_month, by_category, by_platform, None, params, source="audit/item_totals")[::2]
    findings_table = _findings_table(read.findings, window, None)
    rules_table = replace(_findings_by_rule_table(read.findings, window, None, "rules_across_group"),
                          title="按规则汇总的全集团检查发现")
    control_sum = Counter()
    for r in read.control:
        for k in ("confirmed_dispatches", "manual_confirmations", "observed_items", "archive_bundles"):
            control_sum[k] += int(r[k] or 0)
    items_total = sum(int(r["items"]) for r in read.totals)
    control = _control_table(window, None, control_sum, read.findings_in_db)
    trend = _trend_table(read, previous, window, verdicts, policy_for)
    ledger_rows = tuple((r["ledger_id"], r["dag_id"], r["run_id"], r["task_id"], int(r["try_number"]), r["status"],
                         r["started_at"], r["finished_at"], r["row_counts"]) for r in ledger)
    ledger_table = Table("pipeline_runs", "产生本年度数据的流水线运行（Herald运行台账）", _sql("audit/ledger_runs"),
                         window.shown_params(None, "year_start", "year_end"),
                         _cols(("ledger_id", "台账编号"), ("dag_id", "流水线"), ("run_id", "运行编号"), ("task_id", "任务"),
                               ("try_number", "尝试", "int"), ("status", "结果"), ("started_at", "开始时间", "datetime"),
                               ("finished_at", "结束时间", "datetime"), ("row_counts", "计数")),
                         ledger_rows, {"rows": len(ledger_rows)})
    watch = lifecycle.group_tables(read.lifecycle, read.accounts, window.sql_params(None), window.cutoff)
    tables = (ranking, by_unit, rules_table, *summary_tables, *watch, trend, findings_table, control, ledger_table,
              _run_ledger_table(run_match, window), _finding_runs_table(read.findings, detections, window))
    tieouts = (tie.compute(items_total, control_sum, findings_table.row_count, read.findings_in_db)
               + tie.crises(int(watch[0].control_totals["crises"]), read.findings)
               + tie.run_ledger(run_match.counts, run_match.fetch.verified))
    group_unit = next((u for u in units.values() if u["kind"] == "group"), None)
    name = group_unit["name"] if group_unit else "集团"
    summary = {"year": window.year, "cutoff": format_shanghai(window.cutoff), "accounts": len(read.accounts),
               "items": items_total, "findings": findings_table.row_count, "pass": levels["pass"],
               "pass_with_remarks": levels["pass_with_remarks"], "fail": levels["fail"],
               "units_may_be_rated_advanced": sum(1 for r in unit_rows if r[6]),
               **{k: watch[0].control_totals[k] for k in ("complaints", "late_complaints", "escalations",
                                                           "unsent_escalations", "open_crises")},
               "run_ledger": _run_ledger_summary(run_match)}
    pack = Pack(year=window.year, cutoff=window.cutoff, account_id=None,
                title=f"{name}{window.year} 年度审计包（集团汇总）", summary=summary, tables=tables, tieouts=tieouts,
                verdict=None, quality=NOT_GATED, policy_id=None)
    return with_quality(pack) if gate else pack


def _run_ledger_table(match: run_history.RunMatch, window: AuditWindow) -> Table:
    """Herald's ledger runs matched against Airflow's run history (herald.audit.run_history), one row a run."""
    rows = []
    for r in match.rows:
        h, a = r.herald, r.airflow
        rows.append((r.dag_id, r.run_id, r.match, run_history.MATCH_ZH[r.match], r.reason,
                     h.first_ledger_id if h else "", run_history.STATE_ZH.get(h.status, h.status) if h else "",
                     h.tasks if h else None, h.tries if h else None, h.first_started_at if h else None,
                     h.last_finished_at if h else None, a.state if a else "", a.run_type if a else "",
                     a.logical_at if a else None, a.started_at if a else None, a.ended_at if a else None))
    fetch = match.fetch
    if fetch.verified:
        note = (f"Airflow 运行历史经 {fetch.source} 读取（{len(fetch.dag_ids)} 个写台账的流水线：{'、'.join(fetch.dag_ids)}；"
                f"共 {fetch.run_count} 条，含年度前后各一天的余量），存于 sql/audit/airflow_runs.sql 所读的快照。")
    else:
        note = f"未核对：{fetch.reason}。下表仅列 Herald 运行台账中的运行。"
    note += ("运行按其在 Airflow 中的开始时间（未开始的按计划时间；Airflow 无记录的按台账首条记录）归入年度，晚于基准时间的不计。"
             "“台账编号”可在“产生本年度数据的流水线运行”表中找到该运行各任务的输入与计数。")
    params = {**window.shown_params(None, "year_start", "year_end"),
              "from_at": run_history.fetch_range(window.year_start, window.year_end, window.cutoff)[0].isoformat(),
              "to_at": run_history.fetch_range(window.year_start, window.year_end, window.cutoff)[1].isoformat(),
              "fetch_id": run_history.fetch_id(window.year, window.cutoff), "airflow_history": fetch.status}
    return Table("run_ledger", "流水线运行核对（Herald运行台账与Airflow运行历史）",
                 "sql/audit/ledger_run_keys.sql; sql/audit/airflow_runs.sql", params,
                 _cols(("dag_id", "流水线"), ("run_id", "运行编号"), ("match", "核对结果代码"), ("match_label", "核对结果"),
                       ("reason", "说明"), ("ledger_id", "台账编号"), ("herald_status", "台账结果"),
                       ("herald_tasks", "台账任务数", "int"), ("herald_tries", "台账尝试数", "int"),
                       ("herald_started_at", "台账开始时间", "datetime"), ("herald_finished_at", "台账结束时间", "datetime"),
                       ("airflow_state", "Airflow状态"), ("airflow_run_type", "Airflow运行类型"),
                       ("airflow_logical_at", "Airflow逻辑时间", "datetime"), ("airflow_started_at", "Airflow开始时间", "datetime"),
                       ("airflow_ended_at", "Airflow结束时间", "datetime")),
                 tuple(rows), {"rows": len(rows), **match.counts}, note=note)


def _run_ledger_summary(match: run_history.RunMatch) -> str:
    c = match.counts
    if not match.fetch.verified:
        return f"未核对（{match.fetch.reason}）；Herald 台账中的运行 {c['herald_runs']} 次"
    return "；".join(f"{run_history.MATCH_ZH[k]} {c[k]}" for k in run_history.MATCH_ORDER if k != "unverified" and c[k]
                    ) or "本年度无流水线运行"


def _finding_runs_table(findings: list[dict[str, Any]], tries: list[dict[str, Any]], window: AuditWindow) -> Table:
    """Each finding of the pack with the run that first detected it: DAG, run id, ledger try, inputs and counts."""
    found = run_history.finding_runs(findings, tries)
    rows = []
    for f in sorted(findings, key=lambda f: f["finding_id"]):
        t = found.get(f["finding_id"])
        rows.append((f["finding_id"], f["rule_id"], f["detected_by"], f["first_detected_at"], t is not None,
                     t["ledger_id"] if t else "", t["dag_id"] if t else "", t["run_id"] if t else "",
                     t["task_id"] if t else "", int(t["try_number"]) if t else None, t["started_at"] if t else None,
                     t["inputs"] if t else "", t["row_counts"] if t else ""))
    return Table("finding_runs", "检查发现对应的流水线运行（运行、输入与计数）", _sql("audit/finding_runs"),
                 {"cutoff": window.cutoff.isoformat(), "detection_slack_seconds": int(run_history.DETECTION_SLACK.total_seconds())},
                 _cols(("finding_id", "发现编号"), ("rule_id", "规则"), ("detected_by", "发现者"),
                       ("first_detected_at", "首次发现时间", "datetime"), ("has_run", "找到运行", "bool"),
                       ("ledger_id", "台账编号"), ("dag_id", "流水线"), ("run_id", "运行编号"), ("task_id", "任务"),
                       ("try_number", "尝试", "int"), ("started_at", "运行开始时间", "datetime"), ("inputs", "输入"),
                       ("row_counts", "计数")),
                 tuple(rows), {"rows": len(rows), "with_run": sum(1 for r in rows if r[4])},
                 note="首次发现该问题的运行：发现者（流水线.任务）的一次成功尝试，其运行期间（开始前两分钟内起算）记录了首次发现时间。"
                      "以命令行指定时点运行的扫描可能找不到对应运行（“找到运行”为否）。")


def _trend_table(read: _GroupRead, previous: _GroupRead, window: AuditWindow, verdicts: Mapping[str, Any],
                 policy_for: Callable[[str], Policy]) -> Table:
    """This year against the previous one, where the database holds the previous year's data."""
    params = {**window.shown_params(None, "year_start", "year_end"), "previous_year": window.year - 1}
    has_previous = bool(previous.totals or previous.findings)
    prev_verdicts = group_verdicts(previous, policy_for) if has_previous else {}

    def figures(read_: _GroupRead, verdicts_: Mapping[str, Any]) -> dict[str, int]:
        levels = Counter(v[0].level for v in verdicts_.values())
        rules = Counter(f["rule_id"] for f in read_.findings if standing(f))
        out = {"accounts": len(read_.accounts), "items": sum(int(r["items"]) for r in read_.totals),
               "findings": len(read_.findings), "pass": levels["pass"], "pass_with_remarks": levels["pass_with_remarks"],
               "fail": levels["fail"]}
        out.update({f"rule:{k}": rules[k] for k in rules})
        return out

    now = figures(read, verdicts)
    before = figures(previous, prev_verdicts) if has_previous else {}
    labels = {"accounts": "账号数", "items": "发布条数", "findings": "检查发现", "pass": "合格账号",
              "pass_with_remarks": "基本合格账号", "fail": "不合格账号"}
    keys = list(labels) + sorted(k for k in set(now) | set(before) if k.startswith("rule:"))
    rows = tuple((k, labels.get(k, f"规则{k[5:]}违规"), before.get(k) if has_previous else None, now.get(k, 0),
                  (now.get(k, 0) - before.get(k, 0)) if has_previous else None) for k in keys)
    return Table("trend", f"与{window.year - 1}年比较" + ("" if has_previous else "（无上年数据）"), _sql("audit/item_totals"),
                 params, _cols(("metric", "指标代码"), ("label", "指标"), ("previous", "上年", "int"), ("current", "本年", "int"),
                               ("change", "增减", "int")),
                 rows, {"rows": len(rows), "has_previous": int(has_previous)})


def build_packs(db: Database, year: int, cutoff: datetime, *, account_ids: Sequence[str] | None = None,
                progress: Callable[..., Any] | None = None, gate: bool = True,
                policy_for: Callable[[str], Policy] = load_policy) -> list[Pack]:
    """The year's packs as of ``cutoff``: the named accounts' packs, or every account's and then the group's.

    ``progress(done, total)`` is told after each pack (the data-quality gate is most of the time per pack).
    """
    window = AuditWindow(year, cutoff)
    policy_for = _memo(policy_for)
    if account_ids:
        packs = [build_account_pack(db, account_id, window, gate=False, policy_for=policy_for) for account_id in account_ids]
        with_group = False
    else:
        packs = build_account_packs(db, window, gate=False, policy_for=policy_for)
        with_group = True
    total = len(packs) + with_group
    done: list[Pack] = []
    for pack in packs:
        done.append(with_quality(pack) if gate else pack)
        if progress:
            progress(len(done), total)
    if with_group:
        done.append(build_group_pack(db, window, gate=gate, policy_for=policy_for))
        if progress:
            progress(len(done), total)
    return done
