"""The typed models of Herald's doors: what each request may carry, its types and its sizes.

The models check shape (types, sizes, allowed values, unknown fields); the domain (``herald.posts``) then checks the
policies. Each field's description is what ``--help`` on the command line and the HTTP door's OpenAPI schema show,
and each field names the rule a refusal of it cites (``rule`` in its JSON schema extra).
"""

from __future__ import annotations

import unicodedata
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

from herald.posts.model import PostRequest, ReleaseRequest

# The platforms a release may vary by (ORG-1): keys of a release's ``variants``.
PLATFORMS = ("wechat", "weibo", "qq", "website", "blog", "tieba", "forum", "mobile_newspaper", "app",
             "network_video", "mobile_tv")
# Text sizes at the door. The platforms' own limits (a WeChat title of 32 characters, an article body under 20,000,
# Weibo's 140) are policy checks made when the post is queued; the door only refuses what no platform takes.
MAX_TITLE_CHARS = 200
MAX_BODY_CHARS = 200_000
MAX_SHORT_TEXT_CHARS = 500
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:\-]{0,63}$"
# Publish times Herald can schedule: anything outside is a typing error, not a plan (and far dates overflow UTC).
EARLIEST_YEAR, LATEST_YEAR = 2000, 2099


def _no_unreadable_characters(value: str) -> str:
    """NUL and unpaired surrogates cannot be stored or shown: refused in every text at the door."""
    if "\x00" in value:
        raise PydanticCustomError("nul_character", "文本含有空字符（NUL），请删除后重新提交")
    if any(unicodedata.category(ch) == "Cs" for ch in value):
        raise PydanticCustomError("lone_surrogate", "文本含有无法编码的字符（未配对的代理项），请检查复制来源")
    return value


def _text_only(value: Any) -> Any:
    if not isinstance(value, str):
        raise PydanticCustomError("string_type", "必须是文本")
    return value


def _iso_text(value: Any) -> Any:
    """A time is an ISO 8601 text with its zone: a number or an object is refused, never guessed at."""
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or _is_number(value):  # Pydantic would read "1767225600" as Unix seconds
        raise PydanticCustomError("time_type", "必须是带时区的 ISO 8601 时间文本（例如 2026-05-01T09:00:00+08:00）")
    return value.strip()


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _schedulable(value: datetime) -> datetime:
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise PydanticCustomError("time_range", "时间超出可安排的范围（{earliest}–{latest} 年）",
                                  {"earliest": EARLIEST_YEAR, "latest": LATEST_YEAR})
    return value


def _rule(rule_id: str, description: str, **kwargs: Any) -> Any:
    return Field(description=description, json_schema_extra={"rule": rule_id}, **kwargs)


Text = Annotated[str, BeforeValidator(_text_only), AfterValidator(_no_unreadable_characters)]
Identifier = Annotated[str, BeforeValidator(_text_only), Field(pattern=ID_PATTERN)]
Time = Annotated[AwareDatetime, BeforeValidator(_iso_text), AfterValidator(_schedulable)]


class _Door(BaseModel):
    # Unknown fields are refused, so a typo never silently drops a value; strings are kept as written.
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=False)


class MediaIn(_Door):
    kind: Literal["image", "video"] = _rule("CON-8", "媒体类型：image 或 video")
    filename: Annotated[Text, Field(min_length=1, max_length=255)] = _rule("CON-8", "文件名（含扩展名，如 photo.jpg）")
    size_bytes: Annotated[int, Field(ge=0, le=10 * 1024**3), BeforeValidator(lambda v: _whole_number(v))] = _rule(
        "CON-8", "文件大小（字节）")
    sha256: Annotated[str, BeforeValidator(_text_only), Field(pattern=r"^[0-9a-fA-F]{64}$")] = _rule(
        "CON-8", "文件内容的 SHA-256（64 位十六进制）")
    head_bytes: Annotated[Text, Field(max_length=4096)] | None = _rule(
        "CON-8", "文件开头字节的 base64（图片必填：格式按文件内容判断，不按文件名）", default=None)
    content_type: Annotated[Text, Field(max_length=100)] | None = _rule("CON-8", "声明的 MIME 类型（可选）", default=None)
    wechat_media_id: Annotated[Text, Field(max_length=128)] | None = _rule(
        "CON-8", "微信素材 media_id（已上传到公众号素材库时）", default=None)


