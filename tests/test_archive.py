"""Archive (PUB-4): bundles, write-once, crash and outage recovery, tamper detection, the chain.

Every test runs on PostgreSQL; the store is a local folder and an S3-compatible server (moto,
started by the test session on 127.0.0.1), except where a test is about one of them.
"""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from archive_helpers import DAY1, CrashingStore, FlakyStore, publish, world
from herald.archive.archiver import archive_published, item_ids_from_events, status_note_key
from herald.archive.bundle import MARKER, parse_bag_info, parse_manifest, sha256
from herald.archive.chain import GENESIS, parse_index
from herald.archive.store import LocalStore, ObjectStore, open_store
from herald.archive.verify import verify_archive
from herald.ledger import TaskRun
from herald.timeutil import local_day

pytestmark = pytest.mark.pg

DAY2 = DAY1 + timedelta(days=1)
REPO_DAGS = Path(__file__).resolve().parents[1] / "dags"


@pytest.fixture(scope="session")
def s3_server():
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def s3_store(endpoint: str) -> ObjectStore:
    import boto3

    bucket = f"herald-archive-{uuid.uuid4().hex[:10]}"
    boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="testing",
                 aws_secret_access_key="testing").create_bucket(Bucket=bucket)
    return open_store(f"s3://{bucket}/prod", {"key": "testing", "secret": "testing", "skip_instance_cache": True,
                                             "client_kwargs": {"endpoint_url": endpoint, "region_name": "us-east-1"}})


@pytest.fixture(params=["local", "s3"])
def store(request, tmp_path):
    if request.param == "local":
        return LocalStore(tmp_path / "archive")
    return s3_store(request.getfixturevalue("s3_server"))


def run(task: str = "archive", try_number: int = 1) -> TaskRun:
    return TaskRun("herald_archive_sweep", "manual__test", task, try_number)


def archive(db, store, *, now=DAY1 + timedelta(hours=2), **kwargs):
    return archive_published(db, store, run(), now=now, workers=4, **kwargs)


def verify(db, store, *, now=DAY1 + timedelta(hours=3)):
    return verify_archive(db, store, run("verify"), now=now, workers=4)[1]


def index_rows(db) -> dict[str, dict]:
    with db.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT * FROM archive_index ORDER BY item_id")).mappings().all()
    return {row["item_id"]: dict(row) for row in rows}


def findings(db) -> list[dict]:
    with db.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT * FROM findings WHERE rule_id = 'PUB-4' ORDER BY subject_id")).mappings()
        return [dict(r, evidence=json.loads(r["evidence"])) for r in rows]


