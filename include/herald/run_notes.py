"""What a pipeline task did, in words: one line for its log and the run's note (issue 13).

Each function takes the counts the task returns (its ledger row's ``row_counts``) and says them in Chinese, so a
reader of the Airflow log or of the run's note sees 「判定 2025-W10..2025-W12: 新发现 0, 已解决 1」 instead of a
dictionary. Plain functions: the DAG files only log what these return.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

Counts = Mapping[str, Any]


def _n(counts: Counts, key: str) -> int:
    return int(counts.get(key) or 0)


def cadence_weekly(counts: Counts, window: Mapping[str, str]) -> str:
    """PUB-5: the weeks judged and what changed."""
    how = "全部重新判定" if counts.get("judged_in_full") else "仅重写有变化的"
    return (f"每周更新（PUB-5）判定 {window.get('first_week')}..{window.get('last_week')}：未达标 "
            f"{_n(counts, 'findings_reported')} 周次，写入 {_n(counts, 'findings_composed')} 项（{how}），"
            f"已解决 {_n(counts, 'findings_resolved')} 项")


def cadence_standing(counts: Counts, window: Mapping[str, str]) -> str:
    """CON-9, CON-10, PUB-1, ACC-4, ACC-5: candidates read and findings reported/resolved."""
    read = sum(int(v or 0) for k, v in counts.items() if k.startswith("candidates:"))
    return (f"其他常设规则（CON-9、CON-10、PUB-1、ACC-4、ACC-5）检查 {window.get('first_week')}..{window.get('last_week')}："
            f"候选 {read} 条，发现 {_n(counts, 'findings_reported')} 项，已解决 {_n(counts, 'findings_resolved')} 项")


def cadence_notify(counts: Counts, delivered: bool) -> str:
    how = "已发送" if delivered else "仅写入发件箱，未发送"
    return (f"摘要 {_n(counts, 'digests')} 份（{how}），本周更新提醒 {_n(counts, 'reminders')} 个账号，"
            f"平台授权到期提醒 {_n(counts, 'token_notices')} 个账号")


def registry(counts: Counts) -> str:
    """ACC-1, ACC-3."""
    return (f"账号登记检查（ACC-1、ACC-3）：{_n(counts, 'active_accounts')} 个启用账号，"
            f"发现 {_n(counts, 'findings_reported')} 项，已解决 {_n(counts, 'findings_resolved')} 项")


def archive(counts: Counts) -> str:
    """herald_archive_published / herald_archive_sweep (PUB-4)."""
    return (f"存档（PUB-4）：新存档 {_n(counts, 'archived')} 条，补登 {_n(counts, 'adopted')} 条，"
            f"复核 {_n(counts, 'verified')} 条，暂缓 {_n(counts, 'deferred')} 条，有问题 {_n(counts, 'problem')} 条；"
            f"封存 {_n(counts, 'days_sealed')} 天，新问题 {_n(counts, 'findings')} 项")


def archive_verify(counts: Counts) -> str:
    return (f"存档核验（PUB-4）：核验 {_n(counts, 'bundles_checked')} 个存档包，完好 {_n(counts, 'bundles_verified')} 个，"
            f"哈希链问题 {_n(counts, 'chain_problems')} 处，问题 {_n(counts, 'findings')} 项")
