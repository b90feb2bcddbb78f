"""The audit pack's data-quality gate: expectation suites, kept as code, run by Great Expectations (GX Core 1.x).

Every dataset the pack reads is validated as a pandas DataFrame built from the pack's own tables: required
fields present, platform item ids unique per platform, every time inside the year (and the cutoff) and
timezone-aware, every item Herald published with a complete approval chain and an archive bundle, references
that resolve, states from their allowed sets, and the control totals (tie-outs). A failed critical expectation
keeps the pack a draft; ``QualityResult.failures`` says in Chinese which rows failed which expectation and why.

GX is imported only inside ``check_pack`` (``import great_expectations`` takes ~17 s here). The context is
ephemeral and registered in GX 1.x order (data source, asset, batch definition, suite, validation
definition) before anything runs. ``results_json`` is GX's validation results with every run or validation
time replaced by the pack's cutoff, expectation ids derived from their names, and sorted keys, so the same
inputs give the same bytes. GX's own Data Docs are built from those results by ``herald.audit.data_docs`` (offline,
byte-identical) and go into the pack beside them; the pack's Chinese data-quality report, built from ``failures``,
is the one people read first.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from herald.audit.model import Pack, QualityResult, Table

ORIGINS = ("dispatch", "manual_confirmation", "platform_observed")
FINDING_STATES = ("open", "acknowledged", "resolved")
DECISIONS = ("approved", "rejected")
STAMPED_KEYS = {"run_time", "validation_time", "time", "timestamp", "created_at", "updated_at"}
ID_NAMESPACE = uuid.UUID("6d1f4f9e-3a57-4b8e-9f5a-61c3e7a2b0c4")


@dataclass(frozen=True)
class Check:
    """One expectation: GX's class name and arguments, what it means in Chinese, and whether it is critical."""

    dataset: str
    expectation: str  # GX class name in great_expectations.expectations
    kwargs: dict[str, Any]
    words: str  # Chinese: the expectation in words
    why: str  # Chinese: what a failure means
    id_column: str
    critical: bool = True


def _frame(table: Table, extra: dict[str, Callable[[dict[str, Any]], Any]] | None = None):
    import pandas as pd

    keys = [c.key for c in table.columns]
    records = [dict(zip(keys, row, strict=True)) for row in table.rows]
    for name, fn in (extra or {}).items():
        for record in records:
            record[name] = fn(record)
    columns = keys + list(extra or {})
    frame = pd.DataFrame.from_records(records, columns=columns)
    # Times stay Python objects (tz-aware or not), so a naive one is seen as naive, not coerced.
    return frame.astype(object).where(frame.notna(), None)


def _zone(value: Any) -> str:
    if value is None:
        return "无"
    if isinstance(value, datetime) and value.tzinfo is not None and value.utcoffset() is not None:
        return "有时区"
    return "无时区"