def flip_byte(store, key: str) -> None:
    data = bytearray(store.read(key))
    data[len(data) // 2] ^= 0x01
    store._write_file(key, bytes(data))


def delete(store, key: str) -> None:
    if isinstance(store, LocalStore):
        (store.root / key).unlink()
    else:
        store.fs.rm_file(f"{store.root}/{key}")


# --- bundle content ----------------------------------------------------------------------------


def test_bundle_holds_content_approvals_attempts_and_platform_record_with_manifest(pg_db, store):
    wechat = world(pg_db, 2)
    manual = publish(pg_db, 3, account_id="QQ-SUB", platform="qq", origin="manual_confirmation")
    entry = archive(pg_db, store)
    assert entry.row_counts["archived"] == 3

    rows = index_rows(pg_db)
    assert set(rows) == set(wechat) | {manual}
    directory = rows["pi-0001"]["bundle_path"]
    assert directory == "bundles/G/WX-GROUP/2025/03/pi-0001"  # organisation, account, year, month
    names = {key[len(directory) + 1 :] for key in store.list_files(directory)}
    assert names == {"bagit.txt", "bag-info.txt", "manifest-sha256.txt", MARKER, "data/content.json",
                     "data/approvals.json", "data/dispatch.json", "data/platform/herald_log.json"}

    # Each payload file carries its SHA-256 in the manifest; the tag manifest pins the rest.
    manifest = parse_manifest(store.read(f"{directory}/manifest-sha256.txt"))
    assert set(manifest) == {n for n in names if n.startswith("data/")}
    assert all(sha256(store.read(f"{directory}/{n}")) == h for n, h in manifest.items())
    marker = store.read(f"{directory}/{MARKER}")
    assert sha256(marker) == rows["pi-0001"]["manifest_sha256"]
    assert set(parse_manifest(marker)) == {"bagit.txt", "bag-info.txt", "manifest-sha256.txt"}

    content = json.loads(store.read(f"{directory}/data/content.json"))
    assert content["post"]["body"] == "正文 1：华夏能源发布年度报告。"
    assert content["post"]["media"][0]["sha256"] == "ab" * 32
    approvals = json.loads(store.read(f"{directory}/data/approvals.json"))
    assert approvals["content_hash"] == f"{1:064x}"
    assert [s["approver_id"] for s in approvals["steps"]] == ["leader", "upper"]
    assert all(s["approved_this_content"] for s in approvals["steps"])
    dispatch = json.loads(store.read(f"{directory}/data/dispatch.json"))
    assert [a["outcome"] for a in dispatch["attempts"]] == ["retry", "ok"]
    assert json.loads(store.read(f"{directory}/data/platform/herald_log.json"))["source"] == "herald_log"
    info = parse_bag_info(store.read(f"{directory}/bag-info.txt"))
    assert info["External-Identifier"] == "pi-0001" and info["Herald-Content-Hash"] == f"{1:064x}"
    payload = [store.read(f"{directory}/{n}") for n in manifest]
    assert info["Payload-Oxum"] == f"{sum(map(len, payload))}.{len(payload)}"

    manual_dir = rows[manual]["bundle_path"]
    record = json.loads(store.read(f"{manual_dir}/data/platform/operator_confirmation.json"))
    assert record["source"] == "operator_confirmation" and record["operator_id"] == "author2"
    assert record["confirmation_event"]["reason"] == "人工发布并确认"

    report = verify(pg_db, store)
    assert report.ok and report.by_status == {"verified": 3}


def test_archive_on_sqlite_and_local_folder(sqlite_db, tmp_path):
    """The embedded demo's engine: the same run and verification on SQLite."""
    world(sqlite_db, 3)
    store = LocalStore(tmp_path / "archive")
    entry = archive(sqlite_db, store, seal_through=local_day(DAY1))
    assert entry.row_counts["archived"] == 3 and entry.row_counts["days_sealed"] == 1
    assert verify(sqlite_db, store).ok


# --- write-once ------------------------------------------------------------------------------


def test_rerun_verifies_existing_bundle_and_a_mismatch_is_a_finding_with_the_original_kept(pg_db, store):
    items = world(pg_db, 2)
    archive(pg_db, store)
    again = archive(pg_db, store, item_ids=items)  # the asset event delivered twice
    assert again.row_counts["verified"] == 2 and again.row_counts.get("archived", 0) == 0

    directory = index_rows(pg_db)["pi-0001"]["bundle_path"]
    flip_byte(store, f"{directory}/data/content.json")
    tampered = store.read(f"{directory}/data/content.json")
    third = archive(pg_db, store, item_ids=items)
    assert third.row_counts["problem"] == 1 and third.row_counts["verified"] == 1
    assert store.read(f"{directory}/data/content.json") == tampered  # kept as found, never rewritten
    [finding] = findings(pg_db)
    assert finding["subject_id"] == "pi-0001" and finding["evidence"]["kind"] == "altered"
    assert finding["period"] == "2025-03-03" and finding["subject_type"] == "published_item"


def test_an_unindexed_bundle_that_does_not_match_is_not_replaced(pg_db, tmp_path):
    """A bundle in the way (from another world, or altered) is reported, never overwritten or indexed."""
    world(pg_db, 1)
    store = LocalStore(tmp_path / "archive")
    archive(pg_db, store)
    with pg_db.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM archive_index"))
        conn.execute(sa.text("UPDATE posts SET content_hash = :h"), {"h": "f" * 64})
    entry = archive(pg_db, store)
    assert entry.row_counts["problem"] == 1 and index_rows(pg_db) == {}
    [finding] = findings(pg_db)
    assert "Herald-Content-Hash" in " ".join(finding["evidence"]["problems"])


# --- crash in the middle of a bundle -----------------------------------------------------------


def test_crash_mid_bundle_leaves_nothing_that_verifies_and_the_rerun_completes_it(pg_db, store):
    world(pg_db, 2)
    crashing = CrashingStore(store, allowed=3)  # dies on the fourth file of the first bundle
    with pytest.raises(OSError, match="simulated crash"):
        archive_published(pg_db, crashing, run(), now=DAY1 + timedelta(hours=2), workers=1)
    crashing.heal()
    assert index_rows(pg_db) == {}
    leftovers = store.list_files("bundles")
    assert not any(key.endswith(MARKER) for key in leftovers)  # no bundle was committed
    if isinstance(store, ObjectStore):
        assert leftovers, "payload files reach their final keys before the marker on an object store"
    report = verify(pg_db, store, now=DAY1 + timedelta(days=3))
    assert report.by_status.get("verified", 0) == 0
    assert report.unarchived_overdue == ["pi-0001", "pi-0002"]
    assert len(report.incomplete_unindexed) == (1 if isinstance(store, ObjectStore) else 0)

    entry = archive(pg_db, store)  # the retry
    assert entry.row_counts["archived"] == 2
    assert verify(pg_db, store).ok


# --- tamper evidence -----------------------------------------------------------------------------


def test_flipped_byte_deleted_file_and_removed_index_entry_are_each_detected(pg_db, store):
    world(pg_db, 4)
    archive(pg_db, store, seal_through=local_day(DAY1))
    rows = index_rows(pg_db)
    flip_byte(store, f"{rows['pi-0001']['bundle_path']}/data/dispatch.json")
    delete(store, f"{rows['pi-0002']['bundle_path']}/data/approvals.json")
    with pg_db.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM archive_index WHERE item_id = 'pi-0003'"))

    report = verify(pg_db, store)
    problems = {item_id: check.status for item_id, check in report.bundle_problems}
    assert problems == {"pi-0001": "altered", "pi-0002": "missing"}
    assert [(p.kind, p.item_id) for p in report.chain_problems] == [("chain_broken", "pi-0003")]
    assert not report.ok
    by_subject = {(f["subject_type"], f["subject_id"]): f for f in findings(pg_db)}
    assert by_subject[("published_item", "pi-0001")]["evidence"]["kind"] == "altered"
    assert by_subject[("published_item", "pi-0002")]["evidence"]["kind"] == "missing"
    assert by_subject[("archive_day", "2025-03-03")]["evidence"]["item_ids"] == ["pi-0003"]
    assert by_subject[("archive_day", "2025-03-03")]["severity"] == "critical"


def test_a_deleted_bundle_and_an_unarchived_item_are_missing(pg_db, tmp_path):
    world(pg_db, 2)
    store = LocalStore(tmp_path / "archive")
    archive(pg_db, store, item_ids=["pi-0001"])
    import shutil

    shutil.rmtree(store.root / index_rows(pg_db)["pi-0001"]["bundle_path"])
    report = verify(pg_db, store, now=DAY1 + timedelta(days=2))
    assert [(i, c.status) for i, c in report.bundle_problems] == [("pi-0001", "missing")]
    assert report.unarchived_overdue == ["pi-0002"]


# --- storage outage ----------------------------------------------------------------------------


def test_storage_outage_fails_the_task_and_the_retry_archives_everything_once(pg_db, store):
    items = world(pg_db, 6)
    flaky = FlakyStore(store, failing=range(6, 9))  # the store drops out part way through the run
    with pytest.raises(ConnectionError):
        archive_published(pg_db, flaky, run(try_number=1), now=DAY1 + timedelta(hours=2), workers=2)
    assert index_rows(pg_db) == {}
    committed_before = len(flaky.committed)
    assert committed_before >= 1
    flaky.failing = range(0)  # the outage is over by the time Airflow retries

    entry = archive_published(pg_db, flaky, run(try_number=2), now=DAY1 + timedelta(hours=2), workers=2)
    assert entry.row_counts["archived"] + entry.row_counts["adopted"] == 6
    assert entry.row_counts["adopted"] == committed_before  # found complete and indexed, not rewritten
    assert sorted(flaky.committed) == sorted(set(flaky.committed))  # each bundle committed exactly once
    assert sorted(index_rows(pg_db)) == items
    with pg_db.engine.connect() as conn:
        statuses = conn.execute(sa.text("SELECT try_number, status FROM pipeline_ledger ORDER BY try_number")).all()
    assert [tuple(s) for s in statuses] == [(1, "failed"), (2, "success")]
    assert verify(pg_db, store).ok


# --- the chain -----------------------------------------------------------------------------------


def test_the_index_chain_links_each_day_to_the_previous_one(pg_db, store):
    world(pg_db, 2)
    archive(pg_db, store, now=DAY1 + timedelta(hours=2), seal_through=local_day(DAY1))
    publish(pg_db, 3, published_at=DAY2)
    archive(pg_db, store, now=DAY2 + timedelta(hours=2), seal_through=local_day(DAY2))
    with pg_db.engine.connect() as conn:
        heads = conn.execute(sa.text("SELECT * FROM archive_days ORDER BY index_on")).mappings().all()
    assert [h["entry_count"] for h in heads] == [2, 1]
    first, second = (parse_index(store.read(h["index_path"])) for h in heads)
    assert first.prev_sha256 == GENESIS and first.prev_day is None
    assert second.prev_sha256 == heads[0]["index_sha256"] and second.prev_day == heads[0]["index_on"]
    assert [e.item_id for e in second.entries] == ["pi-0003"]
    assert all(sha256(store.read(h["index_path"])) == h["index_sha256"] for h in heads)
    assert verify(pg_db, store, now=DAY2 + timedelta(hours=3)).ok

    # Removing the first day's head from the database breaks the link the second day holds.
    with pg_db.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM archive_days WHERE index_on = :d"), {"d": heads[0]["index_on"]})
    report = verify(pg_db, store, now=DAY2 + timedelta(hours=3))
    assert {(p.day.isoformat(), p.kind) for p in report.chain_problems} == {
        ("2025-03-04", "chain_broken"),  # its previous day no longer exists
        ("2025-03-03", "chain_broken"),  # the store still holds the vanished day's document
    }


def test_an_altered_index_document_breaks_the_chain(pg_db, tmp_path):
    world(pg_db, 1)
    store = LocalStore(tmp_path / "archive")
    archive(pg_db, store, seal_through=local_day(DAY1))
    [path] = store.list_files("index")
    (store.root / path).write_bytes(store.read(path).replace(b"pi-0001", b"pi-0009"))
    report = verify(pg_db, store)
    assert [p.message for p in report.chain_problems] == ["2025-03-03 的索引文件与封存时的 SHA-256 不符：已被改动"]


def test_a_sealed_day_takes_no_more_entries(pg_db, tmp_path):
    """Once today is sealed (the demo seals it), later entries are filed on the next day."""
    world(pg_db, 1)
    store = LocalStore(tmp_path / "archive")
    archive(pg_db, store, seal_through=local_day(DAY1))
    publish(pg_db, 2)
    archive(pg_db, store, now=DAY1 + timedelta(hours=4))
    rows = index_rows(pg_db)
    assert rows["pi-0002"]["index_on"] == local_day(DAY1) + timedelta(days=1)
    assert verify(pg_db, store, now=DAY1 + timedelta(hours=5)).ok


# --- later platform changes ----------------------------------------------------------------------


def test_a_later_deletion_is_noted_beside_the_bundle_which_stays(pg_db, store):
    world(pg_db, 1)
    archive(pg_db, store)
    directory = index_rows(pg_db)["pi-0001"]["bundle_path"]
    before = {k: store.read(k) for k in store.list_files(directory)}
    with pg_db.engine.begin() as conn:
        conn.execute(sa.text("UPDATE published_items SET platform_status = 'deleted_by_user'"))
    entry = archive(pg_db, store, record_status_notes=True)
    again = archive(pg_db, store, record_status_notes=True)
    assert entry.row_counts["status_notes"] == 1 and again.row_counts["status_notes"] == 0
    note = json.loads(store.read(status_note_key(directory, "deleted_by_user")))
    assert note["platform_status"] == "deleted_by_user" and "存档包保持原样" in note["note"]
    assert {k: store.read(k) for k in store.list_files(directory)} == before
    assert verify(pg_db, store).ok


# --- small parts ---------------------------------------------------------------------------------


def test_item_ids_come_from_asset_event_extras():
    class Event:
        def __init__(self, extra):
            self.extra = extra

    assert item_ids_from_events([Event({"item_ids": ["b", "a"]}), Event({"item_ids": ["a"]})]) == ["a", "b"]
    assert item_ids_from_events([Event({}), Event(None)]) is None
    assert item_ids_from_events([{"extra": {"item_ids": []}}]) == []


def test_local_store_refuses_to_overwrite(tmp_path):
    store = LocalStore(tmp_path)
    assert store.write_once("index/a.txt", b"one") is True
    assert store.write_once("index/a.txt", b"two") is False
    assert store.read("index/a.txt") == b"one"
    assert store.publish_bundle("bundles/x", {"a": b"1", MARKER: b"m"}, MARKER) is True
    assert store.publish_bundle("bundles/x", {"a": b"2", MARKER: b"n"}, MARKER) is False
    assert store.read("bundles/x/a") == b"1"
    with pytest.raises(Exception, match="inside the archive root"):
        store.read("../etc/passwd")


def test_s3_store_refuses_to_overwrite_a_committed_marker(s3_server):
    store = s3_store(s3_server)
    assert store.publish_bundle("bundles/x", {"a": b"1", MARKER: b"m"}, MARKER) is True
    assert store.publish_bundle("bundles/x", {"a": b"2", MARKER: b"n"}, MARKER) is False
    assert store.read("bundles/x/a") == b"1"
    assert store.write_once("index/a.txt", b"one") and not store.write_once("index/a.txt", b"two")
    assert store.read_many(["bundles/x/a", "bundles/x/nope"])["bundles/x/a"] == b"1"
    assert isinstance(store.read_many(["bundles/x/nope"])["bundles/x/nope"], FileNotFoundError)


# --- the platform's own record -----------------------------------------------------------------


class StubWeChat:
    """Answers like ``WeChatClient.get_article``: busy first (``-1``), then the article."""

    def __init__(self, busy_calls: int):
        self.busy_calls, self.calls = busy_calls, []

    def get_article(self, article_id):
        from herald.platforms.outcome import Outcome, OutcomeKind

        self.calls.append(article_id)
        if len(self.calls) <= self.busy_calls:
            return Outcome(OutcomeKind.RETRY, "-1", "system busy")
        return Outcome(OutcomeKind.OK, "0", "ok", data={"news_item": [
            {"title": "标题", "url": f"https://mp.weixin.qq.com/s/{article_id}", "is_deleted": False}]})


class StubWeibo:
    def user_timeline(self, count=50, page=1):
        from herald.platforms.outcome import Outcome, OutcomeKind

        statuses = [{"idstr": "art-2", "text": "微博正文", "created_at": "Mon Mar 03 12:00:00 +0800 2025"}]
        return Outcome(OutcomeKind.OK, None, "", data={"statuses": statuses if page == 1 else []})


def test_platform_records_are_fetched_back_and_a_busy_platform_defers_the_item(pg_db, tmp_path):
    from herald.archive.platform_records import client_fetcher

    world(pg_db, 1)
    publish(pg_db, 2, account_id="WB-GROUP", platform="weibo")
    store = LocalStore(tmp_path / "archive")
    wechat = StubWeChat(busy_calls=1)
    fetch = client_fetcher(wechat={"WX-GROUP": wechat}, weibo={"WB-GROUP": StubWeibo()})
    first = archive(pg_db, store, fetch_record=fetch)
    assert first.row_counts["deferred"] == 1 and first.row_counts["archived"] == 1
    assert set(index_rows(pg_db)) == {"pi-0002"}
    second = archive(pg_db, store, fetch_record=fetch)
    assert second.row_counts["archived"] == 1 and wechat.calls == ["art-1", "art-1"]

    rows = index_rows(pg_db)
    article = json.loads(store.read(f"{rows['pi-0001']['bundle_path']}/data/platform/wechat_getarticle.json"))
    assert article["source"] == "wechat:freepublish/getarticle" and article["found"] is True
    assert article["response"]["news_item"][0]["url"] == "https://mp.weixin.qq.com/s/art-1"
    status = json.loads(store.read(f"{rows['pi-0002']['bundle_path']}/data/platform/weibo_status.json"))
    assert status["response"]["idstr"] == "art-2" and status["found"] is True
    info = parse_bag_info(store.read(f"{rows['pi-0001']['bundle_path']}/bag-info.txt"))
    assert info["Herald-Platform-Record"] == "wechat:freepublish/getarticle"
    assert verify(pg_db, store).ok


def test_command_line_archives_seals_today_and_verifies(pg_db, pg_url, tmp_path, capsys):
    from herald.archive.__main__ import main

    world(pg_db, 2)
    root = (tmp_path / "archive").as_uri()
    assert main(["archive", "--db", pg_url, "--root", root, "--seal-today"]) == 0
    assert json.loads(capsys.readouterr().out)["archived"] == 2
    assert main(["verify", "--db", pg_url, "--root", root]) == 0
    out = capsys.readouterr().out
    assert "存档核验通过" in out and "已封存 1 天" in out
    flip_byte(LocalStore(tmp_path / "archive"), f"{index_rows(pg_db)['pi-0001']['bundle_path']}/bag-info.txt")
    assert main(["verify", "--db", pg_url, "--root", root]) == 1
    assert "存档核验发现问题" in capsys.readouterr().out


def test_the_dags_reach_s3_through_object_storage_path_and_the_herald_archive_connection(s3_server, monkeypatch):
    """Without the Amazon provider the DAGs attach s3fs for the ``herald_archive`` connection themselves."""
    import importlib.util

    import boto3

    boto3.client("s3", endpoint_url=s3_server, region_name="us-east-1", aws_access_key_id="testing",
                 aws_secret_access_key="testing").create_bucket(Bucket="herald-dag-archive")
    monkeypatch.setenv("AIRFLOW_CONN_HERALD_ARCHIVE", json.dumps({
        "conn_type": "aws", "login": "testing", "password": "testing",
        "extra": {"endpoint_url": s3_server, "region_name": "us-east-1"}}))
    monkeypatch.setenv("AIRFLOW_VAR_HERALD_ARCHIVE_ROOT", "s3://herald-dag-archive/prod")
    spec = importlib.util.spec_from_file_location("archive_dags", REPO_DAGS / "archive.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    store = module.archive_store()
    assert isinstance(store, ObjectStore) and store.root == "herald-dag-archive/prod"
    assert store.write_once("index/probe.txt", b"ok") and store.list_files("index") == ["index/probe.txt"]
