"""Screening throughput: 1 MB of Chinese text against a 10,000-term lexicon, beside a naive per-term scan.

Measures ``screen(text, lexicon)`` end to end, in characters per second of the original text (median of
REPEATS runs): folding (NFKC, lookalikes of other scripts, separators, case, traditional and variant
Han characters, digits, with the offset map), the Aho-Corasick search over the folded text, and building
the located hits with the allow-list applied. The folding and the search are also timed on their own.

Data, generated deterministically (fixed seed) in this process:
- text: the sentences of the four seed policies (real character frequencies), shuffled and joined to
  1,000,000 UTF-8 bytes, with planted sentences every 150 sentences (evasions such as ``賭*博``, a
  confidential topic, an allowed phrase, synthetic terms, and lookalike evasions: Cyrillic and Greek
  letters, mathematical capitals, a CJK radical, katakana and Japanese variant characters in place of
  a term's own letters). Every planted lookalike evasion must come back as a hit of its term, located
  on the planted spelling, or the benchmark fails;
- lexicon: the shipped default lexicon plus synthetic 2-6 character terms up to 10,000 terms; each
  synthetic term starts with a character drawn from the text's own frequencies (so the automaton
  sees realistic first characters) and continues with characters from the CJK block.

Project: ``screen(text, lexicon)``: fold the text, run the Aho-Corasick automaton, build the hits.
Baseline: fold the text, then for every pattern a ``str.find`` loop over the folded text (overlaps
included), in the same process. Both must find the same (pattern, start, end) set.
Also shown: OpenCC's phrase-level ``t2s`` converter on the same text, against the folding, which
converts traditional characters through a per-character table.
"""

from __future__ import annotations

import random
import re
import statistics
import sys
import time
from pathlib import Path

# run.py starts each benchmark with cwd tests/benchmarks, where a relative PYTHONPATH=include misses.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "include"))

from common import emit
from herald.screening import CATEGORIES, Lexicon, Term, load_lexicon, normalise, screen

# The seed policy texts sit beside the repository, in ../shared/seeds/ (not shipped with Herald).
SEEDS = (Path(__file__).resolve().parents[2] / ".." / "shared" / "seeds").resolve()
TARGET_BYTES = 1_000_000
TARGET_TERMS = 10_000
REPEATS = 5
NAIVE_REPEATS = 3  # the naive scan takes seconds a run
SEED = 20260301

PLANTED = [
    "有人在群里转发賭*博网站的链接。",
    "附件含未公开财务数据，请勿外传。",
    "本期分享安全生产的最佳实践。",
    "严禁代 开 发 票等违法行为。",
    "稳赚不赔的理财广告不得转发。",
]
# Lookalike evasions, planted with the rest: original spelling -> the lexicon term it must be found as.
LOOKALIKE_EVASIONS = {
    "\u0474\u0420\u039d账号": "VPN账号",  # Cyrillic Izhitsa and Er, Greek Nu
    "\u0410\u0474女优": "AV女优",  # Cyrillic A and Izhitsa
    "\u039a粉": "K粉",  # Greek Kappa
    "\U0001d415\U0001d40f\U0001d40d賬號": "VPN账号",  # mathematical bold capitals, traditional characters
    "\u2ee9色网站": "黄色网站",  # CJK radical for 黄
    "血汗\u30a8厂": "血汗工厂",  # katakana エ for 工
    "代開発票": "代开发票",  # traditional 開, Japanese 発
    "売淫": "卖淫",  # Japanese 売
    "设计図纸": "设计图纸",  # Japanese 図
}
PLANTED += [f"群里有人发{spelling}的消息。" for spelling in LOOKALIKE_EVASIONS]


