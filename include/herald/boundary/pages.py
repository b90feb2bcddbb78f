"""The typed inputs of the pages for schedulers and approvers (``/herald/pages/...``).

The queue form posts the same ``PostIn`` as ``POST /herald/posts``; what only the pages take is here: the calendar's
query (which view, which day) and the form fields every page form carries beside its model's fields (the
anti-forgery token and the idempotency key). Refusals are ``herald.errors.ValidationError``, like every door's.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field

from herald.boundary.models import _Door, _rule, _text_only

# Form fields every page form carries that are not part of the request's model.
CSRF_FIELD = "csrf_token"
KEY_FIELD = "idempotency_key"
MAX_FORM_FIELDS = 40


class CalendarQuery(_Door):
    """``GET /herald/pages/calendar``: a week or a month of posts (Shanghai days), around one day."""

    view: Literal["week", "month"] = _rule("CON-10", "视图：week（周）或 month（月）", default="week")
    day: Annotated[date, BeforeValidator(_text_only)] | None = _rule(
        "CON-10", "显示包含这一天（北京时间，YYYY-MM-DD）的周或月，省略为今天", default=None)


class FormMeta(_Door):
    """What a page form carries beside its request: the anti-forgery token and the idempotency key."""

    csrf_token: Annotated[str, BeforeValidator(_text_only), Field(min_length=1, max_length=512)] = _rule(
        "PUB-3", "防伪令牌（页面生成，证明表单由本人在 Herald 页面上提交）")
    idempotency_key: Annotated[str, BeforeValidator(_text_only), Field(pattern=r"^[A-Za-z0-9-]{1,64}$")] | None = _rule(
        "格式", "幂等键（页面生成；重复提交同一表单只执行一次）", default=None)
