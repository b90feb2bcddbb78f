"""The deferrable task of one publish second: defer to ``DispatchAtTrigger``, then confirm on a worker."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from airflow.sdk import Asset, BaseOperator

from herald.connection_url import HERALD_DB_CONN_ID

# Each publication emits an event of this asset; extra = {"item_ids": [published_items.item_id ...]}.
PUBLISHED_ITEMS = Asset("herald://published-items")
CONFIRM_SECONDS = 20.0  # confirm here for this long; what is still pending is left to reconciliation
CONFIRM_THREADS = 8  # confirming reads the platform (WeChat) or only the database (Weibo, CMS): a few at once


class DispatchSecondOperator(BaseOperator):
    template_fields = ("publish_at", "post_ids")
    ui_color = "#f7d8a8"

    def __init__(self, *, publish_at: str, post_ids: list[str], herald_conn_id: str = HERALD_DB_CONN_ID,
                 confirm_seconds: float = CONFIRM_SECONDS, **kwargs: Any):
        kwargs.setdefault("outlets", [PUBLISHED_ITEMS])
        super().__init__(**kwargs)
        self.publish_at = publish_at
        self.post_ids = post_ids
        self.herald_conn_id = herald_conn_id
        self.confirm_seconds = confirm_seconds

    def execute(self, context):
        from herald_airflow.dispatch_trigger import DispatchAtTrigger  # heavy imports off the DAG parse path

        self.defer(trigger=DispatchAtTrigger(self.publish_at, list(self.post_ids), self.herald_conn_id),
                   method_name="execute_complete")

    def execute_complete(self, context, event: dict[str, Any]) -> dict[str, Any]:
        """Report the second's failures at once, confirm the rest, and return the failed posts in words.

        The task itself succeeds, so its published-items asset event is emitted and the second's published posts
        are archived at once; ``failed_posts`` downstream fails the run loudly when any post failed. Failures are
        read from the database over every post of the second (not only from the event), so a re-run after a crash
        still reports them; the findings and notices are idempotent by post.
        """
        from herald.dispatch.channels.routing import Channels
        from herald.dispatch.dispatcher import settle
        from herald_airflow.dispatch_clients import ConnectionClients
        from herald_airflow.dispatch_failures import report
        from herald_airflow.hooks import HeraldDatabaseHook

        db = HeraldDatabaseHook(self.herald_conn_id).get_database()
        channels = Channels(db, ConnectionClients(db))
        results = event["results"]
        detected_by = f"{self.dag_id}.{self.task_id}"
        failures = report(db, list(self.post_ids), detected_by=detected_by, log=self.log)
        waiting = [r["post_id"] for r in results if r["status"] == "submitted"]
        items: dict[str, str] = {}
        confirmed_failed: list[str] = []
        deadline = time.monotonic() + self.confirm_seconds
        with ThreadPoolExecutor(max_workers=CONFIRM_THREADS, thread_name_prefix="herald-confirm") as pool:
            while waiting and time.monotonic() < deadline:
                still = []
                for post_id, settled in zip(waiting, pool.map(lambda p: settle(db, p, channels), waiting)):
                    if settled["state"] == "published":
                        items[post_id] = settled["item_id"]
                    elif settled["state"] == "failed":
                        confirmed_failed.append(post_id)
                    elif settled["state"] in ("unconfirmed", "dispatching"):
                        still.append(post_id)
                waiting = still
                if waiting:
                    time.sleep(1.0)
        summary: dict[str, int] = {}
        for result in results:
            summary[result["status"]] = summary.get(result["status"], 0) + 1
        self.log.info("second %s: %s; published %d, left to reconciliation %d", self.publish_at, summary,
                      len(items), len(waiting) + summary.get("unconfirmed", 0) + summary.get("write_failed", 0))
        context["outlet_events"][PUBLISHED_ITEMS].extra = {"item_ids": sorted(items.values()),
                                                          "publish_at": self.publish_at}
        reported = {failure.post_id for failure in failures}
        failures += report(db, [p for p in confirmed_failed if p not in reported], detected_by=detected_by, log=self.log)
        # Everything is stored and told; failed_posts (downstream) fails the run with these lines.
        return {"publish_at": self.publish_at, "fired_at": event.get("fired_at"), "results": summary,
                "item_ids": sorted(items.values()), "failed": [failure.line() for failure in failures]}
