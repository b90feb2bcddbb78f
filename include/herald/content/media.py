"""CON-8: media attached to an item (002 art.10.2).

Images: the format is read from the file's first bytes (magic numbers), never trusted from its name;
a name or declared content type that says something else than the bytes is itself a violation (the
platforms reject such uploads, and a renamed file hides what it is). Size strictly between the
minimum and the maximum ("大于1MB小于5MB"). Videos: by extension, size up to the maximum inclusive
("不超过500M"); the listed video containers have no single reliable magic number.

A media item is a mapping ``{"kind": "image"|"video", "filename", "size_bytes", "sha256",
"head_bytes" (base64 of the first bytes; needed for images), "content_type" (optional)}``.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping, Sequence
from pathlib import PurePosixPath

from herald.errors import Violation

# Enough to tell JPEG from what people usually rename to .jpg.
_MAGIC = (
    ("jpeg", lambda head: head.startswith(b"\xff\xd8\xff")),
    ("png", lambda head: head.startswith(b"\x89PNG\r\n\x1a\n")),
    ("gif", lambda head: head.startswith((b"GIF87a", b"GIF89a"))),
    ("webp", lambda head: head[:4] == b"RIFF" and head[8:12] == b"WEBP"),
    ("bmp", lambda head: head.startswith(b"BM")),
)
_IMAGE_EXTENSIONS = {"jpg": "jpeg", "jpeg": "jpeg", "jpe": "jpeg", "png": "png", "gif": "gif", "webp": "webp", "bmp": "bmp"}
_IMAGE_CONTENT_TYPES = {"image/jpeg": "jpeg", "image/pjpeg": "jpeg", "image/png": "png", "image/gif": "gif",
                        "image/webp": "webp", "image/bmp": "bmp"}
_SHA256 = re.compile(r"[0-9a-fA-F]{64}")


def detect_image_format(head: bytes) -> str | None:
    """'jpeg', 'png', 'gif', 'webp', 'bmp', or None when the bytes match none of them."""
    for name, matches in _MAGIC:
        if matches(head):
            return name
    return None


def extension(filename: str) -> str:
    return PurePosixPath(filename.replace("\\", "/")).suffix.lower().lstrip(".")


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.2f} MB（{size} 字节）"


def check_media(items: Sequence[Mapping], limits, field: str = "media") -> list[Violation]:
    violations: list[Violation] = []
    for index, item in enumerate(items):
        where = f"{field}[{index}]"
        if not isinstance(item, Mapping):
            violations.append(Violation(where, "CON-8", "媒体条目格式错误：应包含类型、文件名、大小和 SHA-256"))
            continue
        filename = str(item.get("filename") or "")
        if not filename.strip():
            violations.append(Violation(f"{where}.filename", "CON-8", "缺少文件名"))
        violations += _check_sha256(item.get("sha256"), f"{where}.sha256")
        size = item.get("size_bytes")
        if isinstance(size, bool) or not isinstance(size, int) or size < 0:
            violations.append(Violation(f"{where}.size_bytes", "CON-8", "缺少文件大小或大小不是非负整数"))
            size = None
        kind = item.get("kind")
        if kind == "image":
            violations += _check_image(item, filename, size, limits, where)
        elif kind == "video":
            violations += _check_video(filename, size, limits, where)
        else:
            violations.append(Violation(f"{where}.kind", "CON-8", f"媒体类型“{kind}”无效：只能是图片(image)或视频(video)"))
    return violations


def _check_sha256(value, where: str) -> list[Violation]:
    if not isinstance(value, str) or not _SHA256.fullmatch(value):
        return [Violation(where, "CON-8", "缺少或格式错误的 SHA-256 摘要（应为 64 位十六进制），无法存档核验")]
    return []


def _check_image(item: Mapping, filename: str, size: int | None, limits, where: str) -> list[Violation]:
    violations: list[Violation] = []
    allowed = ", ".join(t.upper() for t in limits.image_types)
    head = _decode_head(item.get("head_bytes"))
    if head is None:
        violations.append(Violation(f"{where}.head_bytes", "CON-8", "缺少或无法解码文件头，无法核验图片格式"))
    else:
        actual = detect_image_format(head)
        shown = actual.upper() if actual else "未知格式"
        if actual not in limits.image_types:
            violations.append(Violation(f"{where}.head_bytes", "CON-8", f"图片内容为 {shown}，只允许 {allowed} 格式"))
        declared_by_name = _IMAGE_EXTENSIONS.get(extension(filename))
        if filename and declared_by_name != actual:
            violations.append(Violation(
                f"{where}.filename", "CON-8", f"文件名“{filename}”声明的类型与文件内容（{shown}）不符"))
        content_type = item.get("content_type")
        if content_type is not None and _IMAGE_CONTENT_TYPES.get(str(content_type).lower()) != actual:
            violations.append(Violation(
                f"{where}.content_type", "CON-8", f"声明的内容类型 {content_type} 与文件内容（{shown}）不符"))
    if size is not None and not (limits.image_min_bytes < size < limits.image_max_bytes):
        violations.append(Violation(
            f"{where}.size_bytes", "CON-8",
            f"图片大小 {_mb(size)} 不符合要求：须大于 {_mb(limits.image_min_bytes)} 且小于 {_mb(limits.image_max_bytes)}"))
    return violations


def _check_video(filename: str, size: int | None, limits, where: str) -> list[Violation]:
    violations: list[Violation] = []
    ext = extension(filename)
    if ext not in limits.video_types:
        violations.append(Violation(
            f"{where}.filename", "CON-8",
            f"视频格式“{ext or '无扩展名'}”不允许：只能是 {', '.join(limits.video_types)}"))
    if size is not None and size > limits.video_max_bytes:
        violations.append(Violation(
            f"{where}.size_bytes", "CON-8", f"视频大小 {_mb(size)} 超过上限 {_mb(limits.video_max_bytes)}"))
    return violations


def _decode_head(value) -> bytes | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None
