"""Test helper for the cadence tests: a small world inserted row by row with explicit values.

Only test code builds SQL here (sqlalchemy ``text``); the product reads these rows through sql/.
"""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from herald.timeutil import SHANGHAI

T0 = datetime(2024, 1, 1, tzinfo=UTC)
GROUP, ADMIN, HOST = "u-group", "u-admin", "u-host"


def sh(year: int, month: int, day: int, hour: int = 12, minute: int = 0, second: int = 0) -> datetime:
    """A Shanghai wall-clock time as an aware datetime."""
    return datetime(year, month, day, hour, minute, second, tzinfo=SHANGHAI)


class Rows:
    def __init__(self, db):
        self.db = db
        self._ids = itertools.count(1)
        self.insert("org_units", unit_id=GROUP, name="XX集团", kind="group", function_code=None, parent_id=None,
                    policy_id="000", created_at=T0)
        self.insert("org_units", unit_id=ADMIN, name="集团行政中心", kind="department", function_code="admin_center",
                    parent_id=GROUP, policy_id="000", created_at=T0)
        self.insert("org_units", unit_id=HOST, name="品牌部", kind="department", function_code="publicity",
                    parent_id=GROUP, policy_id="000", created_at=T0)
        for person_id, name, unit in (("p-op", "张三", HOST), ("p-op2", "李四", HOST), ("p-head", "王五", HOST),
                                      ("p-admin", "赵六", ADMIN), ("p-author", "钱七", HOST)):
            self.insert("people", person_id=person_id, name=name, unit_id=unit, email=f"{person_id}@example.cn",
                        is_active=True)

    def next_id(self, prefix: str) -> str:
        return f"{prefix}-{next(self._ids)}"

    def insert(self, table: str, **values) -> None:
        columns = ", ".join(values)
        params = ", ".join(f":{c}" for c in values)
        with self.db.engine.begin() as conn:
            conn.execute(sa.text(f"INSERT INTO {table} ({columns}) VALUES ({params})"), values)

    def execute(self, sql: str, **params) -> None:
        with self.db.engine.begin() as conn:
            conn.execute(sa.text(sql), params)

    def account(self, account_id: str, opened_on: date | None, *, closed_on: date | None = None, state: str = "active",
                platform: str = "weibo", policy_id: str = "000", host_unit_id: str = HOST,
                updated_at: datetime = T0, name: str | None = None) -> str:
        self.insert("accounts", account_id=account_id, platform=platform, name=name or f"测试账号{account_id}",
                    host_unit_id=host_unit_id, level="group", state=state, opened_on=opened_on, closed_on=closed_on,
                    policy_id=policy_id, created_at=T0, updated_at=updated_at)
        return account_id

    def item(self, account_id: str, published_at: datetime, *, origin: str = "dispatch", status: str = "live",
             platform: str = "weibo", platform_item_id: str | None = None, operator_id: str | None = None,
             is_mass_send: bool = False, platform_publish_id: str | None = None, item_id: str | None = None) -> str:
        item_id = item_id or self.next_id("item")
        self.insert("published_items", item_id=item_id, post_id=None, account_id=account_id, platform=platform,
                    origin=origin, platform_item_id=platform_item_id or f"pi-{item_id}",
                    platform_publish_id=platform_publish_id, operator_id=operator_id, is_mass_send=is_mass_send,
                    published_at=published_at.astimezone(UTC), platform_status=status)
        return item_id

    def weekly_items(self, account_id: str, first_monday: date, weeks: int, *, skip: set[date] = frozenset()) -> None:
        """One item each Wednesday noon (Shanghai) of ``weeks`` weeks from ``first_monday``, except weeks in ``skip``."""
        for n in range(weeks):
            monday = first_monday + timedelta(weeks=n)
            if monday not in skip:
                wed = monday + timedelta(days=2)
                self.item(account_id, sh(wed.year, wed.month, wed.day))

    def state_change(self, account_id: str, new_state: str, occurred_at: datetime) -> str:
        event_id = self.next_id("ev")
        self.insert("account_events", event_id=event_id, account_id=account_id, kind="state_change",
                    new_state=new_state, occurred_at=occurred_at.astimezone(UTC))
        return event_id

    def change(self, account_id: str, step: str, occurred_at: datetime, filed_at: datetime | None) -> str:
        event_id = self.next_id("ev")
        self.insert("account_events", event_id=event_id, account_id=account_id, kind="change_filed", step=step,
                    occurred_at=occurred_at.astimezone(UTC),
                    filed_at=filed_at and filed_at.astimezone(UTC))
        return event_id

    def operator(self, person_id: str, account_id: str, valid_from_on: date, valid_to_on: date | None = None) -> None:
        self.insert("role_assignments", assignment_id=self.next_id("ra"), person_id=person_id, role="operator",
                    unit_id=HOST, account_id=account_id, valid_from_on=valid_from_on, valid_to_on=valid_to_on)

    def role(self, person_id: str, role: str, unit_id: str) -> None:
        self.insert("role_assignments", assignment_id=self.next_id("ra"), person_id=person_id, role=role,
                    unit_id=unit_id, account_id=None, valid_from_on=date(2020, 1, 1), valid_to_on=None)

    def post(self, account_id: str, *, requested_at: datetime, publish_at: datetime, urgency: str = "regular",
             state: str = "published", title: str = "测试稿件") -> str:
        post_id = self.next_id("post")
        self.insert("posts", post_id=post_id, account_id=account_id, author_id="p-author", title=title, body="正文",
                    publish_at=publish_at.astimezone(UTC), urgency=urgency, content_hash="h", state=state,
                    requested_at=requested_at.astimezone(UTC), updated_at=requested_at.astimezone(UTC))
        return post_id
