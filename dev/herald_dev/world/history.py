"""Posting history: posts, their approvals, dispatch attempts, events and the publishing log.

Rhythm: each account has a daily rate by platform; working days get the full rate, weekends a
third, public holidays (Spring Festival, National Day, ...) a tenth, adjusted working Saturdays
count as working days (``chinese_calendar``). Matrix releases put one group item on several
subordinate accounts the same day (PUB-7). Then every week an account is open gets at least one
counting item unless the plan says it misses that week, so PUB-5 findings are exactly the plan's.

Every post is requested in time (CON-10: regular items 8-16 days ahead, on a working day; urgent
ones two working days ahead), approved along its account's chain bound to its content hash
(PUB-1, PUB-2), published by the operator holding the assignment that day (ACC-5), at most one
WeChat mass send a day with a preview first (CON-9) — except where the plan plants a violation.
"""

from __future__ import annotations

import json
import math
import random
import string
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from herald.policy import load_policy
from herald.posts.model import PostRequest, content_hash
from herald.timeutil import iso_week_monday, local_day
from herald_dev.world.accounts import AccountWorld, at
from herald_dev.world.content import make_text
from herald_dev.world.org import Org
from herald_dev.world.timeline import WEEK, Timeline
from herald_dev.world.violations import Plan
from herald_dev.world.workdays import holiday_name, is_workday, next_workday, previous_workday, workday_on_or_before

# Items a working day, by platform (subordinate accounts publish less).
DAILY_RATE = {"wechat": 0.6, "weibo": 1.2, "website": 0.8, "qq": 0.35, "blog": 0.2, "tieba": 0.3, "forum": 0.4,
              "mobile_newspaper": 0.25, "app": 0.5, "network_video": 0.2}
SUBORDINATE_FACTOR = 0.55
WEEKEND_FACTOR, HOLIDAY_FACTOR = 0.3, 0.1
# Shanghai hours at which items usually go out, by platform.
SLOTS = {
    "wechat": [7.5, 8.0, 12.0, 17.5, 18.0, 19.0, 20.0, 20.5],
    "weibo": [7.5, 9.0, 10.0, 11.5, 12.0, 15.0, 17.0, 19.0, 20.5, 21.5],
    "default": [9.0, 9.5, 10.0, 10.5, 11.0, 14.0, 14.5, 15.5, 16.0, 16.5, 17.0],
}
URGENT_SHARE = 0.05
DELETED_SHARE, BANNED_SHARE = 0.012, 0.004
BANNABLE = {"weibo", "tieba", "forum", "blog"}
COUNTING_STATUSES = {"live", "deleted_by_user"}


@dataclass
class Draft:
    """An item before it has ids: enough to build its post, approvals and log row."""

    account_id: str
    day: date
    hour: float
    status: str = "live"
    origin: str = "post"  # 'post' (through Herald) or 'observed' (found on the platform, PUB-1)
    release_id: str | None = None
    urgency: str | None = None
    lead: timedelta | None = None  # a planted lead time (CON-10)
    planted: set[str] = field(default_factory=set)
    is_mass_send: bool = False

    @property
    def counts(self) -> bool:
        return self.origin == "post" and self.status in COUNTING_STATUSES


@dataclass
class History:
    posts: list[dict] = field(default_factory=list)
    post_events: list[dict] = field(default_factory=list)
    approvals: list[dict] = field(default_factory=list)
    attempts: list[dict] = field(default_factory=list)
    items: list[dict] = field(default_factory=list)
    planted_posts: list[tuple[str, str, date]] = field(default_factory=list)  # (tag, post_id, day)
    planted_items: list[tuple[str, str, date]] = field(default_factory=list)  # (tag, item_id, day)


def _poisson(rng: random.Random, mean: float) -> int:
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def _day_factor(day: date) -> float:
    if holiday_name(day):
        return HOLIDAY_FACTOR
    return 1.0 if is_workday(day) else WEEKEND_FACTOR


def _hours(rng: random.Random, platform: str, count: int) -> list[float]:
    slots = SLOTS.get(platform, SLOTS["default"])
    return sorted(min(22.0, rng.choice(slots) + rng.randint(0, 29) / 60) for _ in range(count))


