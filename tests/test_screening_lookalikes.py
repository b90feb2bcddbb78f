"""Lookalike-proof screening (CON-3, CON-4): letters of other scripts that imitate Latin ones, characters that imitate
Han ones and variant Han characters (异体字) fold to the forms the lexicon holds, located in the original text;
ordinary Chinese folds exactly as before."""

from __future__ import annotations

import random
import unicodedata
from pathlib import Path

import pytest

from herald.screening import (
    CONFIDENTIALITY_REVIEW,
    Lexicon,
    load_lexicon,
    normalise,
    screen,
    to_violations,
)
from herald.screening.normalise import (
    BOUNDARY,
    fold_character,
    lookalike_table,
    standard_simplified,
    variant_table,
)

# The seed policy texts sit beside the repository, in ../shared/seeds/ (not shipped with Herald).
SEEDS = Path(__file__).resolve().parents[1].parent / "shared" / "seeds"

CYRILLIC_A = "\N{CYRILLIC CAPITAL LETTER A}"
CYRILLIC_ER = "\N{CYRILLIC CAPITAL LETTER ER}"
CYRILLIC_IZHITSA = "\N{CYRILLIC CAPITAL LETTER IZHITSA}"  # looks like V
GREEK_KAPPA = "\N{GREEK CAPITAL LETTER KAPPA}"
GREEK_NU = "\N{GREEK CAPITAL LETTER NU}"
GREEK_RHO = "\N{GREEK CAPITAL LETTER RHO}"


@pytest.fixture(scope="module")
def lexicon() -> Lexicon:
    return load_lexicon("default")


def located(result, term):
    return [(h.start, h.end, h.snippet) for h in result.hits if h.term == term]


# --- CON-3 / CON-4: lookalikes of Latin letters ------------------------------------------------


@pytest.mark.parametrize(
    "text, term, start, snippet",
    [
        # Cyrillic V and P, Greek N: a confidential topic (CON-3)
        (f"泄露{CYRILLIC_IZHITSA}{CYRILLIC_ER}{GREEK_NU}账号", "VPN账号", 2, f"{CYRILLIC_IZHITSA}{CYRILLIC_ER}{GREEK_NU}账号"),
        # Greek R-looking rho, Cyrillic and Greek letters mixed with separators and traditional characters
        (f"泄露 V {GREEK_RHO} {GREEK_NU} 帳號", "VPN账号", 3, f"V {GREEK_RHO} {GREEK_NU} 帳號"),
        # mathematical bold capitals (NFKC) and Cherokee / Canadian syllabics lookalikes (confusables data)
        ("泄露\N{MATHEMATICAL BOLD CAPITAL V}\N{MATHEMATICAL BOLD CAPITAL P}\N{MATHEMATICAL BOLD CAPITAL N}账号",
         "VPN账号", 2, "\N{MATHEMATICAL BOLD CAPITAL V}\N{MATHEMATICAL BOLD CAPITAL P}\N{MATHEMATICAL BOLD CAPITAL N}账号"),
        ("泄露\N{CHEROKEE LETTER DO}\N{CHEROKEE LETTER TLV}\N{COPTIC CAPITAL LETTER NI}账号", "VPN账号", 2,
         "\N{CHEROKEE LETTER DO}\N{CHEROKEE LETTER TLV}\N{COPTIC CAPITAL LETTER NI}账号"),
        # CON-4: obscenity and drugs
        (f"出售{CYRILLIC_A}{CYRILLIC_IZHITSA}女优写真", "AV女优", 2, f"{CYRILLIC_A}{CYRILLIC_IZHITSA}女优"),
        (f"有人贩卖{GREEK_KAPPA}粉", "K粉", 4, f"{GREEK_KAPPA}粉"),
        (f"有人贩卖{GREEK_KAPPA}\u200b粉", "K粉", 4, f"{GREEK_KAPPA}\u200b粉"),  # lookalike and zero-width space
    ],
)
def test_latin_lookalikes_of_other_scripts_are_caught_in_place(lexicon, text, term, start, snippet):
    result = screen(text, lexicon)
    assert located(result, term) == [(start, start + len(snippet), snippet)]
    assert text[start : start + len(snippet)] == snippet


