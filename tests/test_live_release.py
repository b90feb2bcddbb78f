"""The demo's live release goes through the real doors and ends approved along each account's chain."""

from datetime import UTC, datetime, timedelta

from herald.posts.lifecycle import post_status
from herald_dev.world.live import LIVE_ACCOUNTS, queue_and_approve_live_release


def test_live_release_is_queued_last_week_and_fully_approved(demo_world):
    publish_at = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)
    result = queue_and_approve_live_release(demo_world, publish_at=publish_at)
    statuses = [post_status(demo_world, p) for p in result["post_ids"]]
    assert sorted(s["account_id"] for s in statuses) == sorted(LIVE_ACCOUNTS)
    assert {s["state"] for s in statuses} == {"approved"}
    two_step = next(s for s in statuses if s["account_id"] == "acct-s1-weibo")
    assert [c["role"] for c in two_step["chain"]] == ["supervising_leader", "upper_platform_manager"]
    for status in statuses:
        assert all(d["content_hash"] == status["content_hash"] for d in status["decisions"])
        assert status["history"][0]["occurred_at"] == publish_at - timedelta(days=8)
