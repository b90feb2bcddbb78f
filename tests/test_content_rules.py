"""Content checks CON-1, CON-2, CON-7 to CON-10: every violation named by field and rule, all returned at once."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, date, datetime

import pytest

from herald.content import (
    URL_PATTERN,
    ContentItem,
    ContentLimits,
    ContentRules,
    LeadTimeRules,
    MassSendRules,
    WorkingCalendarError,
    check_category,
    check_item,
    check_lead_time,
    check_mass_send,
    check_media,
    check_source,
    check_weibo_length,
    detect_image_format,
    is_working_day,
    weibo_length,
)
from herald.timeutil import SHANGHAI

MIB = 1024 * 1024
LIMITS = ContentLimits(categories=("corporate_image", "industry_cases"))
JPEG_HEAD = base64.b64encode(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00").decode()
PNG_HEAD = base64.b64encode(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR").decode()
SHA = hashlib.sha256(b"media").hexdigest()


def bj(y, mo, d, h=10, mi=0) -> datetime:
    """A Beijing wall-clock time."""
    return datetime(y, mo, d, h, mi, tzinfo=SHANGHAI)


def rules_of(violations):
    return [(v.field, v.rule_id) for v in violations]


# --- CON-1, CON-2 ------------------------------------------------------------------------------


@pytest.mark.parametrize("category", [None, "", "   "])
def test_missing_category(category):
    assert rules_of(check_category(category, LIMITS.categories)) == [("category", "CON-1")]


def test_category_must_be_one_of_the_policy_codes():
    assert rules_of(check_category("gossip", LIMITS.categories)) == [("category", "CON-1")]
    assert check_category("industry_cases", LIMITS.categories) == []
    assert check_category("industry_cases", {"industry_cases": "行业资讯"}) == []  # a policy gives code -> label


@pytest.mark.parametrize("source", [None, "", " \t"])
def test_missing_source(source):
    assert rules_of(check_source(source)) == [("source", "CON-2")]
    assert check_source("集团行政中心") == []


# --- CON-7 -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, length",
    [
        ("", 0),
        ("你好abc", 4),  # (3 + 2*2) / 2 = 3.5 -> 4
        ("a" * 280, 140),
        ("a" * 281, 141),
        ("中" * 140, 140),
        ("😀", 1),  # one non-ASCII code point
        ("👍🏻", 2),  # two code points (thumb + skin tone)
        ("看这里 https://example.com/a/very/long/path?x=1&y=2", 14),  # 3*2 + 1 + 20 = 27 -> 14
        ("看这里 https://t.cn/a", 14),  # a URL counts 20 whatever its length
        ("详见https://t.cn/abc。谢谢", 15),  # URL stops at Chinese text: 5*2 + 20 = 30
        ("(见 http://x.cn/a).", 13),  # trailing ")." belong to the sentence: 4 + 2 + 20 = 26
        ("两个链接 http://a.cn/1 http://b.cn/2", 25),  # 4*2 + 2 spaces + 2*20 = 50
    ],
)
def test_weibo_length_examples(text, length):
    assert weibo_length(text) == length


def test_url_pattern():
    assert URL_PATTERN.findall("详见https://t.cn/abc。") == ["https://t.cn/abc"]
    assert URL_PATTERN.findall("(see http://x.cn/a?b=1&c=2).") == ["http://x.cn/a?b=1&c=2"]
    assert URL_PATTERN.findall("ftp://x.cn www.x.cn") == []


def test_weibo_limit_is_inclusive_and_counts_urls():
    at_limit = "中" * 130 + "https://example.com/" + "x" * 200  # 260 + 20 = 280 -> 140
    assert weibo_length(at_limit) == 140
    assert check_weibo_length(at_limit, LIMITS) == []
    over = at_limit + " "
    violations = check_weibo_length(over, LIMITS)
    assert rules_of(violations) == [("body", "CON-7")]
    assert "141" in violations[0].message
    assert check_weibo_length("中" * 141, ContentLimits(weibo_max_chars=141)) == []


# --- CON-8 -------------------------------------------------------------------------------------


def image(**overrides):
    item = {"kind": "image", "filename": "photo.jpg", "size_bytes": 2 * MIB, "sha256": SHA, "head_bytes": JPEG_HEAD}
    item.update(overrides)
    return item


def video(**overrides):
    item = {"kind": "video", "filename": "clip.mov", "size_bytes": 100 * MIB, "sha256": SHA}
    item.update(overrides)
    return item


def test_jpeg_is_detected_by_magic_bytes():
    assert detect_image_format(b"\xff\xd8\xff\xdb") == "jpeg"
    assert detect_image_format(b"\x89PNG\r\n\x1a\n") == "png"
    assert detect_image_format(b"GIF89a") == "gif"
    assert detect_image_format(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == "webp"
    assert detect_image_format(b"\xff\xd8") is None  # too short to be sure
    assert check_media([image()], LIMITS) == []
    assert check_media([image(filename="PHOTO.JPEG")], LIMITS) == []


def test_png_renamed_to_jpg_is_refused_twice_over():
    violations = check_media([image(head_bytes=PNG_HEAD)], LIMITS)
    assert rules_of(violations) == [("media[0].head_bytes", "CON-8"), ("media[0].filename", "CON-8")]
    assert "PNG" in violations[0].message


def test_jpeg_content_under_another_name_or_type_is_a_mismatch():
    assert rules_of(check_media([image(filename="photo.png")], LIMITS)) == [("media[0].filename", "CON-8")]
    assert rules_of(check_media([image(content_type="image/png")], LIMITS)) == [("media[0].content_type", "CON-8")]
    assert check_media([image(content_type="image/jpeg")], LIMITS) == []


@pytest.mark.parametrize("head", [None, "", "not base64!"])
def test_image_without_readable_head_cannot_be_verified(head):
    assert rules_of(check_media([image(head_bytes=head)], LIMITS)) == [("media[0].head_bytes", "CON-8")]


@pytest.mark.parametrize(
    "size, ok",
    [(MIB - 1, False), (MIB, False), (MIB + 1, True), (5 * MIB - 1, True), (5 * MIB, False), (5 * MIB + 1, False)],
)
def test_image_size_bounds_are_exclusive(size, ok):
    expected = [] if ok else [("media[0].size_bytes", "CON-8")]
    assert rules_of(check_media([image(size_bytes=size)], LIMITS)) == expected


@pytest.mark.parametrize("name", ["a.avi", "a.wma", "a.mov", "a.rm", "a.rmvb", "a.3gp", "A.MOV"])
def test_allowed_video_types(name):
    assert check_media([video(filename=name)], LIMITS) == []


@pytest.mark.parametrize("name", ["a.mp4", "a.mkv", "rmvb", "a.mov.exe"])
def test_other_video_types_are_refused(name):
    assert rules_of(check_media([video(filename=name)], LIMITS)) == [("media[0].filename", "CON-8")]


def test_video_size_limit_is_inclusive():
    assert check_media([video(size_bytes=500 * MIB)], LIMITS) == []
    assert rules_of(check_media([video(size_bytes=500 * MIB + 1)], LIMITS)) == [("media[0].size_bytes", "CON-8")]


def test_malformed_media_items_are_named_by_index():
    violations = check_media(
        [image(), {"kind": "audio", "filename": "a.mp3", "size_bytes": 1, "sha256": SHA}, video(size_bytes=True, sha256="abc")],
        LIMITS,
    )
    assert rules_of(violations) == [
        ("media[1].kind", "CON-8"),
        ("media[2].sha256", "CON-8"),
        ("media[2].size_bytes", "CON-8"),
    ]


# --- CON-9 -------------------------------------------------------------------------------------

MASS = MassSendRules()


def test_first_mass_send_of_the_day_with_a_preview_passes():
    assert check_mass_send(bj(2026, 3, 3, 20), [bj(2026, 3, 2, 20)], bj(2026, 3, 3, 19), MASS) == []


def test_second_mass_send_on_the_same_shanghai_day_is_refused():
    # 07:00 and 20:00 Beijing time: different UTC dates, the same Shanghai day.
    violations = check_mass_send(bj(2026, 3, 3, 20), [bj(2026, 3, 3, 7)], bj(2026, 3, 3, 19), MASS)
    assert rules_of(violations) == [("publish_at", "CON-9")]
    assert "2026-03-03" in violations[0].message
    assert check_mass_send(bj(2026, 3, 3, 20), [bj(2026, 3, 3, 7)], bj(2026, 3, 3, 19), MassSendRules(max_per_day=2)) == []


def test_mass_sends_either_side_of_shanghai_midnight_are_different_days():
    # 23:30 and 00:30 Beijing time are both 2026-03-02 in UTC but two Shanghai days.
    earlier = datetime(2026, 3, 2, 15, 30, tzinfo=UTC)
    later = datetime(2026, 3, 2, 16, 30, tzinfo=UTC)
    assert check_mass_send(later, [earlier], earlier, MASS) == []


def test_preview_must_be_recorded_before_the_mass_send():
    publish = bj(2026, 3, 3, 20)
    assert rules_of(check_mass_send(publish, [], None, MASS)) == [("preview_sent_at", "CON-9")]
    assert rules_of(check_mass_send(publish, [], publish, MASS)) == [("preview_sent_at", "CON-9")]
    assert rules_of(check_mass_send(publish, [], bj(2026, 3, 3, 21), MASS)) == [("preview_sent_at", "CON-9")]
    assert check_mass_send(publish, [], None, MassSendRules(preview_required=False)) == []


def test_naive_times_are_refused():
    with pytest.raises(ValueError, match="naive"):
        check_mass_send(datetime(2026, 3, 3, 20), [], None, MASS)


# --- CON-10 ------------------------------------------------------------------------------------

LEAD = LeadTimeRules()


def urgent_ok(requested: datetime, publish: datetime, rules=LEAD) -> bool:
    return check_lead_time(requested, publish, True, rules) == []


def test_regular_item_needs_seven_calendar_days_on_shanghai_dates():
    assert check_lead_time(bj(2026, 3, 2, 18), bj(2026, 3, 9, 8), False, LEAD) == []
    violations = check_lead_time(bj(2026, 3, 2, 8), bj(2026, 3, 8, 23, 59), False, LEAD)
    assert rules_of(violations) == [("publish_at", "CON-10")]
    # 2026-03-02 16:30 UTC is already 3 March in Shanghai: six days, although the UTC dates are seven apart.
    requested = datetime(2026, 3, 2, 16, 30, tzinfo=UTC)
    assert rules_of(check_lead_time(requested, bj(2026, 3, 9, 10), False, LEAD)) == [("publish_at", "CON-10")]


def test_working_days_follow_the_official_calendar():
    assert is_working_day(date(2026, 2, 14))  # Saturday, adjusted workday (调休) before Spring Festival
    assert not is_working_day(date(2026, 2, 16))  # Spring Festival
    assert not is_working_day(date(2026, 2, 23))  # Monday, still Spring Festival
    assert is_working_day(date(2025, 9, 28))  # Sunday, adjusted workday before National Day 2025
    assert not is_working_day(date(2025, 10, 8))


def test_urgent_around_spring_festival_2026():
    publish = bj(2026, 2, 24, 9)  # Tuesday, first working day after 15-23 February
    assert urgent_ok(bj(2026, 2, 13, 17), publish)  # Friday
    assert urgent_ok(bj(2026, 2, 14, 18), publish)  # Saturday 调休 workday, whatever the hour
    assert not urgent_ok(bj(2026, 2, 15, 9), publish)  # Sunday, holiday starts
    assert not urgent_ok(bj(2026, 2, 20, 9), publish)  # holiday Friday
    assert not urgent_ok(bj(2026, 2, 23, 9), publish)  # holiday Monday
    assert not urgent_ok(bj(2026, 2, 24, 7), publish)  # the publish day itself never counts


def test_urgent_on_an_adjusted_saturday_versus_an_ordinary_one():
    assert urgent_ok(bj(2026, 2, 28, 10), bj(2026, 3, 1, 10))  # 28 Feb 2026 is a 调休 Saturday
    assert not urgent_ok(bj(2026, 3, 7, 10), bj(2026, 3, 8, 10))  # ordinary Saturday
    assert not urgent_ok(bj(2026, 3, 7, 10), bj(2026, 3, 9, 10))  # Saturday request for Monday is late
    assert urgent_ok(bj(2026, 3, 6, 23, 30), bj(2026, 3, 9, 8))  # Friday night request for Monday


def test_urgent_around_national_day_2025():
    assert urgent_ok(bj(2025, 9, 30), bj(2025, 10, 9))
    assert not urgent_ok(bj(2025, 10, 1), bj(2025, 10, 9))
    assert not urgent_ok(bj(2025, 10, 8), bj(2025, 10, 9))  # Mid-autumn/National Day holiday
    assert urgent_ok(bj(2025, 9, 28), bj(2025, 9, 29))  # Sunday 调休 workday
    assert urgent_ok(bj(2025, 10, 11), bj(2025, 10, 12))  # Saturday 调休 workday


def test_urgent_around_national_day_2026():
    assert urgent_ok(bj(2026, 9, 30), bj(2026, 10, 8))
    assert not urgent_ok(bj(2026, 10, 3), bj(2026, 10, 8))
    assert not urgent_ok(bj(2026, 10, 7), bj(2026, 10, 8))
    assert urgent_ok(bj(2026, 9, 20), bj(2026, 9, 21))  # Sunday 调休 workday
    assert urgent_ok(bj(2026, 10, 10), bj(2026, 10, 11))  # Saturday 调休 workday


def test_urgent_with_two_working_days_and_late_requests():
    two = LeadTimeRules(urgent_min_working_days=2)
    assert not urgent_ok(bj(2026, 3, 9), bj(2026, 3, 10), two)  # only Monday
    assert urgent_ok(bj(2026, 3, 6), bj(2026, 3, 10), two)  # Friday and Monday
    violations = check_lead_time(bj(2026, 3, 10, 12), bj(2026, 3, 10, 9), True, LEAD)  # requested after publish
    assert rules_of(violations) == [("publish_at", "CON-10")]
    assert "0 个工作日" in violations[0].message


def test_years_the_calendar_does_not_cover_raise_instead_of_guessing():
    with pytest.raises(WorkingCalendarError, match="2027-01-04"):
        check_lead_time(bj(2027, 1, 4), bj(2027, 1, 5), True, LEAD)
    with pytest.raises(WorkingCalendarError):
        is_working_day(date(2003, 12, 31))
    # Decided inside the covered year, so no uncovered date is needed: Thursday 31 Dec 2026 is a working day.
    assert urgent_ok(bj(2026, 12, 31), bj(2027, 1, 4))


# --- all together ------------------------------------------------------------------------------

RULES = ContentRules(content=LIMITS)


def clean_item(**overrides) -> ContentItem:
    fields = dict(
        platform="weibo",
        body="集团举办职工运动会 https://example.com/news/1",
        category="corporate_image",
        source="集团工会",
        requested_at=bj(2026, 3, 2),
        publish_at=bj(2026, 3, 10),
        media=(image(),),
    )
    fields.update(overrides)
    return ContentItem(**fields)


def test_clean_item_passes():
    assert check_item(clean_item(), RULES) == []
    assert check_item(clean_item(kind="mass_send", platform="wechat", title="职工运动会", preview_sent_at=bj(2026, 3, 9)),
                      RULES) == []


def test_every_violation_is_returned_at_once():
    item = clean_item(
        body="中" * 141 + " https://example.com/news/1",
        category=None,
        source="",
        media=(image(size_bytes=5 * MIB), video(filename="clip.mp4")),
        kind="mass_send",
        other_mass_sends_at=(bj(2026, 3, 10, 7),),
        urgency="urgent",
        requested_at=bj(2026, 3, 10, 8),
    )
    assert rules_of(check_item(item, RULES)) == [
        ("category", "CON-1"),
        ("source", "CON-2"),
        ("body", "CON-7"),
        ("media[0].size_bytes", "CON-8"),
        ("media[1].filename", "CON-8"),
        ("publish_at", "CON-9"),
        ("preview_sent_at", "CON-9"),
        ("publish_at", "CON-10"),
    ]


def test_weibo_length_applies_to_weibo_only_and_urgency_is_validated():
    assert check_item(clean_item(platform="wechat", title="职工运动会", body="中" * 500), RULES) == []
    assert rules_of(check_item(clean_item(urgency="asap"), RULES)) == [("urgency", "CON-10")]


def test_a_policy_object_can_be_passed_straight_in():
    policy_module = pytest.importorskip("herald.policy")
    policy = policy_module.load_policy("000")
    assert check_item(clean_item(category="corporate_image"), policy) == []
    assert rules_of(check_item(clean_item(category="gossip"), policy)) == [("category", "CON-1")]
