"""Policy packs: the four shipped packs load with the chains their seed texts give, every value cites a
clause, and bad policy files fail with the file, the line and what is wrong (all problems at once)."""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import os
import re
from pathlib import Path

import jsonschema
import pytest
import yaml

from herald.policy import Policy, PolicyError, available_policies, default_policy_id, load_policy
from herald.policy.loader import PACKS_DIR, SCHEMA_PATH

DATA = Path(__file__).resolve().parent / "data" / "policies"
BAD_FILES = sorted(DATA.glob("bad_*.yaml"))
EXPECT_MARKER = re.compile(r"#\s*expect:\s*(.+?)\s*$")
SEED_CITATION = re.compile(r"^((000|003) §[0-9]|(001|002) art\.[0-9]|Herald default \()")
TOP_LEVEL_METADATA = {"policy_id", "title", "source", "default"}


# --- the shipped packs -------------------------------------------------------------------------


def test_available_policies_are_the_four_packs_and_000_is_the_default():
    assert available_policies() == ["000", "001", "002", "003"]
    assert default_policy_id() == "000"
    assert [load_policy(pid).is_default for pid in available_policies()] == [True, False, False, False]


def test_schema_is_a_valid_draft_2020_12_schema():
    jsonschema.Draft202012Validator.check_schema(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))


@pytest.mark.parametrize("policy_id", ["000", "001", "002", "003"])
def test_pack_loads_and_matches_its_file(policy_id):
    policy = load_policy(policy_id)
    assert isinstance(policy, Policy)
    assert policy.policy_id == policy_id
    path = PACKS_DIR / f"{policy_id}.yaml"
    assert policy.content_hash == hashlib.sha256(path.read_bytes()).hexdigest()
    assert policy.source.startswith(f"{policy_id}-") and policy.source.endswith(".md")


@pytest.mark.parametrize(
    "policy_id, group, subordinate, author",
    [
        ("000", ("supervising_leader",), ("supervising_leader", "upper_platform_manager"), "info_officer"),
        # 001 art.12.1: the info officer proposes (author); four roles approve.
        ("001", ("department_head", "office_proofreader", "confidentiality_head", "main_leader"),
         ("department_head", "office_proofreader", "confidentiality_head", "main_leader"), "info_officer"),
        ("002", ("unit_head", "enterprise_office", "enterprise_department_head"),
         ("unit_head", "enterprise_office", "enterprise_department_head"), "info_officer"),
        ("003", ("supervising_leader",), ("supervising_leader",), "operator"),
    ],
)
def test_approval_chains_per_policy(policy_id, group, subordinate, author):
    policy = load_policy(policy_id)
    assert policy.approval_chain("group") == group
    assert policy.approval_chain("subordinate") == subordinate
    assert policy.author_role == author
    for role in group + subordinate + (author, policy.confidential_route_role):
        assert role in policy.roles


def test_unknown_account_level_names_the_level():
    with pytest.raises(PolicyError, match="'regional'"):
        load_policy("000").approval_chain("regional")


@pytest.mark.parametrize(
    "policy_id, department, function_code, route_role, creation_chain",
    [
        ("000", "集团行政中心", "admin_center", "competent_department_head",
         ("applying_department", "admin_center", "gm_office", "finance_center", "archived")),
        ("001", "公司办公室", "office", "confidentiality_head",
         ("applying_department", "office", "gm_office", "finance_center", "archived")),
        ("002", "企管部", "enterprise_management", "enterprise_department_head",
         ("applying_department", "enterprise_management", "gm_office", "finance_center", "archived")),
        ("003", "党委宣传部", "publicity", "competent_department_head", ("host_unit_head", "publicity")),
    ],
)
def test_departments_confidential_route_and_creation_chain(policy_id, department, function_code, route_role,
                                                           creation_chain):
    policy = load_policy(policy_id)
    assert (policy.competent_department.name, policy.competent_department.function_code) == (department, function_code)
    assert policy.confidential_route_role == route_role
    assert policy.creation_chain == creation_chain