def _datasets(pack: Pack) -> list[tuple[str, Any, list[Check]]]:
    """(dataset, DataFrame, checks) for every dataset of the pack."""
    from herald.timeutil import shanghai_midnight_utc

    tables = {t.key: t for t in pack.tables}
    year_start = shanghai_midnight_utc(datetime(pack.year, 1, 1).date())
    year_end = shanghai_midnight_utc(datetime(pack.year + 1, 1, 1).date())
    in_year = lambda v: None if v is None else (isinstance(v, datetime) and v.tzinfo is not None  # noqa: E731
                                                 and year_start <= v < year_end and v <= pack.cutoff)
    out: list[tuple[str, Any, list[Check]]] = []
    if "published_items" in tables:
        items = tables["published_items"]
        frame = _frame(items, {
            "published_at_zone": lambda r: _zone(r["published_at"]),
            "is_published_in_year": lambda r: in_year(r["published_at"]),
            "is_approval_ok": lambda r: r["origin"] == "platform_observed" or bool(r["is_chain_complete"]),
        })
        checks = [Check("published_items", "ExpectColumnValuesToNotBeNull", {"column": c}, f"“{c}”必须有值",
                        "必填字段缺失，表格无法核对", "item_id") for c in ("item_id", "account_id", "published_at",
                                                                           "platform", "origin")]
        checks += [
            Check("published_items", "ExpectColumnValuesToBeUnique", {"column": "item_id"}, "信息编号唯一",
                  "同一信息重复出现，发布条数被多计", "item_id"),
            Check("published_items", "ExpectCompoundColumnsToBeUnique",
                  {"column_list": ["platform", "platform_item_id"], "ignore_row_if": "any_value_is_missing"},
                  "同一平台上的平台信息ID唯一", "同一平台信息被记录为多条，发布条数与归档无法对应", "item_id"),
            Check("published_items", "ExpectColumnValuesToBeInSet", {"column": "origin", "value_set": list(ORIGINS)},
                  "来源属于允许的取值", "来源不明的信息无法归入勾稽公式", "item_id"),
            Check("published_items", "ExpectColumnValuesToBeInSet",
                  {"column": "published_at_zone", "value_set": ["有时区"]}, "发布时间带时区",
                  "无时区的时间无法确定属于哪一天、哪一周", "item_id"),
            Check("published_items", "ExpectColumnValuesToBeInSet",
                  {"column": "is_published_in_year", "value_set": [True]}, "发布时间在审计年度内且不晚于基准时间",
                  "年度以外或基准时间之后的信息不应计入本年度", "item_id"),
            Check("published_items", "ExpectColumnValuesToBeInSet", {"column": "is_approval_ok", "value_set": [True]},
                  "每条经Herald发布的信息，其发布内容的审批链完整（PUB-1、PUB-2）", "未经完整审批即发布", "item_id"),
            Check("published_items", "ExpectColumnValuesToBeInSet", {"column": "is_archived", "value_set": [True]},
                  "每条已发布信息都有归档包（PUB-4）", "信息未归档，无法留存备查", "item_id"),
        ]
        if pack.account_id is not None:
            checks.append(Check("published_items", "ExpectColumnValuesToBeInSet",
                                {"column": "account_id", "value_set": [pack.account_id]}, "信息属于本账号（引用可解析）",
                                "其他账号的信息混入本审计包", "item_id"))
        out.append(("published_items", frame, checks))
    if "approvals" in tables and "published_items" in tables:
        posts = sorted({r[7] for r in tables["published_items"].rows if r[7]})
        approvals = tables["approvals"]
        frame = _frame(approvals, {"decided_at_zone": lambda r: _zone(r["decided_at"]),
                                   "step_key": lambda r: f"{r['post_id']}#{r['step_no']}#{r['content_hash']}"})
        out.append(("approvals", frame, [
            Check("approvals", "ExpectColumnValuesToBeInSet", {"column": "post_id", "value_set": posts},
                  "审批记录指向本审计包中的稿件（引用可解析）", "审批记录找不到对应的已发布信息", "step_key"),
            Check("approvals", "ExpectColumnValuesToBeInSet", {"column": "decision", "value_set": list(DECISIONS)},
                  "审批决定属于允许的取值", "审批决定不明", "step_key"),
            Check("approvals", "ExpectColumnValuesToBeInSet", {"column": "decided_at_zone", "value_set": ["有时区"]},
                  "审批时间带时区", "无时区的时间无法核对审批先后", "step_key"),
        ]))
    if "findings" in tables:
        findings = tables["findings"]
        frame = _frame(findings)
        checks = [
            Check("findings", "ExpectColumnValuesToBeUnique", {"column": "finding_id"}, "检查发现编号唯一",
                  "同一发现重复计入", "finding_id"),
            Check("findings", "ExpectColumnValuesToBeInSet", {"column": "state", "value_set": list(FINDING_STATES)},
                  "状态属于允许的取值", "状态不明的发现无法判断是否已整改", "finding_id"),
            Check("findings", "ExpectColumnValuesToMatchRegex",
                  {"column": "rule_id", "regex": r"^(ORG|ACC|CON|PUB|SEC)-[0-9]+$"}, "规则编号符合规则目录格式",
                  "规则编号不在规则目录中", "finding_id"),
        ]
        if pack.account_id is not None:
            checks.append(Check("findings", "ExpectColumnValuesToBeInSet",
                                {"column": "account_id", "value_set": [pack.account_id]}, "检查发现的对象可解析到本账号",
                                "发现的对象无法对应到账号", "finding_id"))
        out.append(("findings", frame, checks))
    if "weekly" in tables:
        weekly = tables["weekly"]
        out.append(("weekly", _frame(weekly), [
            Check("weekly", "ExpectTableRowCountToBeBetween", {"min_value": 52, "max_value": 53}, "ISO周数为52或53",
                  "周历不完整，未更新周数可能漏计", "week"),
            Check("weekly", "ExpectColumnValuesToBeUnique", {"column": "week"}, "每周只出现一次", "同一周重复计入", "week"),
        ]))
    out += _lifecycle_datasets(pack, tables, in_year)
    if "accounts_ranked" in tables:
        out.append(("accounts_ranked", _frame(tables["accounts_ranked"]), [
            Check("accounts_ranked", "ExpectColumnValuesToBeUnique", {"column": "account_id"}, "每个账号只排名一次",
                  "账号重复排名", "account_id"),
            Check("accounts_ranked", "ExpectColumnValuesToBeInSet",
                  {"column": "verdict", "value_set": ["pass", "pass_with_remarks", "fail"]}, "结论属于允许的取值",
                  "结论不明", "account_id"),
        ]))
    import pandas as pd

    tie = pd.DataFrame.from_records(
        [{"tieout": t.name, "left_value": t.left_value, "right_value": t.right_value} for t in pack.tieouts],
        columns=["tieout", "left_value", "right_value"])
    out.append(("control_totals", tie, [
        Check("control_totals", "ExpectColumnPairValuesToBeEqual", {"column_A": "left_value", "column_B": "right_value"},
              "控制总数勾稽一致", "两侧数值不等：表格之间的数据不完整或不准确", "tieout"),
    ]))
    return out