def _strict_bool(value: Any) -> Any:
    """true or false only: "yes", 1 or "否" are refused rather than guessed at."""
    if not isinstance(value, bool):
        raise PydanticCustomError("bool_choice", "只能是 true 或 false")
    return value


def _whole_number(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int):
        raise PydanticCustomError("int_type", "必须是整数")
    return value


class PostFields(_Door):
    """The fields of a post, every one optional: what a release's base and variants and an edit carry."""

    title: Annotated[Text, Field(max_length=MAX_TITLE_CHARS)] | None = _rule(
        "CON-1", "标题（微信图文必填，不超过 32 个字；微博可不填）", default=None)
    body: Annotated[Text, Field(min_length=1, max_length=MAX_BODY_CHARS)] | None = _rule(
        "CON-1", "正文（微信图文可用 HTML，其他平台为纯文本；微博不超过 140 个字）", default=None)
    category: Identifier | None = _rule("CON-1", "信息类别代码（制度允许的类别之一）", default=None)
    source: Annotated[Text, Field(max_length=MAX_SHORT_TEXT_CHARS)] | None = _rule(
        "CON-2", "信息来源（须写明真实来源，不得为“未知”“网络”等）", default=None)
    media: Annotated[list[MediaIn], Field(max_length=20)] | None = _rule("CON-8", "附带的图片或视频", default=None)
    publish_at: Time | None = _rule("CON-10", "定时发布时间，ISO 8601 带时区（如 2026-05-01T09:00:00+08:00）",
                                    default=None)
    urgency: Literal["regular", "urgent"] | None = _rule(
        "CON-10", "紧急程度：regular（常规，至少提前一周）或 urgent（重要紧急，至少提前一个工作日）", default=None)
    kind: Literal["article", "text", "mass_send", "page"] | None = _rule(
        "CON-1", "类型：article（图文）、text（文字）、mass_send（微信群发）、page（网站页面）", default=None)
    sensitive_marks: Annotated[
        list[Literal["major_event", "emergency", "social_hot_spot", "sensitive_topic"]], Field(max_length=4)
    ] | None = _rule(
        "CON-5", "敏感标记：major_event（重大事件）、emergency（突发事件）、social_hot_spot（社会热点）、sensitive_topic"
        "（敏感问题）；有标记或审查命中时须经主管部门授权", default=None)
    paid_repost: Annotated[bool, BeforeValidator(_strict_bool)] | None = _rule(
        "CON-6", "是否转载付费信息（true/false）；转载付费信息须按平台开通审批流程审批", default=None)


class ReleaseBaseIn(PostFields):
    """The fields every post of a release shares, with the author (the signed-in person over HTTP)."""

    author_id: Identifier | None = _rule("PUB-3", "提交人编号（省略时为登录的本人；不能以他人名义提交）", default=None)


class PostIn(PostFields):
    """One post to queue (``post queue``; ``POST /herald/posts``)."""

    account_id: Identifier = _rule("ACC-1", "发布账号的编号（须已登记并启用）")
    author_id: Identifier | None = _rule("PUB-3", "提交人编号（省略时为登录的本人；不能以他人名义提交）", default=None)
    body: Annotated[Text, Field(min_length=1, max_length=MAX_BODY_CHARS)] = _rule("CON-1", "正文")
    publish_at: Time = _rule("CON-10", "定时发布时间，ISO 8601 带时区（如 2026-05-01T09:00:00+08:00）")

    def to_domain(self, *, author_id: str | None = None) -> PostRequest:
        """The domain's request (which checks the policies next); ``author_id`` is the signed-in person's, if any."""
        fields = self.model_dump(exclude_unset=True)
        if author_id is not None:
            fields["author_id"] = author_id
        return PostRequest.from_mapping(fields)


