"""Filing account applications (ACC-1, ACC-2, ACC-3): the registration form through the HTTP door, the command line's
domain call and the Excel form, with every bad field or cell named and nothing stored on a refusal."""

from __future__ import annotations

import base64
from datetime import UTC, date, datetime

import pytest

from accounts_org import account_departments, account_org, form
from builders import table_snapshot
from herald.accounts.excel import fill_template, import_form, read_form, template_bytes
from herald.accounts.records import application_status
from herald.accounts.registration import ApplicationRequest, apply_for_account, missing_fields
from herald.errors import ValidationError

NOW = datetime(2026, 5, 6, 2, 0, tzinfo=UTC)  # Wednesday 10:00 in Shanghai

GOOD_CELLS = {"创建单位": "新能源事业部", "创建时间": date(2026, 6, 1), "新媒体平台": "微博", "账号名称": "华夏新能源微博",
              "账号ID": 12345678, "媒体链接地址或服务号": "https://weibo.com/hxnev", "是否认证": "是",
              "认证需要文件": "营业执照副本、认证公函", "宗旨": "发布新能源事业部业务动态", "内容范围": "新能源业务、行业资讯",
              "主管领导": "吴主管", "相关部门": "市场营销部"}
GOOD_ADMINS = [{"姓名": "施管理", "办公电话": "010-11112222", "手机号码": "13900000002", "电子邮箱": "shi.guanli@example.com"},
               {"姓名": "张值守", "手机号码": "139-0000-0003"}]


def _fields(violations) -> dict[str, tuple[str, str]]:
    return {v.field: (v.rule_id, v.message) for v in violations}


@pytest.fixture
def org(pg_db):
    account_org(pg_db)
    return pg_db


# --- through the HTTP door ------------------------------------------------------------------------------------------


@pytest.mark.pg
def test_an_application_filed_through_the_door_creates_the_applied_account_and_its_chain(api, pg_db):
    account_departments(pg_db)
    reply = api("lv.shenqing").post("/accounts/applications", json=form(related_unit_ids=["MKT"]))
    assert reply.status_code == 201, reply.text
    filed = reply.json()
    assert filed["applicant"]["person_id"] == "news_clerk" and filed["via"] == "api" and filed["state"] == "pending"
    assert filed["account_state"] == "applied" and filed["policy_id"] == "000"
    # 000 §3.2: 申请部门 (with the related department) → 集团行政中心 → 总经办 → 财务中心 → 归档
    assert [(s["code"], s["unit_id"], s["related"]) for s in filed["chain"]] == [
        ("applying_department", "NEWS", False), ("applying_department", "MKT", True), ("admin_center", "ADMIN", False),
        ("gm_office", "GMO", False), ("finance_center", "FIN", False), ("archived", "ADMIN", False)]
    registration = filed["registration"]
    assert registration["platform_account_id"] == "huaxia-nev" and registration["is_verified"] is True
    assert registration["opened_on"] is None and registration["planned_opened_on"] == "2026-06-01"
    assert [a["person_id"] for a in registration["administrators"]] == ["news_admin", "news_admin2"]
    assert registration["supervising_leader"]["name"] == "吴主管"
    assert api("lv.shenqing").get(f"/accounts/applications/{filed['application_id']}").json()["account_id"] == filed["account_id"]
    listed = api("lv.shenqing").get("/accounts/applications?state=pending").json()
    assert [a["application_id"] for a in listed["applications"]] == [filed["application_id"]]
    assert api("lv.shenqing").get("/accounts/applications?state=approved").json()["count"] == 0


