"""The demo's account application (issue 15 items 1 and 2: ACC-1, ACC-2, ACC-3) on the demo world, by plain calls.

储能事业部 fills in the Excel registration form (made from the blank template by code), a copy with bad cells is
refused cell by cell (nothing stored), the good one is imported, a person who does not hold the first step is
refused, and every step of policy 000's creation chain is then approved by the person holding it, until the account
opens. Everything lands in ``.demo/accounts/`` with a Chinese report (``application.md``).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from herald.accounts.approval import current_step, decide, step_holders
from herald.accounts.excel import fill_template, import_form, template_bytes
from herald.accounts.records import application_status
from herald.db import Database
from herald.errors import ValidationError
from herald.timeutil import format_shanghai, local_day, now_utc

APPLYING_UNIT = "u-g-ess"  # 储能事业部 (policy 000)


def _person_cells(person: dict) -> dict:
    return {"姓名": person["name"], "办公电话": person["office_phone"], "手机号码": person["mobile"], "电子邮箱": person["email"]}


def run_account_application(db: Database, out_dir: Path) -> dict:
    """Run the story; return ``{application_id, account_id, state, report}``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "备案登记表模板.xlsx").write_bytes(template_bytes())
    people = db.fetch("accounts/people")
    staff = [p for p in people if p["unit_id"] == APPLYING_UNIT and p["title"] == "业务主管"]
    leader = next(p for p in people if p["unit_id"] == "u-group" and p["title"] == "副总经理")
    applicant, admins = staff[0], staff[:2]
    cells = {"创建单位": "储能事业部", "创建时间": "2026-12-15", "新媒体平台": "微信公众号", "账号名称": "华夏储能",
             "账号ID": "gh_huaxia_storage", "媒体链接地址或服务号": "华夏储能服务号", "是否认证": "是",
             "认证需要文件": "营业执照副本、认证公函", "宗旨": "发布储能业务动态，服务储能客户",
             "内容范围": "储能产品与项目案例、行业资讯、企业文化", "主管领导": leader["name"], "相关部门": "综合能源服务事业部"}
    good = fill_template(cells, [_person_cells(p) for p in admins], leader_phones=(leader["office_phone"], leader["mobile"]))
    (out_dir / "华夏储能-备案登记表.xlsx").write_bytes(good)
    bad_cells = dict(cells, 新媒体平台="抖音", 是否认证="待定", 宗旨=None, 主办单位意见="同意")
    bad = fill_template(bad_cells, [_person_cells(admins[0]) | {"手机号码": "13000000000"}],
                        leader_phones=(leader["office_phone"], leader["mobile"]))
    (out_dir / "华夏储能-备案登记表-有误.xlsx").write_bytes(bad)
    now = now_utc()
    try:
        import_form(db, bad, filename="华夏储能-备案登记表-有误.xlsx", applicant_id=applicant["person_id"], now=now)
        refusals = ["（未被拒绝：演示数据有误）"]
    except ValidationError as refused:
        refusals = [f"- {v.field} [{v.rule_id}] {v.message}" for v in refused.violations]
    filed = import_form(db, good, filename="华夏储能-备案登记表.xlsx", applicant_id=applicant["person_id"], now=now)
    app_id = filed["application_id"]
    lines = ["# 账号开通申请演示（ACC-1、ACC-2、ACC-3）", "",
             f"申请部门：储能事业部；申请人：{applicant['name']}；提交时间：{format_shanghai(now)}", "",
             "## 有误的登记表被逐格拒绝（未保存任何内容）", "", *refusals, "",
             f"## 导入正确的登记表：开通申请 {app_id}（账号 {filed['account_id']}）", ""]
    wrong = next(p for p in people if p["unit_id"] == "u-g-fin" and p["title"] == "会计")
    try:
        decide(db, application_id=app_id, approver_id=wrong["person_id"], decision="approved", via="cli", now=now)
    except ValidationError as refused:
        lines += ["无权审批的人员被拒绝：", "", *[f"- {v.field} [{v.rule_id}] {v.message}" for v in refused.violations], ""]
    lines += ["## 沿 000 号制度的开通审批链逐步审批（每步由担任该步骤角色的人员）", ""]
    step_at = now
    while True:
        application = db.fetch_one("accounts/application", application_id=app_id)
        step = current_step(application)
        if step is None:
            break
        step_at += timedelta(minutes=1)
        with db.transaction() as tx:
            holder = step_holders(tx, step, local_day(step_at))[0]
        result = decide(db, application_id=app_id, approver_id=holder["person_id"], decision="approved", via="cli",
                        now=step_at, is_sealed=True if step.step_no == 1 else None)
        lines.append(f"- {format_shanghai(step_at)} {result['reason']}")
    status = application_status(db, app_id)
    registration = status["registration"]
    lines += ["", f"结果：申请{status['state_label']}，账号状态 {status['account_state']}，开通日期 {registration['opened_on']}；"
              f"主办单位意见 {registration['host_unit_opinion_by']}（{registration['host_unit_opinion_on']}），"
              f"主管部门意见 {registration['competent_opinion_by']}（{registration['competent_opinion_on']}）。", "",
              f"查看：python -m herald --db <库> account show {app_id} --admin-override --override-reason 查看"]
    report = out_dir / "application.md"
    report.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return {"application_id": app_id, "account_id": filed["account_id"], "state": status["state"],
            "account_state": status["account_state"], "refused_cells": len(refusals), "report": report}