def _status(rng: random.Random, platform: str) -> str:
    roll = rng.random()
    if roll < DELETED_SHARE:
        return "deleted_by_user"
    if platform in BANNABLE and roll < DELETED_SHARE + BANNED_SHARE:
        return "banned"
    return "live"


def draft_history(accounts: list[AccountWorld], tl: Timeline, plan: Plan, seed: int) -> dict[str, list[Draft]]:
    """Drafts per account: the natural rhythm, releases, then the plan's plants and the weekly floor."""
    drafts: dict[str, list[Draft]] = defaultdict(list)
    open_accounts = [a for a in accounts if a.row["opened_on"] is not None]
    for world in open_accounts:
        rng = random.Random(f"{seed}:rhythm:{world.account_id}")
        rate = DAILY_RATE[world.platform] * (1.0 if world.row["level"] == "group" else SUBORDINATE_FACTOR)
        for day in tl.days():
            if not world.is_open_on(day):
                continue
            count = _poisson(rng, rate * _day_factor(day))
            if world.platform == "wechat":
                count = min(count, 2)  # a mass send and, now and then, one more article
            for hour in _hours(rng, world.platform, count):
                drafts[world.account_id].append(Draft(world.account_id, day, hour, status=_status(rng, world.platform)))
    _matrix_releases(open_accounts, tl, drafts, random.Random(f"{seed}:releases"))
    _plant(accounts, tl, plan, drafts)
    _weekly_floor(open_accounts, tl, plan, drafts, random.Random(f"{seed}:floor"))
    return drafts


def _matrix_releases(accounts: list[AccountWorld], tl: Timeline, drafts: dict[str, list[Draft]], rng: random.Random) -> None:
    """Every other Tuesday the group's WeChat item is released on several subordinate accounts too (PUB-7)."""
    amplifiers = [a for a in accounts if a.row["level"] == "subordinate" and a.platform in ("wechat", "weibo")]
    by_id = {a.account_id: a for a in accounts}
    monday = tl.history_from
    while monday + timedelta(days=1) <= tl.history_to:
        day = monday + timedelta(days=1)
        if is_workday(day) and (monday - tl.history_from).days // 7 % 2 == 0:
            release_id = f"rel-{day:%Y%m%d}"
            members = [by_id["acct-grp-wechat"]] + rng.sample(amplifiers, 6)
            for world in members:
                if world.is_open_on(day):
                    drafts[world.account_id].append(Draft(world.account_id, day, 19.0 + rng.randint(0, 50) / 60,
                                                          release_id=release_id))
        monday += WEEK


def _plant(accounts: list[AccountWorld], tl: Timeline, plan: Plan, drafts: dict[str, list[Draft]]) -> None:
    for missed in plan.missed_weeks:
        week_end = missed.monday + timedelta(days=6)
        drafts[missed.account_id] = [d for d in drafts[missed.account_id] if not missed.monday <= d.day <= week_end]
        if missed.only_banned_item:
            drafts[missed.account_id].append(Draft(missed.account_id, missed.monday + timedelta(days=1), 10.5,
                                                   status="banned", planted={"banned_only"}))
    for account_id, day in plan.double_mass_sends:
        drafts[account_id] = [d for d in drafts[account_id] if d.day != day]
        drafts[account_id] += [Draft(account_id, day, 8.5, planted={"CON-9"}), Draft(account_id, day, 17.75, planted={"CON-9"})]
    for breach in plan.lead_time_breaches:
        hour = 15.0 if breach.urgency == "urgent" else 10.0
        drafts[breach.account_id] = [d for d in drafts[breach.account_id] if d.day != breach.publish_day]
        drafts[breach.account_id].append(Draft(breach.account_id, breach.publish_day, hour, urgency=breach.urgency,
                                               lead=breach.lead, planted={"CON-10"}))
    for observed in plan.observed_items:
        drafts[observed.account_id].append(Draft(observed.account_id, observed.day, observed.hour, origin="observed",
                                                 planted={"PUB-1"}))
    for gap in plan.operator_gaps:
        # Make sure the unassigned person really publishes inside the gap.
        if not any(gap.first_day <= d.day <= gap.last_day and d.origin == "post" for d in drafts[gap.account_id]):
            drafts[gap.account_id].append(Draft(gap.account_id, gap.first_day, 10.0))


