"""The typed door: malformed requests are refused with the field, the rule (or 格式) and a Chinese message."""

from __future__ import annotations

import codecs
import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from herald.boundary import (
    FORMAT_RULE,
    MAX_DEPTH,
    MAX_REQUEST_BYTES,
    DecisionIn,
    EditIn,
    NotJson,
    PostIn,
    ReleaseIn,
    parse_request,
    read_request_file,
)
from herald.errors import ValidationError

REPO = Path(__file__).resolve().parents[1]
GOOD = {"account_id": "acct-grp-weibo", "author_id": "p0035", "body": "正文", "publish_at": "2027-06-15T09:00:00+08:00"}


def refusal(model, document) -> list[tuple[str, str]]:
    with pytest.raises(ValidationError) as refused:
        parse_request(model, document)
    for violation in refused.value.violations:
        assert violation.message and not violation.message.isascii(), violation  # said in Chinese
    return [(v.field, v.rule_id) for v in refused.value.violations]


def test_a_good_request_parses_to_the_domain_request():
    request = parse_request(PostIn, json.dumps(GOOD)).to_domain()
    assert request.account_id == "acct-grp-weibo"
    assert request.publish_at == datetime(2027, 6, 15, 1, 0, tzinfo=UTC)  # 09:00 Shanghai, stored as UTC


@pytest.mark.parametrize("change, expected", [
    ({"publish_at": 1767225600}, ("publish_at", FORMAT_RULE)),  # a time as a number
    ({"publish_at": {"at": "2027-01-01"}}, ("publish_at", FORMAT_RULE)),  # a time as an object
    ({"publish_at": "2027-06-15T09:00:00"}, ("publish_at", FORMAT_RULE)),  # no zone
    ({"publish_at": "0001-01-01T00:00:00+14:00"}, ("publish_at", "CON-10")),  # the calendar's edge
    ({"publish_at": "9999-12-31T23:59:59-12:00"}, ("publish_at", "CON-10")),
    ({"account_id": 42}, ("account_id", FORMAT_RULE)),  # an integer where an id belongs
    ({"account_id": "acct grp"}, ("account_id", "ACC-1")),
    ({"media": {"kind": "image"}}, ("media", FORMAT_RULE)),  # an object where a list belongs
    ({"title": ["a"]}, ("title", FORMAT_RULE)),  # a list where a text belongs
    ({"body": "正文\u0000"}, ("body", FORMAT_RULE)),  # NUL
    ({"source": "来源\ud800"}, ("source", FORMAT_RULE)),  # an unpaired surrogate (from a parsed object)
    ({"kind": "video"}, ("kind", "CON-1")),
    ({"urgency": "asap"}, ("urgency", "CON-10")),
    ({"colour": "red"}, ("colour", FORMAT_RULE)),  # unknown field
    ({"body": "x" * 200_001}, ("body", "CON-1")),  # over the door's size
])
def test_each_bad_field_is_named_with_its_rule(change, expected):
    assert expected in refusal(PostIn, {**GOOD, **change})


def test_every_problem_is_named_at_once_and_required_fields_cite_their_rules():
    found = refusal(PostIn, "{}")
    assert {("account_id", "ACC-1"), ("body", "CON-1"), ("publish_at", "CON-10")} <= set(found)


def test_nested_fields_are_named_by_their_path():
    document = {"account_ids": ["a"], "base": {"media": [{"kind": "image", "filename": "a.jpg", "size_bytes": "1",
                                                          "sha256": "0" * 64}]},
                "variants": {"douyin": {}}}
    found = refusal(ReleaseIn, document)
    assert ("base.media[0].size_bytes", FORMAT_RULE) in found
    assert ("variants.douyin", "PUB-7") in found


@pytest.mark.parametrize("text, message", [
    ("[1, 2]", "最外层必须是 JSON 对象"),
    ('"text"', "最外层必须是 JSON 对象"),
    ("{" + '"a":{' * (MAX_DEPTH + 1) + "1" + "}" * (MAX_DEPTH + 2), "嵌套超过"),
    ("[" * 100_000 + "]" * 100_000, "最外层必须是 JSON 对象"),
    ('{"account_id": "a",', "不是合法的 JSON"),
    ('{"body": "\\ud800"}', "不是合法的 JSON"),  # an unpaired surrogate escape in the JSON text
])
def test_documents_that_are_not_json_objects_are_refused_as_format(text, message):
    with pytest.raises(NotJson) as refused:
        parse_request(PostIn, text)
    (violation,) = refused.value.violations
    assert violation.rule_id == FORMAT_RULE and message in violation.message


