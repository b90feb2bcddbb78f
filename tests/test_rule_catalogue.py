"""The rule catalogue (docs/rules.md) is complete and tells the truth about the code and the tests.

Fails when a rule is missing from the catalogue or cited somewhere but not catalogued, when a file or DAG the
catalogue names does not exist or does not cite the rule, when a rule marked ``enforced`` is cited by no code or
no test, and when a clause is malformed or (if the policy texts are at hand) names a section the text lacks.
"""

from __future__ import annotations

import ast
import re
import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
CATALOGUE = REPO / "docs" / "rules.md"
PACKS = REPO / "include" / "herald" / "policy" / "packs"
# The policy texts sit beside the repository, in ../shared/seeds/ (not shipped with Herald).
SEEDS = (REPO / ".." / "shared" / "seeds").resolve()
SHARED_RULES = (REPO / ".." / "shared" / "rules.md").resolve()

PREFIXES = ("ORG", "ACC", "CON", "PUB", "SEC")
RULE_ID = re.compile(r"(?<![A-Za-z0-9_-])(?:ORG|ACC|CON|PUB|SEC)-\d+(?!\d)")
COLUMNS = ("ID", "Rule", "Clauses", "Status", "Enforced in", "Tested by", "Not covered")
STATUSES = ("enforced", "recorded", "planned")
NONE = "—"
CLAUSE = re.compile(
    r"(?P<policy>\d{3}) (?:§(?P<section>\d+(?:\.\d+)*)(?:–(?P<section_to>\d+(?:\.\d+)*))?"
    r"|art\.(?P<article>\d+)(?:\.\d+)?)(?: note \d+)?"
)


@dataclass(frozen=True)
class Rule:
    rule_id: str
    text: str
    clauses: tuple[str, ...]
    status: str
    enforced_in: tuple[str, ...]
    tested_by: tuple[str, ...]
    not_covered: str
    line: int


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def _names(cell: str) -> tuple[str, ...]:
    return tuple(re.findall(r"`([^`]+)`", cell))


@cache
def catalogue() -> dict[str, Rule]:
    rules: dict[str, Rule] = {}
    duplicates = []
    header: tuple[str, ...] = ()
    for number, line in enumerate(CATALOGUE.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.startswith("|"):
            header = ()
            continue
        cells = _cells(line)
        if not header:
            header = tuple(cells)
            continue
        if header != COLUMNS or set(cells[0]) <= {"-"}:
            continue
        assert len(cells) == len(COLUMNS), f"docs/rules.md:{number}: {len(cells)} cells, expected {len(COLUMNS)}"
        rule_id, text, clauses, status, enforced_in, tested_by, not_covered = cells
        assert RULE_ID.fullmatch(rule_id), f"docs/rules.md:{number}: {rule_id!r} is not a rule ID"
        if rule_id in rules:
            duplicates.append(rule_id)
        rules[rule_id] = Rule(rule_id, text, tuple(c.strip() for c in clauses.split(";")), status,
                              _names(enforced_in), _names(tested_by), "" if not_covered == NONE else not_covered,
                              number)
    assert not duplicates, f"rules listed twice in docs/rules.md: {duplicates}"
    return rules


def policies_table() -> dict[str, str]:
    """Policy id -> the file name of its policy text, from the catalogue's policy table."""
    table = {}
    for line in CATALOGUE.read_text(encoding="utf-8").splitlines():
        cells = _cells(line) if line.startswith("|") else []
        if cells and re.fullmatch(r"\d{3}", cells[0]):
            table[cells[0]] = _names(cells[1])[0]
    return table


@cache
def repository_files() -> tuple[Path, ...]:
    """Tracked files and new files not ignored (so a file about to be committed is checked too)."""
    try:
        listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                                cwd=REPO, capture_output=True, check=True).stdout.decode()
    except (OSError, subprocess.CalledProcessError) as error:
        pytest.skip(f"the repository's files are listed with git, which failed here: {error}")
    return tuple(REPO / name for name in sorted(set(listed.split("\0"))) if name and (REPO / name).is_file())


def cites(text: str, rule_id: str) -> bool:
    return any(match == rule_id for match in RULE_ID.findall(text))


@cache
def dag_files() -> dict[str, Path]:
    """DAG id -> the file that defines it: each ``@dag`` function's ``dag_id`` (a literal) and its name."""
    dags = {}
    for path in sorted((REPO / "dags").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.FunctionDef):
                continue
            for decorator in node.decorator_list:
                call = decorator.func if isinstance(decorator, ast.Call) else decorator
                if getattr(call, "id", getattr(call, "attr", None)) != "dag":
                    continue
                dags[node.name] = path
                for keyword in getattr(decorator, "keywords", []):
                    if keyword.arg == "dag_id" and isinstance(keyword.value, ast.Constant):
                        dags[keyword.value.value] = path
    return dags


