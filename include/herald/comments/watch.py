"""The comment watch (SEC-2, SEC-3): pull, screen, store, escalate, and open a crisis finding on a surge.

One cycle:

1. reads the watched accounts (active WeChat and Weibo), their high-water marks and, for WeChat, the articles
   of the last ``wechat_article_days`` days, and pulls every source in a thread pool (``platforms``);
2. screens each new comment with the posts' automaton (``herald.screening``) and classifies it: ``illegal``
   (a hit of ``illegal_categories``), ``reputation`` (of ``reputation_categories``), ``negative`` (only a hit of
   ``negative_categories``, e.g. a logged rumour word) or ``clean``;
3. in one transaction stores the new comments, records one escalation per illegal or reputation-damaging comment
   (its evidence bundle written first, write-once) and moves each source's high-water mark: a crash before the
   commit re-reads the same comments, and every key (comment, escalation) makes the re-read store nothing twice;
4. counts each account's negative comments within ``surge_window_minutes``: at ``surge_threshold`` it opens one
   SEC-3 finding (none while the account's earlier surge finding is still open) and escalates it;
5. delivers every pending escalation (``escalate.deliver_pending``).

``watch`` repeats cycles every ``poll_seconds`` for ``run_seconds`` (one Airflow run), so a comment waits at most
one poll interval plus a cycle before its escalation is sent.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from herald.archive.store import ArchiveStore
from herald.comments import platforms
from herald.comments.escalate import Sender, deliver_pending, escalation_rows
from herald.comments.evidence import archive_comment, canonical_json
from herald.comments.settings import WatchSettings
from herald.db import Database
from herald.findings import Finding, record_event_findings
from herald.screening import Lexicon, load_lexicon, screen
from herald.timeutil import format_shanghai, local_day, now_utc

log = logging.getLogger(__name__)

DETECTED_BY = "comment_watch"
ESCALATED = ("illegal", "reputation")
PLATFORM_LABELS = {"wechat": "微信公众号", "weibo": "微博"}
MAX_EXCERPT = 60

# clients(platform, account_id) -> the account's WeChatClient or WeiboClient (raises when none is configured)
ClientSource = Callable[[str, str], Any]


@lru_cache(maxsize=4)
def lexicon_named(name: str) -> Lexicon:
    return load_lexicon(name)


@dataclass(frozen=True)
class Verdict:
    verdict: str
    is_negative: bool
    hits: list[dict[str, Any]]
    lexicon_version: str
    lexicon_sha256: str


def classify(text: str, lexicon: Lexicon, settings: WatchSettings) -> Verdict:
    """Screen a comment and say what it is (the posts' automaton, all categories, ``log`` hits included)."""
    result = screen(text, lexicon)
    hits = [h.as_dict() for h in result.hits]
    acting = {h.category for h in result.hits if h.action != "log"}
    every = {h.category for h in result.hits}
    negative = bool(every & set(settings.negative_categories))
    if acting & set(settings.illegal_categories):
        verdict = "illegal"
    elif acting & set(settings.reputation_categories):
        verdict = "reputation"
    elif negative:
        verdict = "negative"
    else:
        verdict = "clean"
    return Verdict(verdict, negative or verdict == "reputation", hits, result.lexicon_version, result.lexicon_sha256)


def escalation_id(subject_key: str) -> str:
    return "E-" + hashlib.sha256(subject_key.encode("utf-8")).hexdigest()[:24]


@dataclass
class CycleReport:
    pulled: int = 0
    new_comments: int = 0
    escalations: int = 0
    crises: int = 0
    complaints: int = 0
    sources: int = 0
    source_errors: list[str] = field(default_factory=list)
    delivery: dict[str, int] = field(default_factory=dict)
    pull_seconds: float = 0.0
    store_seconds: float = 0.0
    deliver_seconds: float = 0.0
    screened_chars: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"pulled": self.pulled, "new_comments": self.new_comments, "escalations": self.escalations,
                "crises": self.crises, "complaints": self.complaints, "sources": self.sources, "source_errors": len(self.source_errors),
                **{f"delivery_{k}": v for k, v in self.delivery.items()}}


