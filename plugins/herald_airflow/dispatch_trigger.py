"""Submit the posts of one publish second from inside the triggerer, at that second.

A deferrable sensor followed by a task is 2.6-3.4 s late here: after the trigger fires, a worker must
start the next task. This trigger does the time-critical part itself: before the second it opens the
database and builds the clients of every account (connections read, WeChat tokens warm); at the
second it claims and submits every post of the second concurrently (the sync clients run in a thread
pool sized for bursts) and stores the platform's ids; then it yields the results. The task resumes
on a worker (not time-critical) to confirm, emit the published-items asset event and leave what is
still unknown to reconciliation.

Serialisable (only the second, the post ids and settings are kept) and safe to run again after a
triggerer restart: every post is claimed with one conditional update, so a re-run finds the posts
already claimed and submits nothing; a post claimed without a call goes back to 'approved' in
reconciliation (the write-ahead attempt row proves no call was made).
"""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from typing import Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

# Imported here, once, when the triggerer loads this class: importing inside run() or in the pool's
# threads would take the import lock while the event loop serves every other trigger.
from herald.connection_url import HERALD_DB_CONN_ID
from herald.db import Database
from herald.dispatch.channels import Channels
from herald.dispatch.dispatcher import dispatch_post
from herald.dispatch.model import DispatchResult
from herald_airflow.dispatch_clients import ConnectionClients
from herald_airflow.hooks import HeraldDatabaseHook

MAX_THREADS = 64  # a burst's calls wait on the network; the database pool, not the CPU, is the limit

# One engine (one connection pool) per database for the whole triggerer process: fifty seconds waiting
# side by side must not hold fifty pools of connections.
_DATABASES: dict[str, Database] = {}
_DATABASES_LOCK = threading.Lock()


def shared_database(conn_id: str) -> Database:
    url = HeraldDatabaseHook(conn_id).get_url()
    with _DATABASES_LOCK:
        if url not in _DATABASES:
            _DATABASES[url] = Database(url)
        return _DATABASES[url]


class DispatchAtTrigger(BaseTrigger):
    def __init__(self, publish_at: str, post_ids: list[str], herald_conn_id: str = HERALD_DB_CONN_ID,
                 max_threads: int = MAX_THREADS):
        super().__init__()
        self.publish_at = publish_at
        self.post_ids = list(post_ids)
        self.herald_conn_id = herald_conn_id
        self.max_threads = max_threads

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            "herald_airflow.dispatch_trigger.DispatchAtTrigger",
            {"publish_at": self.publish_at, "post_ids": self.post_ids, "herald_conn_id": self.herald_conn_id,
             "max_threads": self.max_threads},
        )

    def _prepare(self):
        """Everything that can happen before the second: database, channels, clients, tokens."""
        db = shared_database(self.herald_conn_id)
        channels = Channels(db, ConnectionClients())
        posts = [db.fetch_one("dispatch/post", post_id=p) for p in self.post_ids]
        for post in posts:
            if post is None or post["state"] != "approved":
                continue
            channel = channels.for_post(post)
            if channel.clients is not None and channel.name != "manual":
                client = channel.client
                if hasattr(client, "access_token"):
                    client.access_token()  # the token holder refreshes now, not at the second
        return db, channels

    async def run(self):
        target = datetime.fromisoformat(self.publish_at)
        loop = asyncio.get_running_loop()
        with ThreadPoolExecutor(max_workers=max(1, min(len(self.post_ids), self.max_threads)),
                                thread_name_prefix="herald-dispatch") as pool:
            db, channels = await loop.run_in_executor(pool, self._prepare)
            await _sleep_until(target)
            fired_at = datetime.now(timezone.utc)

            def one(post_id: str) -> dict[str, Any]:
                try:
                    return dispatch_post(db, post_id, channels).as_dict()
                except Exception as exc:  # never lose a post silently: reconciliation reads the platform
                    return DispatchResult(post_id, "write_failed", f"{type(exc).__name__}: {exc}"[:500]).as_dict()

            results = await asyncio.gather(*(loop.run_in_executor(pool, one, p) for p in self.post_ids))
        self.log.info("dispatched %d post(s) of %s, fired %.3f s after the second", len(results), self.publish_at,
                      (fired_at - target).total_seconds())
        yield TriggerEvent({"publish_at": self.publish_at, "fired_at": fired_at.isoformat(), "results": results})


async def _sleep_until(target: datetime) -> None:
    """Sleep on the event loop (the triggerer keeps serving other triggers) and wake on the second."""
    while True:
        remaining = target.timestamp() - time.time()
        if remaining <= 0:
            return
        # Coarse sleep first, then short ones: the loop's timer can wake a few ms late.
        await asyncio.sleep(remaining - 0.02 if remaining > 0.05 else remaining)
