"""The deliberate violations planted in the demo world, and the ground truth they produce.

Every rule the scans check gets two or three planted cases; everything else in the world complies,
so a scan is right exactly when it reports these and nothing more. Planted cases sit on accounts of
the regime that defines the rule everywhere (mostly 000; CON-9 on the 002 subsidiary, whose rules
introduce it; CON-10 on the 001 department, whose rules introduce it), so a scan that applies the
rule only where the source policy says it applies finds the same set.

The plan is built from the timeline alone (dates relative to ``as_of``); the generators read it,
and the ground-truth rows are written once the ids of the planted posts, items and events exist.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from herald.timeutil import iso_week_label, iso_week_monday, local_day
from herald_dev.world.timeline import WEEK, Timeline
from herald_dev.world.workdays import first_holiday_day, workday_on_or_after


@dataclass(frozen=True)
class MissedWeek:
    account_id: str
    monday: date
    why: str  # Chinese: how the week came to be missed
    only_banned_item: bool = False  # the week's one item was banned by the platform
    observed_item: bool = False  # an item published outside Herald sits in the week (it does not count)


@dataclass(frozen=True)
class OperatorGap:
    """Days on which someone without an operator assignment publishes on an account (ACC-5)."""

    account_id: str
    first_day: date
    last_day: date
    actor: str  # 'successor': the next operator before the handover; 'previous': the last one after it;
    #             'colleague': a colleague of the host unit standing in
    why: str


@dataclass(frozen=True)
class LeadTimeBreach:
    account_id: str
    publish_day: date
    urgency: str
    lead: timedelta  # publish_at - requested_at
    why: str


@dataclass(frozen=True)
class LateFiling:
    account_id: str
    change: str  # account_name | management_team | maintenance_method
    changed_on: date
    working_days_late: int  # filed this many working days after the change (> 5)
    why: str


@dataclass(frozen=True)
class ObservedItem:
    account_id: str
    day: date
    hour: float
    why: str


@dataclass
class Plan:
    missed_weeks: list[MissedWeek] = field(default_factory=list)
    double_mass_sends: list[tuple[str, date]] = field(default_factory=list)
    lead_time_breaches: list[LeadTimeBreach] = field(default_factory=list)
    observed_items: list[ObservedItem] = field(default_factory=list)
    missing_creation: dict[str, str] = field(default_factory=dict)  # account -> none | stops_after_gm_office | finance_rejected
    incomplete_registration: dict[str, str] = field(default_factory=dict)  # account -> missing field
    late_filings: list[LateFiling] = field(default_factory=list)
    operator_gaps: list[OperatorGap] = field(default_factory=list)
    opening_of: dict[str, date] = field(default_factory=dict)  # accounts that open inside the history

    def missed_mondays(self, account_id: str) -> set[date]:
        return {m.monday for m in self.missed_weeks if m.account_id == account_id}


def _monday(day: date) -> date:
    return iso_week_monday(day)


def build_plan(tl: Timeline) -> Plan:
    y0 = tl.last_full_year
    plan = Plan()

    # An account opened on a Wednesday: its first judged week is the next one, which it misses.
    pv_weibo_opened = _monday(tl.recent(3, 11, margin_days=42)) + timedelta(days=2)
    plan.opening_of["acct-s1-pv-weibo"] = pv_weibo_opened

    spring = _monday(first_holiday_day(y0, "Spring Festival", date(y0, 2, 1)))
    national = _monday(first_holiday_day(y0, "National Day", date(y0, 10, 1)))
    qingming = _monday(first_holiday_day(y0, "Tomb-sweeping Day", date(y0, 4, 4)))
    dragon_boat = _monday(first_holiday_day(y0, "Dragon Boat Festival", date(y0, 6, 1)))
    new_year = _monday(date(tl.as_of.year, 1, 1))
    if not tl.is_complete_week(new_year):  # as_of in the first days of January: use the week the history opens with
        new_year = _monday(date(y0, 1, 1))
    plan.missed_weeks += [
        MissedWeek("acct-grp-blog", spring, "春节假期所在周未更新"),
        MissedWeek("acct-grp-blog", spring + WEEK, "春节假期后一周仍未更新（连续两周断更）"),
        MissedWeek("acct-s2-forum", national, "国庆假期所在周未发布；该周唯一一帖系绕过Herald直接发帖，不计入", observed_item=True),
        MissedWeek("acct-s1-tieba", _monday(date(y0, 5, 19)), "该周唯一一条帖子被平台屏蔽，不计入更新", only_banned_item=True),
        MissedWeek("acct-s1-pv-weibo", _monday(pv_weibo_opened) + WEEK, "开通后第一个完整周未发布"),
        MissedWeek("acct-s4-blog", new_year, "跨年周（元旦所在ISO周）未更新"),
        MissedWeek("acct-g-ess-wechat", qingming, "清明假期所在周未更新"),
        MissedWeek("acct-g-ess-wechat", dragon_boat, "端午假期所在周未更新"),
        MissedWeek("acct-g-ess-wechat", _monday(date(y0, 8, 18)), "暑期运营人员休假，该周未更新"),
    ]

    plan.double_mass_sends += [
        ("acct-s3-wechat", workday_on_or_after(date(y0, 3, 12))),
        ("acct-s3-wechat", workday_on_or_after(tl.recent(9, 16))),
        ("acct-s3-cs-wechat", workday_on_or_after(date(y0, 11, 6))),
    ]

    plan.lead_time_breaches += [
        LeadTimeBreach("acct-g-nev-wechat", workday_on_or_after(date(y0, 6, 10)), "regular", timedelta(days=4, hours=2),
                       "常规信息仅提前4天提出发布申请（应提前一周）"),
        LeadTimeBreach("acct-g-nev-weibo", workday_on_or_after(date(y0, 9, 17)), "urgent", timedelta(hours=5),
                       "重要紧急信息当天提出、当天发布（应提前一个工作日）"),
        LeadTimeBreach("acct-g-nev-weibo", workday_on_or_after(tl.recent(4, 22)), "regular", timedelta(days=6, hours=5),
                       "常规信息仅提前6天提出发布申请（应提前一周）"),
    ]

    plan.observed_items += [
        ObservedItem("acct-grp-weibo", date(y0, 7, 19), 21.7, "有人绕过Herald直接在微博客户端发布"),
        ObservedItem("acct-s2-forum", national + timedelta(days=4), 21.2, "论坛版主绕过Herald直接发帖"),
        ObservedItem("acct-grp-website", workday_on_or_after(tl.recent(2, 26)), 16.3, "网站后台直接发布页面，未经Herald审批"),
    ]

    plan.missing_creation.update({
        "acct-s2-video": "none",
        "acct-g-ies-qq": "stops_after_gm_office",
        "acct-s4-app": "finance_rejected",
    })
    plan.incomplete_registration.update({
        "acct-s1-blog": "purpose",
        "acct-g-hr-wechat": "administrators",
        "acct-s4-website": "competent_opinion_on",
    })

    plan.late_filings += [
        LateFiling("acct-grp-weibo", "account_name", workday_on_or_after(date(y0, 4, 8)), 12, "账号更名12个工作日后才书面备案"),
        LateFiling("acct-s1-wechat", "maintenance_method", workday_on_or_after(date(y0, 9, 3)), 9,
                   "改为第三方代运营9个工作日后才备案"),
        LateFiling("acct-s2-website", "management_team", workday_on_or_after(tl.recent(5, 12)), 15,
                   "管理团队调整15个工作日后才备案"),
    ]

    successor_start = _monday(tl.recent(6, 8))
    previous_start = _monday(date(y0, 12, 8))
    colleague_day = workday_on_or_after(date(y0, 10, 22))
    plan.operator_gaps += [
        OperatorGap("acct-s1-weibo", successor_start,
                    workday_on_or_after(successor_start + 2 * WEEK) - timedelta(days=1), "successor",
                    "新运营人员在交接备案前已开始发布"),
        OperatorGap("acct-grp-tieba", colleague_day, colleague_day, "colleague", "运营人员休假，同事未经指定代为发帖"),
        OperatorGap("acct-s2-wechat", previous_start,
                    workday_on_or_after(previous_start + WEEK) - timedelta(days=1), "previous",
                    "原运营人员岗位已调整，交接前仍继续发布"),
    ]
    return plan


def week_label(day: date) -> str:
    return iso_week_label(day)


CREATION_GAPS = {
    "none": "账号已启用，但没有任何开通审批记录（未经申请自行开通）",
    "stops_after_gm_office": "开通审批只走到总经办，缺少财务中心审批和归档",
    "finance_rejected": "财务中心驳回了开通申请，账号仍在使用",
}
REGISTRATION_GAPS = {
    "purpose": "备案登记表缺少“宗旨”",
    "administrators": "备案登记表未登记任何管理员",
    "competent_opinion_on": "备案登记表缺少主管部门意见（签字及日期）",
}


def ground_truth_rows(plan: Plan, accounts, history, names: dict[str, str], person_names: dict[str, str]) -> list[dict]:
    """The rows of ``world_ground_truth``: one per planted violation, keyed as the scans key their findings."""
    rows: list[dict] = []

    def add(rule_id: str, subject_id: str, period: str, description: str) -> None:
        rows.append({"rule_id": rule_id, "subject_id": subject_id, "period": period, "description": description})

    for missed in plan.missed_weeks:
        add("PUB-5", missed.account_id, week_label(missed.monday),
            f"{names[missed.account_id]}在{week_label(missed.monday)}（{missed.monday}起）没有计入的更新：{missed.why}")
    for account_id, day in plan.double_mass_sends:
        add("CON-9", account_id, day.isoformat(), f"{names[account_id]}于{day}群发两次（每天只能群发一次）")
    breaches = {(b.account_id, b.publish_day): b for b in plan.lead_time_breaches}
    post_accounts = {p["post_id"]: p["account_id"] for p in history.posts}
    for tag, post_id, day in history.planted_posts:
        breach = breaches[(post_accounts[post_id], day)]
        add(tag, post_id, day.isoformat(), f"{names[breach.account_id]}：{breach.why}（发布日{day}）")
    observed = {(o.account_id, o.day): o for o in plan.observed_items}
    item_accounts = {i["item_id"]: i["account_id"] for i in history.items}
    for tag, item_id, day in history.planted_items:
        why = observed[(item_accounts[item_id], day)].why
        add(tag, item_id, day.isoformat(), f"{names[item_accounts[item_id]]}于{day}出现未经Herald审批发布的信息：{why}")
    for account_id, gap in plan.missing_creation.items():
        add("ACC-1", account_id, "standing", f"{names[account_id]}：{CREATION_GAPS[gap]}")
    for account_id, missing in plan.incomplete_registration.items():
        add("ACC-3", account_id, "standing", f"{names[account_id]}：{REGISTRATION_GAPS[missing]}")
    for late in plan.late_filings:
        event_id = accounts.late_filing_events[(late.account_id, late.change)]
        add("ACC-4", event_id, late.changed_on.isoformat(), f"{names[late.account_id]}：{late.why}")
    gaps = {g.account_id: g for g in plan.operator_gaps}
    seen: set[tuple[str, str]] = set()
    for item in history.items:
        gap = gaps.get(item["account_id"])
        if gap is None or item["origin"] == "platform_observed":
            continue
        day = local_day(item["published_at"])
        if gap.first_day <= day <= gap.last_day:
            subject = f"{item['account_id']}/{item['operator_id']}"
            week = week_label(day)
            if (subject, week) not in seen:
                seen.add((subject, week))
                add("ACC-5", subject, week, f"{person_names[item['operator_id']]}在{week}于{names[item['account_id']]}"
                    f"发布信息，但当时不是该账号指定的运营人员（{gap.why}）")
    return rows
