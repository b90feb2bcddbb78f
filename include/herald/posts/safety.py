"""Input safety: markup and injection attempts in text fields are refused, not stored.

Herald binds every value as a SQL parameter, so injected SQL could not run; it is refused anyway
because such text has no business on an official account and its author should be told. Only a
WeChat article body may carry HTML (the platform takes HTML there), and even then no scripts,
frames or event handlers.
"""

from __future__ import annotations

import re

from herald.errors import Violation

RULE = "CON-4"  # endangering company security (001 art.16 item 1)

_ANY_TAG = re.compile(r"<\s*/?\s*[a-zA-Z!][^>]*>")
_ACTIVE_HTML = re.compile(
    r"<\s*/?\s*(script|iframe|object|embed|form|meta|link|style|base)\b|\bon[a-z]+\s*=|javascript\s*:|vbscript\s*:|data\s*:\s*text/html",
    re.IGNORECASE,
)
_SQL_INJECTION = re.compile(
    r"('|\")\s*(or|and)\s+('?\w+'?)\s*=\s*('?\w+'?)"  # ' OR '1'='1
    r"|;\s*(drop|delete|truncate|alter|insert|update|create|grant)\s+\w+"  # ; DROP TABLE
    r"|\bunion\s+(all\s+)?select\b"
    r"|('|\")\s*;?\s*--"  # '--
    r"|/\*.*?\*/",
    re.IGNORECASE | re.DOTALL,
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def check_text_field(field: str, value: str, *, html_allowed: bool) -> list[Violation]:
    violations = []
    if _CONTROL.search(value):
        violations.append(Violation(field, RULE, "文本含有不可见控制字符，请删除后重新提交"))
    if html_allowed:
        match = _ACTIVE_HTML.search(value)
        if match:
            violations.append(Violation(field, RULE, f"正文含有可执行的网页代码“{match.group(0)}”，禁止提交"))
    else:
        match = _ANY_TAG.search(value)
        if match:
            violations.append(Violation(field, RULE, f"该字段不允许包含网页标记“{match.group(0)}”"))
    match = _SQL_INJECTION.search(value)
    if match:
        violations.append(Violation(field, RULE, f"文本含有疑似数据库注入语句“{match.group(0).strip()}”，禁止提交"))
    return violations
