"""The accounts of the demo world, their registration records (ACC-3), creation approvals (ACC-2),
operators and handovers (ACC-5), filed changes (ACC-4) and state changes.

``SPECS`` fixes the matrix: ten group-level platforms, and subordinate accounts of the group's
departments and of the four subsidiaries, each pointing at its upper-level platform (ORG-3).
"""

from __future__ import annotations

import json
import random
import string
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from urllib.parse import quote

from herald.policy import load_policy
from herald.timeutil import SHANGHAI, UTC
from herald_dev.world.org import GROUP, Org
from herald_dev.world.timeline import Timeline
from herald_dev.world.violations import Plan
from herald_dev.world.workdays import add_workdays, workday_on_or_after, workday_on_or_before

# account_id, platform, name, host unit, parent account (None: group level), opened on (None: see plan/state)
SPECS: list[tuple[str, str, str, str, str | None, date | None]] = [
    ("acct-grp-wechat", "wechat", "华夏能源集团", "u-g-pub", None, date(2015, 3, 18)),
    ("acct-grp-weibo", "weibo", "华夏能源集团官方微博", "u-g-pub", None, date(2013, 6, 5)),
    ("acct-grp-website", "website", "华夏能源集团官方网站", "u-g-office", None, date(2009, 9, 1)),
    ("acct-grp-qq", "qq", "华夏能源集团新媒体工作群", "u-g-admin", None, date(2016, 2, 22)),
    ("acct-grp-blog", "blog", "华夏能源集团博客", "u-g-pub", None, date(2011, 5, 10)),
    ("acct-grp-tieba", "tieba", "华夏能源吧", "u-g-pub", None, date(2014, 8, 12)),
    ("acct-grp-forum", "forum", "华夏能源员工论坛", "u-g-admin", None, date(2012, 11, 1)),
    ("acct-grp-mnews", "mobile_newspaper", "华夏能源手机报", "u-g-pub", None, date(2017, 1, 9)),
    ("acct-grp-app", "app", "掌上华夏", "u-g-office", None, date(2019, 4, 15)),
    ("acct-grp-video", "network_video", "华夏能源视频号", "u-g-pub", None, date(2020, 7, 1)),
    ("acct-g-nev-wechat", "wechat", "华夏新能源事业部", "u-g-nev", "acct-grp-wechat", date(2018, 3, 5)),
    ("acct-g-nev-weibo", "weibo", "华夏能源新能源事业部", "u-g-nev", "acct-grp-weibo", date(2018, 3, 5)),
    ("acct-g-ess-wechat", "wechat", "华夏储能", "u-g-ess", "acct-grp-wechat", date(2021, 6, 16)),
    ("acct-g-ies-wechat", "wechat", "华夏综合能源服务", "u-g-ies", "acct-grp-wechat", date(2020, 10, 12)),
    ("acct-g-ies-qq", "qq", "综合能源服务客户群", "u-g-ies", "acct-grp-qq", date(2022, 3, 1)),
    ("acct-g-hr-wechat", "wechat", "华夏能源招聘", "u-g-hr", "acct-grp-wechat", date(2019, 9, 2)),
    ("acct-s1-wechat", "wechat", "华夏新能源科技", "u-s1-office", "acct-grp-wechat", date(2016, 5, 20)),
    ("acct-s1-weibo", "weibo", "华夏新能源科技官方微博", "u-s1-office", "acct-grp-weibo", date(2016, 5, 20)),
    ("acct-s1-website", "website", "华夏新能源科技官网", "u-s1-office", "acct-grp-website", date(2012, 3, 1)),
    ("acct-s1-qq", "qq", "华夏新能源客服群", "u-s1-market", "acct-grp-qq", date(2017, 8, 8)),
    ("acct-s1-tieba", "tieba", "华夏新能源吧", "u-s1-market", "acct-grp-tieba", date(2018, 1, 15)),
    ("acct-s1-blog", "blog", "华夏新能源技术博客", "u-s1-pv", "acct-grp-blog", date(2015, 10, 10)),
    ("acct-s1-pv-wechat", "wechat", "华夏光伏运维", "u-s1-pv", "acct-s1-wechat", date(2019, 11, 11)),
    ("acct-s1-pv-weibo", "weibo", "华夏光伏运维微博", "u-s1-pv", "acct-s1-weibo", None),
    ("acct-s2-wechat", "wechat", "华夏电力工程", "u-s2-office", "acct-grp-wechat", date(2017, 2, 13)),
    ("acct-s2-weibo", "weibo", "华夏电力工程官方微博", "u-s2-office", "acct-grp-weibo", date(2017, 2, 13)),
    ("acct-s2-website", "website", "华夏电力工程官网", "u-s2-office", "acct-grp-website", date(2010, 6, 1)),
    ("acct-s2-forum", "forum", "华夏电力工程技术论坛", "u-s2-pm", "acct-grp-forum", date(2013, 4, 1)),
    ("acct-s2-video", "network_video", "华夏电力工程视频", "u-s2-pm", "acct-grp-video", date(2021, 9, 1)),
    ("acct-s2-blog", "blog", "华夏电力工程博客", "u-s2-office", "acct-grp-blog", date(2014, 4, 4)),
    ("acct-s2-pm-wechat", "wechat", "华夏电力工程项目部", "u-s2-pm", "acct-s2-wechat", date(2020, 5, 6)),
    ("acct-s3-wechat", "wechat", "华夏能源销售", "u-s3-market", "acct-grp-wechat", date(2016, 9, 9)),
    ("acct-s3-weibo", "weibo", "华夏能源销售官方微博", "u-s3-market", "acct-grp-weibo", date(2016, 9, 9)),
    ("acct-s3-website", "website", "华夏能源销售官网", "u-s3-office", "acct-grp-website", date(2013, 1, 7)),
    ("acct-s3-qq", "qq", "华夏能源销售客户服务群", "u-s3-cs", "acct-grp-qq", date(2018, 6, 18)),
    ("acct-s3-cs-wechat", "wechat", "华夏能源客服", "u-s3-cs", "acct-s3-wechat", None),
    ("acct-s3-video", "network_video", "华夏能源销售短视频", "u-s3-market", "acct-grp-video", None),
    ("acct-s4-wechat", "wechat", "华夏智慧能源研究院", "u-s4-office", "acct-grp-wechat", date(2018, 12, 3)),
    ("acct-s4-website", "website", "华夏智慧能源研究院官网", "u-s4-office", "acct-grp-website", date(2017, 10, 16)),
    ("acct-s4-blog", "blog", "华夏智慧能源研究院博客", "u-s4-lab", "acct-grp-blog", date(2016, 12, 12)),
    ("acct-s4-app", "app", "智慧能源云", "u-s4-lab", "acct-grp-app", date(2023, 5, 22)),
    ("acct-s4-video", "network_video", "华夏智慧能源研究院视频", "u-s4-lab", "acct-grp-video", None),
]
# The accounts of the demo's matrix release (PUB-7, herald_dev.world.live): one per way of publishing, plus a
# subordinate account. The first account's info officer drafts the release, so holds the drafting role (PUB-2)
# on each of them.
MATRIX_ACCOUNTS = ("acct-grp-wechat", "acct-grp-weibo", "acct-grp-website", "acct-grp-qq", "acct-s1-weibo")
APPLIED_ACCOUNT = "acct-s3-video"  # creation chain still running: not opened, no posts

