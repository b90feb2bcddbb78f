"""The pages for schedulers and approvers (``herald_airflow.pages``), in process on the small organisation (PostgreSQL).

Each page as a signed-in user sees it; the queue form's refusals (every one at once, beside its field, with its
rule); forms without a valid anti-forgery token refused before anything is written; what people wrote escaped.
The same pages in a real browser against a real api-server: tests/test_pages_browser.py.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta

import pytest
import sqlalchemy as sa

from builders import snapshot

pytestmark = [pytest.mark.pg, pytest.mark.integrity]

SHANGHAI_DAY = (datetime.now(UTC) + timedelta(hours=8)).date() + timedelta(days=10)  # Beijing date, 10 days ahead
XSS = '<script>alert("x")</script> & \'单引号\' "双引号"'
ESCAPED = "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &#39;单引号&#39; &#34;双引号&#34;"  # as Jinja2 writes it


def _category(policy_id: str = "000") -> str:
    from herald.policy import load_policy

    return next(iter(load_policy(policy_id).content.categories))


def _form_tokens(page: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="(csrf_token|idempotency_key)" value="([^"]*)"', page))


def _good_form(**changes: str) -> dict[str, str]:
    return {"account_id": "WB-GROUP", "title": "", "body": "集团年会将于下周举行 https://example.com/meeting",
            "category": _category(), "source": "集团行政中心", "publish_at": f"{SHANGHAI_DAY.isoformat()}T00:30",
            "urgency": "regular", "kind": "article", **changes}


def _queue(api, login: str, form: dict[str, str], tokens: dict[str, str] | None = None):
    client = api(login)
    if tokens is None:
        tokens = _form_tokens(client.get("/pages/queue").text)
    return client.post("/pages/queue", data={**tokens, **form}, follow_redirects=False)


def _cell(page: str, day) -> str:
    """The calendar cell of one day (its date heading up to the end of the cell)."""
    start = page.index(f'<div class="date">{day.month}月{day.day}日</div>')
    return page[start:page.index("</td>", start)]


def test_queue_form_queues_through_the_door_and_the_post_page_shows_the_chain(api, pg_db):
    form_page = api("zhou.yunying").get("/pages/queue")
    assert form_page.status_code == 200 and "排期一条信息" in form_page.text and "周运营" in form_page.text
    assert form_page.headers["content-security-policy"].startswith("default-src 'none'")
    tokens = _form_tokens(form_page.text)
    assert set(tokens) == {"csrf_token", "idempotency_key"}

    answer = _queue(api, "zhou.yunying", _good_form(title="集团年会预告"), tokens)
    assert answer.status_code == 303, answer.text
    post_id = answer.headers["location"].rsplit("/", 1)[1]
    post = pg_db.fetch_one("posts/post", post_id=post_id)
    # Beijing time as typed, the signed-in author, the same record the JSON door writes.
    assert post["publish_at"] == datetime.combine(SHANGHAI_DAY, time(0, 30)).replace(tzinfo=UTC) - timedelta(hours=8)
    assert (post["author_id"], post["state"], post["title"]) == ("author2", "awaiting_approval", "集团年会预告")
    # A second press of the same form (same idempotency key) queues nothing more.
    again = _queue(api, "zhou.yunying", _good_form(title="集团年会预告"), tokens)
    assert again.status_code == 303 and again.headers["location"] == answer.headers["location"]
    with pg_db.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM posts")).scalar() == 1

    page = api("wu.zhuguan").get(answer.headers["location"])
    assert page.status_code == 200
    text = page.text
    assert "集团年会预告" in text and "待审批" in text and "审批链" in text and "第1步" in text
    assert post["content_hash"] in text and "尚未发布" in text and "未命中敏感词" in text


def test_an_approver_signs_the_next_step_on_the_post_page_and_nobody_else_can(api, pg_db):
    """PUB-2: the post page's form signs the current step as the signed-in person, for the content shown."""
    answer = _queue(api, "zhou.yunying", _good_form(title="集团年会预告"))
    location = answer.headers["location"]
    post_id = location.rsplit("/", 1)[1]
    approver = api("wu.zhuguan")
    page = approver.get(location).text
    assert "同意（签批当前一步）" in page
    tokens = _form_tokens(page)
    content_hash = pg_db.fetch_one("posts/post", post_id=post_id)["content_hash"]
    # The author cannot sign their own post; the refusal names the rule and writes nothing.
    author = api("zhou.yunying")
    before = snapshot(pg_db)
    refused = author.post(f"/pages/posts/{post_id}/decision", follow_redirects=False,
                          data={**_form_tokens(author.get(location).text), "decision": "approved",
                                "content_hash": content_hash})
    assert refused.status_code == 422 and "PUB-" in refused.text and snapshot(pg_db) == before
    # A forged form (no token) is refused before anything is read. (api(login) switches the one client's user.)
    assert api("wu.zhuguan").post(f"/pages/posts/{post_id}/decision", data={
        "decision": "approved", "content_hash": content_hash}).status_code == 403
    signed = api("wu.zhuguan").post(f"/pages/posts/{post_id}/decision", follow_redirects=False,
                                    data={**tokens, "decision": "approved", "content_hash": content_hash})
    assert signed.status_code == 303, signed.text
    steps = pg_db.fetch("posts/approvals", post_id=post_id)
    assert [(s["step_no"], s["approver_id"], s["decision"]) for s in steps] == [(1, "leader", "approved")]