@pytest.mark.pg
def test_the_door_refuses_an_incomplete_or_wrong_form_naming_every_field_and_stores_nothing(api, pg_db):
    account_departments(pg_db)
    before = table_snapshot(pg_db)
    reply = api("lv.shenqing").post("/accounts/applications", json=form(
        purpose=None, is_verified=True, verification_documents=None, administrator_ids=["news_admin", "nobody"],
        supervising_leader_id="ghost", platform="mobile_tv", related_unit_ids=["NEWS"],
        platform_account_id="id-WB-GROUP"))
    assert reply.status_code == 422
    found = {(v["field"], v["rule_id"]) for v in reply.json()["violations"]}
    assert found == {("purpose", "ACC-3"), ("verification_documents", "ACC-3"), ("administrator_ids[1]", "ACC-3"),
                     ("supervising_leader_id", "ACC-3"), ("platform", "ORG-1"), ("related_unit_ids[0]", "ACC-2")}
    messages = {v["field"]: v["message"] for v in reply.json()["violations"]}
    assert messages["purpose"] == "备案登记表必填项“宗旨”未填写"
    assert "微博" in messages["platform"] and "移动电视" in messages["platform"]
    assert table_snapshot(pg_db) == before
    # The same platform account registered twice is refused (ACC-1), and a shape error names its field (格式).
    twice = api("lv.shenqing").post("/accounts/applications", json=form(platform="weibo", platform_account_id="id-WB-GROUP"))
    assert [(v["field"], v["rule_id"]) for v in twice.json()["violations"]] == [("platform_account_id", "ACC-1")]
    assert "华夏能源WB-GROUP" in twice.json()["violations"][0]["message"]
    shape = api("lv.shenqing").post("/accounts/applications", json=form(is_verified="yes", planned_opened_on=20260601))
    assert shape.status_code == 422
    assert {v["field"] for v in shape.json()["violations"]} == {"is_verified", "planned_opened_on"}
    unknown = api("nobody").post("/accounts/applications", json=form())
    assert unknown.status_code == 422 and unknown.json()["violations"][0]["field"] == "user"
    assert table_snapshot(pg_db) == before


@pytest.mark.pg
def test_an_excel_form_imported_through_the_door_and_the_blank_template(api, pg_db):
    account_departments(pg_db)
    template = api("lv.shenqing").get("/accounts/applications/template")
    assert template.status_code == 200 and template.content[:2] == b"PK"
    data = fill_template(GOOD_CELLS, GOOD_ADMINS, leader_phones=("010-12345678", "138 0000 0000"))
    reply = api("lv.shenqing").post("/accounts/applications/import", json={
        "filename": "新能源微博备案登记表.xlsx", "content_base64": base64.b64encode(data).decode("ascii")})
    assert reply.status_code == 201, reply.text
    filed = reply.json()
    assert filed["via"] == "import" and filed["source"]["name"] == "新能源微博备案登记表.xlsx"
    assert filed["registration"]["platform"] == "weibo" and filed["registration"]["platform_account_id"] == "12345678"
    assert filed["registration"]["planned_opened_on"] == "2026-06-01"
    assert [a["person_id"] for a in filed["registration"]["administrators"]] == ["news_admin", "news_admin2"]
    assert [s["unit_id"] for s in filed["chain"]][:2] == ["NEWS", "MKT"]
    bad = api("lv.shenqing").post("/accounts/applications/import", json={"filename": "x.xlsx", "content_base64": "@@"})
    assert bad.status_code == 422 and bad.json()["violations"][0]["field"] == "content_base64"


# --- the Excel form -------------------------------------------------------------------------------------------------


