"""The Airflow side of dispatch: the DAGs parse, and the trigger submits on the second from Airflow connections."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import yaml

from herald.timeutil import now_utc
from herald_dev.fakeplatforms import FakeConfig, FakePlatforms
from test_dispatch_world import CMS, SAFE_DOMAIN, WEIBO, dispatch_org, fake_accounts, queue_approved

REPO = Path(__file__).resolve().parents[1]


def test_dispatch_dags_parse_and_use_only_configured_pools():
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(REPO / "dags" / "dispatch.py"))
    assert bag.import_errors == {}
    assert set(bag.dags) == {"herald_dispatch", "herald_dispatch_reconcile"}
    pools = {p["pool_name"] for p in yaml.safe_load((REPO / "config" / "airflow_settings.yaml").read_text())["airflow"]["pools"]}
    used = {t.pool for dag in bag.dags.values() for t in dag.tasks}
    assert used <= pools
    second = bag.dags["herald_dispatch"].get_task("dispatch_second")
    assert [o.name for o in second.outlets] == ["herald://published-items"]


def test_connection_ids_follow_the_account_convention():
    from herald_airflow.dispatch_clients import connection_ids

    assert connection_ids("wechat", "WX-GROUP") == ("herald_wechat__wx_group", "herald_wechat")
    assert connection_ids("website", "WEB-GROUP") == ("herald_cms__web_group", "herald_cms")


@pytest.mark.pg
def test_the_trigger_claims_and_submits_on_the_second_from_connections(pg_db, pg_url, monkeypatch):
    from herald_airflow.dispatch_trigger import DispatchAtTrigger

    dispatch_org(pg_db)
    with FakePlatforms.start(**fake_accounts()) as fake:
        with fake.state.lock:
            fake.state.config = FakeConfig(latency_ms=50)
        monkeypatch.setenv("AIRFLOW_CONN_HERALD_DB", pg_url)
        token, _ = WEIBO["WB-GROUP"]
        monkeypatch.setenv("AIRFLOW_CONN_HERALD_WEIBO__WB_GROUP", json.dumps(
            {"conn_type": "herald_weibo", "host": fake.weibo_url, "password": token,
             "extra": {"safe_domains": [SAFE_DOMAIN]}}))
        site, secret = CMS["WEB-GROUP"]
        monkeypatch.setenv("AIRFLOW_CONN_HERALD_CMS", json.dumps(
            {"conn_type": "herald_cms", "host": fake.cms_url(site), "password": secret}))
        publish_at = (now_utc() + timedelta(seconds=3)).replace(microsecond=0)
        ids = [queue_approved(pg_db, "WB-GROUP", "weibo", publish_at, 1),
               queue_approved(pg_db, "WEB-GROUP", "website", publish_at, 2)]
        from herald.dispatch.channels.routing import Channels
        from herald.dispatch.stage import stage_post
        from herald_airflow.dispatch_clients import ConnectionClients

        for post_id in ids:
            assert stage_post(pg_db, post_id, Channels(pg_db, ConnectionClients()), now=now_utc()) == "staged"
        trigger = DispatchAtTrigger(publish_at.isoformat(), ids)
        path, kwargs = trigger.serialize()
        assert path == "herald_airflow.dispatch_trigger.DispatchAtTrigger" and kwargs["post_ids"] == ids

        async def first_event():
            async for event in DispatchAtTrigger(**kwargs).run():
                return event.payload

        payload = asyncio.run(first_event())
        assert [r["status"] for r in payload["results"]] == ["submitted", "submitted"]
        lateness = [(datetime.fromisoformat(p["accepted_at"]) - publish_at).total_seconds() for p in fake.publications()]
        assert len(lateness) == 2 and all(s >= 0 for s in lateness), lateness  # never before its second
        # Run again (a restarted triggerer): everything is already claimed, nothing is sent twice.
        again = asyncio.run(first_event())
        assert {r["status"] for r in again["results"]} == {"not_claimed"}
        assert len(fake.publications()) == 2


def test_connection_clients_read_each_connection_once_and_a_second_in_bulk(monkeypatch):
    """Inside the triggerer each message to the supervisor costs a loop turn: a burst reads in bulk, masks once."""
    from airflow.sdk import BaseHook
    from airflow.sdk.log import redact

    import herald_airflow.dispatch_clients as dispatch_clients
    from herald_airflow.dispatch_clients import ConnectionClients

    monkeypatch.setenv("AIRFLOW_CONN_HERALD_WEIBO__WB_OWN", json.dumps(
        {"conn_type": "herald_weibo", "host": "http://own.invalid/2/", "password": "own-token-0123456789"}))
    monkeypatch.setenv("AIRFLOW_CONN_HERALD_WEIBO", json.dumps(
        {"conn_type": "herald_weibo", "host": "http://shared.invalid/2/", "password": "shared-token-0123456789",
         "extra": {"safe_domains": ["herald.example.com"]}}))
    sdk_reads: list[str] = []
    masked: list[object] = []
    monkeypatch.setattr(BaseHook, "get_connection", classmethod(lambda cls, conn_id: sdk_reads.append(conn_id)))
    real_mask = dispatch_clients.mask_secret
    monkeypatch.setattr(dispatch_clients, "mask_secret", lambda value: (masked.append(value), real_mask(value)))

    clients = ConnectionClients()
    accounts = [("weibo", "WB-OWN"), ("weibo", "WB-A"), ("weibo", "WB-B"), ("weibo", "WB-OWN")]
    assert clients.prefetch(accounts) == 2
    assert len(masked) == 1  # one message masks every credential read
    line = redact("tokens own-token-0123456789 shared-token-0123456789")
    assert "own-token-0123456789" not in line and "shared-token-0123456789" not in line
    assert clients.client("weibo", "WB-OWN").base_url.startswith("http://own.invalid")
    assert clients.client("weibo", "WB-A").base_url.startswith("http://shared.invalid")
    assert clients.client("weibo", "WB-A").safe_domains == ("herald.example.com",)
    assert clients.options("weibo", "WB-B") == {"safe_domains": ["herald.example.com"]}
    assert sdk_reads == []  # nothing was read twice, nothing one by one

    monkeypatch.delenv("AIRFLOW_CONN_HERALD_WEIBO")
    unknown = ConnectionClients()
    assert unknown.prefetch([("weibo", "WB-Z")]) == 0
    with pytest.raises(Exception, match="herald_weibo__wb_z or herald_weibo"):
        unknown.client("weibo", "WB-Z")
