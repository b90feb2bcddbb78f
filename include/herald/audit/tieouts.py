"""Control totals that must agree across a pack's tables; a tie-out that fails is named and keeps the pack a draft.

- published items = confirmed dispatches + manual confirmations + items observed on platforms (the right side
  counted from dispatch attempts and confirmations by ``sql/audit/control_totals.sql``, not from the item table);
- published items = archive bundles (bundles counted from ``archive_index``);
- findings in the pack = findings in the database for the year (``sql/audit/findings_count.sql``).
"""

from __future__ import annotations

from collections.abc import Mapping

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


def failed(tieouts: tuple[TieOut, ...]) -> list[str]:
    """The names of the tie-outs that do not agree."""
    return [t.name for t in tieouts if not t.ok]
