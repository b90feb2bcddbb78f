"""CON-7: Weibo text length, counted the platform's way.

length = ceil((ASCII chars + 2 × other chars + url_weight × URLs) / 2), in "Chinese characters".
A URL counts ``url_weight`` half-width units (20, i.e. 10 Chinese characters) whatever its length;
its own characters are not counted again. Characters are Unicode code points: an emoji such as 😀
is one non-ASCII code point (2 units), and a composed emoji counts each of its code points.

A URL is ``http://`` or ``https://`` followed by printable ASCII; it stops at the first space or
non-ASCII character (Chinese text often follows a link without a space) and does not take trailing
punctuation such as ``.`` ``,`` ``)`` that usually belongs to the sentence.
"""

from __future__ import annotations

import re

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