def test_lookalike_hits_keep_their_rules_and_routes(lexicon):
    secret = screen(f"泄露{CYRILLIC_IZHITSA}{CYRILLIC_ER}{GREEK_NU}账号", lexicon)
    assert secret.route == CONFIDENTIALITY_REVIEW
    [violation] = to_violations(secret, "body")
    assert violation.rule_id == "CON-3"
    assert f"“{CYRILLIC_IZHITSA}{CYRILLIC_ER}{GREEK_NU}账号”" in violation.message  # the original spelling, quoted

    obscene = screen(f"出售{CYRILLIC_A}{CYRILLIC_IZHITSA}女优写真", lexicon)
    assert obscene.blocked
    assert [v.rule_id for v in to_violations(obscene, "body")] == ["CON-4"]


# --- CON-4 / CON-3: Han lookalikes, variants, compatibility ideographs ----------------------------


@pytest.mark.parametrize(
    "text, term, start, snippet",
    [
        ("点击\N{CJK RADICAL SIMPLIFIED YELLOW}色网站", "黄色网站", 2, "\N{CJK RADICAL SIMPLIFIED YELLOW}色网站"),  # radical
        ("这是血汗\N{KATAKANA LETTER E}厂", "血汗工厂", 2, "血汗\N{KATAKANA LETTER E}厂"),  # katakana エ for 工
        ("我们是全国第\N{KATAKANA-HIRAGANA PROLONGED SOUND MARK}", "全国第一", 3,
         "全国第\N{KATAKANA-HIRAGANA PROLONGED SOUND MARK}"),  # ー for 一
        ("代開発票联系我", "代开发票", 0, "代開発票"),  # traditional 開, Japanese 発
        ("警惕売淫活动", "卖淫", 2, "売淫"),  # Japanese 売
        ("附件是设计図纸", "设计图纸", 3, "设计図纸"),  # Japanese 図 (CON-3)
        ("打击\N{CJK COMPATIBILITY IDEOGRAPH-FA06}恐", "暴恐", 2, "\N{CJK COMPATIBILITY IDEOGRAPH-FA06}恐"),  # NFKC
        ("有\N{CJK COMPATIBILITY IDEOGRAPH-F912}聊服务", "裸聊", 1, "\N{CJK COMPATIBILITY IDEOGRAPH-F912}聊"),
        ("网上\N{CJK COMPATIBILITY IDEOGRAPH-2F82E}彩", "网上博彩", 0, "网上\N{CJK COMPATIBILITY IDEOGRAPH-2F82E}彩"),
        ("这里有賭博", "赌博", 3, "賭博"),  # traditional, as before
    ],
)
def test_han_lookalikes_and_variants_are_caught_in_place(lexicon, text, term, start, snippet):
    result = screen(text, lexicon)
    assert located(result, term) == [(start, start + len(snippet), snippet)]
    assert result.hits  # CON-4 (or CON-3) violations follow from the hits
    assert {v.rule_id for v in to_violations(result, "body")} <= {"CON-3", "CON-4"}


def test_variant_of_a_confidential_topic_routes_to_confidentiality_review(lexicon):
    result = screen("附件是设计図纸", lexicon)
    assert result.route == CONFIDENTIALITY_REVIEW
    assert [v.rule_id for v in to_violations(result, "body")] == ["CON-3"]


# --- what must not change ------------------------------------------------------------------------


def test_ascii_letters_and_digits_stay_apart():
    # The confusables data puts 0/O and 1/l/I in one class each; the lexicon's own alphabet is never merged.
    assert normalise("0O1lI").text == "0o1li"
    assert not any(ch.isascii() for ch in lookalike_table())
    assert normalise(f"{GREEK_NU}\N{GREEK SMALL LETTER NU}").text == "nv"  # each as it looks: Ν is N, ν is v


def test_han_characters_never_become_latin_and_standard_simplified_never_changes():
    lookalikes, variants = lookalike_table(), variant_table()
    standard = standard_simplified()
    assert len(standard) > 6763  # GB 2312's hanzi and OpenCC's simplified forms
    assert not standard & (lookalikes.keys() | variants.keys())
    assert all(not target.isascii() for source, target in lookalikes.items() if unicodedata.category(source) == "So")
    assert all(target in standard for target in variants.values())
    # Both are standard simplified characters with their own meanings: no folding either way.
    assert normalise("显著看着芸芸众生").text == "显著看着芸芸众生"
    assert normalise("丨〇").text == "丨0"  # the Han stroke stays Han; 〇 is a Chinese digit, as before