def _summary(comment: platforms.PulledComment, verdict: Verdict) -> str:
    text = " ".join(comment.content.split())
    excerpt = text if len(text) <= MAX_EXCERPT else text[:MAX_EXCERPT] + "……"
    terms = "、".join(dict.fromkeys(f"{h['snippet']}" for h in verdict.hits if h["action"] != "log"))
    when = format_shanghai(comment.commented_at) if comment.commented_at else "时间不详"
    return f"{when}评论“{excerpt}”（命中：{terms}）"


def pull_all(db: Database, clients: ClientSource, settings: WatchSettings, *, now: datetime,
             workers: int = 8) -> tuple[list[platforms.Pull], dict[str, Mapping[str, Any]], list[str]]:
    """Pull every watched source once; return the pulls, the accounts by id, and the accounts that had no client."""
    with db.transaction() as tx:
        accounts = {a["account_id"]: a for a in tx.fetch("comments/watched_accounts")}
        marks = {(c["account_id"], c["source_key"]): c["high_water"] for c in tx.fetch("comments/cursors")}
        articles = tx.fetch("comments/wechat_sources", since=now - timedelta(days=settings.wechat_article_days))
    jobs: list[tuple[Callable[..., platforms.Pull], tuple]] = []
    missing: list[str] = []

    def client_of(account: Mapping[str, Any]):
        try:
            return clients(account["platform"], account["account_id"])
        except Exception as exc:  # no connection for the account: reported, the others are watched
            missing.append(f"{account['account_id']}: {type(exc).__name__}: {exc}"[:300])
            return None

    wechat_articles: dict[str, list[str]] = {}
    for row in articles:
        wechat_articles.setdefault(row["account_id"], []).append(row["msg_data_id"])
    for account_id, account in accounts.items():
        if account["platform"] == "weibo":
            client = client_of(account)
            if client is not None:
                jobs.append((platforms.pull_weibo, (client, account_id, marks.get((account_id, platforms.WEIBO_SOURCE)))))
        elif wechat_articles.get(account_id):
            client = client_of(account)
            if client is None:
                continue
            for msg_data_id in dict.fromkeys(wechat_articles[account_id]):
                key = platforms.wechat_source_key(msg_data_id, 0)
                jobs.append((platforms.pull_wechat, (client, account_id, msg_data_id, 0, marks.get((account_id, key)))))
    if not jobs:
        return [], accounts, missing
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(jobs))), thread_name_prefix="comment-pull") as pool:
        pulls = list(pool.map(lambda job: job[0](*job[1]), jobs))
    return pulls, accounts, missing


