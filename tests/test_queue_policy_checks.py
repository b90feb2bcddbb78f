"""The policies' queue-time and decision-time checks (issue 12, item 2), each refused with its rule and clause.

CON-2 placeholder sources, PUB-2 the author's drafting role and one step per person, PUB-1 no decision once the
publish time passed, CON-7 the platforms' text limits (WeChat title, body and article count; a Weibo link),
CON-4 invisible characters in every field, ids and media file names included, and PUB-7 an account named twice
in a matrix release. Every refusal leaves the database exactly as it was.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta

import pytest

from builders import insert, small_org, snapshot
from herald.content import check_source, check_wechat_article, check_weibo_link
from herald.errors import ValidationError
from herald.policy import load_policy
from herald.posts.approval import decide
from herald.posts.lifecycle import expire_due, post_status
from herald.posts.model import PostRequest, ReleaseRequest
from herald.posts.queue import queue_post, queue_release
from herald.posts.safety import check_text_field

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai, a working day
LATER = NOW + timedelta(days=8)  # Tuesday 10 March, 10:00 in Shanghai
WEIBO_BODY = "集团年度工作会议今日召开 https://herald.example.com/news/1"


@pytest.fixture
def org(sqlite_db):
    small_org(sqlite_db)
    return sqlite_db


def _category(policy_id: str) -> str:
    return next(iter(load_policy(policy_id).content.categories))


def _wechat(**overrides) -> PostRequest:
    """A clean post on WX-OFFICE (policy 001) by its info officer."""
    base = dict(account_id="WX-OFFICE", author_id="author", title="公司举办安全生产月活动",
                body="<p>本月公司各单位开展安全生产宣传活动。</p>", category=_category("001"), source="公司办公室",
                publish_at=LATER.isoformat())
    base.update(overrides)
    return PostRequest.from_mapping({k: v for k, v in base.items() if v is not None})


def _weibo(account="WB-GROUP", **overrides) -> PostRequest:
    """A clean post on a policy-000 Weibo account by author2, the group's and the subsidiary's info officer."""
    base = dict(account_id=account, author_id="author2", body=WEIBO_BODY, category=_category("000"),
                source="集团行政中心", publish_at=LATER.isoformat())
    base.update(overrides)
    return PostRequest.from_mapping({k: v for k, v in base.items() if v is not None})


def _refused(db, request: PostRequest, **kwargs) -> list[tuple[str, str, str]]:
    """Queue a request that must be refused; the database must be unchanged. Returns (field, rule, message)."""
    before = snapshot(db)
    with pytest.raises(ValidationError) as refused:
        queue_post(db, request, now=NOW, **kwargs)
    assert snapshot(db) == before
    return [(v.field, v.rule_id, v.message) for v in refused.value.violations]


def _decision_refused(db, **kwargs) -> list[tuple[str, str, str]]:
    before = snapshot(db)
    with pytest.raises(ValidationError) as refused:
        decide(db, decision="approved", via="cli", **kwargs)
    assert snapshot(db) == before
    return [(v.field, v.rule_id, v.message) for v in refused.value.violations]


def _approve(db, post_id: str, person: str, when=NOW, **kwargs) -> dict:
    return decide(db, post_id=post_id, approver_id=person, decision="approved",
                  content_hash=post_status(db, post_id)["content_hash"], via="cli", now=when, **kwargs)


# --- CON-2: a source names a real source ---------------------------------------------------------------


@pytest.mark.parametrize("source, word", [
    ("未知", "未知"), ("来源：不详", "来源不详"), ("“来自网络。”", "来自网络"), (" 佚 名 ", "佚名"), ("Unknown", "unknown"),
    ("N/A", "n/a"), ("Ｎ／Ａ", "n/a"), ("NULL", "null"), ("—", "—"), ("？", "？"), ("互联网\u200b", "互联网"),
])
def test_con_2_a_placeholder_source_is_refused_naming_the_word(source, word):
    placeholders = load_policy("001").content.source_placeholders
    [violation] = check_source(source, placeholders)
    assert (violation.field, violation.rule_id) == ("source", "CON-2")
    assert f"“{word}”" in violation.message


@pytest.mark.parametrize("source", ["新华网", "网络安全报", "无锡日报", "其他单位供稿", "公司办公室", "Reuters"])
def test_con_2_a_real_source_that_contains_a_placeholder_word_passes(source):
    assert check_source(source, load_policy("001").content.source_placeholders) == []


def test_con_2_a_source_of_punctuation_only_is_refused_even_without_a_list():
    assert [v.rule_id for v in check_source("……", ())] == ["CON-2"]


def test_con_2_every_pack_lists_the_placeholders_and_cites_its_clause():
    for policy_id in ("000", "001", "002", "003"):
        policy = load_policy(policy_id)
        assert {"未知", "来自网络", "unknown", "n/a"} <= set(policy.content.source_placeholders)
    assert load_policy("001").clause("source_placeholders").startswith("001 art.11")
    assert load_policy("002").clause("content.source_placeholders") == "002 art.10.1"
    assert load_policy("000").clause("source_placeholders").startswith("Herald default")


def test_con_2_queueing_a_post_whose_source_is_a_placeholder_stores_nothing(org):
    refused = _refused(org, _wechat(source="来源不详"))
    assert [(f, r) for f, r, _ in refused] == [("source", "CON-2")]
    assert "来源不详" in refused[0][2]


# --- PUB-2: the author holds the drafting role for the account ------------------------------------------


def test_pub_2_an_author_without_the_drafting_role_for_the_account_is_refused(org):
    # author2 is the info officer of the group and the subsidiary, not of the office that hosts WX-OFFICE.
    refused = _refused(org, _wechat(author_id="author2"))
    assert [(f, r) for f, r, _ in refused] == [("author_id", "PUB-2")]
    message = refused[0][2]
    assert "周运营" in message and "信息员（各部门兼职信息员）" in message and "001号制度第12.1条" in message
    assert queue_post(org, _wechat(), now=NOW)  # the office's own info officer may


def test_pub_2_the_role_is_judged_on_the_day_of_the_request(org):
    insert(org, "role_assignments", assignment_id="RA-OLD", person_id="outsider", role="info_officer",
           account_id="WB-GROUP", valid_from_on=date(2025, 1, 1), valid_to_on=date(2026, 3, 1))
    refused = _refused(org, _weibo(author_id="outsider"))  # the assignment ended the day before
    assert [(f, r) for f, r, _ in refused] == [("author_id", "PUB-2")] and "2026-03-02" in refused[0][2]
    assert queue_post(org, _weibo(author_id="outsider"), now=NOW - timedelta(days=5))  # requested while it held


def test_pub_2_the_drafting_role_comes_from_the_pack(org):
    """Policy 003 has the operator draft: the info officer is refused, the account's operator may submit."""
    def policy_003(_policy_id):
        return load_policy("003")

    request = _weibo(category=_category("003"))
    refused = _refused(org, request, policy_for=policy_003)
    assert [(f, r) for f, r, _ in refused] == [("author_id", "PUB-2")]
    assert "运营人员" in refused[0][2]
    insert(org, "role_assignments", assignment_id="RA-OP", person_id="author2", role="operator",
           account_id="WB-GROUP", valid_from_on=date(2024, 1, 1))
    assert queue_post(org, request, now=NOW, policy_for=policy_003)


