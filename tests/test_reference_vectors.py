"""Fixed reference vectors for the platforms' signing and counting rules, checked on both sides.

Herald's production functions and the fake platforms' own checks (dev/herald_dev/fakeplatforms) are
written separately; each is held to the same literal vectors, so a bug in either fails here instead
of being copied into the other.

The signatures below were computed once with OpenSSL, not with Python (see each comment); the Weibo
lengths are worked out by hand from the contract's rule
ceil((ASCII chars + 2 x other chars + 20 per URL) / 2).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from herald.cadence import notify
from herald.content.weibo import weibo_length
from herald.platforms import cms
from herald_dev.fakeplatforms import cms as fake_cms
from herald_dev.fakeplatforms import inbox as fake_inbox
from herald_dev.fakeplatforms import weibo as fake_weibo

FAKES = Path(__file__).resolve().parents[1] / "dev" / "herald_dev" / "fakeplatforms"

# --- DingTalk robot 加签 ----------------------------------------------------------------------------
# sign = urlencode(base64(HMAC-SHA256(key=secret, msg=timestamp + "\n" + secret))), from DingTalk's
# custom-robot documentation. The Base64 values come from
#   printf '%s\n%s' "$TIMESTAMP" "$SECRET" | openssl dgst -sha256 -hmac "$SECRET" -binary | base64
# and the URL-encoded form replaces "+" "/" "=" with %2B %2F %3D by hand.
DINGTALK_VECTORS = [
    # (timestamp ms, secret, Base64 sign, URL-encoded sign)
    (1700000000000, "SECexample", "uroalHrWHORz59talE1o26b8HuX2kOp8WlAN91F9Pj0=",
     "uroalHrWHORz59talE1o26b8HuX2kOp8WlAN91F9Pj0%3D"),
    (1700000000000, "SECs", "QctQ8LsgUStgrOAjr2NlM5V69/qUDsUkrO+77Q7gCv8=",
     "QctQ8LsgUStgrOAjr2NlM5V69%2FqUDsUkrO%2B77Q7gCv8%3D"),
    (1577836800000, "SEC0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
     "3ZHWMIRtwJ1fB1nasboxpEIEp1RXRwUzWjXY3uqZF9I=", "3ZHWMIRtwJ1fB1nasboxpEIEp1RXRwUzWjXY3uqZF9I%3D"),
]


@pytest.mark.parametrize("timestamp, secret, base64_sign, url_sign", DINGTALK_VECTORS)
def test_herald_signs_dingtalk_robot_urls_like_the_vector(timestamp, secret, base64_sign, url_sign):
    assert notify.dingtalk_sign(secret, timestamp) == url_sign
    url = notify.dingtalk_url(notify.RobotTarget("https://oapi.dingtalk.com/robot/send?access_token=t", secret), timestamp)
    assert url == f"https://oapi.dingtalk.com/robot/send?access_token=t&timestamp={timestamp}&sign={url_sign}"


@pytest.mark.parametrize("timestamp, secret, base64_sign, url_sign", DINGTALK_VECTORS)
def test_the_fake_dingtalk_robot_checks_against_the_vector(timestamp, secret, base64_sign, url_sign):
    assert fake_inbox.dingtalk_signature(secret, str(timestamp)) == base64_sign
    signed = {"access_token": "t", "timestamp": str(timestamp), "sign": base64_sign}  # as decoded from the URL
    assert fake_inbox.check_dingtalk_sign(secret, signed, now_ms=timestamp + 3_600_000) is None
    refusals = [
        fake_inbox.check_dingtalk_sign("SECother", signed, now_ms=timestamp),
        fake_inbox.check_dingtalk_sign(secret, dict(signed, sign=url_sign), now_ms=timestamp),  # not decoded
        fake_inbox.check_dingtalk_sign(secret, dict(signed, sign=base64_sign + "é"), now_ms=timestamp),
        fake_inbox.check_dingtalk_sign(secret, {"timestamp": str(timestamp)}, now_ms=timestamp),
    ]
    assert [r["errmsg"] for r in refusals] == ["sign not match"] * 4 and {r["errcode"] for r in refusals} == {310000}
    late = fake_inbox.check_dingtalk_sign(secret, signed, now_ms=timestamp + 3_600_001)  # more than an hour
    assert late == {"errcode": 310000, "errmsg": "sign not match: timestamp out of range"}
    for bad in ({"sign": base64_sign}, dict(signed, timestamp="1.7e12"), dict(signed, timestamp="²")):
        assert fake_inbox.check_dingtalk_sign(secret, bad, timestamp)["errmsg"] == "sign not match: no timestamp"


# --- CMS webhook -----------------------------------------------------------------------------------
# X-Herald-Signature = "sha256=" + hex(HMAC-SHA256(key=secret, msg=timestamp + "." + body)). Computed with
#   printf '%s' "$TIMESTAMP.$BODY" | openssl dgst -sha256 -hmac "$SECRET"
# (a UTF-8 terminal, so the Chinese body is hashed as its UTF-8 bytes; the GET vector signs an empty body).
CMS_SECRET = "cms-secret-0001"
CMS_VECTORS = [
    # (timestamp, body, hex digest)
    ("1700000000", b'{"item": {"item_id": "1"}}', "7d238b46d9cc192fd26377529a0863c8ded2dd9542e64f7f0994716c79b2d468"),
    ("1700000000", '{"request_id":"r1","item":{"item_id":"post-7","title":"新闻标题"}}'.encode(),
     "939b674ba2f2d9ff79ef9d7f17d75781bad866df8985ec86c27d70ed8d66a92d"),
    ("1700000300", b"", "627b30c29be7b9f39f9ea656659a4bf5f20f615c0bb545a092893d08dd1b03fd"),
]
WINDOW = 300


@pytest.mark.parametrize("timestamp, body, digest", CMS_VECTORS)
def test_herald_signs_cms_webhooks_like_the_vector(timestamp, body, digest):
    assert cms.sign(CMS_SECRET, timestamp, body) == f"sha256={digest}"
    assert cms.verify_signature(CMS_SECRET, timestamp, body, f"sha256={digest}", int(timestamp) + WINDOW) == cms.VALID


@pytest.mark.parametrize("timestamp, body, digest", CMS_VECTORS)
def test_the_fake_cms_checks_against_the_vector(timestamp, body, digest):
    assert fake_cms.signature_for(CMS_SECRET, timestamp, body) == f"sha256={digest}"
    now = int(timestamp)
    assert fake_cms.check_signature(CMS_SECRET, timestamp, body, f"sha256={digest}", now - WINDOW, WINDOW) == "valid"


# Each refusal, with the verdict both sides must give. None stands for a missing header.
REFUSALS = [
    # (timestamp, body, signature, now, verdict)
    ("1700000000", b'{"item": {"item_id": "1"}} ', "sha256=" + CMS_VECTORS[0][2], 1700000000, "forged"),
    ("1700000001", CMS_VECTORS[0][1], "sha256=" + CMS_VECTORS[0][2], 1700000000, "forged"),
    ("1700000000", CMS_VECTORS[0][1], "sha256=" + CMS_VECTORS[0][2].upper(), 1700000000, "forged"),
    ("1700000000", CMS_VECTORS[0][1], "sha256=" + CMS_VECTORS[0][2] + "é", 1700000000, "forged"),
    ("1700000000", CMS_VECTORS[0][1], "sha256=" + CMS_VECTORS[0][2], 1700000301, "stale"),
    ("1700000000", CMS_VECTORS[0][1], "sha256=" + CMS_VECTORS[0][2], 1699999699, "stale"),  # from the future
    ("1700000000", CMS_VECTORS[0][1], CMS_VECTORS[0][2], 1700000000, "malformed"),  # no sha256= prefix
    ("1700000000", CMS_VECTORS[0][1], "md5=abc", 1700000000, "malformed"),
    ("1700000000", CMS_VECTORS[0][1], None, 1700000000, "malformed"),
    (None, CMS_VECTORS[0][1], "sha256=" + CMS_VECTORS[0][2], 1700000000, "malformed"),
    ("1.7e9", CMS_VECTORS[0][1], "sha256=" + CMS_VECTORS[0][2], 1700000000, "malformed"),
    ("²", CMS_VECTORS[0][1], "sha256=" + CMS_VECTORS[0][2], 1700000000, "malformed"),  # a digit to isdigit()
]


@pytest.mark.parametrize("timestamp, body, signature, now, verdict", REFUSALS)
def test_both_sides_refuse_the_same_cms_requests(timestamp, body, signature, now, verdict):
    assert cms.verify_signature(CMS_SECRET, timestamp, body, signature, now, WINDOW) == verdict
    assert fake_cms.check_signature(CMS_SECRET, timestamp, body, signature, now, WINDOW) == verdict


def test_the_fake_cms_replay_guard_remembers_a_signature_while_its_timestamp_is_in_the_window():
    guard, signature = fake_cms.ReplayGuard(), "sha256=" + CMS_VECTORS[0][2]
    assert guard.first_time(signature, 1700000000, 1700000000, WINDOW)
    assert not guard.first_time(signature, 1700000000, 1700000300, WINDOW)  # the edge of the window: still a replay
    assert guard.first_time("sha256=" + CMS_VECTORS[1][2], 1700000000, 1700000300, WINDOW)
    assert guard.first_time(signature, 1700000000, 1700000301, WINDOW)  # forgotten: the check calls it stale now


# --- Weibo length ----------------------------------------------------------------------------------

WEIBO_LENGTHS = [
    ("", 0),
    ("a", 1),  # 1 unit -> ceil(0.5) = 1
    ("ab", 1),
    ("abc", 2),
    ("中", 1),
    ("你好abc", 4),  # 4 + 3 = 7 -> 4
    ("中" * 140, 140),
    ("中" * 141, 141),
    ("a" * 279, 140),
    ("a" * 280, 140),
    ("a" * 281, 141),
    ("中" * 139 + "ab", 140),  # 278 + 2 = 280
    ("中" * 139 + "abc", 141),  # 281 -> 141
    ("😀", 1),  # one non-ASCII code point: 2 units
    ("😀" * 140, 140),
    ("😀" * 141, 141),
    ("👍🏻", 2),  # thumb + skin tone: two code points
    ("https://t.cn/a", 10),  # a URL is 20 units whatever its length
    ("看 https://herald.example.com/a/very/long/path/that/still/counts/as/ten", 12),  # 2 + 1 + 20 = 23
    ("中" * 130 + "https://herald.example.com/x", 140),  # 260 + 20 = 280
    ("中" * 131 + "https://herald.example.com/x", 141),
    ("中" * 130 + "https://example.com/" + "x" * 200, 140),
    ("详见https://t.cn/abc。谢谢", 15),  # the URL stops at Chinese text: 4 + 20 + 6 = 30
    ("(见 http://x.cn/a).", 13),  # ")." belong to the sentence: 1 + 2 + 1 + 20 + 2 = 26
    ("see https://x.cn/a?b=1&c=2.", 13),  # 4 + 20 + 1 = 25 -> 13
    ("两个链接 http://a.cn/1 http://b.cn/2", 25),  # 8 + 2 + 40 = 50
    ("http://", 4),  # no address: 7 ASCII characters, not a URL
    ("ftp://x.cn", 5),  # not http(s): 10 ASCII characters
]


@pytest.mark.parametrize("text, length", WEIBO_LENGTHS)
def test_herald_counts_weibo_length_like_the_contract(text, length):
    assert weibo_length(text) == length


@pytest.mark.parametrize("text, length", WEIBO_LENGTHS)
def test_the_fake_weibo_counts_length_like_the_contract(text, length):
    assert fake_weibo.weibo_length(text) == length


# --- the fakes stand on their own ------------------------------------------------------------------


def test_the_fake_platforms_import_nothing_from_herald():
    imported = {}
    for path in sorted(FAKES.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            imported[path.name] = imported.get(path.name, []) + [n for n in names if n.split(".")[0] == "herald"]
    assert len(imported) >= 8 and {name: found for name, found in imported.items() if found} == {}