def store_pulls(db: Database, pulls: list[platforms.Pull], accounts: Mapping[str, Mapping[str, Any]], *,
                lexicon: Lexicon, settings: WatchSettings, store: ArchiveStore, now: datetime,
                report: CycleReport) -> list[tuple[platforms.PulledComment, Verdict]]:
    """Screen and store the pulled comments, record escalations, move the marks: one transaction. Return the new
    comments with their verdicts."""
    unique: dict[str, platforms.PulledComment] = {}
    for pull in pulls:
        for comment in pull.comments:
            unique.setdefault(comment.comment_key, comment)
    report.pulled += sum(len(p.comments) for p in pulls)
    with db.transaction() as tx:
        known: set[str] = set()
        keys = list(unique)
        for start in range(0, len(keys), 5000):
            known.update(r["comment_key"] for r in tx.fetch("comments/known_comments",
                                                            keys=json.dumps(keys[start:start + 5000])))
        fresh = [c for key, c in unique.items() if key not in known]
        rows, escalations, judged = [], [], []
        for comment in fresh:
            verdict = classify(comment.content, lexicon, settings)
            report.screened_chars += len(comment.content)
            judged.append((comment, verdict))
            rows.append({
                "comment_key": comment.comment_key, "account_id": comment.account_id, "platform": comment.platform,
                "source_key": comment.source_key, "platform_comment_id": comment.platform_comment_id,
                "author_ref": comment.author_ref, "content": comment.content, "commented_at": comment.commented_at,
                "pulled_at": now, "verdict": verdict.verdict, "is_negative": verdict.is_negative,
                "hits": json.dumps(verdict.hits, ensure_ascii=False, sort_keys=True),
                "lexicon_sha256": verdict.lexicon_sha256,
                "record_sha256": hashlib.sha256(canonical_json(comment.record)).hexdigest(),
            })
            if verdict.verdict in ESCALATED:
                subject = f"comment:{comment.comment_key}"
                eid = escalation_id(subject)
                screening = {"verdict": verdict.verdict, "hits": verdict.hits, "lexicon_version": verdict.lexicon_version,
                             "lexicon_sha256": verdict.lexicon_sha256, "rule_id": "SEC-2",
                             "clause": "003 §3.3.2"}
                path, seal = archive_comment(store, comment, eid, screening, now)
                escalations.append({
                    "escalation_id": eid, "subject_key": subject, "comment_key": comment.comment_key,
                    "account_id": comment.account_id, "host_unit_id": accounts[comment.account_id]["host_unit_id"],
                    "kind": verdict.verdict, "summary": _summary(comment, verdict), "evidence_path": path,
                    "evidence_sha256": seal, "detected_at": now})
        tx.execute_many("comments/insert_comment", rows)
        report.complaints += register_complaints(tx, [c for c, _ in judged], settings, now=now)
        tx.execute_many("comments/insert_escalation", escalation_rows(escalations))
        marks = [{"account_id": p.account_id, "source_key": p.source_key, "high_water": p.high_water, "pulled_at": now}
                 for p in pulls if p.high_water is not None]
        tx.execute_many("comments/upsert_cursor", marks)
    report.new_comments += len(rows)
    report.escalations += len(escalations)
    return judged


def register_complaints(tx, comments: list[platforms.PulledComment], settings: WatchSettings, *, now: datetime) -> int:
    """SEC-4: register each new comment that reads as a complaint (``complaint_markers``) with the complaints
    workflow, keyed by the comment (a re-run registers nothing twice). Return how many were registered."""
    chosen = [c for c in comments if any(marker in c.content for marker in settings.complaint_markers)]
    if not chosen:
        return 0
    from herald.complaints.workflow import register_complaint
    from herald.errors import ValidationError

    registered = 0
    for comment in chosen:
        try:
            done = register_complaint(tx, account_id=comment.account_id, content=comment.content, channel="comment",
                                      received_at=min(comment.commented_at or now, now), actor=f"herald_{DETECTED_BY}.screen",
                                      via="pipeline", now=now, source_ref=comment.comment_key,
                                      complainant=comment.author_ref)
        except ValidationError as refused:  # e.g. the account's policy has no complaints section: logged, watch goes on
            log.warning("comment %s not registered as a complaint: %s", comment.comment_key, refused)
            continue
        registered += 0 if done.get("duplicate") else 1
    return registered