# --- PUB-2: one person signs at most one step of a chain -------------------------------------------------


def test_pub_2_one_person_signs_one_step_of_a_chain(org):
    # The supervising leader also manages the upper-level platform of WB-SUB: both roles of its 000 chain.
    insert(org, "role_assignments", assignment_id="RA-BOTH", person_id="leader", role="upper_platform_manager",
           account_id="WB-GROUP", valid_from_on=date(2024, 1, 1))
    post_id = queue_post(org, _weibo(account="WB-SUB"), now=NOW)
    assert _approve(org, post_id, "leader")["step_no"] == 1
    content_hash = post_status(org, post_id)["content_hash"]
    refused = _decision_refused(org, post_id=post_id, approver_id="leader", content_hash=content_hash, now=NOW)
    assert [(f, r) for f, r, _ in refused] == [("approver_id", "PUB-2")]
    assert "第1步" in refused[0][2]
    assert _approve(org, post_id, "upper")["state"] == "approved"


def test_pub_2_a_policy_may_let_one_person_sign_several_steps(org):
    insert(org, "role_assignments", assignment_id="RA-BOTH", person_id="leader", role="upper_platform_manager",
           account_id="WB-GROUP", valid_from_on=date(2024, 1, 1))

    def lenient(policy_id):
        return dataclasses.replace(load_policy(policy_id), one_step_per_person=False)

    post_id = queue_post(org, _weibo(account="WB-SUB"), now=NOW)
    _approve(org, post_id, "leader", policy_for=lenient)
    assert _approve(org, post_id, "leader", policy_for=lenient)["state"] == "approved"
    assert all(load_policy(p).one_step_per_person for p in ("000", "001", "002", "003"))