def test_the_post_page_shows_signatures_door_hash_attempts_and_the_link(api, pg_db):
    answer = _queue(api, "zhou.yunying", _good_form(title="安全生产月"))
    post_id = answer.headers["location"].rsplit("/", 1)[1]
    content_hash = pg_db.fetch_one("posts/post", post_id=post_id)["content_hash"]
    decided = api("wu.zhuguan").post(f"/posts/{post_id}/decisions", json={"decision": "approved", "content_hash": content_hash})
    assert decided.status_code == 200, decided.text
    now = datetime.now(UTC)
    with pg_db.engine.begin() as conn:  # what dispatch writes: an attempt and the published item
        conn.execute(sa.text(
            "INSERT INTO dispatch_attempts (attempt_id, post_id, attempt_no, operation, outcome, error_code, error_message,"
            " started_at, finished_at) VALUES ('A1', :p, 1, 'weibo.statuses.share', 'retry', '10023', '频次超限', :t, :t)"),
            {"p": post_id, "t": now})
        conn.execute(sa.text(
            "INSERT INTO published_items (item_id, post_id, account_id, platform, origin, url, published_at)"
            " VALUES ('I1', :p, 'WB-GROUP', 'weibo', 'dispatch', 'https://weibo.example/1234', :t)"), {"p": post_id, "t": now})
    text = api("zhou.yunying").get(f"/pages/posts/{post_id}").text
    assert "已批准" in text and "吴主管" in text and "HTTP 接口" in text and content_hash[:12] in text
    assert "稍后重试" in text and "频次超限" in text and 'href="https://weibo.example/1234"' in text

    missing = api("zhou.yunying").get("/pages/posts/P-NOPE")
    assert missing.status_code == 404 and "找不到这条信息" in missing.text


def test_the_queue_form_shows_every_refusal_beside_its_field(api, pg_db):
    before = snapshot(pg_db)
    # The typed model first: every field it refuses, at once.
    shape = _queue(api, "zhou.yunying", _good_form(account_id="", body=" ", publish_at="明天上午", urgency="soon"))
    assert shape.status_code == 422
    text = shape.text
    assert "共 4 处需要修改" in text
    for field, rule in (("account_id", "ACC-1"), ("body", "CON-1"), ("publish_at", "格式"), ("urgency", "CON-10")):
        block = re.search(rf'<label class="bad">[^<]*\s*<(?:select|input|textarea)[^>]*name="{field}".*?</label>', text, re.S)
        assert block is not None, field
        assert f'<span class="rule">{rule}</span>' in block.group(0), (field, block.group(0))
    assert 'value="明天上午"' in text  # what was typed stays in the form

    # Then the domain's policies (the same queue_post as POST /herald/posts): every refusal at once again.
    policy = _queue(api, "zhou.yunying", _good_form(account_id="WB-SUSPENDED", source="网络", category="NOPE",
                                                    publish_at=f"{(SHANGHAI_DAY - timedelta(days=9)).isoformat()}T09:00"))
    assert policy.status_code == 422
    rules = set(re.findall(r'<li><span class="rule">([^<]+)</span>', policy.text))
    assert {"ACC-1", "CON-2", "CON-10"} <= rules, rules
    assert "暂停" in policy.text
    assert snapshot(pg_db) == before  # nothing was written


