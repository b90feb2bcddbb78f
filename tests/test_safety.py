"""Input safety (CON-4): article HTML cleaned by nh3 against the WeChat allow-list, every removal named
to the author; no SQL-keyword filter (values are bound as parameters); control characters and markup
in plain fields refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from builders import small_org
from herald.errors import ValidationError
from herald.posts.model import PostRequest
from herald.posts.queue import queue_post
from herald.posts.safety import (
    URL_SCHEMES,
    WECHAT_ARTICLE_ATTRIBUTES,
    WECHAT_ARTICLE_TAGS,
    check_text_field,
    sanitize_article_html,
)

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # a working Monday, 10:00 in Shanghai
LATER = NOW + timedelta(days=8)

# (submitted body, what the author's message must name, text the cleaned body must not contain)
ATTACKS = [
    ('<a href="&#106;avascript:alert(1)">点我</a>', "javascript:alert(1)", "alert"),
    ('<a href="jav&#x09;ascript:alert(1)">点我</a>', "jav\\tascript:alert(1)", "alert"),
    ('<a href="&#x6A;avascript:alert(1)">点我</a>', "javascript:alert(1)", "alert"),
    ('<a href="JaVaScRiPt:alert(document.cookie)">点我</a>', "JaVaScRiPt:", "cookie"),
    ("<img src=x onerror=alert(1)>", "onerror", "alert"),
    ("<svg onload=alert(1)><circle r=1 /></svg>", "<svg>", "alert"),
    ('<iframe src="https://evil.example.com/"></iframe>正文', "<iframe>", "evil"),
    ("<style>body{display:none}</style>正文", "<style>", "display"),
    ('<a href="data:text/html,&lt;script&gt;alert(1)&lt;/script&gt;">点我</a>', "data:text/html", "alert"),
    ("<script>alert(1)</script>正文", "<script>", "alert"),
    ('<img src="https://mmbiz.qpic.cn/a.png" data-src="javascript:alert(1)">', "data-src", "alert"),
]


@pytest.mark.parametrize(("body", "named", "gone"), ATTACKS, ids=[a[0][:32] for a in ATTACKS])
def test_con4_encoded_and_active_markup_is_removed_and_the_body_refused(body, named, gone):
    """CON-4: entity-encoded and mixed-case javascript: links, event handlers, svg, iframe, style,
    script and data: URLs are what the sanitiser removes; each is named and the body refused."""
    violations = check_text_field("body", body, html_allowed=True)
    assert violations, body
    assert {(v.field, v.rule_id) for v in violations} == {("body", "CON-4")}
    assert any(named in v.message for v in violations), [v.message for v in violations]
    cleaned = sanitize_article_html(body).html
    assert gone not in cleaned and "javascript" not in cleaned.lower() and " on" not in cleaned


ORDINARY = ["价格 /* 特惠 */ 10元", "It's 5 o'clock; drop by anytime", "a -- b", "SELECT 课程",
            "'; DROP TABLE posts; --", "x' OR '1'='1", "UNION SELECT 报名表", "1 < 2 且 3 > 2"]


@pytest.mark.parametrize("html_allowed", [False, True], ids=["plain", "html"])
@pytest.mark.parametrize("text", ORDINARY)
def test_con4_ordinary_text_passes_with_no_sql_keyword_filter(text, html_allowed):
    """CON-4 no longer refuses SQL-looking text: values are bound as parameters, so such text is only text."""
    assert check_text_field("title", text, html_allowed=html_allowed) == []


WECHAT_MARKUP = (
    '<section><h2>安全生产月</h2><p>本月<strong>全体员工</strong>参加<em>培训</em>，<span style="color:#c00;'
    'font-size:15px">报名截止 3 月 10 日</span>。</p>'
    '<p><img src="https://mmbiz.qpic.cn/mmbiz_jpg/abc/0?wx_fmt=jpeg" alt="现场" width="600"></p>'
    '<p><a href="https://www.example.com/notice?id=1&amp;lang=zh" title="通知">通知全文</a><br>'
    '<a href="http://www.example.com/">旧站</a></p><ul><li>一</li><li>二</li></ul>'
    '<table><tbody><tr><th>项目</th><td colspan="2">安全</td></tr></tbody></table><blockquote>引文</blockquote></section>'
)


def test_con4_allowed_wechat_markup_passes_unchanged():
    """CON-4: p, img with an https src, a with http(s) href, strong, em, span with colour/size style,
    lists and tables are on the WeChat allow-list and come out of the sanitiser as they went in."""
    assert check_text_field("body", WECHAT_MARKUP, html_allowed=True) == []
    result = sanitize_article_html(WECHAT_MARKUP)
    assert (result.html, result.removed) == (WECHAT_MARKUP, ())
    assert URL_SCHEMES == {"http", "https"}
    assert {"p", "img", "a", "strong", "span", "section"} <= WECHAT_ARTICLE_TAGS
    assert "style" in WECHAT_ARTICLE_ATTRIBUTES["*"] and "href" in WECHAT_ARTICLE_ATTRIBUTES["a"]


def test_con4_span_style_keeps_typography_and_names_each_refused_property():
    """CON-4: inline style is allowed property by property; position (overlays), background (url loads)
    and CSS-escaped property names are named, the allowed ones are not."""
    violations = check_text_field("body", '<span style="color: red; position: fixed; background: url(https://t.example/x)">'
                                          'a</span><span style="po\\73 ition:absolute">b</span>', html_allowed=True)
    messages = [v.message for v in violations]
    assert len(messages) == 3, messages
    assert "“position”" in messages[0] and "“background”" in messages[1] and "po\\73 ition" in messages[2]
    assert not any("color" in m for m in messages)


@pytest.mark.parametrize("style", [
    "font-family:'a\n;position:fixed;x:'",  # a newline ends a CSS string: position applies
    'a\\"; position:fixed; "',  # an escaped quote opens no string
    "/**/position:fixed",  # comments are whitespace to CSS
    "POSITION: fixed",
])
def test_con4_style_tricks_never_hide_a_refused_property(style):
    """CON-4: however a declaration is dressed, a property the sanitiser drops is reported."""
    body = f'<p style="{style}">x</p>'
    assert sanitize_article_html(body).removed
    assert check_text_field("body", body, html_allowed=True)


def test_con4_relative_and_scheme_less_urls_are_refused():
    """CON-4: http/https only; a WeChat article has no page a relative or //host URL could resolve against."""
    body = '<a href="/about">关于</a><a href="//evil.example.com/">外链</a><img src="mmbiz.png">'
    messages = [v.message for v in check_text_field("body", body, html_allowed=True)]
    assert len(messages) == 3 and all("不是 http/https 网址" in m for m in messages), messages