# --- PUB-1: no decision once the publish time passed -----------------------------------------------------


def test_pub_1_no_decision_at_or_after_the_publish_time(org):
    post_id = queue_post(org, _weibo(), now=NOW)
    content_hash = post_status(org, post_id)["content_hash"]
    refused = _decision_refused(org, post_id=post_id, approver_id="leader", content_hash=content_hash, now=LATER)
    assert [(f, r) for f, r, _ in refused] == [("post_id", "PUB-1")]
    assert "2026-03-10 10:00:00 (北京时间)" in refused[0][2] and "已过" in refused[0][2]
    assert _approve(org, post_id, "leader", when=LATER - timedelta(seconds=1))["state"] == "approved"


def test_pub_1_no_decision_on_an_expired_post(org):
    post_id = queue_post(org, _weibo(), now=NOW)
    content_hash = post_status(org, post_id)["content_hash"]
    assert expire_due(org, now=LATER, detected_by="test") == [post_id]
    refused = _decision_refused(org, post_id=post_id, approver_id="leader", content_hash=content_hash,
                                now=NOW + timedelta(days=1))
    assert [(f, r) for f, r, _ in refused] == [("post_id", "PUB-1")]
    assert "已过期" in refused[0][2] and "2026-03-10 10:00:00 (北京时间)" in refused[0][2]


# --- CON-7: the platforms' text limits, at queue time -----------------------------------------------------


def test_con_7_wechat_title_is_required_and_at_most_32_characters(org):
    assert queue_post(org, _wechat(title="安" * 32), now=NOW)
    refused = _refused(org, _wechat(title="安" * 33))
    assert [(f, r) for f, r, _ in refused] == [("title", "CON-7")] and "33" in refused[0][2]
    assert [(f, r) for f, r, _ in _refused(org, _wechat(title=None))] == [("title", "CON-7")]


def test_con_7_wechat_body_is_shorter_than_20000_characters(org):
    def body(length):
        return "<p>" + "安" * (length - 7) + "</p>"

    assert queue_post(org, _wechat(body=body(19_999)), now=NOW)
    refused = _refused(org, _wechat(body=body(20_000)))
    assert [(f, r) for f, r, _ in refused] == [("body", "CON-7")] and "20000" in refused[0][2]


def test_con_7_wechat_takes_at_most_8_articles():
    assert check_wechat_article("标题", "<p>正文</p>", articles=8) == []
    assert [(v.field, v.rule_id) for v in check_wechat_article("标题", "<p>正文</p>", articles=9)] == [("articles", "CON-7")]


def test_con_7_a_weibo_text_carries_a_link(org):
    refused = _refused(org, _weibo(body="集团年度工作会议今日召开"))
    assert [(f, r) for f, r, _ in refused] == [("body", "CON-7")] and "链接" in refused[0][2]
    assert queue_post(org, _weibo(), now=NOW)


def test_con_7_the_link_is_checked_against_the_safe_domains_once_they_are_known():
    assert check_weibo_link(WEIBO_BODY, None) == []  # queue time: the account's safe domains are not known
    assert check_weibo_link(WEIBO_BODY, ["herald.example.com"]) == []
    assert check_weibo_link("见 https://news.herald.example.com/a", ["herald.example.com"]) == []
    assert [v.rule_id for v in check_weibo_link(WEIBO_BODY, ["example.org"])] == ["CON-7"]
    assert [v.rule_id for v in check_weibo_link("见 https://evilherald.example.com/a", ["herald.example.com"])] == ["CON-7"]


# --- CON-4: invisible characters in every field ----------------------------------------------------------

