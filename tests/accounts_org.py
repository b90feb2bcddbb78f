"""The small organisation of the account-application tests: builders.small_org plus the group's departments that
answer the creation chain of policy 000 (行政中心, 总经办, 财务中心) and 003's 宣传部, an applying department and a
related one, each department's head holding ``host_unit_head`` for it."""

from __future__ import annotations

from datetime import date

from builders import T0, insert, small_org

DEPARTMENTS = {
    # unit_id: (name, function_code, policy, head person id, head name, head login)
    "ADMIN": ("行政中心", "admin_center", "000", "admin_head", "韩行政", "han.xingzheng"),
    "GMO": ("总经办", "gm_office", "000", "gmo_head", "杨总经办", "yang.zongjingban"),
    "FIN": ("财务中心", "finance_center", "000", "fin_head", "朱财务", "zhu.caiwu"),
    "PUB": ("宣传部", "publicity", "000", "pub_head", "秦宣传", "qin.xuanchuan"),
    "NEWS": ("新能源事业部", "business", "000", "news_head", "尤事业", "you.shiye"),
    "MKT": ("市场营销部", "business", "000", "mkt_head", "许市场", "xu.shichang"),
    "LAB": ("研究院", "business", "003", "lab_head", "何研究", "he.yanjiu"),
}
STAFF = {
    # person id: (name, unit, login, mobile, email)
    "news_clerk": ("吕申请", "NEWS", "lv.shenqing", "13900000001", "lv.shenqing@example.com"),
    "news_admin": ("施管理", "NEWS", "shi.guanli", "13900000002", "shi.guanli@example.com"),
    "news_admin2": ("张值守", "NEWS", "zhang.zhishou", "13900000003", "zhang.zhishou@example.com"),
    "lab_clerk": ("孔研究员", "LAB", "kong.yanjiu", "13900000004", "kong.yanjiu@example.com"),
}


def account_org(db) -> dict:
    base = small_org(db)
    account_departments(db)
    return base


def account_departments(db) -> None:
    """Only the additions to small_org (for the ``api`` fixture, which builds small_org itself)."""
    for unit_id, (name, function_code, policy, head, head_name, login) in DEPARTMENTS.items():
        insert(db, "org_units", unit_id=unit_id, name=name, kind="department", function_code=function_code,
               parent_id="G", policy_id=policy, created_at=T0)
        insert(db, "people", person_id=head, name=head_name, unit_id=unit_id, login=login, is_active=True,
               office_phone="010-87654321", mobile="13700000000", email=f"{login}@example.com")
        insert(db, "role_assignments", assignment_id=f"RA-{unit_id}", person_id=head, role="host_unit_head",
               unit_id=unit_id, account_id=None, valid_from_on=date(2024, 1, 1))
    for person_id, (name, unit_id, login, mobile, email) in STAFF.items():
        insert(db, "people", person_id=person_id, name=name, unit_id=unit_id, login=login, is_active=True,
               office_phone="010-11112222", mobile=mobile, email=email)


def form(**overrides) -> dict:
    """A complete registration form (policy 000) from the applying department NEWS."""
    fields = {
        "creating_unit_id": "NEWS", "platform": "weibo", "name": "华夏新能源微博",
        "platform_account_id": "huaxia-nev", "link": "https://weibo.com/huaxianev", "is_verified": True,
        "verification_documents": "营业执照副本、认证公函", "purpose": "发布新能源事业部业务动态",
        "content_scope": "新能源业务、行业资讯、企业文化", "planned_opened_on": "2026-06-01",
        "supervising_leader_id": "leader", "administrator_ids": ["news_admin", "news_admin2"],
    }
    fields.update(overrides)
    return {k: v for k, v in fields.items() if v is not None}