class ReleaseIn(_Door):
    """A matrix release (PUB-7): one item for many accounts, with per-platform variants (``post release``)."""

    account_ids: Annotated[list[Identifier], Field(min_length=1, max_length=1000)] = _rule(
        "PUB-7", "发布到的账号编号列表（每个账号一次）")
    base: ReleaseBaseIn = _rule("PUB-7", "各账号共用的字段")
    variants: dict[Literal[PLATFORMS], PostFields] = _rule(  # type: ignore[valid-type]
        "PUB-7", "按平台覆盖的字段，如 {\"weibo\": {\"body\": \"...\"}}", default_factory=dict)

    def to_domain(self, *, author_id: str | None = None) -> ReleaseRequest:
        base = self.base.model_dump(exclude_unset=True)
        if author_id is not None:
            base["author_id"] = author_id
        variants = {platform: fields.model_dump(exclude_unset=True) for platform, fields in self.variants.items()}
        return ReleaseRequest(tuple(self.account_ids), base, variants)


class DecisionIn(_Door):
    """One approval decision on a post's next step (``post approve|reject``; ``POST /herald/posts/{id}/decisions``)."""

    decision: Literal["approved", "rejected"] = _rule("PUB-2", "审批意见：approved（同意）或 rejected（驳回）")
    content_hash: Annotated[str, BeforeValidator(_text_only), Field(pattern=r"^[0-9a-f]{64}$")] = _rule(
        "PUB-1", "所审内容的哈希（post show 显示的 content_hash），内容改动后须按新内容重审")
    reason: Annotated[Text, Field(max_length=MAX_SHORT_TEXT_CHARS)] | None = _rule(
        "PUB-2", "理由（驳回时必填）", default=None)
    approver_id: Identifier | None = _rule("PUB-2", "审批人编号（省略时为登录的本人；不能以他人名义审批）", default=None)


class EditIn(PostFields):
    """The fields of a queued post to change (``post edit``; ``PATCH /herald/posts/{id}``): content changes void signatures."""

    account_id: Identifier | None = _rule("PUB-1", "不能改投其他账号（只能与原账号相同）", default=None)

    def changes(self) -> dict[str, Any]:
        """Only the fields the request names (a field set to null is a change to nothing)."""
        return self.model_dump(exclude_unset=True)


class ManualConfirmationIn(_Door):
    """An operator's confirmation of an item published by hand on a manual channel."""

    link: Annotated[Text, Field(min_length=8, max_length=2048, pattern=r"^https?://\S+$")] = _rule(
        "PUB-4", "已发布信息的 http(s) 链接")


def field_help(model: type[BaseModel]) -> str:
    """One line a field, for ``--help``: name, required or not, and its description."""
    lines = []
    for name, info in model.model_fields.items():
        need = "必填" if info.is_required() else "可选"
        lines.append(f"  {name:12} {need}  {info.description or ''}")
    return "\n".join(lines)


# --- Findings workflow (issue 13): acknowledge and resolve, list and show ---

FINDING_ID_PATTERN = r"^F-[0-9a-f]{24}$"
FindingId = Annotated[str, BeforeValidator(_text_only), Field(pattern=FINDING_ID_PATTERN)]


class FindingActionIn(_Door):
    """Acknowledge or resolve a finding (``findings ack|resolve``; ``POST /herald/findings/{id}/acknowledgements``
    and ``/resolutions``): the person is the signed-in one; the reason is kept in the finding's history."""

    reason: Annotated[Text, Field(min_length=1, max_length=MAX_SHORT_TEXT_CHARS)] = _rule(
        "ORG-2", "理由（必填）：确认时写明谁在处理、怎么处理；解决时写明如何整改")


class FindingsQueryIn(_Door):
    """Which findings to list (``findings``; ``GET /herald/findings``): by default the open ones of the reader's units."""

    state: Literal["open", "acknowledged", "unresolved", "resolved", "all"] = _rule(
        "ORG-2", "状态：open（待处理）、acknowledged（已确认）、unresolved（两者，默认）、resolved（已解决）或 all",
        default="unresolved")
    rule_id: Annotated[str, BeforeValidator(_text_only), Field(pattern=r"^[A-Z]{3}-\d{1,2}$")] | None = _rule(
        "ORG-2", "只看这条规则的问题（如 PUB-5）", default=None)
    limit: Annotated[int, Field(ge=1, le=5000)] = _rule("ORG-2", "最多列出多少条（1–5000，默认 500）", default=500)

    def states(self) -> tuple[str, ...]:
        return {"unresolved": ("open", "acknowledged"), "all": ("open", "acknowledged", "resolved")}.get(
            self.state, (self.state,))