INVISIBLE = {
    "\u202e": "U+202E", "\u202a": "U+202A", "\u2066": "U+2066", "\u2069": "U+2069", "\u200b": "U+200B",
    "\u200c": "U+200C", "\u200d": "U+200D", "\u2060": "U+2060", "\ufeff": "U+FEFF", "\x00": "U+0000",
}


@pytest.mark.parametrize("char", list(INVISIBLE), ids=list(INVISIBLE.values()))
@pytest.mark.parametrize("html_allowed", [False, True])
def test_con_4_invisible_characters_are_refused_and_named(char, html_allowed):
    [violation] = check_text_field("title", f"集团{char}新闻", html_allowed=html_allowed)
    assert violation.rule_id == "CON-4" and INVISIBLE[char] in violation.message


@pytest.mark.parametrize("text", ["家庭日 👨\u200d👩\u200d👧", "❤\ufe0f\u200d🔥 热爱", "👍🏽\u200d👍", "שלום\u200e 集团"])
def test_con_4_emoji_sequences_and_marks_in_right_to_left_text_stay(text):
    assert check_text_field("title", text, html_allowed=False) == []


def test_con_4_a_direction_mark_with_no_right_to_left_text_is_refused():
    assert [v.rule_id for v in check_text_field("source", "集团\u200f宣传部", html_allowed=False)] == ["CON-4"]


def test_con_4_character_references_in_an_html_body_are_read_as_the_browser_reads_them():
    [violation] = check_text_field("body", "<p>集团&#x202E;新闻</p>", html_allowed=True)
    assert violation.rule_id == "CON-4" and "U+202E" in violation.message


@pytest.mark.parametrize("field, request_of", [
    ("title", lambda: _wechat(title="公司\u202e活动")),
    ("body", lambda: _wechat(body="<p>公司\u200b活动</p>")),
    ("source", lambda: _wechat(source="公司\u2060办公室")),
    ("category", lambda: _wechat(category=_category("001") + "\ufeff")),
    ("media[0].filename", lambda: _wechat(media=[{"kind": "video", "filename": "IMG_\u202e4pm.mov",
                                                  "size_bytes": 1_000, "sha256": "ab" * 32}])),
])
def test_con_4_every_text_field_and_media_file_names_are_checked_at_queue_time(org, field, request_of):
    refused = _refused(org, request_of())
    assert (field, "CON-4") in [(f, r) for f, r, _ in refused]


@pytest.mark.pg
def test_con_4_a_nul_in_an_id_is_named_before_the_database_sees_it(pg_db):
    small_org(pg_db)
    refused = _refused(pg_db, _wechat(account_id="WX-OFFICE\x00"))
    assert [(f, r) for f, r, _ in refused] == [("account_id", "CON-4")] and "NUL" in refused[0][2]
    assert [(f, r) for f, r, _ in _refused(pg_db, _wechat(author_id="au\u200bthor"))] == [("author_id", "CON-4")]
    post_id = queue_post(pg_db, _wechat(), now=NOW)
    content_hash = post_status(pg_db, post_id)["content_hash"]
    refused = _decision_refused(pg_db, post_id=post_id + "\x00", approver_id="dept_head\x00", content_hash=content_hash,
                                now=NOW)
    assert [(f, r) for f, r, _ in refused] == [("post_id", "CON-4"), ("approver_id", "CON-4")]


# --- PUB-7: an account named twice in a matrix release --------------------------------------------------


def test_pub_7_a_release_naming_an_account_twice_is_refused(org):
    release = ReleaseRequest(
        account_ids=("WB-GROUP", "WX-GROUP", " WB-GROUP"),
        base={"author_id": "author2", "title": "集团品牌日", "body": "<p>集团品牌日活动全文</p>",
              "category": _category("000"), "source": "集团行政中心", "publish_at": LATER.isoformat()},
        variants={"weibo": {"title": None, "body": "集团品牌日今天开幕 https://herald.example.com/brand"}},
    )
    before = snapshot(org)
    with pytest.raises(ValidationError) as refused:
        queue_release(org, release, now=NOW)
    assert [(v.field, v.rule_id) for v in refused.value.violations] == [("account_ids[2]", "PUB-7")]
    assert "第 1 项" in refused.value.violations[0].message
    assert snapshot(org) == before
    _, post_ids = queue_release(org, dataclasses.replace(release, account_ids=release.account_ids[:2]), now=NOW)
    assert len(post_ids) == 2