PURPOSES = {
    "wechat": "发布{company}新闻动态和业务资讯，宣传企业文化，服务客户与社会公众",
    "weibo": "及时发布{company}动态，传播企业形象，与网民互动交流",
    "website": "{company}对外信息发布与形象展示的官方门户",
    "qq": "{company}与客户及合作伙伴沟通联络、发布服务通知",
    "blog": "分享{company}技术成果与经营管理经验",
    "tieba": "{company}官方贴吧，发布公司资讯、解答网友咨询",
    "forum": "{company}员工与技术人员交流学习的网络社区",
    "mobile_newspaper": "每周向员工推送{company}要闻与通知",
    "app": "{company}移动办公与资讯服务平台",
    "network_video": "发布{company}宣传片、项目纪实与科普短视频",
}
CONTENT_SCOPE = "公司政策与业务宣传、行业资讯与项目案例、研发产品、企业文化与公益活动、经营管理经验"
VERIFIED_PLATFORMS = {"wechat", "weibo", "website", "app", "network_video"}
WEBSITE_DOMAINS = {"u-group": "www.huaxia-energy.example", "u-s1": "www.hx-newenergy.example",
                   "u-s2": "www.hx-power.example", "u-s3": "www.hx-sales.example", "u-s4": "www.hx-smartenergy.example"}
