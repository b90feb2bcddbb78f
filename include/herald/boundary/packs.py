"""The audit packs' inputs (ACC-6, SEC-5): ``herald pack build|list|verify`` and the packs page's query and paths.

Field names are what people type (the CLI's flags, the page's query parameters), so a refusal names what to fix.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from herald.boundary.models import ID_PATTERN, Identifier, Text, Time, _Door, _rule

Year = Annotated[int, Field(ge=2000, le=2099)]
# A pack's folder names: the cutoff as YYYYMMDDTHHMMSSZ and the account id or "group" (herald.audit.render).
STAMP_PATTERN = r"^\d{8}T\d{6}Z$"
# A file inside a pack: relative, no "..", no hidden parts; whether it exists is decided by the pack's manifests.
FILE_PATTERN = r"^[A-Za-z0-9_\-][A-Za-z0-9._\-]*(/[A-Za-z0-9_\-][A-Za-z0-9._\-]*)*$"


class PackBuildIn(_Door):
    """``herald pack build``: the year, the as-of cutoff and optionally some accounts (default: all, and the group)."""

    year: Year = _rule("ACC-6", "审计年度（如 2026）", alias="--year")
    cutoff: Time = _rule("ACC-6", "数据截止时间（带时区的 ISO 8601，如 2027-01-15T00:00:00+08:00）", alias="--cutoff")
    account_ids: list[Identifier] | None = _rule("ACC-6", "只生成这些账号的审计包（账号编号，可重复）；不填为全部账号和集团汇总",
                                                 alias="--account", default=None, max_length=10_000)
    root: Annotated[Text, Field(min_length=1, max_length=4096)] | None = _rule(
        "ACC-6", "审计包存放目录（默认 HERALD_PACK_ROOT 或 .demo/packs）", alias="--root", default=None)


class PackQueryIn(_Door):
    """The packs page's filters (``GET /herald/packs?year=&account=``) and ``herald pack list``."""

    year: Year | None = _rule("ACC-6", "只看这一年度", default=None)
    account: Annotated[str, Field(pattern=ID_PATTERN)] | None = _rule(
        "ACC-6", "只看这个账号（账号编号；集团汇总为 group）", default=None)


class PackFileIn(_Door):
    """One file of one pack (``GET /herald/packs/{year}/{stamp}/{subject}/{path}``)."""

    year: Year = _rule("ACC-6", "审计年度")
    stamp: Annotated[str, Field(pattern=STAMP_PATTERN)] = _rule("ACC-6", "数据截止时间（YYYYMMDDTHHMMSSZ，UTC）")
    subject: Annotated[str, Field(pattern=ID_PATTERN)] = _rule("ACC-6", "账号编号，集团汇总为 group")
    path: Annotated[str, Field(pattern=FILE_PATTERN, max_length=300)] | None = _rule("ACC-6", "包内文件的相对路径", default=None)