def detect_surges(db: Database, accounts: Mapping[str, Mapping[str, Any]], settings: WatchSettings, *,
                  now: datetime) -> int:
    """Open one SEC-3 finding per account whose negative comments reached the threshold within the window."""
    since = now - timedelta(minutes=settings.surge_window_minutes)
    with db.transaction() as tx:
        surging = tx.fetch("comments/negative_counts", since=since, threshold=settings.surge_threshold)
        if not surging:
            return 0
        ongoing = {r["account_id"] for r in tx.fetch("comments/open_crises")}
        findings, escalations = [], []
        for row in surging:
            account = accounts.get(row["account_id"])
            if account is None or row["account_id"] in ongoing:
                continue
            platform = PLATFORM_LABELS.get(account["platform"], account["platform"])
            summary = (f"{account['name']}（{platform}）{settings.surge_window_minutes}分钟内出现{row['negatives']}条负面评论"
                       f"（阈值{settings.surge_threshold}条），可能形成舆情危机：请主办单位负责人和宣传部按突发事件流程"
                       f"统一发声、积极疏导（003 §3.3.3、§3.3.4）")
            finding = Finding("SEC-3", "account", row["account_id"], local_day(now).isoformat(), "high", summary, {
                "host_unit_id": account["host_unit_id"], "negatives": row["negatives"],
                "window_minutes": settings.surge_window_minutes, "threshold": settings.surge_threshold,
                "first_at": row["first_at"], "last_at": row["last_at"], "clause": "003 §3.3.3-3.3.4"})
            findings.append(finding)
            subject = f"crisis:{finding.finding_id}"
            escalations.append({"escalation_id": escalation_id(subject), "subject_key": subject,
                                "finding_id": finding.finding_id, "account_id": row["account_id"],
                                "host_unit_id": account["host_unit_id"], "kind": "crisis",
                                "summary": summary, "detected_at": now})
        if findings:
            record_event_findings(tx, findings, detected_by=f"{DETECTED_BY}.surge", now=now)
            tx.execute_many("comments/insert_escalation", escalation_rows(escalations))
    return len(findings)


def run_cycle(db: Database, clients: ClientSource, *, settings: WatchSettings, store: ArchiveStore, send: Sender,
              channels: Mapping[str, str], lexicon: Lexicon | None = None, clock: Callable[[], datetime] = now_utc,
              workers: int = 8, on_new: Callable[[list], None] | None = None) -> CycleReport:
    """One cycle of the watch (see the module docstring); ``on_new`` gets the new (comment, verdict) pairs."""
    report = CycleReport()
    lexicon = lexicon or lexicon_named(settings.lexicon)
    now = clock()
    started = time.perf_counter()
    pulls, accounts, missing = pull_all(db, clients, settings, now=now, workers=workers)
    report.sources = len(pulls)
    report.source_errors = missing + [f"{p.account_id}/{p.source_key}: {p.error}" for p in pulls if p.error]
    for error in report.source_errors:
        log.warning("comment pull failed: %s", error)
    report.pull_seconds = time.perf_counter() - started
    started = time.perf_counter()
    judged = store_pulls(db, pulls, accounts, lexicon=lexicon, settings=settings, store=store, now=clock(),
                         report=report)
    if on_new is not None and judged:
        on_new(judged)
    report.crises = detect_surges(db, accounts, settings, now=clock())
    report.store_seconds = time.perf_counter() - started
    started = time.perf_counter()
    report.delivery = deliver_pending(db, send, channels, now=clock(), clock=clock)
    report.deliver_seconds = time.perf_counter() - started
    return report


def watch(db: Database, clients: ClientSource, *, settings: WatchSettings, store: ArchiveStore, send: Sender,
          channels: Mapping[str, str], run_seconds: float | None = None, stop: threading.Event | None = None,
          clock: Callable[[], datetime] = now_utc, workers: int = 8,
          on_cycle: Callable[[CycleReport], None] | None = None) -> dict[str, Any]:
    """Cycles every ``poll_seconds`` until ``run_seconds`` (default: the settings') have passed or ``stop`` is set.
    Return totals over the cycles."""
    lexicon = lexicon_named(settings.lexicon)
    stop = stop or threading.Event()
    deadline = time.monotonic() + (settings.run_seconds if run_seconds is None else run_seconds)
    totals: dict[str, Any] = {"cycles": 0, "pulled": 0, "new_comments": 0, "escalations": 0, "crises": 0,
                              "source_errors": 0, "delivery_messages": 0, "delivery_failed_messages": 0}
    while True:
        began = time.monotonic()
        report = run_cycle(db, clients, settings=settings, store=store, send=send, channels=channels,
                           lexicon=lexicon, clock=clock, workers=workers)
        totals["cycles"] += 1
        for key, value in report.as_dict().items():
            if key in totals:
                totals[key] += value
        if on_cycle is not None:
            on_cycle(report)
        wait = settings.poll_seconds - (time.monotonic() - began)
        if time.monotonic() + max(wait, 0) >= deadline or stop.wait(max(wait, 0)):
            return totals