def code_problems(rule: Rule) -> list[str]:
    problems = []
    for name in rule.enforced_in:
        if "/" not in name:
            path = dag_files().get(name)
            if path is None:
                problems.append(f"{name}: no DAG with that id in dags/")
            elif not cites(path.read_text(encoding="utf-8"), rule.rule_id):
                problems.append(f"{name}: its file {path.relative_to(REPO)} does not cite {rule.rule_id}")
            continue
        paths = sorted(REPO.glob(name))
        if not paths:
            problems.append(f"{name}: no such file")
        problems += [f"{name}: {p.relative_to(REPO)} does not cite {rule.rule_id}" for p in paths
                     if not cites(p.read_text(encoding="utf-8"), rule.rule_id)]
    return problems


def _test_source(path: Path, qualified: str) -> str | None:
    """The source of one test (decorators included, so parametrize ids count), or None if absent."""
    source = path.read_text(encoding="utf-8")
    scope: list[ast.stmt] = ast.parse(source).body
    node = None
    for part in qualified.split("::"):
        node = next((n for n in scope if isinstance(n, (ast.FunctionDef, ast.ClassDef)) and n.name == part), None)
        if node is None:
            return None
        scope = node.body
    first = min([node.lineno] + [d.lineno for d in node.decorator_list])
    return "\n".join(source.splitlines()[first - 1 : node.end_lineno])


def named_test_problems(rule: Rule) -> list[str]:
    problems = []
    for name in rule.tested_by:
        file_name, _, qualified = name.partition("::")
        path = REPO / file_name
        if not (file_name.startswith("tests/") and Path(file_name).name.startswith("test_") and path.is_file()):
            problems.append(f"{name}: no such test file")
            continue
        if not qualified:
            if not cites(path.read_text(encoding="utf-8"), rule.rule_id):
                problems.append(f"{name}: does not cite {rule.rule_id}")
            continue
        source = _test_source(path, qualified)
        if source is None:
            problems.append(f"{name}: no such test")
        elif not (cites(source, rule.rule_id) or rule.rule_id.lower().replace("-", "_") in qualified.lower()):
            problems.append(f"{name}: does not cite {rule.rule_id}")
    return problems


# --- the checks themselves ---------------------------------------------------------------------


def test_a_citation_is_the_whole_rule_id():
    assert cites("PUB-1/PUB-3", "PUB-1") and cites("(CON-9)", "CON-9") and cites("依据PUB-5。", "PUB-5")
    longer = "PUB-1" + "0"  # spelt in two parts: an uncatalogued ID written here would fail the scan below
    assert not cites(longer, "PUB-1") and not cites("XPUB-1", "PUB-1") and not cites("PUB-1", longer)


def test_the_catalogue_parses_into_every_rule_with_its_columns():
    rules = catalogue()
    assert len(rules) >= 30
    assert rules["PUB-5"].clauses == ("000 §4.4",) and rules["PUB-5"].status == "enforced"
    assert "herald_cadence_scan" in rules["PUB-5"].enforced_in
    assert "herald_approval_router" in rules["CON-6"].enforced_in and rules["CON-6"].tested_by == ("tests/test_post_sensitive.py",)


def test_a_wrong_entry_is_reported():
    wrong = Rule("PUB-5", "", ("000 §4.4",), "enforced",
                 ("include/herald/cadence/nowhere.py", "include/herald/content/weibo.py", "herald_nowhere"),
                 ("tests/test_content_rules.py", "tests/test_cadence_weekly.py::test_nowhere"), "", 0)
    assert code_problems(wrong) == [
        "include/herald/cadence/nowhere.py: no such file",
        "include/herald/content/weibo.py: include/herald/content/weibo.py does not cite PUB-5",
        "herald_nowhere: no DAG with that id in dags/",
    ]
    assert named_test_problems(wrong) == ["tests/test_content_rules.py: does not cite PUB-5",
                                    "tests/test_cadence_weekly.py::test_nowhere: no such test"]


# --- the catalogue is complete -----------------------------------------------------------------


def test_every_rule_family_is_numbered_without_gaps():
    numbers: dict[str, list[int]] = {}
    for rule_id in catalogue():
        prefix, number = rule_id.split("-")
        numbers.setdefault(prefix, []).append(int(number))
    assert sorted(numbers) == sorted(PREFIXES)
    gaps = {p: sorted(n) for p, n in numbers.items() if sorted(n) != list(range(1, len(n) + 1))}
    assert not gaps, f"rule numbers with gaps or not starting at 1: {gaps}"


