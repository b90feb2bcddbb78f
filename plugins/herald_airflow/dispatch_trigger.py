"""Submit the posts of one publish second from inside the triggerer, at that second.

A deferrable sensor followed by a task is 2.6-3.4 s late here: after the trigger fires, a worker must
start the next task. This trigger does the time-critical part itself: before the second it opens the
database and builds the clients of every account (connections read, WeChat tokens warm); at the
second it claims every post of the second in one conditional update, writes their attempts ahead,
submits them concurrently (``herald.dispatch.dispatcher.dispatch_second``: the sync clients run in a
thread pool sized for bursts, one account's calls one after another) and stores the platform's ids;
then it yields the results. The task resumes
on a worker (not time-critical) to confirm, emit the published-items asset event and leave what is
still unknown to reconciliation.

Serialisable (only the second, the post ids and settings are kept) and safe to run again after a
triggerer restart: every post is claimed with one conditional update, so a re-run finds the posts
already claimed and submits nothing; a post claimed without a call goes back to 'approved' in
reconciliation (the write-ahead attempt row proves no call was made).
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

# Imported here, once, when the triggerer loads this class: importing inside run() or in the pool's
# threads would take the import lock while the event loop serves every other trigger.
from herald.connection_url import HERALD_DB_CONN_ID
from herald.db import Database
from herald.dispatch.channels.routing import Channels
from herald.dispatch.dispatcher import MAX_CALLS_IN_FLIGHT, dispatch_second
from herald.dispatch.model import DispatchResult
from herald_airflow.dispatch_clients import ConnectionClients
from herald_airflow.hooks import HeraldDatabaseHook

MAX_THREADS = MAX_CALLS_IN_FLIGHT  # a burst's calls wait on the network, not on the CPU

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

    def _load(self) -> tuple[Database, Channels, ConnectionClients, list[dict[str, Any]]]:
        db = shared_database(self.herald_conn_id)
        clients = ConnectionClients(db)
        return db, Channels(db, clients), clients, db.fetch("dispatch/posts_by_ids", post_ids=json.dumps(self.post_ids))

    def _prepare(self, channels: Channels, posts: list[dict[str, Any]]) -> None:
        """Build every account's client and warm the WeChat tokens (the connections are already read)."""
        for post in posts:
            if post["state"] != "approved":
                continue
            try:
                channel = channels.for_post(post)
                if channel.clients is not None and channel.name != "manual":
                    client = channel.client
                    if hasattr(client, "access_token"):
                        client.access_token()  # the token holder refreshes now, not at the second
            except Exception as exc:  # the second itself reports it per post; one account must not stop the rest
                self.log.warning("post %s: could not prepare its client: %s", post["post_id"], exc)

    async def run(self):
        target = datetime.fromisoformat(self.publish_at)
        loop = asyncio.get_running_loop()
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="herald-dispatch") as pool:
            # Before the second: the posts, their connections (in bulk), their clients and tokens.
            started = time.monotonic()
            db, channels, clients, posts = await loop.run_in_executor(pool, self._load)
            found = await loop.run_in_executor(pool, clients.prefetch, [(p["platform"], p["account_id"]) for p in posts
                                                                         if p["state"] == "approved"])
            read_at = time.monotonic()
            await loop.run_in_executor(pool, self._prepare, channels, posts)
            self.log.info("prepared %d post(s) of %s in %.2f s (%d connection(s) read in %.2f s)", len(posts),
                          self.publish_at, time.monotonic() - started, found, read_at - started)
            await _sleep_until(target)
            fired_at = datetime.now(UTC)
            results = await loop.run_in_executor(pool, self._dispatch, db, channels)
        self.log.info("dispatched %d post(s) of %s, fired %.3f s after the second", len(results), self.publish_at,
                      (fired_at - target).total_seconds())
        yield TriggerEvent({"publish_at": self.publish_at, "fired_at": fired_at.isoformat(), "results": results})

    def _dispatch(self, db: Database, channels: Channels) -> list[dict[str, Any]]:
        try:
            timings: dict[str, float] = {}
            results = dispatch_second(db, self.post_ids, channels, max_in_flight=self.max_threads, timings=timings)
            self.log.info("second %s: %s", self.publish_at, ", ".join(f"{k} {v:.3f} s" for k, v in timings.items()))
        except Exception as exc:  # never lose a post silently: reconciliation reads the platform
            reason = f"{type(exc).__name__}: {exc}"[:500]
            self.log.exception("the second %s failed before every outcome was stored", self.publish_at)
            return [DispatchResult(post_id, "write_failed", reason).as_dict() for post_id in self.post_ids]
        return [result.as_dict() for result in results]


async def _sleep_until(target: datetime) -> None:
    """Sleep on the event loop (the triggerer keeps serving other triggers) and wake on the second."""
    while True:
        remaining = target.timestamp() - time.time()
        if remaining <= 0:
            return
        # Coarse sleep first, then short ones: the loop's timer can wake a few ms late.
        await asyncio.sleep(remaining - 0.02 if remaining > 0.05 else remaining)
