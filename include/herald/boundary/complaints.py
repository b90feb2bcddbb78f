"""The typed door of complaints (SEC-4): what registering, assigning, answering and following up may carry.

The models check shape (types, sizes, allowed values); ``herald.complaints`` then checks the rest (the account exists,
the person may act for its host unit, the step applies to the complaint's state). Every field names rule SEC-4 (or
PUB-3 for acting in someone else's name), so a refusal reads 「字段 [SEC-4]: ……」 in Chinese.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from herald.boundary.models import ID_PATTERN, Identifier, Text, Time, _Door, _rule

RULE = "SEC-4"
CHANNELS = ("comment", "message", "phone", "email", "letter", "other")
OUTCOMES = ("satisfied", "unsatisfied", "unreachable")
STATES = ("registered", "assigned", "answered", "followed_up")
MAX_CONTENT_CHARS = 5000
MAX_NOTE_CHARS = 2000
COMPLAINT_ID_PATTERN = r"^CPL-[0-9A-F]{12}$"
ComplaintId = Annotated[str, Field(pattern=COMPLAINT_ID_PATTERN)]


class ComplaintIn(_Door):
    """Register a complaint received through an account (``complaint register``; ``POST /herald/complaints``)."""

    account_id: Identifier = _rule(RULE, "收到投诉的账号编号（须为在册账号）")
    content: Annotated[Text, Field(min_length=1, max_length=MAX_CONTENT_CHARS)] = _rule(RULE, "投诉内容")
    channel: Literal[CHANNELS] = _rule(  # type: ignore[valid-type]
        RULE, "投诉来源：comment（评论）、message（私信/留言）、phone（电话）、email（邮件）、letter（信函）或 other")
    received_at: Time = _rule(RULE, "收到投诉的时间，ISO 8601 带时区（如 2026-05-01T09:00:00+08:00）；各环节时限自此起算")
    source_ref: Annotated[Text, Field(min_length=1, max_length=128)] | None = _rule(
        RULE, "平台上评论或私信的编号（可选；同一账号同一编号只登记一次）", default=None)
    complainant: Annotated[Text, Field(min_length=1, max_length=100)] | None = _rule(
        RULE, "投诉人（昵称或姓名，可选）", default=None)
    contact: Annotated[Text, Field(min_length=1, max_length=200)] | None = _rule(
        RULE, "投诉人联系方式（可选，回访用）", default=None)


class ComplaintAssignIn(_Door):
    """Assign (受理) a complaint to a person who answers it (``complaint assign``)."""

    assignee_id: Identifier = _rule(RULE, "承办人编号（须为账号主办单位或主管部门的在职人员）")
    note: Annotated[Text, Field(max_length=MAX_NOTE_CHARS)] | None = _rule(RULE, "受理说明（可选）", default=None)


class ComplaintAnswerIn(_Door):
    """Answer (答复) a complaint: only its assignee (``complaint answer``)."""

    answer: Annotated[Text, Field(min_length=1, max_length=MAX_CONTENT_CHARS)] = _rule(RULE, "答复内容（必填）")


class ComplaintFollowUpIn(_Door):
    """Follow up (回访) an answered complaint (``complaint follow-up``)."""

    outcome: Literal[OUTCOMES] = _rule(  # type: ignore[valid-type]
        RULE, "回访结果：satisfied（满意）、unsatisfied（不满意）或 unreachable（无法联系）")
    note: Annotated[Text, Field(min_length=1, max_length=MAX_NOTE_CHARS)] = _rule(RULE, "回访记录（必填）")


class ComplaintsQueryIn(_Door):
    """Which complaints to list (``complaint list``; ``GET /herald/complaints``): the reader's units'."""

    state: Literal[STATES + ("open", "all")] = _rule(  # type: ignore[valid-type]
        RULE, "状态：registered、assigned、answered、followed_up，open（未回访完毕，默认）或 all", default="open")
    account_id: Annotated[str, Field(pattern=ID_PATTERN)] | None = _rule(RULE, "只看这个账号的投诉", default=None)
    limit: Annotated[int, Field(ge=1, le=1000)] = _rule(RULE, "最多列出多少条（默认 200）", default=200)

    def states(self) -> tuple[str, ...]:
        if self.state == "all":
            return STATES
        if self.state == "open":
            return STATES[:-1]
        return (self.state,)