# The lifecycle and watch records (issue 15; herald.audit.lifecycle): key columns, required columns, allowed values,
# and times that must lie in the year ("year") or merely be recorded by the cutoff ("cutoff": an application or a
# delegation may begin before the year).
LIFECYCLE = {
    "creation_approvals": (("application_id", "step_no"), ("application_id", "account_id", "submitted_at", "step_no"),
                           {"state": ("pending", "approved", "rejected"), "decision": ("approved", "rejected", "")},
                           {"submitted_at": "cutoff", "decided_at": "cutoff", "completed_at": "cutoff"}),
    "account_changes": (("change_id",), ("change_id", "account_id", "change_kind", "effective_on", "deadline_on"),
                        {"change_kind": ("account_name", "management_team", "maintenance_method"),
                         "clock": ("on_time", "late", "overdue", "running")},
                        {"reported_at": "cutoff", "filed_at": "cutoff"}),
    "account_handovers": (("handover_id", "rotation_id"), ("handover_id", "account_id", "effective_on", "to_person", "filed_at"),
                          {"rotation_state": ("pending", "done", "failed", "not_applicable", "")},
                          {"filed_at": "cutoff", "rotation_finished_at": "cutoff"}),
    "delegations": (("delegation_id",), ("delegation_id", "account_id", "unit", "window_start_at", "window_end_at"),
                    {"state": ("applied", "granted", "rejected", "revoked", "expired")},
                    {"applied_at": "cutoff", "decided_at": "cutoff", "ended_at": "cutoff"}),
    "comment_escalations": (("escalation_id",), ("escalation_id", "account_id", "kind", "detected_at"),
                            {"kind": ("illegal", "reputation", "crisis"), "state": ("sent", "pending")},
                            {"detected_at": "year", "sent_at": "cutoff"}),
    "comment_crises": (("finding_id",), ("finding_id", "account_id", "detected_at"), {"state": FINDING_STATES},
                       {"detected_at": "year", "resolved_at": "cutoff"}),
    "complaints": (("complaint_id",), ("complaint_id", "account_id", "received_at", "assign_due_at", "answer_due_at"),
                   {"state": ("registered", "assigned", "answered", "followed_up")},
                   {"received_at": "year", "assigned_at": "cutoff", "answered_at": "cutoff", "followed_up_at": "cutoff"}),
    "unauthorised_accounts": (("finding_id",), ("finding_id", "platform_account_id", "first_detected_at"),
                              {"state": FINDING_STATES}, {"first_detected_at": "cutoff", "resolved_at": "cutoff"}),
}


def _lifecycle_datasets(pack: Pack, tables: dict[str, Table], in_year: Callable[[Any], Any]) -> list[tuple[str, Any, list[Check]]]:
    """Suites for the lifecycle and watch tables of the pack (required fields, unique keys, allowed states, times
    timezone-aware and in the year or by the cutoff, rows of the pack's own account)."""
    by_cutoff = lambda v: None if v is None else (isinstance(v, datetime) and v.tzinfo is not None  # noqa: E731
                                                   and v <= pack.cutoff)
    out: list[tuple[str, Any, list[Check]]] = []
    for dataset, (keys, required, allowed, times) in LIFECYCLE.items():
        if dataset not in tables:
            continue
        table = tables[dataset]
        extra = {"row_key": lambda r, keys=keys: "#".join(str(r[k] or "") for k in keys)}
        for column, scope in times.items():
            extra[f"{column}_ok"] = (lambda r, c=column: in_year(r[c])) if scope == "year" else (lambda r, c=column: by_cutoff(r[c]))
        checks = [Check(dataset, "ExpectColumnValuesToNotBeNull", {"column": c}, f"“{c}”必须有值", "必填字段缺失，记录无法核对",
                        "row_key") for c in required]
        checks.append(Check(dataset, "ExpectColumnValuesToBeUnique", {"column": "row_key"}, "记录编号唯一",
                            "同一记录重复出现，计数被多计", "row_key"))
        checks += [Check(dataset, "ExpectColumnValuesToBeInSet", {"column": c, "value_set": list(values)},
                         f"“{c}”属于允许的取值", "状态不明的记录无法判断是否按时处理", "row_key") for c, values in allowed.items()]
        checks += [Check(dataset, "ExpectColumnValuesToBeInSet", {"column": f"{c}_ok", "value_set": [True]},
                         f"“{c}”带时区且" + ("在审计年度内、不晚于基准时间" if scope == "year" else "不晚于基准时间"),
                         "无时区或基准时间之后的记录不应计入本年度", "row_key") for c, scope in times.items()]
        if pack.account_id is not None and "account_id" in required:
            checks.append(Check(dataset, "ExpectColumnValuesToBeInSet", {"column": "account_id", "value_set": [pack.account_id]},
                                "记录属于本账号（引用可解析）", "其他账号的记录混入本审计包", "row_key"))
        out.append((dataset, _frame(table, extra), checks))
    return out


