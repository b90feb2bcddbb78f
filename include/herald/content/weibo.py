"""CON-7: Weibo text length, counted the platform's way.

length = ceil((ASCII chars + 2 × other chars + url_weight × URLs) / 2), in "Chinese characters".
A URL counts ``url_weight`` half-width units (20, i.e. 10 Chinese characters) whatever its length;
its own characters are not counted again. Characters are Unicode code points: an emoji such as 😀
is one non-ASCII code point (2 units), and a composed emoji counts each of its code points.

A URL is ``http://`` or ``https://`` followed by printable ASCII; it stops at the first space or
non-ASCII character (Chinese text often follows a link without a space) and does not take trailing
punctuation such as ``.`` ``,`` ``)`` that usually belongs to the sentence.

The platform also refuses a status without a link to the app's registered safe domain
(platform-contracts.md, ``statuses/share.json``): ``check_weibo_link``. Like the length, it is a
platform text limit, so it is refused under CON-7 too.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from urllib.parse import urlsplit

from herald.errors import Violation

URL_PATTERN = re.compile(r"https?://[!-~]*[A-Za-z0-9/#=&_\-~%+]", re.ASCII)


def weibo_length(text: str, url_weight: int = 20) -> int:
    urls = URL_PATTERN.findall(text)
    rest = URL_PATTERN.sub("", text)
    ascii_chars = sum(1 for ch in rest if ord(ch) < 128)
    units = ascii_chars + 2 * (len(rest) - ascii_chars) + url_weight * len(urls)
    return (units + 1) // 2  # ceil(units / 2)


def check_weibo_length(text: str, limits, field: str = "body") -> list[Violation]:
    length = weibo_length(text, limits.weibo_url_weight)
    if length > limits.weibo_max_chars:
        return [
            Violation(
                field,
                "CON-7",
                f"微博正文按平台规则计 {length} 字，超过 {limits.weibo_max_chars} 字上限"
                f"（英文字符计半字，每个链接计 {limits.weibo_url_weight / 2:g} 字）",
            )
        ]
    return []


def _on_domain(url: str, domains: Collection[str]) -> bool:
    try:
        host = (urlsplit(url).hostname or "").rstrip(".")
    except ValueError:
        return False
    return any(host == d or host.endswith("." + d) for d in (d.lower().strip(".") for d in domains))


def check_weibo_link(text: str, allowed_domains: Collection[str] | None, field: str = "body") -> list[Violation]:
    """CON-7 (platform limit): a Weibo status carries at least one link, to one of the app's safe domains.

    ``allowed_domains`` are the safe domains registered for the account's app (a link to the domain
    or any of its subdomains counts). They live with the account's connection (``extra.safe_domains``):
    the doors hand the queue a ``safe_domains_for`` lookup (``herald.posts.queue.validate``), and ``None``
    ("not known": no connection, or none registered) checks only the presence of a link.
    """
    urls = URL_PATTERN.findall(text)
    if not urls:
        return [Violation(field, "CON-7", "微博正文须包含至少一个链接（平台要求每条微博带有应用安全域名下的网址），"
                                          "请加上相关报道或活动页面的链接")]
    if allowed_domains is not None and not any(_on_domain(url, allowed_domains) for url in urls):
        shown = "、".join(sorted(allowed_domains)) or "（未登记）"
        return [Violation(field, "CON-7", f"微博正文中的链接都不在本账号应用登记的安全域名（{shown}）之内，平台会拒绝发布")]
    return []