@pytest.mark.pg
def test_every_bad_cell_is_named_with_sheet_reference_field_and_rule_and_nothing_is_stored(org):
    before = table_snapshot(org)
    cells = dict(GOOD_CELLS, 新媒体平台="抖音", 是否认证="也许", 创建时间="明年春天", 主管领导="无名氏", 相关部门="市场营销部、不存在部",
                 主办单位意见="同意开通", 创建单位="新能源事业部", 宗旨=None)
    admins = [GOOD_ADMINS[0], {"姓名": "施管理", "电子邮箱": "zhu.caiwu@example.com"}, {"手机号码": "13900000009"},
              {"姓名": "吴主管", "手机号码": "13999999999"}]
    with pytest.raises(ValidationError) as refused:
        import_form(org, fill_template(cells, admins), filename="bad.xlsx", applicant_id="news_clerk", now=NOW)
    found = _fields(refused.value.violations)
    assert set(found) == {"备案登记表!E3（创建时间）", "备案登记表!B4（新媒体平台）", "备案登记表!B7（是否认证）",
                          "备案登记表!B10（主管领导）", "备案登记表!B17（相关部门）", "备案登记表!B18（主办单位意见）",
                          "备案登记表!B13（管理员）", "备案登记表!B14（管理员姓名）", "备案登记表!B15（管理员）",
                          "备案登记表!B8（宗旨）"}
    assert found["备案登记表!B4（新媒体平台）"][0] == "ORG-1" and "抖音" in found["备案登记表!B4（新媒体平台）"][1]
    assert found["备案登记表!E3（创建时间）"][0] == "格式"
    assert found["备案登记表!B17（相关部门）"] == ("ACC-2", "组织机构中没有“不存在部”")
    assert "朱财务" in found["备案登记表!B13（管理员）"][1]
    assert "手机号码与人员名册中“吴主管”的不符" in found["备案登记表!B15（管理员）"][1]
    assert found["备案登记表!B8（宗旨）"] == ("ACC-3", "备案登记表必填项“宗旨”未填写")
    assert table_snapshot(org) == before


@pytest.mark.pg
def test_cells_refused_by_the_domain_are_named_by_cell_too(org):
    apply_for_account(org, ApplicationRequest.from_mapping(form(platform_account_id="12345678") | {
        "planned_opened_on": date(2026, 6, 1)}), applicant_id="news_clerk", via="cli", now=NOW)
    before = table_snapshot(org)
    with pytest.raises(ValidationError) as refused:
        import_form(org, fill_template(GOOD_CELLS, GOOD_ADMINS), filename="twice.xlsx", applicant_id="news_clerk", now=NOW)
    assert [(v.field, v.rule_id) for v in refused.value.violations] == [("备案登记表!E5（账号ID）", "ACC-1")]
    assert table_snapshot(org) == before


@pytest.mark.pg
def test_units_and_people_are_matched_as_people_write_them(org):
    from builders import T0, insert

    # A second 市场营销部 under the subsidiary: the bare name is ambiguous, "公司/部门" is not.
    insert(org, "org_units", unit_id="SUB-MKT", name="市场营销部", kind="department", parent_id="SUB", policy_id="002",
           function_code="business", created_at=T0)
    with pytest.raises(ValidationError) as refused:
        import_form(org, fill_template(GOOD_CELLS, GOOD_ADMINS), filename="a.xlsx", applicant_id="news_clerk", now=NOW)
    [(field, (rule, message))] = _fields(refused.value.violations).items()
    assert field == "备案登记表!B17（相关部门）" and rule == "ACC-2" and "华夏能源集团有限公司/市场营销部" in message
    cells = dict(GOOD_CELLS, 相关部门="华夏能源集团有限公司/市场营销部", 创建时间="2026年6月1日", 是否认证="否", 认证需要文件=None)
    filed = import_form(org, fill_template(cells, GOOD_ADMINS), filename="b.xlsx", applicant_id="news_clerk", now=NOW)
    status = application_status(org, filed["application_id"])
    assert status["related_unit_ids"] == ["MKT"] and status["registration"]["is_verified"] is False
    assert status["registration"]["planned_opened_on"] == date(2026, 6, 1)


def test_the_blank_template_reads_back_with_every_label_and_nothing_filled():
    form_read = read_form(template_bytes())
    assert form_read.violations == [] and form_read.administrators == []
    assert all(value is None for value in form_read.values.values())
    assert form_read.cells["账号名称"] == "备案登记表!B5" and form_read.cells["主管部门意见"] == "备案登记表!B19"
    assert [v.message for v in read_form(b"not a workbook").violations] == [
        "不是可读取的 Excel .xlsx 文件（请用模板填写后另存为 .xlsx）"]