def test_forms_without_the_users_token_are_refused_before_anything_is_written(api, pg_db):
    finding = _finding(pg_db, "WB-SUB")
    before = snapshot(pg_db, ("posts", "post_events", "approval_steps", "findings", "finding_history"))
    for tokens in ({}, {"csrf_token": "forged"}, _form_tokens(api("li.xinxi").get("/pages/queue").text)):
        refused = _queue(api, "zhou.yunying", _good_form(), tokens)  # li.xinxi's token is not zhou.yunying's
        assert refused.status_code == 403, tokens
        assert "防伪令牌" in refused.text and "PUB-3" in refused.text
    assert api("jiang.luren").post(f"/pages/findings/{finding}/acknowledge", data={"reason": "已安排"},
                                   follow_redirects=False).status_code == 403
    assert snapshot(pg_db, ("posts", "post_events", "approval_steps", "findings", "finding_history")) == before


def test_pages_escape_what_people_wrote(api, pg_db):
    answer = _queue(api, "zhou.yunying", _good_form(title="待改标题"))
    post_id = answer.headers["location"].rsplit("/", 1)[1]
    with pg_db.engine.begin() as conn:  # as if it came from elsewhere (an import, another tool)
        conn.execute(sa.text("UPDATE posts SET title = :t, state_reason = :t, body = :t WHERE post_id = :p"),
                     {"t": XSS, "p": post_id})
        conn.execute(sa.text("UPDATE accounts SET name = :t WHERE account_id = 'WB-GROUP'"), {"t": XSS})
    pages = [api("zhou.yunying").get(f"/pages/posts/{post_id}").text,
             api("zhou.yunying").get(f"/pages/calendar?view=month&day={SHANGHAI_DAY.isoformat()}").text,
             api("zhou.yunying").get("/pages/queue").text,
             _queue(api, "zhou.yunying", _good_form(title=XSS, body="")).text]
    for text in pages:
        assert "<script>" not in text and 'alert("x")' not in text
        assert ESCAPED in text
    assert f'title="{ESCAPED}"' in pages[1]  # inside an attribute too


def test_the_calendar_puts_posts_on_their_beijing_day_with_their_state(api, pg_db):
    first = _queue(api, "zhou.yunying", _good_form(title="凌晨发布的信息"))  # 00:30 Beijing is the day before in UTC
    next_day = f"{(SHANGHAI_DAY + timedelta(days=1)).isoformat()}T23:59"
    second = _queue(api, "zhou.yunying", _good_form(title="次日的信息", publish_at=next_day))
    assert first.status_code == second.status_code == 303
    with pg_db.engine.begin() as conn:
        conn.execute(sa.text("UPDATE posts SET state = 'rejected' WHERE title = '次日的信息'"))

    week = api("wei.xingzheng").get(f"/pages/calendar?view=week&day={SHANGHAI_DAY.isoformat()}")
    assert week.status_code == 200
    cell = _cell(week.text, SHANGHAI_DAY)
    assert "凌晨发布的信息" in cell and "00:30" in cell and "待审批" in cell and "次日的信息" not in cell
    following = SHANGHAI_DAY + timedelta(days=1)
    if following.weekday() != 0:  # still the same week
        assert "次日的信息" in _cell(week.text, following) and "已驳回" in _cell(week.text, following)
    assert "星期一" in week.text and week.text.count('<div class="date">') == 7

    month = api("wei.xingzheng").get(f"/pages/calendar?view=month&day={SHANGHAI_DAY.isoformat()}")
    assert month.status_code == 200 and f"{SHANGHAI_DAY.year} 年 {SHANGHAI_DAY.month} 月" in month.text
    assert "凌晨发布的信息" in _cell(month.text, SHANGHAI_DAY)
    assert month.text.count('<div class="date">') % 7 == 0 and month.text.count('<div class="date">') >= 28

    refused = api("wei.xingzheng").get("/pages/calendar?view=year")
    assert refused.status_code == 422 and "week" in refused.text and "无法显示发布日历" in refused.text
    assert api("nobody").get("/pages/calendar").status_code == 403


