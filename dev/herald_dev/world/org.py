"""The organisation of the demo world: 华夏能源集团有限公司, its departments, four subsidiaries and their people.

Units and people are fixed in shape (so findings read the same from run to run) and seeded in
detail (names, phones). Unit-wide roles (ORG-2, PUB-2) are assigned here; account-scoped roles
(operators, supervising leaders, upper-platform managers, info officers) in ``accounts``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from herald_dev.world.names import MAIL_DOMAIN, NamePool, mobile, office_phone

GROUP = "u-group"
ROLES_VALID_FROM = date(2020, 1, 1)

# (unit_id, name, kind, function_code, parent_id, policy_id, area code, staff count, created)
UNITS: list[tuple[str, str, str, str | None, str | None, str, str, int, date]] = [
    (GROUP, "华夏能源集团有限公司", "group", None, None, "000", "010", 0, date(2003, 6, 18)),
    ("u-g-admin", "行政中心", "department", "admin_center", GROUP, "000", "010", 3, date(2003, 6, 18)),
    ("u-g-gmo", "总经办", "department", "gm_office", GROUP, "000", "010", 2, date(2003, 6, 18)),
    ("u-g-fin", "财务中心", "department", "finance_center", GROUP, "000", "010", 2, date(2003, 6, 18)),
    ("u-g-pub", "宣传部", "department", "publicity", GROUP, "000", "010", 5, date(2005, 3, 1)),
    ("u-g-ent", "企管部", "department", "enterprise_management", GROUP, "000", "010", 2, date(2005, 3, 1)),
    ("u-g-office", "办公室", "department", "office", GROUP, "000", "010", 3, date(2003, 6, 18)),
    ("u-g-hr", "人力资源部", "department", "hr", GROUP, "000", "010", 2, date(2003, 6, 18)),
    ("u-g-nev", "新能源事业部", "department", "business", GROUP, "001", "010", 3, date(2012, 1, 1)),
    ("u-g-ess", "储能事业部", "department", "business", GROUP, "000", "010", 2, date(2019, 7, 1)),
    ("u-g-ies", "综合能源服务事业部", "department", "business", GROUP, "000", "010", 2, date(2018, 1, 1)),
]

# subsidiary id, name, policy, area code, founded, its special department (id suffix, name)
SUBSIDIARIES = [
    ("u-s1", "华夏新能源科技有限公司", "000", "0571", date(2010, 4, 8), ("pv", "光伏运维部")),
    ("u-s2", "华夏电力工程有限公司", "000", "027", date(2008, 9, 1), ("pm", "项目管理部")),
    ("u-s3", "华夏能源销售有限公司", "002", "028", date(2012, 11, 20), ("cs", "客户服务中心")),
    ("u-s4", "华夏智慧能源研究院有限公司", "000", "025", date(2015, 6, 30), ("lab", "数字能源研究所")),
]
SUBSIDIARY_DEPARTMENTS = [
    ("office", "综合办公室", "office", 3),
    ("ent", "企管部", "enterprise_management", 2),
    ("fin", "财务部", "finance_center", 1),
    ("market", "市场营销部", "business", 2),
]

HEAD_TITLES = {"admin_center": "主任", "gm_office": "主任", "finance_center": "总监", "publicity": "部长",
               "enterprise_management": "部长", "office": "主任", "hr": "部长", "business": "总经理"}
STAFF_TITLES = {"admin_center": "行政专员", "gm_office": "秘书", "finance_center": "会计", "publicity": "新媒体编辑",
                "enterprise_management": "企管专员", "office": "文字秘书", "hr": "招聘专员", "business": "业务主管"}


@dataclass
class Org:
    units: list[dict] = field(default_factory=list)
    people: list[dict] = field(default_factory=list)
    roles: list[dict] = field(default_factory=list)
    heads: dict[str, str] = field(default_factory=dict)  # unit -> head person
    deputies: dict[str, str] = field(default_factory=dict)  # unit -> deputy person
    staff: dict[str, list[str]] = field(default_factory=dict)  # unit -> staff people
    leaders: dict[str, list[str]] = field(default_factory=dict)  # group/subsidiary -> [gm or chairman, deputies...]
    unit_by_id: dict[str, dict] = field(default_factory=dict)

    def unit(self, unit_id: str) -> dict:
        return self.unit_by_id[unit_id]

    def company_of(self, unit_id: str) -> str:
        """The group or subsidiary a unit belongs to."""
        unit = self.unit_by_id[unit_id]
        while unit["kind"] == "department":
            unit = self.unit_by_id[unit["parent_id"]]
        return unit["unit_id"]

    def department(self, company: str, function_code: str) -> str:
        for unit in self.units:
            if unit["parent_id"] == company and unit["function_code"] == function_code:
                return unit["unit_id"]
        raise KeyError((company, function_code))


class _PeopleFactory:
    def __init__(self, org: Org, rng: random.Random):
        self.org, self.rng, self.names = org, rng, NamePool(rng)

    def add(self, unit_id: str, title: str, area_code: str) -> str:
        person_id = f"p{len(self.org.people) + 1:04d}"
        name, mailbox = self.names.draw()
        self.org.people.append({
            "person_id": person_id, "name": name, "unit_id": unit_id, "title": title,
            "office_phone": office_phone(self.rng, area_code), "mobile": mobile(self.rng),
            "email": f"{mailbox}@{MAIL_DOMAIN}", "is_active": True, "login": mailbox,
        })
        return person_id


def _created_at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 1, 0, tzinfo=UTC)


def build_org(rng: random.Random) -> Org:
    org = Org()
    area: dict[str, str] = {}
    rows = list(UNITS)
    for sub_id, name, policy, code, founded, (special_id, special_name) in SUBSIDIARIES:
        rows.append((sub_id, name, "subsidiary", None, GROUP, policy, code, 0, founded))
        for suffix, dept_name, function_code, staff in SUBSIDIARY_DEPARTMENTS:
            rows.append((f"{sub_id}-{suffix}", dept_name, "department", function_code, sub_id, policy, code, staff, founded))
        rows.append((f"{sub_id}-{special_id}", special_name, "department", "business", sub_id, policy, code, 3, founded))
    for unit_id, name, kind, function_code, parent, policy, code, _, founded in rows:
        unit = {"unit_id": unit_id, "name": name, "kind": kind, "function_code": function_code,
                "parent_id": parent, "policy_id": policy, "created_at": _created_at(founded)}
        org.units.append(unit)
        org.unit_by_id[unit_id] = unit
        area[unit_id] = code

    people = _PeopleFactory(org, rng)
    org.leaders[GROUP] = [people.add(GROUP, title, "010") for title in ("董事长", "总经理", "副总经理", "副总经理", "副总经理")]
    for sub_id, *_ in SUBSIDIARIES:
        org.leaders[sub_id] = [people.add(sub_id, title, area[sub_id]) for title in ("总经理", "副总经理", "副总经理")]
    for unit_id, name, kind, function_code, _parent, _policy, code, staff, _ in rows:
        if kind != "department":
            continue
        # A business department is led by a 总经理 only when it is a 事业部; otherwise by a 经理.
        head_title = HEAD_TITLES[function_code]
        if function_code == "business" and "事业部" not in name:
            head_title = "经理"
        org.heads[unit_id] = people.add(unit_id, head_title, code)
        org.deputies[unit_id] = people.add(unit_id, "副" + head_title, code)
        org.staff[unit_id] = [people.add(unit_id, STAFF_TITLES[function_code], code) for _ in range(staff)]
    _assign_unit_roles(org)
    return org


def _assign_unit_roles(org: Org) -> None:
    """Roles held for a whole unit (ORG-2, PUB-2); approvers of each chain are resolved from these."""
    group_gm, group_vp_confidentiality = org.leaders[GROUP][1], org.leaders[GROUP][4]
    s3 = "u-s3"
    assignments = [
        ("main_leader", group_gm, GROUP),
        ("confidentiality_head", group_vp_confidentiality, GROUP),
        ("office_proofreader", org.staff["u-g-office"][0], "u-g-office"),
        ("department_head", org.heads["u-g-nev"], "u-g-nev"),
        # The competent department of each regime (000 §2.1 行政中心; 001 art.4 办公室; 002 art.4 企管部).
        ("competent_department_head", org.heads["u-g-admin"], GROUP),
        ("competent_department_head", org.heads["u-g-office"], "u-g-nev"),
        ("competent_department_head", org.heads[f"{s3}-ent"], s3),
        ("enterprise_office", org.staff[f"{s3}-ent"][0], s3),
        ("enterprise_department_head", org.heads[f"{s3}-ent"], s3),
    ]
    for unit in org.units:
        if unit["kind"] == "department":
            assignments.append(("host_unit_head", org.heads[unit["unit_id"]], unit["unit_id"]))
            if unit["parent_id"] == s3 and unit["function_code"] != "enterprise_management":
                assignments.append(("unit_head", org.heads[unit["unit_id"]], unit["unit_id"]))
    for role, person, unit_id in assignments:
        org.roles.append({
            "assignment_id": f"ra-{len(org.roles) + 1:04d}", "person_id": person, "role": role, "unit_id": unit_id,
            "account_id": None, "valid_from_on": ROLES_VALID_FROM, "valid_to_on": None,
        })