def test_the_catalogue_has_every_rule_of_the_shared_rule_list():
    if not SHARED_RULES.is_file():
        pytest.skip(f"the shared rule list is not beside the repository ({SHARED_RULES} is absent)")
    shared = set(RULE_ID.findall(SHARED_RULES.read_text(encoding="utf-8")))
    assert sorted(shared - set(catalogue())) == [], "rules of the shared list missing from docs/rules.md"
    assert sorted(set(catalogue()) - shared) == [], "rules in docs/rules.md that the shared list does not have"


def test_every_rule_id_cited_in_the_repository_is_catalogued():
    unknown = []
    for path in repository_files():
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        for number, line in enumerate(text.splitlines(), start=1):
            unknown += [f"{path.relative_to(REPO)}:{number}: {r}" for r in RULE_ID.findall(line) if r not in catalogue()]
    assert not unknown, "rule IDs cited but not in docs/rules.md:\n" + "\n".join(unknown)


# --- each rule's row ----------------------------------------------------------------------------


@pytest.mark.parametrize("rule_id", sorted(catalogue()))
def test_rule_row_is_complete_and_honest(rule_id):
    rule = catalogue()[rule_id]
    where = f"docs/rules.md:{rule.line} ({rule_id})"
    assert rule.text, f"{where}: the rule is not described"
    assert rule.status in STATUSES, f"{where}: status {rule.status!r} is not one of {STATUSES}"
    bad = [c for c in rule.clauses if not CLAUSE.fullmatch(c) or c[:3] not in policies_table()]
    assert not bad, f"{where}: clauses not in the form '000 §4.4' / '001 art.12.2' of a listed policy: {bad}"
    if rule.status == "enforced":
        code = [n for n in rule.enforced_in if not n.endswith((".yaml", ".yml", ".json", ".md"))]
        assert code, f"{where}: enforced, but no module, SQL file or DAG is named (configuration alone enforces nothing)"
        assert rule.tested_by, f"{where}: enforced, but no test is named"
    else:
        assert rule.not_covered, f"{where}: a {rule.status} rule must say what is not covered"


@pytest.mark.parametrize("rule_id", sorted(catalogue()))
def test_named_code_exists_and_cites_the_rule(rule_id):
    problems = code_problems(catalogue()[rule_id])
    assert not problems, f"docs/rules.md, {rule_id}, Enforced in:\n" + "\n".join(problems)


@pytest.mark.parametrize("rule_id", sorted(catalogue()))
def test_named_tests_exist_and_cite_the_rule(rule_id):
    problems = named_test_problems(catalogue()[rule_id])
    assert not problems, f"docs/rules.md, {rule_id}, Tested by:\n" + "\n".join(problems)


# --- the policies --------------------------------------------------------------------------------


def test_the_policy_table_names_each_pack_and_its_text():
    packs = {}
    for path in sorted(PACKS.glob("*.yaml")):
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        packs[document["policy_id"]] = document["source"]
    assert packs and policies_table() == packs


def _chinese_number(n: int) -> str:
    digits = "零一二三四五六七八九"
    if n < 10:
        return digits[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else digits[tens]) + "十" + (digits[ones] if ones else "")


def test_chinese_article_numbers():
    assert [_chinese_number(n) for n in (4, 10, 12, 16, 20, 31)] == ["四", "十", "十二", "十六", "二十", "三十一"]


def test_every_cited_clause_exists_in_its_policy_text():
    texts = {}
    for policy_id, file_name in policies_table().items():
        path = SEEDS / file_name
        if not path.is_file():
            pytest.skip(f"policy text {file_name} not found in {SEEDS} (../shared/seeds/ beside the repository)")
        texts[policy_id] = path.read_text(encoding="utf-8")
    missing = []
    for rule in catalogue().values():
        for clause in rule.clauses:
            match = CLAUSE.fullmatch(clause)
            text = texts[match["policy"]]
            if match["article"]:
                found = f"第{_chinese_number(int(match['article']))}条" in text
            else:
                numbers = set(re.findall(r"\d+(?:\.\d+)*", text))
                found = all(s in numbers or any(n.startswith(f"{s}.") for n in numbers)
                            for s in filter(None, (match["section"], match["section_to"])))
            if not found:
                missing.append(f"{rule.rule_id}: {clause}")
    assert not missing, f"clauses the policy texts do not have: {missing}"