def test_a_form_whose_rows_moved_and_cells_unmerged_still_reads_by_its_labels():
    import io

    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(fill_template(GOOD_CELLS, GOOD_ADMINS)))
    sheet = book["备案登记表"]
    for merged in list(sheet.merged_cells.ranges):  # a unit's copy without merged cells...
        sheet.unmerge_cells(str(merged))
    sheet.insert_rows(3, amount=2)  # ...and with two rows of its own above the form
    moved = io.BytesIO()
    book.save(moved)
    parsed = read_form(moved.getvalue())
    assert parsed.values["账号名称"] == "华夏新能源微博" and parsed.cells["账号名称"] == "备案登记表!B7"
    assert [a["姓名"] for a in parsed.administrators] == ["施管理", "张值守"]


def test_completeness_follows_the_policy_and_leaves_what_the_chain_signs():
    from herald.policy import load_policy

    policy = load_policy("000")
    full = ApplicationRequest.from_mapping(form() | {"planned_opened_on": None})
    assert missing_fields(full, policy) == []  # opened_on and the two opinions come from the chain
    bare = ApplicationRequest(platform="weibo", name="x", creating_unit_id="NEWS", is_verified=True)
    assert missing_fields(bare, policy) == ["platform_account_id", "link", "purpose", "content_scope",
                                            "supervising_leader_id", "administrator_ids", "verification_documents"]


@pytest.mark.parametrize("engine", ["sqlite"])
def test_filing_works_on_sqlite_too(sqlite_db, engine):
    account_org(sqlite_db)
    filed = apply_for_account(sqlite_db, ApplicationRequest.from_mapping(form() | {"planned_opened_on": date(2026, 6, 1)}),
                              applicant_id="news_clerk", via="cli", now=NOW)
    status = application_status(sqlite_db, filed["application_id"])
    assert status["state"] == "pending" and status["current_step"]["unit_id"] == "NEWS"
    assert status["registration"]["planned_opened_on"] == date(2026, 6, 1)


def test_the_example_request_parses():
    from pathlib import Path

    from herald.boundary import parse_request, read_request_file
    from herald.boundary.accounts import AccountApplicationIn

    example = Path(__file__).resolve().parents[1] / "examples" / "requests" / "account_application.json"
    parsed = parse_request(AccountApplicationIn, read_request_file(str(example)))
    assert parsed.creating_unit_id == "u-g-ess" and parsed.related_unit_ids == ["u-g-ies"]


@pytest.mark.pg
def test_a_repeated_request_with_the_same_idempotency_key_files_once(api, pg_db):
    account_departments(pg_db)
    headers = {"Idempotency-Key": "form-2026-05-06-01"}
    first = api("lv.shenqing").post("/accounts/applications", json=form(), headers=headers)
    again = api("lv.shenqing").post("/accounts/applications", json=form(), headers=headers)
    assert first.status_code == again.status_code == 201 and again.headers.get("Idempotent-Replayed") == "true"
    assert again.json()["application_id"] == first.json()["application_id"]
    assert api("lv.shenqing").get("/accounts/applications").json()["count"] == 1
    data = base64.b64encode(fill_template(dict(GOOD_CELLS, 账号ID="other-id"), GOOD_ADMINS)).decode("ascii")
    imported = [api("lv.shenqing").post("/accounts/applications/import", json={"filename": "a.xlsx", "content_base64": data},
                                        headers={"Idempotency-Key": "xlsx-1"}) for _ in range(2)]
    assert [r.status_code for r in imported] == [201, 201] and imported[1].headers.get("Idempotent-Replayed") == "true"
    assert api("lv.shenqing").get("/accounts/applications").json()["count"] == 2
