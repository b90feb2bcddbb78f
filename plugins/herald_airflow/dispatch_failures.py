"""The Airflow side of "failures reach someone": notify and record (``herald.dispatch.failures``), then fail a task.

A task fails with ``AirflowFailException`` (no retry) only after every outcome, finding and notice is
stored: a retry would not send again anyway (each post is claimed with one conditional update), but it
would find the posts already claimed and end green, hiding the failure. The log says, per post and in
Chinese, what failed and why. In ``herald_dispatch`` the failing task is ``failed_posts``, after the seconds, so
that a second's own task still succeeds and emits its published-items event (its published posts are
archived at once).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from airflow.sdk.exceptions import AirflowFailException

from herald.db import Database
from herald.dispatch.failures import Failure


def report(db: Database, post_ids: Sequence[str], *, detected_by: str, log: logging.Logger | None = None) -> list[Failure]:
    """Notify the author and the competent department of every failed post among ``post_ids`` and record findings."""
    from herald.cadence.notify import deliver
    from herald.dispatch.failures import report_failures
    from herald.timeutil import now_utc

    log = log or logging.getLogger(__name__)
    failures = report_failures(db, post_ids, now=now_utc(), detected_by=detected_by, deliver=deliver)
    for failure in failures:
        log.error("%s；问题记录 %s（PUB-3）；通知：%s", failure.line(), failure.finding_id, failure.delivery)
    return failures


def fail_if_any(failures: Sequence[Failure], what: str) -> None:
    """Fail the task without retrying when posts failed; the message names each one and its reason."""
    fail_on_lines([failure.line() for failure in failures], what)


def fail_on_lines(lines: Sequence[str], what: str) -> None:
    if lines:
        raise AirflowFailException(f"{what}：{len(lines)} 条已审批的信息未能发布（任务不重试，系统不会重发）：{'；'.join(lines)}")
