"""CON-7 (platform text limits): what WeChat's ``draft/add`` accepts, checked when the post is queued.

CON-7 is the rule about a platform's text limits (Weibo's 140 characters, 002 art.10.2); the
WeChat article limits of platform-contracts.md are refused under it too, so an author learns at
queue time what the platform would otherwise refuse at the publish time: a title of 1 to 32
characters, a body (``content``, HTML) of fewer than 20,000 characters, at most 8 articles in one
draft. The limits are the ones the WeChat client enforces before sending
(``herald.platforms.wechat``), read from there so the two never disagree.

A post is one article today, so the article count is 1 for every post; ``articles`` is the seam
for a post that carries several. Herald sends no ``digest`` (the platform takes the body's opening
words), so there is no digest to check.
"""

from __future__ import annotations

from herald.errors import Violation
from herald.platforms.wechat import MAX_ARTICLES, MAX_CONTENT_CHARS, MAX_TITLE_CHARS

RULE = "CON-7"
_WHY = "（微信平台接口限制，与微博字数同属平台文字限制）"


def check_wechat_article(title: str | None, body: str, *, articles: int = 1, field_prefix: str = "") -> list[Violation]:
    """Every WeChat ``draft/add`` limit the post breaks, by field."""
    violations = []
    if not (title or "").strip():
        violations.append(Violation(f"{field_prefix}title", RULE, f"微信图文必须有标题{_WHY}"))
    elif len(title) > MAX_TITLE_CHARS:
        violations.append(Violation(f"{field_prefix}title", RULE,
                                    f"微信图文标题为 {len(title)} 字，超过 {MAX_TITLE_CHARS} 字上限{_WHY}"))
    if len(body) >= MAX_CONTENT_CHARS:
        violations.append(Violation(f"{field_prefix}body", RULE,
                                    f"微信图文正文为 {len(body)} 字符，须少于 {MAX_CONTENT_CHARS} 字符{_WHY}"))
    if not 1 <= articles <= MAX_ARTICLES:
        violations.append(Violation(f"{field_prefix}articles", RULE,
                                    f"一次发布须含 1 至 {MAX_ARTICLES} 篇图文，现有 {articles} 篇{_WHY}"))
    return violations
