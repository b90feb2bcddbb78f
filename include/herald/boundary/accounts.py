"""The door's models for account applications (ACC-1, ACC-2, ACC-3): the registration form, a decision, an import.

Shape only (types, sizes, allowed values, unknown fields): whether a unit, a person or a platform exists and whether
the form is complete for the policy is the domain's check (``herald.accounts.registration``).
"""

from __future__ import annotations

import base64
import binascii
from datetime import date
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field
from pydantic_core import PydanticCustomError

from herald.accounts.registration import ApplicationRequest
from herald.boundary.models import MAX_SHORT_TEXT_CHARS, PLATFORMS, Identifier, Text, _Door, _rule, _text_only

# A one-sheet form is about 10 KB; its base64 must fit the door's 1 MiB request limit (herald.boundary.documents).
MAX_IMPORT_BYTES = 512 * 1024
APPLICATION_ID_PATTERN = r"^APP-[0-9a-f]{16}$"
ApplicationId = Annotated[str, BeforeValidator(_text_only), Field(pattern=APPLICATION_ID_PATTERN)]
ShortText = Annotated[Text, Field(min_length=1, max_length=MAX_SHORT_TEXT_CHARS)]
LongText = Annotated[Text, Field(min_length=1, max_length=2000)]


def _iso_date(value: object) -> object:
    """A date is ISO text (2026-05-01): a number is refused rather than read as a timestamp."""
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    # "time_type": a format error whose message is Herald's own (herald.boundary.refusals)
    raise PydanticCustomError("time_type", "日期必须是 ISO 格式文本（如 2026-05-01）")


def _strict_bool(value: object) -> object:
    if not isinstance(value, bool):
        raise PydanticCustomError("bool_type", "必须是 true 或 false")
    return value


Day = Annotated[date, BeforeValidator(_iso_date)]


class AccountApplicationIn(_Door):
    """The registration form (公司新媒体建设备案登记表, 003 §5.1) as an application (``account apply``;
    ``POST /herald/accounts/applications``). The applicant is the signed-in person; the opinions of the host unit and
    the competent department are signed by the creation chain's steps, not filed here."""

    creating_unit_id: Identifier = _rule("ACC-3", "创建单位（组织机构编号）；即申请部门")
    platform: Literal[PLATFORMS] = _rule("ORG-1", "新媒体平台：" + "、".join(PLATFORMS))  # type: ignore[valid-type]
    name: Annotated[Text, Field(min_length=1, max_length=100)] = _rule("ACC-3", "账号名称")
    platform_account_id: Annotated[Text, Field(min_length=1, max_length=200)] | None = _rule(
        "ACC-3", "账号ID（平台上的账号标识）", default=None)
    link: Annotated[Text, Field(min_length=1, max_length=2048)] | None = _rule(
        "ACC-3", "媒体链接地址或服务号", default=None)
    is_verified: Annotated[bool, BeforeValidator(_strict_bool)] | None = _rule("ACC-3", "是否认证（true/false）", default=None)
    verification_documents: ShortText | None = _rule("ACC-3", "认证需要文件（已认证时必填）", default=None)
    purpose: LongText | None = _rule("ACC-3", "宗旨（开通的目的）", default=None)
    content_scope: LongText | None = _rule("ACC-3", "内容范围（信息发布范围）", default=None)
    planned_opened_on: Day | None = _rule("ACC-3", "创建时间（计划开通日期，ISO 日期）；实际开通日期在审批完成时记录",
                                          default=None)
    supervising_leader_id: Identifier | None = _rule("ACC-3", "主管领导（人员编号）", default=None)
    administrator_ids: Annotated[list[Identifier], Field(max_length=20)] = _rule(
        "ACC-3", "管理员（人员编号列表；姓名、电话、邮箱取自人员名册）", default_factory=list)
    host_unit_id: Identifier | None = _rule("ACC-3", "主办单位（省略时同创建单位）", default=None)
    related_unit_ids: Annotated[list[Identifier], Field(max_length=20)] = _rule(
        "ACC-2", "相关部门（会签的部门编号列表，000 §3.2）", default_factory=list)
    parent_account_id: Identifier | None = _rule("ORG-3", "上级账号编号（下级平台填写）", default=None)
    account_id: Identifier | None = _rule("ACC-1", "账号编号（省略时自动生成）", default=None)

    def to_domain(self) -> ApplicationRequest:
        return ApplicationRequest.from_mapping(self.model_dump())


class AccountDecisionIn(_Door):
    """A decision on an application's current step (``account approve|reject``;
    ``POST /herald/accounts/applications/{id}/decisions``). The approver is the signed-in person."""

    decision: Literal["approved", "rejected"] = _rule("ACC-2", "审批意见：approved（同意）或 rejected（驳回）")
    reason: Annotated[Text, Field(max_length=MAX_SHORT_TEXT_CHARS)] | None = _rule("ACC-2", "理由（驳回时必填）", default=None)
    step_no: Annotated[int, Field(ge=1, le=100)] | None = _rule(
        "ACC-2", "所审的步骤号（可选；给出时只审这一步，已不是当前步骤则拒绝）", default=None)
    is_sealed: Annotated[bool, BeforeValidator(_strict_bool)] | None = _rule(
        "ACC-3", "主办单位意见是否已加盖公章（主办单位意见这一步填写）", default=None)
    approver_id: Identifier | None = _rule("ACC-2", "审批人编号（省略时为登录的本人；不能以他人名义审批）", default=None)


def _base64_bytes(value: object) -> object:
    """The file's bytes; errors use the "time_type" kind only because herald.boundary.refusals shows its message as is."""
    if not isinstance(value, str):
        raise PydanticCustomError("string_type", "必须是 base64 文本")
    if len(value) > (MAX_IMPORT_BYTES * 4) // 3 + 4:
        raise PydanticCustomError("time_type", "文件过大（最多 {limit} 字节）", {"limit": MAX_IMPORT_BYTES})
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise PydanticCustomError("time_type", "文件内容不是合法的 base64 文本") from None


class AccountImportIn(_Door):
    """An Excel registration form to import (``account import``; ``POST /herald/accounts/applications/import``)."""

    filename: Annotated[Text, Field(min_length=1, max_length=255, pattern=r"(?i)^[^/\\]+\.xlsx$")] = _rule(
        "ACC-3", "文件名（.xlsx）")
    content_base64: Annotated[bytes, BeforeValidator(_base64_bytes)] = _rule("ACC-3", "文件内容（base64）")


class ApplicationsQueryIn(_Door):
    """Which applications to list (``account list``; ``GET /herald/accounts/applications``)."""

    state: Literal["pending", "approved", "rejected"] | None = _rule(
        "ACC-2", "状态：pending（审批中）、approved（已开通）、rejected（已驳回）；省略为全部", default=None)
    limit: Annotated[int, Field(ge=1, le=5000)] = _rule("ACC-2", "最多列出多少条（默认 200）", default=200)
