"""Chinese wording shared by the cadence findings, reminders and digests."""

from __future__ import annotations

from typing import Any

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
}


def account_label(row: dict[str, Any]) -> str:
    # sql/cadence/weekly_lapses_stage.sql writes the same label in the database (from PLATFORM_LABELS).
    return f"{row['name']}({PLATFORM_LABELS.get(row['platform'], row['platform'])}, {row['account_id']})"


def cite(policy: Any, key: str, rule_id: str) -> str:
    """The citation people read: the clause, or a note that the value is Herald's default for a gap in the policy."""
    clause = policy.clause(key)
    if clause.startswith("Herald default"):
        return f"依据{policy.policy_id}号制度未作规定时的Herald默认规则,规则{rule_id}"
    return f"依据{policy.policy_id}号制度 {clause},规则{rule_id}"
