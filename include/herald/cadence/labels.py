"""Chinese wording shared by the cadence findings, reminders and digests."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from herald.policy.citation import citation

PLATFORM_LABELS = {
    "wechat": "微信公众号", "weibo": "微博", "qq": "QQ", "website": "网站", "blog": "博客", "tieba": "贴吧",
    "forum": "论坛", "mobile_newspaper": "手机报", "app": "客户端", "network_video": "网络视频", "mobile_tv": "手机电视",
}

RULE_TITLES = {
    "PUB-5": "未按周更新",
    "CON-9": "微信群发超过每日限额",
    "PUB-1": "未经审批发布",
    "CON-10": "发布申请提前量不足",
    "ACC-4": "账号变更未按时备案",
    "ACC-5": "未交接备案的人员发布",
    "ACC-1": "账号未经批准开通",
    "ACC-3": "备案登记不完整",
    "PUB-3": "非指定人员操作",
    "PUB-4": "发布信息未归档",
    "ACC-2": "账号开通未经审批流程",
    "PUB-6": "微博活动授权不合规",
    "CON-5": "敏感选题未经主管部门授权",
    "CON-6": "付费内容转发未按开通流程审批",
    "SEC-2": "违法或有损声誉的评论未及时上报处置",
    "SEC-3": "舆情危机",
    "SEC-4": "投诉未按时受理、答复或回访",
}


SEVERITY_LABELS = {"info": "提示", "low": "低", "medium": "中", "high": "高", "critical": "严重"}
STANDING_LABEL = "常设"  # the period of a finding about a standing state (herald.findings.STANDING)

_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
# A clause as the policy packs write it: "000 §4.4", "001 art.12.2", "003 §5.1 note 3".


def platform_label(platform: str | None) -> str:
    return PLATFORM_LABELS.get(platform or "", platform or "")


def account_label(row: dict[str, Any]) -> str:
    """「name」 as people know the account, then its platform and id: 华夏储能（微信公众号，acct-g-ess-wechat）.
    sql/cadence/weekly_lapses_stage.sql writes the same label in the database (from PLATFORM_LABELS)."""
    return f"{row['name']}（{platform_label(row['platform'])}，{row['account_id']}）"


def person_label(name: str | None, person_id: str) -> str:
    """A person as people read one: 沈颖娜（p0034）, the id only to tell namesakes apart."""
    return f"{name}（{person_id}）" if name else person_id


def severity_label(severity: str) -> str:
    return SEVERITY_LABELS.get(severity, severity)


def week_label_zh(label: str) -> str:
    """2026-W45 as 2026年第45周."""
    match = _WEEK.match(label)
    return f"{match.group(1)}年第{int(match.group(2))}周" if match else label


def period_label(period: str) -> str:
    """A finding's period as people read it: 常设, 2026年第45周, or the day (2026-11-05) as it is."""
    if period == "standing":
        return STANDING_LABEL
    return week_label_zh(period)


def cite(policy: Any, key: str, rule_id: str) -> str:
    """The citation people read, each clause once, with the rule: 依据000号制度§4.4，规则PUB-5."""
    return f"{citation(policy, key)}，规则{rule_id}"


def subject_label(row: dict[str, Any]) -> str:
    """What a finding is about, by name (a row of sql/findings/described.sql): the account, the post's title,
    the operator; the subject's id only where nothing else names it (an archive day)."""
    account = f"「{row['account_name']}」（{platform_label(row['platform'])}）" if row.get("account_name") else ""
    kind = row.get("subject_type")
    if kind == "post" and account:
        title = row.get("post_title")
        excerpt = (row.get("post_excerpt") or "").strip()
        return f"{account}稿件" + (f"《{title}》" if title else f"“{excerpt[:20]}…”" if excerpt else row["subject_id"])
    if kind == "published_item" and account:
        return f"{account}的一条信息"
    if kind == "account_event" and account:
        return f"{account}的账号变更"
    if kind == "account_operator" and account:
        return f"{person_label(row.get('operator_name'), row.get('operator_id') or '')}在{account}"
    return account or row["subject_id"]


def unit_label(unit_id: str, units: Mapping[str, Mapping[str, Any]]) -> str:
    """A unit's name that tells it from its namesakes: a department under the group as 集团办公室, under a
    subsidiary with the subsidiary's short name (华夏新能源科技综合办公室); the group and subsidiaries as named."""
    unit = units.get(unit_id)
    if unit is None:
        return unit_id
    parent = units.get(unit.get("parent_id") or "")
    if parent is None or unit.get("kind", "department") != "department":
        return unit["name"]
    prefix = "集团" if not parent.get("parent_id") else re.sub(r"(有限责任公司|股份有限公司|有限公司)$", "", parent["name"])
    return unit["name"] if unit["name"].startswith(prefix) else prefix + unit["name"]
