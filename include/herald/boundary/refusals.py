"""From a malformed request to the refusal people read: each error with its field, its rule and a Chinese message."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, TypeVar

import pydantic
from pydantic import BaseModel

from herald.boundary.documents import FORMAT_RULE, NotJson, check_json_shape
from herald.errors import ValidationError, Violation

Model = TypeVar("Model", bound=BaseModel)

# Errors that say the request is shaped wrongly (a type, an unknown field, unreadable JSON): rule 格式.
# Every other error is about a field's value and cites the rule the field belongs to.
_FORMAT_ERRORS = {
    "json_invalid", "json_type", "extra_forbidden", "string_type", "int_type", "int_parsing", "float_type",
    "bool_type", "list_type", "dict_type", "model_type", "model_attributes_type", "time_type", "datetime_type",
    "datetime_parsing", "datetime_from_date_parsing", "timezone_aware", "int_from_float", "nul_character",
    "lone_surrogate", "string_unicode",
}


NOT_JSON = "请求不是合法的 JSON"
_OWN_ERRORS = {"nul_character", "lone_surrogate", "time_type", "time_range", "bool_choice"}


def _field_name(loc: Sequence[Any], prefix: str) -> str:
    name = ""
    for part in loc:
        if isinstance(part, int):
            name += f"[{part}]"
        elif isinstance(part, str) and part != "[key]" and not part.startswith(("function-", "nullable", "literal[")):
            name += f".{part}" if name else part
    return f"{prefix}{name}" if name else (prefix.rstrip(".") or "请求")


def _rule_of(model: type[BaseModel], loc: Sequence[Any]) -> str:
    """The rule named in the JSON schema of the field the error is about (the innermost model field that has one)."""
    rule = FORMAT_RULE
    current: Any = model
    for part in loc:
        fields = getattr(current, "model_fields", None)
        if not fields or not isinstance(part, str) or part not in fields:
            continue
        info = fields[part]
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        rule = extra.get("rule", rule)
        current = _inner_model(info.annotation)
    return rule


def _inner_model(annotation: Any) -> Any:
    """The model inside ``X | None``, ``list[X]`` or ``dict[K, X]`` (or None)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _inner_model(arg)
        if found is not None:
            return found
    origin = getattr(annotation, "__origin__", None)
    return _inner_model(origin) if origin not in (None, annotation) else None


def _message(error: dict[str, Any], field: str) -> str:
    kind, ctx = error["type"], error.get("ctx") or {}
    given = error.get("input")
    shown = given if isinstance(given, str | int | float) and not isinstance(given, bool) else None
    shown = f"“{str(shown)[:40]}”" if shown is not None else ""
    match kind:
        case "missing":
            return f"必填字段“{field}”缺失"
        case "extra_forbidden":
            return f"未知字段“{field}”：请删除或改为允许的字段"
        case "json_invalid":
            where = re.search(r"line (\d+) column (\d+)", str(ctx.get("error", "")))
            return NOT_JSON + (f"（第 {where[1]} 行第 {where[2]} 列附近）" if where else "")
        case "string_type":
            return f"字段“{field}”必须是文本"
        case "int_type" | "int_parsing" | "int_from_float":
            return f"字段“{field}”必须是整数"
        case "list_type":
            return f"字段“{field}”必须是列表（[...]）"
        case "dict_type" | "model_type" | "model_attributes_type":
            return f"字段“{field}”必须是对象（{{...}}）"
        case "datetime_parsing" | "datetime_from_date_parsing" | "datetime_type":
            return f"时间{shown}不是 ISO 8601 时间（例如 2026-05-01T09:00:00+08:00）"
        case "timezone_aware":
            return "时间必须带时区（例如 +08:00 或 Z）"
        case "literal_error":
            expected = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
            return f"取值{shown}无效，可选：{'、'.join(expected)}"
        case "string_too_long" | "too_long":
            return f"字段“{field}”过长：最多 {ctx.get('max_length')} 个{'字符' if kind == 'string_too_long' else '项'}"
        case "string_too_short" | "too_short":
            return f"字段“{field}”不能为空" if ctx.get("min_length") == 1 else f"字段“{field}”过短"
        case "string_unicode":
            return "文本含有无法编码的字符（未配对的代理项），请检查复制来源"
        case "string_pattern_mismatch":
            return f"字段“{field}”的值{shown}格式不对"
        case "greater_than_equal" | "less_than_equal":
            return f"字段“{field}”的值{shown}超出允许范围"
    if kind in _OWN_ERRORS:  # raised by Herald's validators, already in Chinese
        return error["msg"]
    return f"字段“{field}”的值无效"


def violations_from(error: pydantic.ValidationError, model: type[BaseModel], *, prefix: str = "") -> list[Violation]:
    """Pydantic's errors as Herald's violations, in the order Pydantic found them (one per field and problem)."""
    return violations_from_errors(error.errors(include_url=False), model, prefix=prefix)


def violations_from_errors(errors: Sequence[dict[str, Any]], model: type[BaseModel] | None, *,
                           prefix: str = "", located: bool = False) -> list[Violation]:
    """The same from error dicts; ``located``: a web framework's, whose ``loc`` starts with body, path or query."""
    violations = []
    for item in errors:
        loc = tuple(item.get("loc") or ())
        if located:
            loc = loc[1:]
        if item["type"] == "json_invalid":
            loc = ()  # a framework's location of unreadable JSON is a character offset, not a field
        field = _field_name(loc, prefix)
        rule = FORMAT_RULE if item["type"] in _FORMAT_ERRORS or model is None else _rule_of(model, loc)
        violation = Violation(field, rule, _message({**item, "loc": loc}, field))
        if violation not in violations:
            violations.append(violation)
    return violations


def is_not_json(violations: Sequence[Violation]) -> bool:
    return any(v.rule_id == FORMAT_RULE and v.message.startswith(NOT_JSON) for v in violations)


def parse_request(model: type[Model], document: str | bytes | dict, *, prefix: str = "") -> Model:
    """A typed request from a JSON text (checked for shape first) or an already parsed object; refusal otherwise."""
    try:
        if isinstance(document, dict):
            return model.model_validate(document)
        text = document.decode("utf-8") if isinstance(document, bytes) else document
        check_json_shape(text)
        return model.model_validate_json(text)
    except pydantic.ValidationError as error:
        violations = violations_from(error, model, prefix=prefix)
        if is_not_json(violations):
            raise NotJson(violations) from None
        raise ValidationError(violations) from None
    except UnicodeDecodeError:
        raise NotJson([Violation("请求", FORMAT_RULE, "请求不是 UTF-8 编码")]) from None
