"""Control totals that must agree across a pack's tables; a tie-out that fails is named and keeps the pack a draft.

- published items = confirmed dispatches + manual confirmations + items observed on platforms (the right side
  counted from dispatch attempts and confirmations by ``sql/audit/control_totals.sql``, not from the item table);
- published items = archive bundles (bundles counted from ``archive_index``);
- findings in the pack = findings in the database for the year (``sql/audit/findings_count.sql``).
- the comment watch's crises = its SEC-3 findings among the pack's findings (``crises``; issue 15).
- in the group pack, when Airflow's run history could be read: Herald's ledger runs = runs matched with Airflow's
  history = Airflow's runs (``run_ledger``; ``herald.audit.run_history``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from herald.audit.model import TieOut

ORIGINS = "published_items.rows"


def compute(items: int, totals: Mapping[str, int], findings_in_pack: int, findings_in_db: int) -> tuple[TieOut, ...]:
    """The pack's tie-outs from its item count, its control totals and its findings count."""
    sources = (totals.get("confirmed_dispatches", 0) + totals.get("manual_confirmations", 0)
               + totals.get("observed_items", 0))
    return (
        TieOut("已发布信息 = 平台确认的发送 + 人工确认 + 平台上发现的信息", ORIGINS,
               "control_totals.confirmed_dispatches+manual_confirmations+observed_items", items, sources),
        TieOut("已发布信息 = 归档包", ORIGINS, "control_totals.archive_bundles", items,
               totals.get("archive_bundles", 0)),
        TieOut("审计包中的检查发现 = 数据库中本年度的检查发现", "findings.rows", "control_totals.findings_in_database",
               findings_in_pack, findings_in_db),
    )


def run_ledger(counts: Mapping[str, int], verified: bool) -> tuple[TieOut, ...]:
    """The run ledger against Airflow's history, run by run: every run of either side must be 一致. None when the
    history could not be read (the pack says 未核对 instead)."""
    if not verified:
        return ()
    matched = counts.get("matched", 0)
    return (
        TieOut("Herald 运行台账中的运行 = 与 Airflow 运行历史一致的运行", "run_ledger.herald_runs", "run_ledger.matched",
               counts.get("herald_runs", 0), matched),
        TieOut("Airflow 运行历史中的运行 = 与 Herald 运行台账一致的运行", "run_ledger.airflow_runs", "run_ledger.matched",
               counts.get("airflow_runs", 0), matched),
    )


def crises(crisis_rows: int, findings: Sequence[Mapping[str, Any]]) -> tuple[TieOut, ...]:
    """The comment watch's crises (``sql/audit/lifecycle_crises.sql``) = its SEC-3 findings in the pack's findings table
    (``sql/audit/findings.sql``): the same surges read by two queries (issue 15, SEC-3)."""
    found = sum(1 for f in findings if f["rule_id"] == "SEC-3" and str(f["detected_by"]).startswith("comment_watch"))
    return (TieOut("舆情危机 = 检查发现中评论监测发现的SEC-3问题", "comment_crises.rows",
                   "findings.rows[rule_id=SEC-3, detected_by=comment_watch*]", crisis_rows, found),)


def failed(tieouts: tuple[TieOut, ...]) -> list[str]:
    """The names of the tie-outs that do not agree."""
    return [t.name for t in tieouts if not t.ok]
