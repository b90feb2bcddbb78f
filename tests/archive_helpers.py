"""Published items for the archive tests: a small organisation, posts, approvals, attempts, the log."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta

from builders import insert, small_org
from herald.archive.store import ArchiveStore

DAY1 = datetime(2025, 3, 3, 4, 0, tzinfo=UTC)  # 12:00 in Beijing, Monday 3 March 2025


def publish(db, item_no: int, *, account_id: str = "WX-GROUP", platform: str = "wechat",
            published_at: datetime = DAY1, origin: str = "dispatch", status: str = "live") -> str:
    """One published item with its post, a two-step approval chain, attempts and events. Returns the item id."""
    post_id, item_id = f"post-{item_no:04d}", f"pi-{item_no:04d}"
    content_hash = f"{item_no:064x}"
    media = [{"kind": "image", "filename": f"IMG_{item_no}.jpg", "size_bytes": 1_200_000, "sha256": "ab" * 32}]
    insert(db, "posts", post_id=post_id, account_id=account_id, author_id="author2", kind="article",
           title=f"标题 {item_no}", body=f"正文 {item_no}：华夏能源发布年度报告。", category="company_news",
           source="集团办公室", media=json.dumps(media, ensure_ascii=False), publish_at=published_at,
           content_hash=content_hash, state="published", requested_at=published_at - timedelta(days=9),
           updated_at=published_at)
    for step_no, (role, approver) in enumerate((("supervising_leader", "leader"), ("upper", "upper")), start=1):
        insert(db, "approval_steps", step_id=f"as-{item_no}-{step_no}", post_id=post_id, chain="000-group",
               step_no=step_no, role=role, approver_id=approver, decision="approved", via="import",
               content_hash=content_hash, decided_at=published_at - timedelta(days=8 - step_no))
    if origin == "dispatch":
        insert(db, "dispatch_attempts", attempt_id=f"da-{item_no}-1", post_id=post_id, attempt_no=1,
               operation="publish", outcome="retry", error_code="-1", error_message="系统繁忙",
               started_at=published_at - timedelta(minutes=2), finished_at=published_at - timedelta(minutes=2))
        insert(db, "dispatch_attempts", attempt_id=f"da-{item_no}-2", post_id=post_id, attempt_no=2,
               operation="publish", outcome="ok", response=json.dumps({"publish_id": f"265{item_no}"}),
               started_at=published_at, finished_at=published_at)
    insert(db, "post_events", event_id=f"pe-{item_no}", post_id=post_id, state="published",
           reason="人工发布并确认" if origin == "manual_confirmation" else "平台接口发布成功",
           actor_id="author2" if origin == "manual_confirmation" else "herald:dispatch", occurred_at=published_at)
    insert(db, "published_items", item_id=item_id, post_id=post_id, account_id=account_id, platform=platform,
           origin=origin, platform_item_id=f"art-{item_no}", platform_publish_id=f"265{item_no}",
           url=f"https://mp.weixin.qq.com/s/item{item_no}", operator_id="author2", is_mass_send=False,
           published_at=published_at, confirmed_at=published_at + timedelta(seconds=5), platform_status=status,
           status_checked_at=published_at + timedelta(hours=3))
    return item_id


def world(db, count: int, **kwargs) -> list[str]:
    small_org(db)
    return [publish(db, n, **kwargs) for n in range(1, count + 1)]


class CrashingStore(ArchiveStore):
    """Delegates to a real store but raises after ``allowed`` file writes: a worker dying mid-bundle."""

    def __init__(self, inner: ArchiveStore, allowed: int):
        self.inner, self.allowed, self.url = inner, allowed, inner.url
        original = inner._write_file

        def write(key: str, data: bytes) -> None:
            if self.allowed <= 0:
                raise OSError("simulated crash while writing " + key)
            self.allowed -= 1
            original(key, data)

        inner._write_file = write  # the inner store's own publish path calls it for every file

    def heal(self) -> None:
        """The process that died is gone: whoever uses the store next gets a healthy one."""
        del self.inner._write_file

    def _write_file(self, key: str, data: bytes) -> None:
        self.inner._write_file(key, data)

    def read(self, key):
        return self.inner.read(key)

    def read_many(self, keys):
        return self.inner.read_many(keys)

    def exists(self, key):
        return self.inner.exists(key)

    def list_files(self, prefix):
        return self.inner.list_files(prefix)

    def write_once(self, key, data):
        return self.inner.write_once(key, data)

    def publish_bundle(self, directory, files, marker):
        return self.inner.publish_bundle(directory, files, marker)

    def clean_staging(self, older_than_seconds: float = 3600):
        return self.inner.clean_staging(older_than_seconds)


class FlakyStore(ArchiveStore):
    """A store whose calls numbered in ``failing`` (1-based) fail as an unreachable server would; it counts commits."""

    def __init__(self, inner: ArchiveStore, failing: range):
        self.inner, self.failing, self.url = inner, failing, inner.url
        self.calls = 0
        self.committed: list[str] = []
        self._lock = threading.Lock()

    def _call(self, name, *args):
        with self._lock:
            self.calls += 1
            fail = self.calls in self.failing
        if fail:
            raise ConnectionError(f"archive store unreachable ({name})")
        return getattr(self.inner, name)(*args)

    def read(self, key):
        return self._call("read", key)

    def read_many(self, keys):
        return self._call("read_many", list(keys))

    def exists(self, key):
        return self._call("exists", key)

    def list_files(self, prefix):
        return self._call("list_files", prefix)

    def write_once(self, key, data):
        return self._call("write_once", key, data)

    def publish_bundle(self, directory, files, marker):
        done = self._call("publish_bundle", directory, files, marker)
        if done:
            with self._lock:
                self.committed.append(directory)
        return done

    def _write_file(self, key: str, data: bytes) -> None:
        self._call("_write_file", key, data)

    def clean_staging(self, older_than_seconds: float = 3600):
        return self._call("clean_staging", older_than_seconds)