def test_request_files_utf8_with_or_without_bom_and_other_encodings_named(tmp_path):
    good = json.dumps(GOOD, ensure_ascii=False)
    plain, bom = tmp_path / "plain.json", tmp_path / "bom.json"
    plain.write_bytes(good.encode("utf-8"))
    bom.write_bytes(codecs.BOM_UTF8 + good.encode("utf-8"))
    assert parse_request(PostIn, read_request_file(str(plain))) == parse_request(PostIn, read_request_file(str(bom)))
    for name, data, said in [
        ("utf16.json", good.encode("utf-16"), "UTF-16"),
        ("gb.json", json.dumps({**GOOD, "body": "集团举办第五届科技创新开放日，欢迎参观研发中心。" * 4},
                               ensure_ascii=False).encode("gb18030"), "UTF-8"),
        ("empty.json", b"  \n", "为空"),
        ("big.json", b"{" + b" " * MAX_REQUEST_BYTES + b"}", "超过上限"),
    ]:
        path = tmp_path / name
        path.write_bytes(data)
        with pytest.raises(NotJson) as refused:
            read_request_file(str(path))
        assert said in refused.value.violations[0].message, name
    with pytest.raises(NotJson, match="找不到请求文件"):
        read_request_file(str(tmp_path / "missing.json"))
    with pytest.raises(NotJson, match="不是文件"):
        read_request_file(str(tmp_path))


def test_decisions_and_edits_are_typed_too():
    assert ("content_hash", "PUB-1") in refusal(DecisionIn, {"decision": "approved", "content_hash": "abc"})
    assert ("decision", "PUB-2") in refusal(DecisionIn, {"decision": "ok", "content_hash": "0" * 64})
    assert parse_request(EditIn, {"title": None}).changes() == {"title": None}  # null clears, absent keeps


def test_the_example_requests_parse():
    examples = REPO / "examples" / "requests"
    assert parse_request(PostIn, read_request_file(str(examples / "post.json")))
    assert parse_request(ReleaseIn, read_request_file(str(examples / "release.json")))
    assert parse_request(EditIn, read_request_file(str(examples / "edit.json")))


def _cli(*argv: str, stdin: bytes = b"") -> subprocess.CompletedProcess:
    env = {"PYTHONPATH": str(REPO / "include"), "PATH": "/usr/bin:/bin", "HERALD_DB_URL": "sqlite:///:memory:"}
    return subprocess.run([sys.executable, "-m", "herald", *argv], input=stdin, capture_output=True, env=env,
                          timeout=120, check=False)


@pytest.mark.parametrize("stdin", [b"", b"[]", b"{", b"\xff\xfe{\x00}\x00", b'{"publish_at": 1}', b"[" * 50_000])
def test_the_cli_refuses_malformed_requests_with_exit_2_and_no_traceback(stdin):
    done = _cli("post", "queue", "-", stdin=stdin)
    assert done.returncode == 2, done.stderr.decode()
    stderr = done.stderr.decode()
    assert "Traceback" not in stderr and "已拒绝" in stderr


def test_the_cli_refuses_a_bad_id_argument_without_a_traceback():
    done = _cli("post", "show", "bad id;\u202e")
    assert done.returncode == 2 and "Traceback" not in done.stderr.decode() and "格式不对" in done.stderr.decode()


def test_the_cli_help_documents_every_field():
    done = _cli("post", "queue", "--help")
    text = done.stdout.decode()
    assert done.returncode == 0
    for field in PostIn.model_fields:
        assert field in text


def test_an_unexpected_error_is_logged_under_an_id_and_the_user_told_only_the_id(tmp_path):
    env = {"PYTHONPATH": str(REPO / "include"), "PATH": "/usr/bin:/bin", "HERALD_LOG_DIR": str(tmp_path),
           "HERALD_DB_URL": f"sqlite:///{tmp_path}/no/such/folder/h.db"}
    done = subprocess.run([sys.executable, "-m", "herald", "check-registry"], capture_output=True, env=env, timeout=120,
                          check=False)
    stderr = done.stderr.decode()
    assert done.returncode == 1 and "Traceback" not in stderr and "错误编号 E" in stderr
    error_id = stderr.split("错误编号 ")[1][:9]
    log = (tmp_path / "cli-errors.log").read_text(encoding="utf-8")
    assert error_id in log and "Traceback" in log