def test_symbols_that_look_like_letters_still_vanish_as_separators(lexicon):
    # U+2228 LOGICAL OR resembles v and U+31D1 CJK STROKE S resembles 丨, but symbols separate, not spell.
    assert located(screen("赌\N{LOGICAL OR}博", lexicon), "赌博") == [(0, 3, "赌\N{LOGICAL OR}博")]
    assert located(screen("赌\N{CJK STROKE S}博", lexicon), "赌博") == [(0, 3, "赌\N{CJK STROKE S}博")]


def test_allowed_phrases_still_suppress_through_variants(lexicon):
    result = screen("分享安全生产的最佳実践", lexicon)  # Japanese 実 for 实
    assert located(result, "最佳") == []
    assert [h.snippet for h in result.suppressed] == ["最佳"]
    assert result.route is None
    result = screen("坚持远离賭\N{CJK COMPATIBILITY IDEOGRAPH-2F82E}", lexicon)
    assert result.hits == [] and [h.term for h in result.suppressed] == ["赌博"]
    # Outside the allowed phrase the same variant spelling is a hit.
    assert located(screen("最佳実力", lexicon), "最佳") == [(0, 2, "最佳")]


def seed_text() -> str:
    if not any(SEEDS.glob("*.md")):
        pytest.skip(f"no seed policy texts in {SEEDS}")
    return "".join(path.read_text(encoding="utf-8") for path in sorted(SEEDS.glob("*.md")))


def test_seed_policy_texts_fold_exactly_as_before():
    # Only the two new tables can change a fold; list every seed character that reaches one of them.
    lookalikes, variants = lookalike_table(), variant_table()
    touched = {
        ch
        for ch in set(seed_text())
        for part in unicodedata.normalize("NFKC", ch)
        if part in lookalikes or any(d in variants for d in part.casefold())
    }
    assert touched == set()  # ordinary Chinese: nothing (the tables fold other scripts and variants only)


def test_seed_policy_texts_fold_through_the_table_as_character_by_character():
    text = seed_text()
    folded = normalise(text)
    assert (folded.text, list(folded.origin)) == reference(text)


def test_default_lexicon_terms_fold_as_before(lexicon):
    # The lexicon's own spellings contain no lookalike or variant: its folded patterns (and sha256) are unchanged.
    lookalikes, variants = lookalike_table(), variant_table()
    spelt = "".join(t.term for t in lexicon.terms) + "".join(a.phrase for a in lexicon.allowed)
    assert not set(spelt) & (lookalikes.keys() | variants.keys())


# --- the offset map -------------------------------------------------------------------------------


def reference(text: str) -> tuple[str, list[int]]:
    """The definition: each original character folded on its own, its index repeated for each folded character."""
    folded = [fold_character(ch) for ch in text]
    return "".join(folded), [index for index, part in enumerate(folded) for _ in part]


def test_offset_map_round_trips_on_mixed_text():
    rng = random.Random(12)
    pieces = list("赌博網上博彩，。 \u200b*_") + [
        CYRILLIC_A, CYRILLIC_IZHITSA, GREEK_NU, "\N{MATHEMATICAL BOLD CAPITAL V}", "\N{CJK RADICAL SIMPLIFIED YELLOW}",
        "\N{KATAKANA LETTER E}", "図", "売", "\N{CJK COMPATIBILITY IDEOGRAPH-F912}", "\u337f", "\ufb01", "ß", "😀",
        "\ud800", "Ⅻ", "１", "壹", "\N{SQUARE ERA NAME HEISEI}", "\n",
    ]
    for _ in range(50):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 40)))
        folded = normalise(text)
        expected_text, expected_origin = reference(text)
        assert folded.text == expected_text, text
        assert list(folded.origin) == expected_origin, text
        for start in range(len(folded.text)):
            original_start, original_end = folded.original_span(start, start + 1)
            assert folded.text[start] in fold_character(text[original_start]) and original_end == original_start + 1
            assert type(original_start) is int  # JSON-ready for Hit.as_dict()


def test_offset_map_of_a_lookalike_evasion():
    text = f"xx {CYRILLIC_IZHITSA}·{CYRILLIC_ER}\ufb01{BOUNDARY}"
    folded = normalise(text)
    assert folded.text == "xxvpfi\n"
    assert [folded.original_span(i, i + 1) for i in range(len(folded.text))] == [
        (0, 1), (1, 2), (3, 4), (5, 6), (6, 7), (6, 7), (7, 8)
    ]
    assert folded.original_span(2, 6) == (3, 7)


def test_empty_and_boundary_only_texts():
    assert normalise("").text == "" and list(normalise("").origin) == []
    assert normalise(" ，").text == BOUNDARY and normalise(" ，").original_span(0, 1) == (1, 2)