def _weekly_floor(accounts: list[AccountWorld], tl: Timeline, plan: Plan, drafts: dict[str, list[Draft]],
                  rng: random.Random) -> None:
    """At least one counting item in every week an account can publish in, unless the plan misses it (PUB-5).

    Partly open weeks (opening, suspension, closing) get an item too where a day allows it, so a scan
    that judged them anyway would still find nothing beyond the plan.
    """
    for world in accounts:
        missed = plan.missed_mondays(world.account_id)
        by_week: dict[date, list[Draft]] = defaultdict(list)
        for draft in drafts[world.account_id]:
            by_week[iso_week_monday(draft.day)].append(draft)
        monday = max(tl.history_from, iso_week_monday(world.row["opened_on"]))
        while monday <= tl.current_week:
            if monday not in missed and not any(d.counts for d in by_week[monday]):
                days = [monday + timedelta(days=i) for i in range(7)]
                days = [d for d in days if d <= tl.history_to and world.is_open_on(d)]
                if days:
                    working = [d for d in days if is_workday(d)] or days
                    drafts[world.account_id].append(Draft(world.account_id, rng.choice(working), 10.0 + rng.randint(0, 90) / 60))
            monday += WEEK


def _platform_refs(rng: random.Random, world: AccountWorld, day: date, seq: int) -> tuple[str, str | None, str | None]:
    """(platform item id, publish id, url) shaped like the platform's own."""
    platform, row = world.platform, world.row
    token = lambda n, alphabet=string.ascii_letters + string.digits: "".join(rng.choice(alphabet) for _ in range(n))  # noqa: E731
    if platform == "wechat":
        msg = f"22474{rng.randint(10_000, 99_999)}_{rng.randint(1, 8)}"
        return msg, f"265{rng.randint(1_000_000, 9_999_999)}", f"https://mp.weixin.qq.com/s/{token(22)}"
    if platform == "weibo":
        mid = str(5_000_000_000_000_000 + rng.randint(0, 999_999_999_999_999))
        return mid, None, f"https://weibo.com/{row['platform_account_id']}/{token(9)}"
    if platform == "website":
        article = f"{day:%Y%m%d}_{seq % 100000:05d}"
        return article, None, f"{row['link']}xwzx/{day:%Y%m}/t{article}.html"
    if platform == "qq":
        return f"{row['platform_account_id']}-{rng.randint(100_000, 999_999)}", None, None
    if platform == "blog":
        blog_id = f"{rng.randint(0, 16**12):012x}"
        return blog_id, None, f"https://blog.sina.com.cn/s/blog_{blog_id}.html"
    if platform == "tieba":
        thread = str(rng.randint(9_000_000_000, 9_999_999_999))
        return thread, None, f"https://tieba.baidu.com/p/{thread}"
    if platform == "forum":
        tid = str(rng.randint(100_000, 999_999))
        return tid, None, f"https://bbs.huaxia-energy.example/thread-{tid}-1-1.html"
    if platform == "mobile_newspaper":
        issue = f"{day:%Y}{seq % 1000:03d}"
        return issue, None, f"https://m.huaxia-energy.example/sjb/{day:%Y}/{issue}.html"
    if platform == "app":
        article = str(rng.randint(1_000_000, 9_999_999))
        return article, None, f"https://app.huaxia-energy.example/share/{article}"
    vid = token(11, string.ascii_lowercase + string.digits)
    return vid, None, f"https://v.qq.com/x/page/{vid}.html"


def _requested_at(rng: random.Random, draft: Draft, publish_at: datetime) -> datetime:
    if draft.lead is not None:
        return publish_at - draft.lead
    if draft.urgency == "urgent":
        # Two working days ahead: compliant however "one working day ahead" is read.
        day = previous_workday(previous_workday(draft.day))
        return at(day, 9.0 + rng.random() * 2.5)
    day = workday_on_or_before(draft.day - timedelta(days=rng.randint(8, 16)))
    return at(day, 9.0 + rng.random() * 8.5)