def _finding(db, account_id: str, rule_id: str = "PUB-5", summary: str = "账号本周未更新") -> str:
    from herald.findings import Finding, record_event_findings

    finding = Finding(rule_id, "account", account_id, "2026-W45", "medium", summary, {"host_unit_id": None})
    with db.transaction() as tx:
        record_event_findings(tx, [finding], detected_by="test", now=datetime.now(UTC))
    return finding.finding_id


def test_the_findings_page_lists_the_readers_units_and_acknowledges_and_resolves(api, pg_db):
    mine = _finding(pg_db, "WB-SUB", summary="子公司微博本周未更新 <b>粗体</b>")
    other = _finding(pg_db, "WX-OFFICE", summary="办公室公众号本周未更新")
    page = api("jiang.luren").get("/pages/findings")  # 蒋路人 works in the subsidiary (SUB)
    assert page.status_code == 200
    assert "子公司微博本周未更新 &lt;b&gt;粗体&lt;/b&gt;" in page.text and "办公室公众号本周未更新" not in page.text
    assert "待处理" in page.text and "确认" in page.text and "已解决" in page.text
    tokens = _form_tokens(page.text)

    no_reason = api("jiang.luren").post(f"/pages/findings/{mine}/acknowledge", data={**tokens, "reason": " "},
                                        follow_redirects=False)
    assert no_reason.status_code == 422 and "ORG-2" in no_reason.text and "理由" in no_reason.text
    not_mine = api("jiang.luren").post(f"/pages/findings/{other}/acknowledge", data={**tokens, "reason": "我来处理"},
                                       follow_redirects=False)
    assert not_mine.status_code == 422 and "无权处理" in not_mine.text

    acknowledged = api("jiang.luren").post(f"/pages/findings/{mine}/acknowledge",
                                           data={**tokens, "reason": "已安排专人更新"}, follow_redirects=False)
    assert acknowledged.status_code == 303, acknowledged.text
    assert "已确认" in api("jiang.luren").get("/pages/findings").text
    fresh = _form_tokens(api("jiang.luren").get("/pages/findings").text)
    resolved = api("jiang.luren").post(f"/pages/findings/{mine}/resolve", data={**fresh, "reason": "本周已发两条"},
                                       follow_redirects=False)
    assert resolved.status_code == 303
    with pg_db.transaction() as tx:
        from herald.findings import finding_detail

        detail = finding_detail(tx, mine)
    assert detail["state"] == "resolved"
    assert [(h["to_state"], h["via"], h["reason"]) for h in detail["history"]] == [
        ("acknowledged", "page", "已安排专人更新"), ("resolved", "page", "本周已发两条")]
    assert "子公司微博本周未更新" not in api("jiang.luren").get("/pages/findings").text


def test_the_plugin_links_the_pages_from_airflows_navigation():
    from herald_plugin import HeraldPlugin

    views = HeraldPlugin().external_views
    pages = [(v["name"], v["href"], v["destination"]) for v in views if "/herald/pages/" in v["href"]]
    assert pages == [("发布日历", "/herald/pages/calendar", "nav"), ("排期", "/herald/pages/queue", "nav"),
                     ("待办发现", "/herald/pages/findings", "nav")]
    assert len({v["url_route"] for v in views}) == len(views)  # each shown inside Airflow's UI under its own route