ICP_PREFIX = {"u-group": "京", "u-s1": "浙", "u-s2": "鄂", "u-s3": "蜀", "u-s4": "苏"}

# Operators handed over inside the history, all filed in time (account -> month, day of the handover).
HANDOVERS = {
    "acct-grp-wechat": (7, 14), "acct-s3-wechat": (4, 21), "acct-g-nev-weibo": (11, 3),
    "acct-grp-forum": (2, 17), "acct-s4-wechat": (5, 6), "acct-s2-pm-wechat": (8, 4),
}
# Changes filed in time: account -> (change, month, day, working days until filed, detail)
TIMELY_CHANGES = [
    ("acct-g-ess-wechat", "account_name", 3, 10, 2, {"from": "华夏储能科技", "to": "华夏储能"}),
    ("acct-s4-wechat", "maintenance_method", 6, 16, 1, {"from": "自主运营", "to": "自主运营+外包排版"}),
    ("acct-s3-weibo", "account_name", 7, 1, 3, {"from": "华夏能源销售", "to": "华夏能源销售官方微博"}),
]
SUSPENSIONS = {
    # account -> (from month/day, to month/day or None while still suspended, reason); resolved against the timeline
    "acct-s1-qq": ((8, 6), (8, 26), "客服群成员信息核查，暂停发布"),
    "acct-s3-qq": ((10, 15), None, "客服业务并入客户服务中心，账号暂停使用待定"),
}
DEREGISTERED = {"acct-s2-blog": ((3, 2), "博客平台停止企业服务，账号注销")}


@dataclass
class Tenure:
    person_id: str
    valid_from: date
    valid_to: date | None


@dataclass
class AccountWorld:
    """Everything the history generator needs to know about one account."""

    row: dict
    chain_name: str
    chain: tuple[str, ...]
    approvers: dict[str, str]
    author_id: str
    tenures: list[Tenure]
    suspensions: list[tuple[datetime, datetime | None]] = field(default_factory=list)
    gap_actors: list[tuple[date, date, str]] = field(default_factory=list)  # (first, last, person): ACC-5 plants

    @property
    def account_id(self) -> str:
        return self.row["account_id"]

    @property
    def platform(self) -> str:
        return self.row["platform"]

    def operator_on(self, day: date) -> str:
        for first, last, person in self.gap_actors:
            if first <= day <= last:
                return person
        for tenure in self.tenures:
            if tenure.valid_from <= day and (tenure.valid_to is None or day <= tenure.valid_to):
                return tenure.person_id
        raise LookupError(f"{self.account_id}: nobody operates the account on {day}")

    def is_open_on(self, day: date) -> bool:
        """The account may publish that whole day: opened, not closed, not suspended at any moment of it."""
        opened, closed = self.row["opened_on"], self.row["closed_on"]
        if opened is None or day < opened or (closed is not None and day >= closed):
            return False
        for start, end in self.suspensions:
            if start.astimezone(SHANGHAI).date() <= day and (end is None or day <= end.astimezone(SHANGHAI).date()):
                return False
        return True


@dataclass
class AccountsResult:
    accounts: list[AccountWorld]
    admins: list[dict]
    roles: list[dict]
    events: list[dict]
    late_filing_events: dict[tuple[str, str], str]  # (account, change) -> event_id of a planted late filing