def _decision_times(rng: random.Random, requested: datetime, publish_at: datetime, steps: int) -> list[datetime]:
    """One approval a working day after the request, as approvers work; squeezed evenly if that would be too late."""
    times, day = [], local_day(requested)
    current = requested + timedelta(hours=1 + rng.random() * 2)
    for _ in range(steps):
        times.append(current)
        day = next_workday(day)
        current = max(current + timedelta(minutes=30), at(day, 9.0 + rng.random() * 8))
    latest = publish_at - timedelta(minutes=30)
    if times[-1] > latest:
        span = (latest - requested) / (steps + 1)
        times = [requested + span * (k + 1) for k in range(steps)]
    return times


def materialise(drafts: dict[str, list[Draft]], accounts: list[AccountWorld], org: Org, tl: Timeline,
                seed: int) -> History:
    history = History()
    rng = random.Random(f"{seed}:materialise")
    ordered = sorted((d for account_drafts in drafts.values() for d in account_drafts),
                     key=lambda d: (d.account_id, d.day, d.hour, d.origin))
    by_id = {a.account_id: a for a in accounts}
    _assign_mass_sends(ordered, by_id)
    end_of_history = at(tl.history_to, 23.99)
    for seq, draft in enumerate(ordered, start=1):
        world = by_id[draft.account_id]
        item_id = f"pi-{seq:06d}"
        publish_at = at(draft.day, draft.hour)
        platform_item_id, publish_id, url = _platform_refs(rng, world, draft.day, seq)
        checked = min(publish_at + timedelta(hours=rng.randint(2, 120)), end_of_history)
        if draft.origin == "observed":
            history.items.append({
                "item_id": item_id, "post_id": None, "account_id": world.account_id, "platform": world.platform,
                "origin": "platform_observed", "platform_item_id": platform_item_id, "platform_publish_id": None,
                "url": url, "operator_id": None, "is_mass_send": False, "published_at": publish_at,
                "confirmed_at": None, "platform_status": "live", "status_checked_at": max(checked, publish_at),
            })
            history.planted_items.append(("PUB-1", item_id, draft.day))
            continue
        post_id = f"post-{seq:06d}"
        _materialise_post(history, rng, seed, draft, world, org, post_id, item_id, publish_at, platform_item_id, publish_id,
                          url, checked)
        if "CON-10" in draft.planted:
            history.planted_posts.append(("CON-10", post_id, draft.day))
    return history


def _assign_mass_sends(ordered: list[Draft], by_id: dict[str, AccountWorld]) -> None:
    """One WeChat mass send per account and day (the first item); both items of a planted CON-9 day."""
    seen: set[tuple[str, date]] = set()
    for draft in ordered:
        if by_id[draft.account_id].platform != "wechat" or draft.origin != "post":
            continue
        key = (draft.account_id, draft.day)
        draft.is_mass_send = key not in seen or "CON-9" in draft.planted
        seen.add(key)