def test_values_the_other_modules_read_from_the_default_pack():
    policy = load_policy("000")
    assert policy.platforms == ("wechat", "weibo", "qq", "website", "blog", "tieba", "forum")
    assert policy.channels["wechat"] == "api" and policy.channels["blog"] == "webhook"
    assert policy.channels["tieba"] == "manual"
    assert "verification_documents" not in policy.registration_required_fields
    assert policy.conditional_required_fields == {"verification_documents": "is_verified"}
    assert policy.change_filing_working_days == 5 and policy.handover_filing_required is True
    c = policy.cadence
    assert (c.period, c.timezone, c.min_items, c.starts, c.suspended_weeks) == (
        "iso_week", "Asia/Shanghai", 1, "first_full_week", "exempt")
    assert (c.count_deleted_by_user, c.count_banned_by_platform, c.rescan_weeks, c.early_warning_weekday) == (
        True, False, 4, 4)
    assert c.audit_year == "iso_week_year"
    m = policy.content
    assert (m.weibo_max_chars, m.weibo_url_weight, m.image_types) == (140, 20, ("jpeg",))
    assert (m.image_min_bytes, m.image_max_bytes, m.video_max_bytes) == (2**20, 5 * 2**20, 500 * 2**20)
    assert m.video_types == ("avi", "wma", "mov", "rm", "rmvb", "3gp")
    assert len(m.categories) == 7 and m.categories["rd_products"] == "公司研发产品宣传"
    assert (policy.lead_time.regular_min_days, policy.lead_time.urgent_min_working_days) == (7, 1)
    assert (policy.mass_send.max_per_day, policy.mass_send.preview_required) == (1, True)
    assert policy.notifications.channels == {"email": "herald_smtp", "wecom_robot": "herald_wecom",
                                             "dingtalk_robot": "herald_dingtalk"}
    assert policy.notifications.language == "zh-CN"


def test_registration_fields_are_columns_of_accounts_or_administrators():
    schema_sql = (Path(__file__).resolve().parents[1] / "sql/migrations/0001_core_schema.sql").read_text()
    accounts_table = schema_sql[schema_sql.index("CREATE TABLE accounts"):]
    accounts_table = accounts_table[: accounts_table.index(");")]
    for policy_id in available_policies():
        policy = load_policy(policy_id)
        for name in policy.registration_required_fields + tuple(policy.conditional_required_fields):
            assert name == "administrators" or re.search(rf"^\s+{name}\s", accounts_table, re.M), name


def test_only_003_enables_the_yearly_assessment():
    assessments = {pid: load_policy(pid).assessment for pid in available_policies()}
    assert [pid for pid, a in assessments.items() if a.enabled] == ["003"]
    assert str(assessments["003"].since_on) == "2018-06-01"


def test_clause_lookup_by_file_path_and_by_attribute_name():
    p000, p001, p002, p003 = (load_policy(pid) for pid in available_policies())
    assert p000.clause("cadence") == "000 §4.4"
    assert p000.clause("cadence.min_items") == "000 §4.4"
    assert p000.clause("cadence.starts").startswith("Herald default (")
    assert p000.clause("creation_chain") == "000 §3.2"
    assert p001.clause("lead_time") == "001 art.12.2"
    assert p001.clause("approval_chains.group") == "001 art.12.1"
    assert p002.clause("content.image_max_bytes") == "002 art.10.2"
    assert p002.clause("content.categories") == "002 art.9"
    assert p003.clause("change_filing_working_days") == "003 §5.1 note 3"
    assert p003.clause("registration_required_fields") == "003 §3.1.1, §5.1"
    with pytest.raises(PolicyError, match="no_such_section"):
        p000.clause("no_such_section")


@pytest.mark.parametrize("policy_id", ["000", "001", "002", "003"])
def test_every_section_and_value_has_a_citation(policy_id):
    policy = load_policy(policy_id)
    document = yaml.safe_load((PACKS_DIR / f"{policy_id}.yaml").read_text(encoding="utf-8"))
    for section, body in document.items():
        if section in TOP_LEVEL_METADATA:
            continue
        assert isinstance(body, dict) and "clause" in body, section
        for key in body:
            if key not in ("clause", "value_clauses"):
                assert SEED_CITATION.match(policy.clause(f"{section}.{key}")), f"{section}.{key}"
    assert all(SEED_CITATION.match(text) for text in policy.clauses.values())


def test_policy_is_frozen_and_shared_values_cannot_be_edited():
    policy = load_policy("000")
    with pytest.raises(dataclasses.FrozenInstanceError):
        policy.policy_id = "999"  # type: ignore[misc]
    with pytest.raises(TypeError):
        policy.channels["wechat"] = "manual"
    with pytest.raises(TypeError):
        policy.roles.update({"x": "y"})
    assert json.loads(json.dumps(policy.roles, ensure_ascii=False)) == dict(policy.roles)
    assert copy.deepcopy(policy.channels) == dict(policy.channels)


