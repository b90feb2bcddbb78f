"""Request documents before they are JSON: bytes, encoding, size and nesting depth.

Checked first and cheaply, so that no parser ever sees a document that could cost it seconds or its stack:
Python's own JSON parser recurses once per nesting level and dies of ``RecursionError`` on a few thousand ``[``.
"""

from __future__ import annotations

import codecs
import sys
from pathlib import Path
from typing import BinaryIO

from herald.errors import ValidationError, Violation

FORMAT_RULE = "格式"  # the rule named when a request is malformed rather than against a policy
# The largest request any door takes. The largest legitimate one is a WeChat article body (< 20,000 characters,
# platform-contracts.md) or a release of many accounts: 1 MiB holds either many times over.
MAX_REQUEST_BYTES = 1024 * 1024
# Herald's requests nest at most four levels (release -> variants -> platform -> media list -> item).
MAX_DEPTH = 16

_BOMS = (
    (codecs.BOM_UTF32_LE, "UTF-32 LE"),
    (codecs.BOM_UTF32_BE, "UTF-32 BE"),
    (codecs.BOM_UTF16_LE, "UTF-16 LE"),
    (codecs.BOM_UTF16_BE, "UTF-16 BE"),
)


class NotJson(ValidationError):
    """The document is not a JSON text Herald can read (HTTP 400 rather than 422)."""


def _refuse(field: str, message: str) -> NotJson:
    return NotJson([Violation(field, FORMAT_RULE, message)])


def _guess_encoding(data: bytes) -> str:
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # pragma: no cover - requests always brings it
        return "未知编码"
    best = from_bytes(data[:65536]).best()
    return best.encoding.upper().replace("_", "-") if best is not None else "未知编码"


def decode_request_bytes(data: bytes, *, field: str = "请求") -> str:
    """UTF-8 text of a request, with or without a byte-order mark; any other encoding is refused by its name."""
    if len(data) > MAX_REQUEST_BYTES:
        raise _refuse(field, f"请求大小为 {len(data):,} 字节，超过上限 {MAX_REQUEST_BYTES:,} 字节")
    if not data.strip():
        raise _refuse(field, "请求为空：需要一个 JSON 对象")
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    elif any(data.startswith(bom) for bom, _ in _BOMS):
        raise _refuse(field, f"请求的编码为 {_guess_encoding(data)}，请另存为 UTF-8 后重新提交")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise _refuse(field, f"请求不是 UTF-8 编码（看来是 {_guess_encoding(data)}），请另存为 UTF-8 后重新提交") from None


def check_json_shape(text: str, *, field: str = "请求") -> None:
    """Refuse a document nested deeper than ``MAX_DEPTH`` or whose top level is not an object, before parsing it."""
    stripped = text.lstrip()
    if not stripped.startswith("{"):
        kind = {"[": "数组", '"': "文本"}.get(stripped[:1], "单个值")
        raise _refuse(field, f"请求的最外层必须是 JSON 对象（{{...}}），收到的是{kind}")
    depth = 0
    in_string = escaped = False
    for ch in stripped:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                raise _refuse(field, f"请求嵌套超过 {MAX_DEPTH} 层，不是 Herald 的请求格式")
        elif ch in "]}":
            depth -= 1


def read_request_file(path: str, *, stdin: BinaryIO | None = None) -> str:
    """The text of a request file (``-`` for standard input), checked as ``decode_request_bytes`` and ``check_json_shape``."""
    field = "请求文件" if path != "-" else "标准输入"
    if path == "-":
        data = (stdin or sys.stdin.buffer).read(MAX_REQUEST_BYTES + 1)
    else:
        file = Path(path)
        if not file.is_file():
            raise _refuse(field, f"找不到请求文件“{path}”" if not file.exists() else f"“{path}”不是文件")
        try:
            with file.open("rb") as handle:
                data = handle.read(MAX_REQUEST_BYTES + 1)
        except OSError as error:
            raise _refuse(field, f"无法读取请求文件“{path}”：{error.strerror or error}") from None
    text = decode_request_bytes(data, field=field)
    check_json_shape(text, field=field)
    return text
