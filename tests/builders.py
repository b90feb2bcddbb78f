"""Small, explicit organisations for focused tests (the demo world is for end-to-end checks).

Test code may write rows with plain SQL text; product code keeps its SQL in sql/.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import sqlalchemy as sa

T0 = datetime(2025, 1, 1, tzinfo=UTC)
# What queueing and deciding write: a refusal must leave all of them unchanged.
POST_TABLES = ("posts", "post_events", "approval_steps", "findings")


def insert(db, table: str, **values) -> None:
    columns = ", ".join(values)
    params = ", ".join(f":{c}" for c in values)
    with db.engine.begin() as conn:
        conn.execute(sa.text(f"INSERT INTO {table} ({columns}) VALUES ({params})"), values)


def snapshot(db, tables=POST_TABLES) -> dict:
    """Every row of the tables, to compare before and after a refusal."""
    with db.engine.connect() as conn:
        return {t: conn.execute(sa.text(f"SELECT * FROM {t} ORDER BY 1")).all() for t in tables}


def small_org(db) -> dict:
    """A group with one department and one subsidiary; accounts under policies 000, 001 and 002; every role held."""
    insert(db, "org_units", unit_id="G", name="华夏能源集团有限公司", kind="group", policy_id="000", created_at=T0)
    insert(db, "org_units", unit_id="OFFICE", name="公司办公室", kind="department", parent_id="G", policy_id="001",
           function_code="office", created_at=T0)
    insert(db, "org_units", unit_id="SUB", name="华夏能源销售有限公司", kind="subsidiary", parent_id="G", policy_id="002",
           created_at=T0)
    people = {
        "author": ("李信息", "OFFICE", "li.xinxi"),
        "author2": ("周运营", "G", "zhou.yunying"),
        "dept_head": ("王部长", "OFFICE", "wang.buzhang"),
        "proofreader": ("赵核稿", "OFFICE", "zhao.hegao"),
        "secrecy": ("钱保密", "OFFICE", "qian.baomi"),
        "main_leader": ("孙总", "G", "sun.zong"),
        "leader": ("吴主管", "G", "wu.zhuguan"),
        "upper": ("郑上级", "G", "zheng.shangji"),
        "unit_head": ("冯单位", "SUB", "feng.danwei"),
        "ent_office": ("陈企管办", "SUB", "chen.qiguanban"),
        "ent_head": ("褚企管部", "SUB", "chu.qiguanbu"),
        "competent": ("卫行政", "G", "wei.xingzheng"),
        "outsider": ("蒋路人", "SUB", "jiang.luren"),
    }
    for person_id, (name, unit, login) in people.items():
        insert(db, "people", person_id=person_id, name=name, unit_id=unit, login=login, is_active=True,
               office_phone="010-12345678", mobile="13800000000", email=f"{login}@example.com")
    accounts = {
        # account_id: (platform, level, parent, host unit, policy)
        "WX-GROUP": ("wechat", "group", None, "G", "000"),
        "WB-GROUP": ("weibo", "group", None, "G", "000"),
        "WB-SUB": ("weibo", "subordinate", "WB-GROUP", "SUB", "000"),
        "WX-OFFICE": ("wechat", "group", None, "OFFICE", "001"),
        "WX-SUB": ("wechat", "subordinate", "WX-GROUP", "SUB", "002"),
        "QQ-SUB": ("qq", "subordinate", "WX-GROUP", "SUB", "000"),
        "WB-SUSPENDED": ("weibo", "group", None, "G", "000"),
    }
    for account_id, (platform, level, parent, unit, policy) in accounts.items():
        insert(db, "accounts", account_id=account_id, platform=platform, name=f"华夏能源{account_id}",
               platform_account_id=f"id-{account_id}", link=f"https://example.com/{account_id}", is_verified=False,
               purpose="对外宣传", content_scope="企业新闻", creating_unit_id=unit, host_unit_id=unit,
               supervising_leader_id="leader", host_unit_opinion_by="unit_head", host_unit_opinion_on=date(2024, 12, 1),
               is_host_unit_sealed=True, competent_opinion_by="competent", competent_opinion_on=date(2024, 12, 2),
               level=level, parent_account_id=parent,
               state="suspended" if account_id == "WB-SUSPENDED" else "active",
               opened_on=date(2025, 1, 1), policy_id=policy, created_at=T0, updated_at=T0)
    roles = [
        ("leader", "supervising_leader", None, None),
        ("upper", "upper_platform_manager", None, "WB-GROUP"),
        ("upper", "upper_platform_manager", None, "WX-GROUP"),
        ("dept_head", "department_head", "OFFICE", None),
        ("proofreader", "office_proofreader", None, None),
        ("secrecy", "confidentiality_head", None, None),
        ("main_leader", "main_leader", None, None),
        ("unit_head", "unit_head", "SUB", None),
        ("ent_office", "enterprise_office", "SUB", None),
        ("ent_head", "enterprise_department_head", "SUB", None),
        ("competent", "competent_department_head", None, None),
        ("author", "info_officer", "OFFICE", None),
        # The drafting role (PUB-2, each pack's author_role) for the group's and the subsidiary's accounts;
        # the supervising leader also drafts for the group, so self-approval can be tried; the office's
        # info officer also drafts for the group's Weibo (a matrix release over both).
        ("author", "info_officer", None, "WB-GROUP"),
        ("author2", "info_officer", "G", None),
        ("author2", "info_officer", "SUB", None),
        ("leader", "info_officer", "G", None),
    ]
    for index, (person_id, role, unit, account) in enumerate(roles):
        insert(db, "role_assignments", assignment_id=f"RA{index}", person_id=person_id, role=role, unit_id=unit,
               account_id=account, valid_from_on=date(2024, 1, 1))
    return {"people": people, "accounts": accounts}


def table_snapshot(db) -> dict[str, str]:
    """Every table's rows, hashed in a stable order: equal snapshots mean nothing was written (or half-written)."""
    import hashlib

    snapshot = {}
    with db.engine.connect() as conn:
        for table in sorted(sa.inspect(conn).get_table_names()):
            rows = conn.execute(sa.text(f'SELECT * FROM "{table}"')).fetchall()  # test helper: table names from the catalog
            digest = hashlib.sha256("\n".join(sorted(repr(tuple(row)) for row in rows)).encode("utf-8"))
            snapshot[table] = f"{len(rows)}:{digest.hexdigest()[:16]}"
    return snapshot