# --- loading by path and caching ---------------------------------------------------------------


def test_load_by_path_is_cached_until_the_file_changes(tmp_path):
    path = tmp_path / "org.yaml"
    text = (DATA / "valid_minimal.yaml").read_text(encoding="utf-8")
    path.write_text(text, encoding="utf-8")
    first = load_policy(path)
    assert load_policy(str(path)) is first
    path.write_text(text.replace("min_items: 1", "min_items: 2"), encoding="utf-8")
    os.utime(path, ns=(first_mtime := path.stat().st_mtime_ns, first_mtime + 1_000_000_000))
    second = load_policy(path)
    assert second is not first and second.cadence.min_items == 2
    assert second.content_hash != first.content_hash


def test_pack_id_must_match_its_file_name(tmp_path, monkeypatch):
    packs = tmp_path / "packs"
    packs.mkdir()
    (packs / "007.yaml").write_bytes((PACKS_DIR / "001.yaml").read_bytes())
    monkeypatch.setattr("herald.policy.loader.PACKS_DIR", packs)
    with pytest.raises(PolicyError) as caught:
        load_policy("007")
    assert len(caught.value.issues) == 1
    issue = caught.value.issues[0]
    assert (issue.line, issue.path) == (7, "policy_id") and "007.yaml" in issue.message


def test_unknown_id_and_missing_file_are_refused():
    with pytest.raises(PolicyError, match="unknown policy id '999'"):
        load_policy("999")
    with pytest.raises(PolicyError, match="cannot read policy file"):
        load_policy(DATA / "no_such_file.yaml")


# --- bad files -----------------------------------------------------------------------------------


