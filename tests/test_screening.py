"""Screening (CON-3, CON-4): evasions folded, hits located in the original text, lexicon tags and versions honoured."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from herald.screening import (
    CATEGORIES,
    CONFIDENTIALITY_REVIEW,
    CONTENT_REVIEW,
    AllowedPhrase,
    Lexicon,
    Term,
    load_lexicon,
    normalise,
    screen,
    to_violations,
)

# The seed policy texts sit beside the repository, in ../shared/seeds/ (not shipped with Herald).
SEEDS = (Path(__file__).resolve().parents[1] / ".." / "shared" / "seeds").resolve()


@pytest.fixture(scope="module")
def lexicon() -> Lexicon:
    return load_lexicon("default")


def spans(result, term):
    return [(h.start, h.end, h.snippet) for h in result.hits if h.term == term]


# --- normalisation -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, start, end, snippet",
    [
        ("他参与赌博活动", 3, 5, "赌博"),
        ("他参与赌 博活动", 3, 6, "赌 博"),  # space
        ("他参与赌_博活动", 3, 6, "赌_博"),  # underscore
        ("他参与賭*博活动", 3, 6, "賭*博"),  # traditional + asterisk
        ("他参与赌\u200b博活动", 3, 6, "赌\u200b博"),  # zero-width space
        ("他参与赌\ufeff\u200d博活动", 3, 7, "赌\ufeff\u200d博"),  # BOM and zero-width joiner
        ("他参与赌.博活动", 3, 6, "赌.博"),
        ("他参与赌·博-活动", 3, 6, "赌·博"),  # middle dot
        ("他参与 賭 ＊ 博 活动", 4, 9, "賭 ＊ 博"),  # full-width asterisk between spaces
        ("😀😀赌博", 2, 4, "赌博"),  # offsets are code points, emoji included
        ("赌😀博", 0, 3, "赌😀博"),  # emoji used as a separator
    ],
)
def test_evasions_are_caught_with_original_positions(lexicon, text, start, end, snippet):
    result = screen(text, lexicon)
    assert spans(result, "赌博") == [(start, end, snippet)]
    assert text[start:end] == snippet
    assert result.blocked


@pytest.mark.parametrize(
    "text, term, snippet",
    [
        ("出售ＡＶ女优写真", "AV女优", "ＡＶ女优"),  # full-width Latin letters
        ("出售av女优写真", "AV女优", "av女优"),  # case folding
        ("我们是全国第１", "全国第一", "全国第１"),  # full-width digit against a Chinese numeral
        ("我们是全国第1", "全国第一", "全国第1"),
        ("行业第壹品牌", "第一品牌", "第壹品牌"),  # financial numeral
        ("網上博彩", "网上博彩", "網上博彩"),  # traditional
        ("泄露 VPN 帳號", "VPN账号", "VPN 帳號"),
    ],
)
def test_width_case_digit_and_traditional_forms(lexicon, text, term, snippet):
    hits = [h for h in screen(text, lexicon).hits if h.term == term]
    assert [h.snippet for h in hits] == [snippet]
    assert text[hits[0].start : hits[0].end] == snippet


def test_chinese_clause_punctuation_and_line_breaks_are_hard_boundaries(lexicon):
    # Chinese prose separates clauses with these marks; a term never spans them.
    for text in ("愿赌。博物馆开放", "愿赌，博物馆开放", "愿赌！博物馆", "愿赌\n博物馆"):
        assert spans(screen(text, lexicon), "赌博") == [], text
    # ASCII punctuation inside Chinese text is the usual evasion device and is removed.
    assert spans(screen("愿赌,博物馆", lexicon), "赌博") == [(1, 4, "赌,博")]


def test_offset_map_survives_expanding_characters():
    folded = normalise("㍿赌博")  # U+337F folds to four characters
    assert folded.text == "株式会社赌博"
    assert folded.original_span(4, 6) == (1, 3)
    assert folded.original_span(1, 3) == (0, 1)  # inside an expansion: the whole original character


def test_traditional_table_agrees_with_opencc_on_plain_text():
    from opencc import OpenCC

    sentence = "公司官方微博發佈資訊須經審核並註明來源"
    assert normalise(sentence).text == OpenCC("t2s").convert(sentence)


# --- match semantics ---------------------------------------------------------------------------


def test_overlapping_terms_are_all_reported(lexicon):
    result = screen("这是赌博网站", lexicon)
    assert [(h.term, h.start, h.end) for h in result.hits] == [("赌博", 2, 4), ("赌博网站", 2, 6)]


def test_overlap_of_two_terms_sharing_characters_reports_both():
    lexicon = Lexicon.from_terms(
        [Term("secrets", "机密文件", "high", "review"), Term("secrets", "文件泄露", "high", "review")]
    )
    result = screen("防止机密文件泄露", lexicon)
    assert [(h.term, h.start, h.end) for h in result.hits] == [("机密文件", 2, 6), ("文件泄露", 4, 8)]


def test_repeated_term_is_reported_at_each_occurrence(lexicon):
    result = screen("赌博、赌 博和賭博", lexicon)
    assert spans(result, "赌博") == [(0, 2, "赌博"), (3, 6, "赌 博"), (7, 9, "賭博")]


# --- allow-list --------------------------------------------------------------------------------


def test_allowed_phrase_suppresses_a_covered_hit(lexicon):
    result = screen("分享安全生产的最佳实践", lexicon)
    assert spans(result, "最佳") == []
    assert [h.term for h in result.suppressed] == ["最佳"]
    assert result.route is None
    # The same word outside the allowed phrase is still a hit.
    assert spans(screen("这是最佳选择", lexicon), "最佳") == [(2, 4, "最佳")]


def test_allowed_phrase_is_folded_like_the_text(lexicon):
    result = screen("分享最 佳 實 踐", lexicon)
    assert result.hits == []
    assert [h.snippet for h in result.suppressed] == ["最 佳"]


def test_allowed_phrase_only_suppresses_its_own_category():
    lexicon = Lexicon.from_terms(
        [Term("absolute_advertising", "最佳", "medium", "review")],
        allowed=[AllowedPhrase("gambling", "最佳实践")],
    )
    assert [h.term for h in screen("最佳实践", lexicon).hits] == ["最佳"]


def test_allowed_phrase_suppresses_only_hits_wholly_inside_it(lexicon):
    # 远离赌博 covers 赌博 but not 赌博网站, which extends beyond it.
    result = screen("远离赌博网站", lexicon)
    assert [h.term for h in result.hits] == ["赌博网站"]
    assert [h.term for h in result.suppressed] == ["赌博"]


# --- categories, actions, routes, violations -------------------------------------------------


def test_confidential_topic_routes_to_confidentiality_review_without_blocking(lexicon):
    result = screen("附件为未公开财务数据和内部经济技术指标", lexicon)
    assert {h.category for h in result.hits} == {"secrets"}
    assert not result.blocked
    assert result.route == CONFIDENTIALITY_REVIEW
    violations = to_violations(result, "body")
    assert {v.rule_id for v in violations} == {"CON-3"}
    assert all(v.field == "body" for v in violations)


def test_prohibited_block_category_blocks(lexicon):
    result = screen("欢迎访问线上娱乐城，真人荷官在线", lexicon)
    assert result.blocked
    assert {h.category for h in result.hits} == {"gambling"}
    assert {h.action for h in result.hits} == {"block"}
    violations = to_violations(result, "body")
    assert [v.rule_id for v in violations] == ["CON-4", "CON-4"]
    assert "线上娱乐城" in violations[0].message and "禁止发布" in violations[0].message


def test_review_category_routes_to_content_review(lexicon):
    result = screen("本产品稳赚不赔", lexicon)
    assert not result.blocked
    assert result.route == CONTENT_REVIEW
    assert [(v.rule_id, v.field) for v in to_violations(result, "title")] == [("CON-4", "title")]


def test_blocked_text_with_a_secret_keeps_the_confidentiality_route(lexicon):
    result = screen("绝密：赌博网站名单", lexicon)
    assert result.blocked
    assert result.route == CONFIDENTIALITY_REVIEW
    assert sorted(v.rule_id for v in to_violations(result, "body")) == ["CON-3", "CON-4", "CON-4"]


def test_screening_can_be_limited_to_a_policys_categories(lexicon):
    text = "绝密：赌博网站名单"
    result = screen(text, lexicon, categories=("secrets",))
    assert {h.category for h in result.hits} == {"secrets"}
    assert not result.blocked and result.route == CONFIDENTIALITY_REVIEW
    assert screen(text, lexicon, categories=()).hits == []


def test_every_category_has_a_chinese_message():
    terms = [Term(category, f"测试词{index:02d}", "low", "review") for index, category in enumerate(CATEGORIES)]
    text = "".join(t.term + "，" for t in terms)
    violations = to_violations(screen(text, Lexicon.from_terms(terms)), "body")
    assert len(violations) == len(CATEGORIES)
    assert all("命中" in v.message and "词库版本 unversioned" in v.message for v in violations)


def test_log_action_is_recorded_but_raises_no_violation(lexicon):
    result = screen("今天吃菠菜", lexicon)
    assert [(h.term, h.action) for h in result.hits] == [("菠菜", "log")]
    assert not result.blocked and result.route is None
    assert to_violations(result, "body") == []


def test_clean_text_has_no_hits(lexicon):
    result = screen("集团举办职工运动会，各分公司踊跃参加。", lexicon)
    assert result.hits == [] and not result.blocked and result.route is None
    assert screen("", lexicon).hits == []


def test_seed_policy_article_16_names_prohibited_content(lexicon):
    """CON-4: the prohibited list of 001 art.16 is covered by the default lexicon."""
    seed = SEEDS / "001-official-weibo-wechat-measures.md"
    if not seed.is_file():
        pytest.skip(f"seed policy text {seed.name} not found in {SEEDS} (../shared/seeds/ beside the repository)")
    text = seed.read_text(encoding="utf-8")
    result = screen(text, lexicon)
    terms = {h.term for h in result.hits}
    assert {"淫秽", "色情", "赌博", "凶杀", "教唆犯罪", "机密"} <= terms
    for hit in result.hits:
        assert normalise(text[hit.start : hit.end]).text == normalise(hit.term).text


# --- the lexicon -------------------------------------------------------------------------------


def test_default_lexicon_is_versioned_and_covers_every_category(lexicon):
    assert lexicon.version == "2026.2"
    assert re.fullmatch(r"[0-9a-f]{64}", lexicon.sha256)
    assert len(lexicon) >= 300
    assert {t.category for t in lexicon.terms} == set(CATEGORIES)
    assert all(t.action == "review" for t in lexicon.terms if t.category == "secrets")
    assert len(lexicon.allowed) >= 10
    result = screen("赌博", lexicon)
    assert (result.lexicon_version, result.lexicon_sha256) == (lexicon.version, lexicon.sha256)


def test_hash_ignores_order_and_spelling_but_not_tags():
    a = Lexicon.from_terms([Term("gambling", "赌博", "high", "block"), Term("secrets", "机密", "high", "review")])
    b = Lexicon.from_terms([Term("secrets", "機密", "high", "review"), Term("gambling", "賭 博", "high", "block")])
    c = Lexicon.from_terms([Term("gambling", "赌博", "high", "review"), Term("secrets", "机密", "high", "review")])
    d = Lexicon.from_terms(
        [Term("gambling", "赌博", "high", "block"), Term("secrets", "机密", "high", "review")],
        allowed=[AllowedPhrase("gambling", "远离赌博")],
    )
    assert a.sha256 == b.sha256
    assert len({a.sha256, c.sha256, d.sha256}) == 3


@pytest.mark.parametrize(
    "term, message",
    [
        (Term("gambling", "赌", "high", "block"), "at least 2 characters"),
        (Term("gambling", "赌。博", "high", "block"), "clause punctuation"),
        (Term("gambling", "**", "high", "block"), "at least 2 characters"),
    ],
)
def test_terms_that_cannot_match_sensibly_are_refused(term, message):
    with pytest.raises(ValueError, match=message):
        Lexicon.from_terms([term])


def test_bad_tags_and_conflicting_duplicates_are_refused():
    with pytest.raises(ValueError, match="category"):
        Term("politics", "某词语", "high", "block")
    with pytest.raises(ValueError, match="action"):
        Term("gambling", "赌博", "high", "delete")
    with pytest.raises(ValueError, match="severity"):
        Term("gambling", "赌博", "extreme", "block")
    with pytest.raises(ValueError, match="appears twice"):
        Lexicon.from_terms([Term("gambling", "赌博", "high", "block"), Term("gambling", "賭博", "low", "log")])
    # The same folded term with the same tags is one pattern.
    assert len(Lexicon.from_terms([Term("gambling", "赌博", "high", "block"), Term("gambling", "賭博", "high", "block")]).patterns) == 1


def test_load_lexicon_from_a_path_with_its_allow_list(tmp_path):
    path = tmp_path / "unit.tsv"
    path.write_text(
        "# version: 7\ncategory\tterm\tseverity\taction\ngambling\t赌博\thigh\tblock\nsecrets\t标底\thigh\treview\n",
        encoding="utf-8",
    )
    (tmp_path / "unit.allow.tsv").write_text("category\tphrase\treason\ngambling\t远离赌博\t宣传\n", encoding="utf-8")
    lexicon = load_lexicon(path)
    assert lexicon.version == "7" and len(lexicon) == 2 and len(lexicon.allowed) == 1
    assert screen("远离赌博", lexicon).hits == []
    assert [h.term for h in screen("赌博", lexicon).hits] == ["赌博"]


def test_load_lexicon_refuses_missing_version_bad_rows_and_unknown_names(tmp_path):
    no_version = tmp_path / "a.tsv"
    no_version.write_text("category\tterm\tseverity\taction\ngambling\t赌博\thigh\tblock\n", encoding="utf-8")
    with pytest.raises(ValueError, match="version"):
        load_lexicon(no_version)
    bad_row = tmp_path / "b.tsv"
    bad_row.write_text("# version: 1\ncategory\tterm\tseverity\taction\ngambling\t赌博\thigh\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"b.tsv:3"):
        load_lexicon(bad_row)
    with pytest.raises(FileNotFoundError):
        load_lexicon("no-such-lexicon")