def _stamp(value: Any, stamp: str) -> Any:
    if isinstance(value, dict):
        return {k: (stamp if k in STAMPED_KEYS and isinstance(v, str) else _stamp(v, stamp)) for k, v in value.items()}
    if isinstance(value, list):
        return [_stamp(v, stamp) for v in value]
    return value


def _ids(value: Any) -> str:
    return ", ".join(str(v.get(next(iter(v))) if isinstance(v, dict) else v) for v in value)


def check_pack(pack: Pack) -> QualityResult:
    """Run every suite on the pack's datasets; passed = no critical expectation failed."""
    import great_expectations as gx
    import great_expectations.expectations as gxe
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    source = context.data_sources.add_pandas("herald_pack")
    run_id = RunIdentifier(run_name=f"herald_audit_pack_{pack.year}", run_time=pack.cutoff)
    results: dict[str, Any] = {}
    failures: list[dict[str, Any]] = []
    passed = True
    for dataset, frame, checks in _datasets(pack):
        asset = source.add_dataframe_asset(name=dataset)
        batch = asset.add_batch_definition_whole_dataframe(f"{dataset}_whole")
        suite = context.suites.add(gx.ExpectationSuite(name=f"herald_audit_{dataset}"))
        by_id: dict[str, Check] = {}
        for n, check in enumerate(checks):
            key = f"{dataset}/{n}/{check.expectation}"
            by_id[key] = check
            suite.add_expectation(getattr(gxe, check.expectation)(
                meta={"key": key, "words": check.words, "critical": check.critical}, **check.kwargs))
        definition = context.validation_definitions.add(
            gx.ValidationDefinition(name=f"herald_audit_{dataset}", data=batch, suite=suite))
        id_column = checks[0].id_column
        result = definition.run(batch_parameters={"dataframe": frame}, run_id=run_id,
                                result_format={"result_format": "COMPLETE", "unexpected_index_column_names": [id_column],
                                               "partial_unexpected_count": 20})
        body = result.to_json_dict()
        results[dataset] = body
        body.pop("id", None)
        body["suite_name"] = suite.name
        body.setdefault("meta", {})["validation_id"] = str(uuid.uuid5(ID_NAMESPACE, dataset))
        for marker in (body["meta"].get("batch_markers") or {}, ):
            if "ge_load_time" in marker:
                marker["ge_load_time"] = pack.cutoff.strftime("%Y%m%dT%H%M%S.%fZ")
        for r in body["results"]:
            key = r["expectation_config"]["meta"]["key"]
            r["expectation_config"]["id"] = str(uuid.uuid5(ID_NAMESPACE, key))
            if r["success"]:
                continue
            check = by_id[key]
            passed = passed and not check.critical
            detail = r.get("result") or {}
            index = detail.get("unexpected_index_list") or []
            rows = sorted({str(v.get(check.id_column, "")) if isinstance(v, dict) else str(v) for v in index})
            if r.get("exception_info", {}).get("raised_exception"):
                why = f"{check.why}（检查本身出错：{r['exception_info'].get('exception_message', '')[:200]}）"
            else:
                why = check.why
            failures.append({"dataset": dataset, "expectation": check.words,
                             "column": check.kwargs.get("column") or ",".join(check.kwargs.get("column_list", [])),
                             "critical": "是" if check.critical else "否", "rows": "、".join(rows[:50]) + ("……" if len(rows) > 50 else ""),
                             "unexpected_count": int(detail.get("unexpected_count") or len(rows)), "why": why})
    stamped = _stamp(results, pack.cutoff.isoformat())
    stamped = _drop_volatile(stamped)
    text = json.dumps(stamped, ensure_ascii=False, sort_keys=True, indent=1, default=str)
    return QualityResult(passed=passed, results_json=text, failures=tuple(failures))


def _drop_volatile(value: Any) -> Any:
    """Remove what differs between identical runs besides times: batch ids embed object ids, versions vary."""
    if isinstance(value, dict):
        return {k: _drop_volatile(v) for k, v in value.items() if k not in ("batch_spec", "checkpoint_id")}
    if isinstance(value, list):
        return [_drop_volatile(v) for v in value]
    return value