def seed_sentences() -> list[str]:
    sentences = []
    for path in sorted(SEEDS.glob("*.md")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.startswith(("#", "(")) or not line.strip():
                continue  # markdown titles and the English provenance notes
            sentences += [s.strip() for s in re.split(r"(?<=[。；！？])", line) if s.strip()]
    return sentences


def build_text(rng: random.Random, synthetic_terms: list[str]) -> tuple[str, int]:
    sentences = seed_sentences()
    parts: list[str] = []
    size = 0
    planted = 0
    while size < TARGET_BYTES:
        rng.shuffle(sentences)
        for sentence in sentences:
            if len(parts) % 150 == 149:
                sentence = PLANTED[planted % len(PLANTED)] + synthetic_terms[planted % len(synthetic_terms)] + "。"
                planted += 1
            parts.append(sentence)
            size += len(sentence.encode("utf-8"))
            if size >= TARGET_BYTES:
                break
    text = "".join(parts)
    # Cut to exactly TARGET_BYTES on a character boundary (CJK characters are 3 bytes: drop a partial one).
    return text.encode("utf-8")[:TARGET_BYTES].decode("utf-8", errors="ignore"), planted


def build_lexicon(rng: random.Random, frequent_chars: list[str], base: Lexicon) -> tuple[Lexicon, list[str]]:
    taken = {p.folded for p in base.patterns}
    synthetic: list[Term] = []
    while len(base.terms) + len(synthetic) < TARGET_TERMS:
        length = rng.randint(2, 6)
        term = rng.choice(frequent_chars) + "".join(chr(rng.randint(0x4E00, 0x9FA5)) for _ in range(length - 1))
        folded = normalise(term).text
        if len(folded) < 2 or folded in taken:
            continue
        taken.add(folded)
        synthetic.append(Term(rng.choice(CATEGORIES), term, "low", "log"))
    lexicon = Lexicon.from_terms([*base.terms, *synthetic], base.allowed, version=f"{base.version}+synthetic")
    return lexicon, [t.term for t in synthetic]


def naive_find(lexicon: Lexicon, folded_text: str) -> list[tuple[int, int, int]]:
    matches = []
    for index, pattern in enumerate(lexicon.patterns):
        needle = pattern.folded
        position = folded_text.find(needle)
        while position != -1:
            matches.append((index, position, position + len(needle)))
            position = folded_text.find(needle, position + 1)  # + 1: overlapping occurrences too
    return matches


def median_time(fn, repeat: int) -> tuple[float, object]:
    timings, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        timings.append(time.perf_counter() - start)
    return statistics.median(timings), result


def main() -> int:
    if not any(SEEDS.glob("*.md")):
        print(f"cannot run: no seed policy texts in {SEEDS} (the ../shared/seeds/ folder beside the repository)",
              file=sys.stderr)
        return 1
    rng = random.Random(SEED)
    sentences_text = "".join(seed_sentences())
    frequent_chars = [ch for ch in sentences_text if "\u4e00" <= ch <= "\u9fff"]
    lexicon, synthetic_terms = build_lexicon(rng, frequent_chars, load_lexicon("default"))
    text, planted = build_text(rng, synthetic_terms)
    chars = len(text)
    megabytes = len(text.encode("utf-8")) / 1_000_000
    print(f"text: {len(text.encode('utf-8')):,} UTF-8 bytes, {chars:,} characters, {planted} planted sentences")
    print(f"lexicon: {len(lexicon):,} terms + {len(lexicon.allowed)} allowed phrases, version {lexicon.version}, "
          f"sha256 {lexicon.sha256[:16]}")

    project_seconds, result = median_time(lambda: screen(text, lexicon), REPEATS)
    fold_seconds, folded = median_time(lambda: normalise(text), REPEATS)
    automaton_seconds, automaton_matches = median_time(lambda: lexicon.find(folded.text), REPEATS)
    naive_find_seconds, naive_matches = median_time(lambda: naive_find(lexicon, folded.text), NAIVE_REPEATS)
    naive_seconds = fold_seconds + naive_find_seconds

    project_set = {(p.folded, s, e) for p, s, e in automaton_matches}
    naive_set = {(lexicon.patterns[i].folded, s, e) for i, s, e in naive_matches}
    if project_set != naive_set or len(automaton_matches) != len(naive_matches):
        print(f"MISMATCH: automaton {len(automaton_matches)} matches, naive {len(naive_matches)}; "
              f"only automaton {len(project_set - naive_set)}, only naive {len(naive_set - project_set)}")
        return 1
    synthetic = set(synthetic_terms)
    by_category: dict[str, int] = {}
    for hit in result.hits:
        if hit.term not in synthetic:
            by_category[hit.category] = by_category.get(hit.category, 0) + 1
    print(f"matches: {len(automaton_matches):,} (both methods agree); hits {len(result.hits):,}, "
          f"suppressed by allowed phrases {len(result.suppressed):,}, blocked={result.blocked}, route={result.route}")
    print(f"hits of default-lexicon terms by category: {dict(sorted(by_category.items()))}; "
          f"hits of synthetic terms: {sum(1 for h in result.hits if h.term in synthetic):,}")
    evasion_hits = [h for h in result.hits if h.snippet != h.term]
    lookalikes_planted = sum(text.count(spelling) for spelling in LOOKALIKE_EVASIONS)
    lookalikes_found = sum(1 for h in result.hits if LOOKALIKE_EVASIONS.get(h.snippet) == h.term)
    print(f"lookalike evasions planted {lookalikes_planted}, found as their terms {lookalikes_found}, e.g. "
          f"{[(h.term, h.snippet) for h in result.hits if h.snippet in LOOKALIKE_EVASIONS][:4]}")
    if lookalikes_found != lookalikes_planted or not lookalikes_planted:
        print("MISSED: a planted lookalike evasion was not found as its term")
        return 1
    print(f"hits whose original spelling differs from the term (evasions, traditional): {len(evasion_hits):,}, "
          f"e.g. {[(h.term, h.snippet) for h in evasion_hits[:3]]}")

    from opencc import OpenCC

    converter = OpenCC("t2s")
    opencc_seconds, _ = median_time(lambda: converter.convert(text), 1)

    def rate(seconds: float) -> str:
        return f"{chars / seconds / 1e6:6.2f} M chars/s ({seconds * 1000 / megabytes:8.1f} ms per MB)"

    print(f"project  screen() total           {rate(project_seconds)}   median of {REPEATS}")
    print(f"  of which folding (normalise)    {rate(fold_seconds)}")
    print(f"  of which automaton search       {rate(automaton_seconds)}")
    print(f"baseline fold + per-term find     {rate(naive_seconds)}   median of {NAIVE_REPEATS}")
    print(f"OpenCC('t2s').convert alone       {rate(opencc_seconds)}   (not used: per-character table instead)")
    print(f"speed-up over the naive scan: {naive_seconds / project_seconds:.1f}x")
    emit(
        "screening",
        "seconds_per_MB",
        project_seconds / megabytes,
        naive_seconds / megabytes,
        "s",
        chars_per_second=round(chars / project_seconds),
        naive_chars_per_second=round(chars / naive_seconds),
        fold_chars_per_second=round(chars / fold_seconds),
        automaton_chars_per_second=round(chars / automaton_seconds),
        opencc_t2s_chars_per_second=round(chars / opencc_seconds),
        terms=len(lexicon),
        chars=chars,
        matches=len(automaton_matches),
        hits=len(result.hits),
        lookalike_evasions_planted=lookalikes_planted,
        lookalike_evasions_found=lookalikes_found,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