def _materialise_post(history: History, rng: random.Random, seed: int, draft: Draft, world: AccountWorld, org: Org, post_id: str,
                      item_id: str, publish_at: datetime, platform_item_id: str, publish_id: str | None, url: str | None,
                      checked: datetime) -> None:
    policy = load_policy(world.row["policy_id"])
    categories = tuple(c for c in policy.content.categories if c != "health_topics")
    company = org.unit(org.company_of(world.row["host_unit_id"]))["name"]
    unit = org.unit(world.row["host_unit_id"])["name"]
    if draft.release_id:
        company = org.unit("u-group")["name"]
    text = make_text(random.Random(f"{seed}:{draft.release_id}") if draft.release_id else rng, platform=world.platform,
                     categories=categories, company=company, unit=unit, day=draft.day,
                     holiday=holiday_name(draft.day), index=int(post_id[5:]))
    urgency = draft.urgency or ("urgent" if is_workday(draft.day) and draft.hour >= 9 and rng.random() < URGENT_SHARE
                                else "regular")
    draft.urgency = urgency
    requested = _requested_at(rng, draft, publish_at)
    kind = "mass_send" if draft.is_mass_send else ("text" if world.platform in ("weibo", "qq") else "article")
    # The same hash the queue computes, so demo approvals bind to content exactly as live ones do.
    digest = content_hash(PostRequest(account_id=world.account_id, author_id=world.author_id, body=text.body,
                                      publish_at=publish_at, category=text.category, source=text.source,
                                      title=text.title, media=tuple(text.media), urgency=urgency, kind=kind))
    channel = policy.channels[world.platform]
    operator = world.operator_on(draft.day)

    decided = _decision_times(rng, requested, publish_at, len(world.chain))
    for step_no, (role, when) in enumerate(zip(world.chain, decided, strict=True), start=1):
        history.approvals.append({
            "step_id": f"as-{post_id[5:]}-{step_no}", "post_id": post_id, "chain": world.chain_name,
            "step_no": step_no, "role": role, "approver_id": world.approvers[role], "decision": "approved",
            "reason": None, "via": "import", "content_hash": digest, "decided_at": when,
        })

    published_at = publish_at
    if channel != "manual":
        published_at = _attempts(history, rng, draft, post_id, publish_at, platform_item_id, publish_id)
        origin, confirmed = "dispatch", published_at + timedelta(seconds=rng.randint(1, 5))
    else:
        # The operator publishes by hand shortly after the release time and confirms in Herald.
        published_at = publish_at + timedelta(minutes=rng.randint(2, 25))
        origin, confirmed = "manual_confirmation", published_at + timedelta(minutes=rng.randint(5, 50))

    history.posts.append({
        "post_id": post_id, "release_id": draft.release_id, "account_id": world.account_id, "author_id": world.author_id,
        "kind": kind, "title": text.title, "body": text.body, "category": text.category, "source": text.source,
        "media": json.dumps(text.media, ensure_ascii=False), "publish_at": publish_at, "urgency": urgency,
        "content_hash": digest, "state": "published", "state_reason": None, "requested_at": requested,
        "updated_at": confirmed,
    })
    for n, (state, when, actor, reason) in enumerate([
        ("awaiting_approval", requested, world.author_id, "提交发布申请"),
        ("approved", decided[-1], world.approvers[world.chain[-1]], "审批链全部通过"),
        ("published", confirmed, operator if origin == "manual_confirmation" else "herald:dispatch",
         "人工发布并确认" if origin == "manual_confirmation" else "平台接口发布成功"),
    ], start=1):
        history.post_events.append({"event_id": f"pe-{post_id[5:]}-{n}", "post_id": post_id, "state": state,
                                    "reason": reason, "actor_id": actor, "occurred_at": when})
    history.items.append({
        "item_id": item_id, "post_id": post_id, "account_id": world.account_id, "platform": world.platform,
        "origin": origin, "platform_item_id": platform_item_id, "platform_publish_id": publish_id, "url": url,
        "operator_id": operator, "is_mass_send": draft.is_mass_send, "published_at": published_at,
        "confirmed_at": confirmed, "platform_status": draft.status, "status_checked_at": max(checked, confirmed),
    })


def _attempts(history: History, rng: random.Random, draft: Draft, post_id: str, publish_at: datetime,
              platform_item_id: str, publish_id: str | None) -> datetime:
    """Platform calls for a dispatched post; returns when the item went live."""
    attempts: list[tuple[str, str, str | None, str | None, datetime, datetime]] = []
    if draft.is_mass_send:
        preview_at = publish_at - timedelta(minutes=rng.randint(20, 50))
        attempts.append(("preview", "ok", None, None, preview_at, preview_at + timedelta(seconds=2)))
    operation = "mass_send" if draft.is_mass_send else "publish"
    started = publish_at
    if rng.random() < 0.03:
        attempts.append((operation, "retry", "45009" if draft.is_mass_send else "10023", "接口调用频率超限，稍后重试",
                         started, started + timedelta(seconds=3)))
        started += timedelta(minutes=2)
    finished = started + timedelta(seconds=rng.randint(2, 20))
    attempts.append((operation, "ok", None, None, started, finished))
    for n, (op, outcome, code, message, start, end) in enumerate(attempts, start=1):
        response = {"item_id": platform_item_id, "publish_id": publish_id} if outcome == "ok" and op != "preview" else None
        history.attempts.append({
            "attempt_id": f"da-{post_id[5:]}-{n}", "post_id": post_id, "attempt_no": n, "operation": op,
            "outcome": outcome, "error_code": code, "error_message": message,
            "response": json.dumps(response, ensure_ascii=False) if response else None,
            "started_at": start, "finished_at": end,
        })
    return finished
