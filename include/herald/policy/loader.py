"""Read a policy file, validate it (syntax, schema, cross-field checks), and build the Policy.

Every problem is collected before failing, so one run of the loader tells the author all that is
wrong with the file, each as ``file:line: path: message``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from herald.policy import yamltree
from herald.policy.checks import semantic_problems
from herald.policy.errors import PolicyError, PolicyIssue
from herald.policy.model import Policy, build_policy

PACKS_DIR = Path(__file__).resolve().parent / "packs"
SCHEMA_PATH = Path(__file__).resolve().parent / "schema.json"
_POLICY_ID = re.compile(r"^[0-9]{3}$")
MAX_BYTES = 256 * 1024  # the shipped packs are about 10 KiB; pure-Python PyYAML scans about 2 MiB a second

_cache: dict[Path, tuple[tuple[int, int], Policy]] = {}
_cache_lock = threading.Lock()


@lru_cache(maxsize=1)
def _validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def available_policies() -> list[str]:
    """Ids of the shipped policy packs, e.g. ``["000", "001", "002", "003"]``."""
    return sorted(p.stem for p in PACKS_DIR.glob("*.yaml") if _POLICY_ID.match(p.stem))


def default_policy_id() -> str:
    """The id of the one shipped pack marked ``default: true``."""
    defaults = [pid for pid in available_policies() if load_policy(pid).is_default]
    if len(defaults) != 1:
        raise PolicyError([f"{PACKS_DIR}: exactly one pack must be marked default: true, found {defaults or 'none'}"])
    return defaults[0]


def load_policy(ref: str | os.PathLike[str]) -> Policy:
    """Load a shipped pack by id (``"000"``) or any policy file by path; cached by (path, mtime, size)."""
    expected_id = None
    if isinstance(ref, str) and _POLICY_ID.match(ref):
        path = PACKS_DIR / f"{ref}.yaml"
        if not path.is_file():
            raise PolicyError([f"unknown policy id {ref!r} (available: {', '.join(available_policies())})"])
        expected_id = ref
    else:
        path = Path(ref)
    path = path.resolve()
    try:
        stat = path.stat()
    except OSError as exc:
        raise PolicyError([PolicyIssue(display_path(path), None, "", f"cannot read policy file: {exc.strerror}")]) from None
    version = (stat.st_mtime_ns, stat.st_size)
    with _cache_lock:
        cached = _cache.get(path)
    if cached and cached[0] == version:
        return cached[1]
    policy = _load_uncached(path, expected_id)
    with _cache_lock:
        _cache[path] = (version, policy)
    return policy


def display_path(path: Path) -> str:
    """The file as people should see it: relative to the working directory when inside it."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _load_uncached(path: Path, expected_id: str | None) -> Policy:
    shown = display_path(path)
    try:
        with path.open("rb") as file:
            size = os.fstat(file.fileno()).st_size
            # Never read more than the limit allows: the file may be huge, growing, or a device.
            raw = file.read(MAX_BYTES + 1) if size <= MAX_BYTES else b""
    except OSError as exc:
        raise PolicyError([PolicyIssue(shown, None, "", f"cannot read policy file: {exc.strerror}")]) from None
    if size > MAX_BYTES:
        raise PolicyError([_size_issue(shown, size)])
    document, issues = parse_and_validate(raw, shown, expected_id=expected_id)
    if issues:
        raise PolicyError(issues)
    return build_policy(document, path=path, content_hash=hashlib.sha256(raw).hexdigest())


def parse_and_validate(raw: bytes, shown: str, *, expected_id: str | None = None) -> tuple[Any, list[PolicyIssue]]:
    """The parsed document and every problem found in it (empty when the file is usable)."""
    if len(raw) > MAX_BYTES:
        return None, [_size_issue(shown, len(raw))]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return None, [PolicyIssue(shown, line, "", "file is not valid UTF-8")]
    try:
        parsed = yamltree.parse(text)
    except yamltree.FormatRefused as exc:
        return None, [PolicyIssue(shown, exc.line, "", exc.message)]
    except yaml.MarkedYAMLError as exc:
        return None, [_syntax_issue(exc, shown)]
    except yaml.YAMLError as exc:
        return None, [PolicyIssue(shown, None, "", f"YAML error: {exc}")]

    if parsed.root is None:
        return None, [PolicyIssue(shown, 1, "", "the policy file is empty")]

    issues = [
        PolicyIssue(shown, dup.line, yamltree.format_path(dup.path), f"key given twice (first on line {dup.first_line})")
        for dup in parsed.duplicates
    ]
    for path, message in _schema_problems(parsed.data):
        issues.append(PolicyIssue(shown, yamltree.line_of(parsed.root, path), yamltree.format_path(path), message))
    for path, message in semantic_problems(parsed.data):
        issues.append(PolicyIssue(shown, yamltree.line_of(parsed.root, path), yamltree.format_path(path), message))
    policy_id = parsed.data.get("policy_id") if isinstance(parsed.data, dict) else None
    if expected_id is not None and isinstance(policy_id, str) and policy_id != expected_id:
        issues.append(PolicyIssue(shown, yamltree.line_of(parsed.root, ["policy_id"]), "policy_id",
                                  f"{policy_id!r} does not match the pack file name {expected_id}.yaml"))
    return parsed.data, sorted(set(issues), key=lambda i: (i.line or 0, i.path, i.message))


def _size_issue(shown: str, size: int) -> PolicyIssue:
    return PolicyIssue(shown, None, "", f"格式：文件大小 {size} 字节，超过上限 {MAX_BYTES} 字节")


def _syntax_issue(exc: yaml.MarkedYAMLError, shown: str) -> PolicyIssue:
    mark = exc.problem_mark or exc.context_mark
    problem = ": ".join(filter(None, [exc.context, exc.problem]))
    where = f"column {mark.column + 1}" if mark else "unknown column"
    started = exc.context_mark
    if started is not None and mark is not None and started.line != mark.line:
        where += f"; it started on line {started.line + 1}"
    kind = "YAML error" if isinstance(exc, yaml.constructor.ConstructorError) else "YAML syntax error"
    return PolicyIssue(shown, mark.line + 1 if mark else None, "", f"{kind}: {problem} ({where})")


def _schema_problems(document: Any) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """JSON Schema errors as (path, message), rephrased where the default message hides the place.

    ``required`` and ``additionalProperties`` errors sit on the parent object; they are turned into
    one problem per missing or unknown key so each points at the right line.
    """
    for error in _validator().iter_errors(document):
        path = tuple(error.absolute_path)
        if error.validator == "required":
            for key in error.validator_value:
                if isinstance(error.instance, dict) and key not in error.instance:
                    what = "required section" if not path else "required key"
                    yield path + (key,), f"missing {what}"
        elif error.validator == "additionalProperties" and isinstance(error.instance, dict):
            known = error.schema.get("properties", {})
            patterns = error.schema.get("patternProperties", {})
            for key in error.instance:
                if key in known or any(re.search(p, str(key)) for p in patterns):
                    continue
                if known:
                    yield path + (key,), f"unknown key (allowed: {', '.join(known)})"
                else:
                    yield path + (key,), f"key does not match {' or '.join(patterns)}"
        elif "propertyNames" in error.relative_schema_path:
            # The error's instance is the offending key itself; point at it.
            yield path + (error.instance,), f"key {error.message}"
        elif error.validator == "pattern" and "description" in error.schema:
            yield path, f"{error.instance!r} is not valid: expected {error.schema['description']}"
        else:
            yield path, error.message