def expected_problems(path: Path) -> list[tuple[int, str]]:
    """(line, text) for every line of the file that carries an '# expect: text' comment."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [(n, m.group(1)) for n, line in enumerate(lines, 1) if (m := EXPECT_MARKER.search(line))]


def test_every_bad_file_says_what_it_expects():
    assert len(BAD_FILES) == 7
    assert all(expected_problems(path) for path in BAD_FILES)


@pytest.mark.parametrize("path", BAD_FILES, ids=lambda p: p.stem)
def test_bad_file_fails_with_file_line_and_message(path):
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    error = caught.value
    expected = expected_problems(path)
    assert len(error.errors) == len(expected), str(error)
    for issue, text, (line, wanted) in zip(error.issues, error.errors, expected):
        assert Path(issue.file).resolve() == path
        assert text.startswith(f"{issue.file}:{line}: "), text
        assert wanted in text, (wanted, text)
    assert str(error) == "\n".join(error.errors)


def test_several_errors_are_all_reported_in_line_order():
    with pytest.raises(PolicyError) as caught:
        load_policy(DATA / "bad_several_errors.yaml")
    issues = caught.value.issues
    assert [i.line for i in issues] == [5, 33, 40, 51, 58]
    assert caught.value.errors[1] == f"{issues[1].file}:33: cadence.min_items: -1 is less than the minimum of 1"


def test_error_message_uses_the_path_relative_to_the_working_directory(monkeypatch):
    monkeypatch.chdir(Path(__file__).resolve().parents[1])
    with pytest.raises(PolicyError) as caught:
        load_policy(Path("tests/data/policies/bad_wrong_type.yaml"))
    assert caught.value.errors == [
        "tests/data/policies/bad_wrong_type.yaml:40: cadence.early_warning_weekday: "
        "'Thursday' is not of type 'integer'"
    ]


def write_variant(tmp_path: Path, old: str, new: str) -> Path:
    text = (DATA / "valid_minimal.yaml").read_text(encoding="utf-8")
    assert text.count(old) == 1
    path = tmp_path / "variant.yaml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "old, new, wanted",
    [
        ("author_role: info_officer", "author_role: supervising_leader",
         "approval_chains.group[0]: the author role 'supervising_leader' cannot also approve"),
        ("response_timeout_hours: 48", "response_timeout_hours: 100",
         "approval_chains.response_timeout_hours: 2 steps of the subordinate chain × 100 h = 200 h exceed"),
        ("channels: {wechat: api, qq: manual,", "channels: {wechat: api,",
         "platforms.codes[1]: platform 'qq' is in scope but channels has no entry for it"),
        ("required_fields: [platform, name, is_verified]", "required_fields: [platform, name]",
         "registration.conditional_required_fields.verification_documents: its condition field 'is_verified'"),
        ("timezone: Asia/Shanghai", "timezone: Asia/Beijing", "cadence.timezone: 'Asia/Beijing' is not a known"),
        ('clause: "000 §4.4"', 'clause: "see the group rules"', "cadence.clause: 'see the group rules' is not valid"),
        ("conditional_required_fields: {verification_documents: is_verified}",
         "conditional_required_fields: {verification_document: is_verified}",
         "registration.conditional_required_fields.verification_document: key 'verification_document' is not one of"),
        ('policy_id: "900"', "policy_id: 900", "policy_id: 900 is not of type 'string'"),
        ("since_on: null", 'since_on: "2018-02-30"', "assessment.since_on: '2018-02-30' is not a calendar date"),
        ('clause: "003 §3.1.2"}', 'clause: "003 §3.1.2", value_clauses: {enabled_on: "003 §3.1.2"}}',
         "annual_inspection.value_clauses.enabled_on: cites 'enabled_on', which is not a value"),
    ],
)
def test_cross_field_rules(tmp_path, old, new, wanted):
    with pytest.raises(PolicyError) as caught:
        load_policy(write_variant(tmp_path, old, new))
    assert any(wanted in text for text in caught.value.errors), str(caught.value)


def test_empty_file_is_refused(tmp_path):
    path = tmp_path / "empty.yaml"
    path.write_text("# nothing here\n", encoding="utf-8")
    with pytest.raises(PolicyError, match="empty.yaml:1: the policy file is empty"):
        load_policy(path)


# --- the account sections (issue #15): roles answered by, and the comment watch's categories ------------------


@pytest.mark.parametrize(
    "old, new, wanted",
    [
        ("approver_role: competent_department_head", "approver_role: activity_approver",
         "delegated_access.approver_role: role 'activity_approver' is not defined in roles.labels"),
        ('publicity: {role: host_unit_head, unit: "group:publicity"}',
         'publicity: {role: press_officer, unit: "group:publicity"}',
         "creation_approval.approvers.publicity.role: role 'press_officer' is not defined in roles.labels"),
        ("reputation_categories: [honour, rumour]", "reputation_categories: [honour, slander]",
         "comment_watch.reputation_categories[1]: 'slander' is not a screening category"),
        ("illegal_categories: [obscenity,", "illegal_categories: [obscene,",
         "comment_watch.illegal_categories[0]: 'obscene' is not a screening category"),
    ],
)
def test_account_sections_name_defined_roles_and_known_categories(tmp_path, old, new, wanted):
    text = (PACKS_DIR / "003.yaml").read_text(encoding="utf-8")
    assert text.count(old) == 1
    path = tmp_path / "variant.yaml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    assert [text for text in caught.value.errors if wanted in text], str(caught.value)
    assert len(caught.value.errors) == 1, str(caught.value)  # only the one change is wrong


def test_comment_watch_and_complaints_need_the_roles_they_are_routed_to():
    from herald.policy.checks import check_account_sections

    document = yaml.safe_load((PACKS_DIR / "003.yaml").read_text(encoding="utf-8"))
    assert list(check_account_sections(document)) == []
    del document["roles"]["labels"]["competent_department_head"]
    problems = dict(check_account_sections(document))
    for section in ("comment_watch", "complaints"):
        assert "role 'competent_department_head' is not defined" in problems[(section,)]
        assert "routed to host_unit_head and competent_department_head" in problems[(section,)]
    assert ("delegated_access", "approver_role") in problems
    del document["comment_watch"], document["complaints"]
    assert set(dict(check_account_sections(document))) == {("delegated_access", "approver_role")}


def test_a_clause_reads_in_chinese_for_people():
    from herald.policy.citation import people_citation

    assert people_citation("000 §4.4", "000") == "依据000号制度§4.4"
    assert people_citation("Herald default (000 sets no lead time: applies 001 art.12.2)", "000") == \
        "000号制度未作规定，参照001号制度第12.2条"
    # A group pack mixes policies: no policy named, and a default's English reason never reaches people.
    assert people_citation("Herald default (one missed week is remarked on)") == "按Herald默认规则"