def at(day: date, hour: float) -> datetime:
    """Shanghai wall time on ``day`` as an aware UTC datetime."""
    minutes = round(hour * 60)
    return datetime.combine(day, time(minutes // 60, minutes % 60), tzinfo=SHANGHAI).astimezone(UTC)


def _company(org: Org, unit_id: str) -> str:
    return org.company_of(unit_id)


def _registration_ids(rng: random.Random, platform: str, name: str, company: str) -> tuple[str, str]:
    digits = lambda n: "".join(rng.choice(string.digits) for _ in range(n))  # noqa: E731
    if platform == "wechat":
        biz = "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(14))
        return "gh_" + "".join(rng.choice("0123456789abcdef") for _ in range(12)), \
            f"https://mp.weixin.qq.com/mp/profile_ext?action=home&__biz=Mz{biz}=="
    if platform == "weibo":
        uid = "7" + digits(9)
        return uid, f"https://weibo.com/u/{uid}"
    if platform == "website":
        return f"{ICP_PREFIX[company]}ICP备{digits(8)}号", f"https://{WEBSITE_DOMAINS[company]}/"
    if platform == "qq":
        number = str(rng.randint(100_000_000, 999_999_999))
        return number, "https://qm.qq.com/q/" + "".join(rng.choice(string.ascii_letters) for _ in range(10))
    if platform == "blog":
        uid = "5" + digits(9)
        return f"blog_{uid}", f"https://blog.sina.com.cn/u/{uid}"
    if platform == "tieba":
        kw = name.removesuffix("吧")
        return kw, f"https://tieba.baidu.com/f?kw={quote(kw)}"
    if platform == "forum":
        fid = rng.randint(10, 99)
        return f"fid-{fid}", f"https://bbs.huaxia-energy.example/forum-{fid}-1.html"
    if platform == "mobile_newspaper":
        return "10658" + digits(4), "https://m.huaxia-energy.example/sjb/"
    if platform == "app":
        slug = "zhangshang" if company == GROUP else "smartcloud"
        return f"cn.example.huaxia.{slug}", f"https://app.huaxia-energy.example/{slug}/download"
    if platform == "network_video":
        return "sph" + "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(10)), \
            f"https://v.qq.com/s/videoplus/{digits(9)}"
    raise ValueError(platform)


def _verification(platform: str) -> tuple[bool, str]:
    if platform in VERIFIED_PLATFORMS:
        if platform == "website":
            return True, "ICP备案证明、网站主办单位营业执照副本（加盖公章）"
        return True, "企业营业执照副本、平台认证申请公函（加盖公章）、运营者授权书"
    return False, "平台不提供企业认证：附主办单位开通申请表及归口部门审批单"


def build_accounts(org: Org, tl: Timeline, plan: Plan, rng: random.Random) -> AccountsResult:
    result = AccountsResult([], [], [], [], {})
    group_vp_publicity, group_vp_business = org.leaders[GROUP][2], org.leaders[GROUP][3]
    specs_by_id = {spec[0]: spec for spec in SPECS}
    change_codes = tuple(load_policy("000").change_filing_changes)
    operator_pool: dict[str, int] = {}

    def next_event_id() -> str:
        return f"ae-{len(result.events) + 1:05d}"

    def add_event(**values) -> str:
        event = {"event_id": next_event_id(), "step": None, "decision": None, "actor_id": None,
                 "from_person_id": None, "to_person_id": None, "new_state": None, "filed_at": None, "detail": None}
        event.update(values)
        if isinstance(event["detail"], dict):
            event["detail"] = json.dumps(event["detail"], ensure_ascii=False, sort_keys=True)
        result.events.append(event)
        return event["event_id"]

    def add_role(role: str, person: str, unit_id: str | None, account_id: str | None, valid_from: date,
                 valid_to: date | None = None) -> None:
        result.roles.append({"assignment_id": f"ra-a{len(result.roles) + 1:04d}", "person_id": person, "role": role,
                             "unit_id": unit_id, "account_id": account_id, "valid_from_on": valid_from,
                             "valid_to_on": valid_to})

    def staff_of(unit_id: str, offset: int) -> str:
        staff = org.staff[unit_id]
        return staff[offset % len(staff)]

    for account_id, platform, name, host, parent, opened in SPECS:
        company = _company(org, host)
        unit_policy = org.unit(host)["policy_id"]
        # A regime that covers only WeChat and Weibo (001, 002) leaves the unit's other platforms to the
        # group measures, which member companies follow (000 §1.4).
        policy_id = unit_policy if platform in load_policy(unit_policy).platforms else "000"
        policy = load_policy(policy_id)
        level = "group" if parent is None else "subordinate"
        state = "active"
        opened = plan.opening_of.get(account_id, opened)
        if account_id == "acct-s3-cs-wechat":
            september = date(tl.last_full_year, 9, 1)  # opened on a Monday: its opening week is judged
            opened = september + timedelta(days=(7 - september.weekday()) % 7)
        if account_id == "acct-s4-video":
            opened = date(tl.last_full_year, 4, 16)
        closed = None
        if account_id == APPLIED_ACCOUNT:
            state, opened = "applied", None
        if account_id in DEREGISTERED:
            (month, day), _ = DEREGISTERED[account_id]
            first = tl.recent(month, day)
            closed = first + timedelta(days=(7 - first.weekday()) % 7)  # a Monday: the week before is the last judged
            state = "deregistered"

        if company == GROUP and level == "group":
            leader = group_vp_publicity
        elif company == GROUP:
            leader = group_vp_business
        else:
            leader = org.leaders[company][1]
        competent_unit = org.department(GROUP if policy_id != "002" else company, policy.competent_department.function_code)
        competent_head = org.heads[competent_unit]
        host_head = org.heads[host]
        is_verified, documents = _verification(platform)
        platform_account_id, link = _registration_ids(rng, platform, name, company)
        company_name = org.unit(company)["name"]
        # Creation: the application starts some weeks before opening; opinions are signed on the way.
        anchor = opened or tl.as_of - timedelta(days=20)
        application_day = workday_on_or_before(anchor - timedelta(days=rng.randint(24, 40)))
        row = {
            "account_id": account_id, "platform": platform, "name": name,
            "platform_account_id": platform_account_id, "link": link,
            "is_verified": is_verified, "verification_documents": documents,
            "purpose": PURPOSES[platform].format(company=company_name), "content_scope": CONTENT_SCOPE,
            "creating_unit_id": host, "host_unit_id": host, "supervising_leader_id": leader,
            "host_unit_opinion_by": host_head, "host_unit_opinion_on": application_day, "is_host_unit_sealed": True,
            "competent_opinion_by": competent_head,
            "competent_opinion_on": add_workdays(application_day, 3),
            "level": level, "parent_account_id": parent, "state": state, "opened_on": opened, "closed_on": closed,
            "policy_id": policy_id, "created_at": at(application_day, 9.5), "updated_at": at(application_day, 9.5),
        }
        if state == "applied":
            row["competent_opinion_by"] = row["competent_opinion_on"] = None  # not reached the competent department yet

        missing = plan.incomplete_registration.get(account_id)
        if missing == "purpose":
            row["purpose"] = None
        elif missing == "competent_opinion_on":
            row["competent_opinion_by"] = row["competent_opinion_on"] = None

        # Creation approval chain (ACC-2), with the planted gaps of ACC-1.
        actors = {
            "applying_department": host_head, "admin_center": org.heads["u-g-admin"], "office": org.heads["u-g-office"],
            "enterprise_management": org.heads[org.department(company, "enterprise_management")]
            if company != GROUP else org.heads["u-g-ent"],
            "gm_office": org.heads["u-g-gmo"], "finance_center": org.heads["u-g-fin"],
            "archived": org.staff["u-g-admin"][0], "host_unit_head": host_head, "publicity": org.heads["u-g-pub"],
        }
        gap = plan.missing_creation.get(account_id)
        steps = list(policy.creation_chain)
        if state == "applied":
            steps = steps[:2]  # still waiting for the third step
        elif gap == "none":
            steps = []
        elif gap == "stops_after_gm_office":
            steps = steps[: steps.index("gm_office") + 1]
        step_day = application_day
        for step in steps:
            decision = "approved"
            detail = None
            if gap == "finance_rejected" and step == "finance_center":
                decision, detail = "rejected", {"reason": "年度费用预算未列支，不同意开通"}
            add_event(account_id=account_id, kind="creation_step", step=step, decision=decision, actor_id=actors[step],
                      occurred_at=at(step_day, 10 + rng.random() * 6), filed_at=None, detail=detail)
            if decision == "rejected":
                break
            step_day = add_workdays(step_day, rng.randint(1, 3))
        if opened is not None:
            add_event(account_id=account_id, kind="state_change", new_state="active", actor_id=competent_head,
                      occurred_at=at(opened, 9.0), detail={"reason": "账号开通"})

        # Operators (ACC-5): one tenure, or two joined by a handover filed in time.
        pool_index = operator_pool.get(host, 0)
        operator_pool[host] = pool_index + 1
        operator = staff_of(host, pool_index)
        info_officer = staff_of(host, pool_index + 1) if policy_id != "001" else org.staff[host][0]
        tenure_start = opened if opened and opened >= tl.history_from else \
            (max(opened, date(2021 + rng.randint(0, 3), rng.randint(1, 12), 1)) if opened else None)
        tenures: list[Tenure] = []
        gap_actors: list[tuple[date, date, str]] = []
        if tenure_start is not None:
            tenures = [Tenure(operator, tenure_start, None)]
        planted_gap = next((g for g in plan.operator_gaps if g.account_id == account_id), None)
        if account_id in HANDOVERS and tenures:
            month, day = HANDOVERS[account_id]
            handover_day = workday_on_or_after(tl.recent(month, day))
            successor = staff_of(host, pool_index + 2)
            if successor == operator:
                successor = org.deputies[host]
            tenures = [Tenure(operator, tenure_start, handover_day - timedelta(days=1)), Tenure(successor, handover_day, None)]
            _handover(add_event, account_id, operator, successor, handover_day, rng.randint(0, 1), competent_head,
                      change_codes, rng)
        if planted_gap is not None and planted_gap.actor in ("successor", "previous"):
            successor = staff_of(host, pool_index + 2)
            if successor == operator:
                successor = org.deputies[host]
            starts = planted_gap.last_day + timedelta(days=1)
            tenures = [Tenure(operator, tenure_start, planted_gap.first_day - timedelta(days=1)), Tenure(successor, starts, None)]
            acting = successor if planted_gap.actor == "successor" else operator
            gap_actors.append((planted_gap.first_day, planted_gap.last_day, acting))
            # The handover is done and filed on the day the successor's assignment starts: on paper in time,
            # but someone published in the days before it without an assignment.
            _handover(add_event, account_id, operator, successor, starts, 0, competent_head, change_codes, rng)
        if planted_gap is not None and planted_gap.actor == "colleague":
            colleague = next(p for p in org.staff[host] if p not in {t.person_id for t in tenures})
            gap_actors.append((planted_gap.first_day, planted_gap.last_day, colleague))

        for tenure in tenures:
            add_role("operator", tenure.person_id, host, account_id, tenure.valid_from, tenure.valid_to)
        role_from = tenure_start or application_day
        add_role("supervising_leader", leader, host, account_id, min(role_from, date(2020, 1, 1)))
        add_role("info_officer", info_officer, host, account_id, min(role_from, date(2020, 1, 1)))
        approvers = {
            "supervising_leader": leader,
            "department_head": org.heads[host], "unit_head": org.heads[host],
            "office_proofreader": org.staff["u-g-office"][0], "confidentiality_head": org.leaders[GROUP][4],
            "main_leader": org.leaders[GROUP][1],
        }
        if company != GROUP:
            approvers["enterprise_office"] = org.staff[org.department(company, "enterprise_management")][0]
            approvers["enterprise_department_head"] = org.heads[org.department(company, "enterprise_management")]
        if parent is not None:
            parent_host = specs_by_id[parent][3]
            approvers["upper_platform_manager"] = org.deputies[parent_host]
            add_role("upper_platform_manager", org.deputies[parent_host], parent_host, account_id, min(role_from, date(2020, 1, 1)))

        # Administrators on the registration record: the current operator and the host unit's deputy head.
        if missing != "administrators" and tenures:
            for person in dict.fromkeys((tenures[-1].person_id, org.deputies[host])):
                result.admins.append({"account_id": account_id, "person_id": person})
        elif missing != "administrators":
            result.admins.append({"account_id": account_id, "person_id": org.deputies[host]})

        chain = policy.approval_chain(level)
        world = AccountWorld(row=row, chain_name=f"{policy_id}/{level}", chain=chain,
                             approvers={role: approvers[role] for role in chain}, author_id=info_officer,
                             tenures=tenures, gap_actors=gap_actors)
        _states(add_event, world, tl, competent_head)
        result.accounts.append(world)

    officer = next(w.author_id for w in result.accounts if w.account_id == MATRIX_ACCOUNTS[0])
    for world in result.accounts:
        if world.account_id in MATRIX_ACCOUNTS[1:]:
            add_role("info_officer", officer, None, world.account_id, date(2020, 1, 1))

    _changes(add_event, result, tl, plan, org, rng)
    return result


def _handover(add_event, account_id: str, giver: str, taker: str, day: date, filed_after: int, competent_head: str,
              change_codes: tuple[str, ...], rng: random.Random) -> None:
    """A handover and the management-team change it makes, both filed with the competent department in time."""
    filed = add_workdays(day, filed_after)
    add_event(account_id=account_id, kind="handover", from_person_id=giver, to_person_id=taker, actor_id=competent_head,
              occurred_at=at(day, 10 + rng.random()), filed_at=at(filed, 15 + rng.random() * 2),
              detail={"note": "岗位调整，账号密码及发布权限已交接"})
    if "management_team" in change_codes:
        add_event(account_id=account_id, kind="change_filed", step="management_team", actor_id=competent_head,
                  occurred_at=at(day, 11 + rng.random()), filed_at=at(filed, 16 + rng.random()),
                  detail={"from": giver, "to": taker})


def _states(add_event, world: AccountWorld, tl: Timeline, competent_head: str) -> None:
    account_id = world.account_id
    if account_id in SUSPENSIONS:
        (m1, d1), end, reason = SUSPENSIONS[account_id]
        start_day = tl.recent(m1, d1) if end is None else date(tl.last_full_year, m1, d1)
        start = at(start_day, 17.0)
        add_event(account_id=account_id, kind="state_change", new_state="suspended", actor_id=competent_head,
                  occurred_at=start, detail={"reason": reason})
        resumed = None
        if end is not None:
            resumed = at(date(tl.last_full_year, *end), 10.0)
            add_event(account_id=account_id, kind="state_change", new_state="active", actor_id=competent_head,
                      occurred_at=resumed, detail={"reason": "核查完成，恢复发布"})
        else:
            world.row["state"] = "suspended"
        world.suspensions.append((start, resumed))
        world.row["updated_at"] = resumed or start
    if account_id in DEREGISTERED:
        _, reason = DEREGISTERED[account_id]
        closed = world.row["closed_on"]
        add_event(account_id=account_id, kind="state_change", new_state="deregistered", actor_id=competent_head,
                  occurred_at=at(closed, 9.0), detail={"reason": reason})
        world.row["updated_at"] = at(closed, 9.0)


def _changes(add_event, result: AccountsResult, tl: Timeline, plan: Plan, org: Org, rng: random.Random) -> None:
    """Filed changes of name, management team or maintenance method (ACC-4): most in time, the planted ones late."""
    by_id = {a.account_id: a for a in result.accounts}
    for account_id, change, month, day, after, detail in TIMELY_CHANGES:
        changed = workday_on_or_after(tl.recent(month, day))
        _filed_change(add_event, by_id[account_id], change, changed, add_workdays(changed, after), detail, org, rng)
    for late in plan.late_filings:
        world = by_id[late.account_id]
        detail = {"account_name": {"from": "华夏能源", "to": world.row["name"]},
                  "maintenance_method": {"from": "自主运营", "to": "委托第三方代运营"},
                  "management_team": {"from": "综合办公室宣传岗", "to": "综合办公室新媒体小组"}}[late.change]
        event_id = _filed_change(add_event, world, late.change, late.changed_on,
                                 add_workdays(late.changed_on, late.working_days_late), detail, org, rng)
        result.late_filing_events[(late.account_id, late.change)] = event_id


def _filed_change(add_event, world: AccountWorld, change: str, changed: date, filed: date, detail: dict, org: Org,
                  rng: random.Random) -> str:
    competent = world.row["competent_opinion_by"] or org.heads["u-g-admin"]
    return add_event(account_id=world.account_id, kind="change_filed", step=change, actor_id=competent,
                     occurred_at=at(changed, 10 + rng.random() * 5), filed_at=at(filed, 14 + rng.random() * 3),
                     detail=detail)


__all__ = ["SPECS", "AccountWorld", "AccountsResult", "Tenure", "at", "build_accounts"]