def test_con4_each_distinct_removal_is_one_message_with_its_count():
    """CON-4: the author gets one message per distinct removed tag/attribute/link, repeats counted."""
    body = '<p onclick="go()">一</p><p onclick="go()">二</p><font color="red">三</font><p id="x">四</p>'
    messages = [v.message for v in check_text_field("body", body, html_allowed=True)]
    assert len(messages) == 3, messages
    assert "onclick" in messages[0] and messages[0].endswith("（共 2 处）")
    assert "<font>" in messages[1] and "color" not in messages[1]  # a removed tag's attributes go with it
    assert "属性 id" in messages[2]


def test_con4_comments_and_parser_disagreement_are_refused():
    """CON-4: comments are stripped (conditional comments once carried scripts) and a body that a browser
    would read differently from the inventory (``--!>`` closes a comment in HTML5) is refused as unreadable."""
    assert check_text_field("body", "<!--[if IE]><script>x</script><![endif]--><p>正文</p>", html_allowed=True)
    sneaky = "<!-- --!><img src=https://mmbiz.qpic.cn/a.png onerror=alert(1)> -->"
    removed = sanitize_article_html(sneaky).removed
    assert "unreadable" in [r.kind for r in removed]
    assert "onerror" not in sanitize_article_html(sneaky).html


def test_con4_plain_fields_refuse_markup_and_every_field_refuses_control_characters():
    """CON-4: a title, source or category carries no markup; control characters are refused everywhere."""
    assert [v.message for v in check_text_field("title", "<b>标题</b>", html_allowed=False)] == [
        "该字段不允许包含网页标记“<b>”"]
    assert check_text_field("title", "<p>正文</p>", html_allowed=True) == []
    for allowed in (False, True):
        violations = check_text_field("source", "公司\x00办公室", html_allowed=allowed)
        assert [(v.field, v.rule_id) for v in violations] == [("source", "CON-4")]


@pytest.fixture
def org(sqlite_db):
    small_org(sqlite_db)
    return sqlite_db


def _request(db, **overrides) -> PostRequest:
    from herald.policy import load_policy

    policy_id = db.fetch_one("posts/account_for_post", account_id="WX-OFFICE")["policy_id"]
    base = {"account_id": "WX-OFFICE", "author_id": "author", "title": "公司举办安全生产月活动",
            "body": "<p>本月公司各单位开展安全生产宣传活动。</p>", "source": "公司办公室",
            "category": next(iter(load_policy(policy_id).content.categories)), "publish_at": LATER.isoformat()}
    return PostRequest.from_mapping({**base, **overrides})


def test_con4_sql_looking_text_is_queued_and_stored_verbatim(org):
    """CON-4: text that the old SQL-keyword filter refused is queued and stored exactly as written."""
    title, source, body = "'; DROP TABLE posts; --", "x' OR '1'='1", "<p>价格 /* 特惠 */ 10元</p>"
    post_id = queue_post(org, _request(org, title=title, source=source, body=body), now=NOW)
    stored = org.fetch_one("posts/post", post_id=post_id)
    assert (stored["title"], stored["source"], stored["body"]) == (title, source, body)


def test_con4_script_link_in_a_wechat_article_is_refused_with_nothing_stored(org):
    """CON-4 at queue time: removal means refusal with the list; the body is never stored as-is or cleaned."""
    with pytest.raises(ValidationError) as refused:
        queue_post(org, _request(org, body='<p><a href="&#106;avascript:steal()">领奖</a><img src=x onerror=go()></p>'),
                   now=NOW)
    found = [(v.field, v.rule_id) for v in refused.value.violations]
    assert found == [("body", "CON-4")] * 3, refused.value.violations
    with org.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM posts").scalar() == 0
