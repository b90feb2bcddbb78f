"""The unauthorised-accounts scan (ACC-1): the fake platforms' account searches, the name automaton, the findings."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import requests
import sqlalchemy as sa

from builders import insert, small_org
from herald.findings import finding_id
from herald.ledger import TaskRun
from herald.policy import load_policy
from herald.unauthorised import (
    PERIOD_RANGE,
    DirectoryError,
    NameMatcher,
    WeChatDirectory,
    WeiboDirectory,
    audit_unauthorised,
    company_names,
    digests,
    short_names,
    unauthorised_scan,
)
from herald_dev.fakeplatforms import FakePlatforms
from herald_dev.fakeplatforms.directory import plant

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
TOKEN = "weibo-directory-token"
RUN = TaskRun(dag_id="herald_unauthorised_accounts", run_id="test", task_id="scan")
LOOKALIKE = {"uid": "7000000001", "screen_name": "華夏能源集團客服中心", "followers_count": 1800, "also_matches": ["华夏能源"]}
REGISTERED = {"uid": "id-WB-GROUP", "screen_name": "华夏能源官方微博", "followers_count": 90000, "verified": True}
UNRELATED = {"uid": "7000000002", "screen_name": "能源观察", "followers_count": 5000, "also_matches": ["华夏能源"]}
SMALL = {"uid": "7000000003", "screen_name": "华夏能源销售小号", "followers_count": 12}  # below Weibo's suggestion floor


@pytest.fixture(scope="module")
def fake():
    with FakePlatforms.start(weibo_tokens={TOKEN: {"uid": "5000000888", "appkey": "k"}}) as server:
        yield server


@pytest.fixture
def world(pg_db, fake):
    small_org(pg_db)
    plant(fake.state, "weibo", [LOOKALIKE, REGISTERED, UNRELATED, SMALL], replace=True)
    plant(fake.state, "wechat", [
        {"biz": "MzA5000000001==", "nickname": "华夏能源销售服务号", "wechat_id": "hxny_sales", "principal": "某某商贸"},
        {"biz": "MzA5000000002==", "nickname": "华夏能源WX-GROUP", "wechat_id": "id-WX-GROUP",
         "principal": "华夏能源集团有限公司", "verified": True},
    ], replace=True)
    return pg_db


def sources(fake):
    return [WeiboDirectory(fake.weibo_url, TOKEN), WeChatDirectory(fake.wechat_url)]


def acc1(db) -> dict[str, dict]:
    with db.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT * FROM findings WHERE rule_id = 'ACC-1'")).mappings().all()
    return {r["subject_id"]: dict(r) for r in rows}


def test_short_names_and_folding():
    assert short_names("华夏能源集团有限公司") == ["华夏能源集团有限公司", "华夏能源集团", "华夏能源"]
    assert short_names("华夏能源销售有限公司") == ["华夏能源销售有限公司", "华夏能源销售"]
    section = load_policy("000").unauthorised_accounts
    units = [{"unit_id": "G", "name": "华夏能源集团有限公司", "kind": "group", "parent_id": None},
             {"unit_id": "SUB", "name": "华夏能源销售有限公司", "kind": "subsidiary", "parent_id": "G"}]
    matcher = NameMatcher(company_names(units, section))
    matched = matcher.match("華夏能源銷售 客服")  # traditional characters, a space
    assert [m.name for m in matched] == ["华夏能源销售", "华夏能源"]
    assert matched[0].unit_id == "SUB"
    assert matcher.match("能源观察") == []


def test_fake_weibo_search_follows_the_contract(fake):
    plant(fake.state, "weibo", [LOOKALIKE, UNRELATED, SMALL], replace=True)
    answer = requests.get(fake.weibo_url + "search/suggestions/users.json",
                          params={"q": "华夏能源", "count": 10, "access_token": TOKEN}, timeout=5).json()
    assert answer == [{"screen_name": "能源观察", "followers_count": 5000, "uid": 7000000002},
                      {"screen_name": "華夏能源集團客服中心", "followers_count": 1800, "uid": 7000000001}]
    refused = requests.get(fake.weibo_url + "search/suggestions/users.json", params={"q": "x"}, timeout=5)
    assert refused.status_code == 401 and int(refused.json()["error_code"]) == 21332
    with pytest.raises(DirectoryError, match="10016"):
        WeiboDirectory(fake.weibo_url, TOKEN).search(" ", 10)


def test_planted_lookalike_found_once_then_resolved_when_registered(world, fake):
    entry = unauthorised_scan(world, RUN, sources(fake), now=NOW, policy=load_policy("000"))
    found = acc1(world)
    assert set(found) == {"weibo:7000000001", "wechat:MzA5000000001=="}
    weibo = found["weibo:7000000001"]
    assert weibo["period"] == "directory:weibo" and weibo["state"] == "open"
    assert weibo["finding_id"] == finding_id("ACC-1", "platform_account", "weibo:7000000001", "directory:weibo")
    assert json.loads(weibo["evidence"])["host_unit_id"] == "G"
    assert json.loads(found["wechat:MzA5000000001=="]["evidence"])["host_unit_id"] == "SUB"  # the subsidiary's name
    assert "華夏能源集團客服中心" in weibo["summary"] and "ACC-1" in weibo["summary"]
    assert entry.row_counts["findings_reported"] == 2 and entry.row_counts["platforms_failed"] == 0

    # Re-run: the same findings, no duplicate, nothing rewritten.
    unauthorised_scan(world, RUN, sources(fake), now=NOW + timedelta(days=1), policy=load_policy("000"))
    again = acc1(world)
    assert set(again) == set(found)
    assert again["weibo:7000000001"]["last_detected_at"] == weibo["last_detected_at"]

    # The registry check's own ACC-1 scope (period standing) leaves these alone.
    from herald.jobs import registry_check

    registry_check(world, TaskRun(dag_id="herald_registry_check", run_id="t", task_id="check_registry"),
                   now=NOW + timedelta(days=1))
    assert acc1(world)["weibo:7000000001"]["state"] == "open"

    # The unit registers the account: the next scan resolves the finding.
    insert(world, "accounts", account_id="WB-CS", platform="weibo", name="华夏能源集团客服", platform_account_id="7000000001",
           host_unit_id="G", level="group", state="active", policy_id="000", created_at=NOW, updated_at=NOW)
    counts = unauthorised_scan(world, RUN, sources(fake), now=NOW + timedelta(days=2), policy=load_policy("000")).row_counts
    after = acc1(world)
    assert after["weibo:7000000001"]["state"] == "resolved" and after["wechat:MzA5000000001=="]["state"] == "open"
    assert counts["findings_resolved"] == 1
    with world.engine.connect() as conn:
        history = conn.execute(sa.text("SELECT to_state, via FROM finding_history WHERE finding_id = :f"),
                               {"f": weibo["finding_id"]}).all()
        sighting = conn.execute(sa.text("SELECT is_registered FROM directory_sightings WHERE platform_account_id = "
                                        "'7000000001'")).scalar()
    assert [tuple(h) for h in history] == [("resolved", "scan")] and sighting is True


def test_failed_platform_keeps_its_findings(world, fake):
    unauthorised_scan(world, RUN, sources(fake), now=NOW, policy=load_policy("000"))
    plant(fake.state, "wechat", [], replace=True)
    broken = [WeiboDirectory(fake.weibo_url, "not-a-token"), WeChatDirectory(fake.wechat_url)]
    entry = unauthorised_scan(world, RUN, broken, now=NOW + timedelta(days=1), policy=load_policy("000"))
    assert entry.outputs["failed_platforms"].keys() == {"weibo"}
    found = acc1(world)
    assert found["weibo:7000000001"]["state"] == "open"  # the failed search resolved nothing
    assert found["wechat:MzA5000000001=="]["state"] == "resolved"  # no longer listed


def test_findings_reach_the_unit_and_competent_department(world, fake):
    insert(world, "role_assignments", assignment_id="RA-H", person_id="unit_head", role="host_unit_head", unit_id="SUB",
           valid_from_on=NOW.date())
    insert(world, "role_assignments", assignment_id="RA-C", person_id="competent", role="competent_department_head",
           unit_id="G", valid_from_on=NOW.date())
    unauthorised_scan(world, RUN, sources(fake), now=NOW, policy=load_policy("000"))
    with world.transaction() as tx:
        made = digests(tx, as_of=NOW)
        rows = audit_unauthorised(tx, None, 2026)
        sub_rows = audit_unauthorised(tx, "WB-SUB", 2026)
    by_unit = {(d.audience, d.unit_id): d for d in made}
    sub = by_unit[("host_unit", "SUB")]
    assert [f["subject_id"] for f in sub.findings] == ["wechat:MzA5000000001=="]
    assert {r.person_id for r in sub.recipients} == {"unit_head"}
    competent = by_unit[("competent_department", "G")]
    assert {f["subject_id"] for f in competent.findings} == {"weibo:7000000001", "wechat:MzA5000000001=="}
    assert "账号未经批准开通（ACC-1）" in competent.markdown()
    assert PERIOD_RANGE[0] <= "directory:weibo" <= PERIOD_RANGE[1]
    assert {r["subject_id"] for r in rows} == {"weibo:7000000001", "wechat:MzA5000000001=="}
    assert [r["subject_id"] for r in sub_rows] == ["wechat:MzA5000000001=="]
    assert rows[0]["screen_name"]
