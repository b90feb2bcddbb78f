"""Every rule a finding can be raised under has a Chinese title, so digests and reports never print an ID as its title.

The rules raised are read from the source: the first argument (or ``rule_id=``) of every ``Finding(...)`` call in
``include/herald``, a literal or a module-level constant of that module. The rules enforced since issue #15
(registration and creation approval, delegated access, comment watch, complaints, sensitive topics and paid
reposts) are named too, whether or not they raise findings today: their refusals and escalations cite them.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from herald.cadence.labels import RULE_TITLES

REPO = Path(__file__).resolve().parents[1]
RULE_ID = re.compile(r"^(ORG|ACC|CON|PUB|SEC)-\d+$")
ISSUE_15_RULES = {"ACC-1", "ACC-2", "ACC-3", "ACC-4", "ACC-5", "PUB-6", "SEC-2", "SEC-3", "SEC-4", "CON-5", "CON-6"}


def _raised_rules() -> dict[str, set[str]]:
    """{rule id: modules} for every ``Finding(...)`` call whose rule is a literal or a module constant."""
    raised: dict[str, set[str]] = {}
    for path in sorted((REPO / "include" / "herald").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        constants = {target.id: node.value.value for node in tree.body if isinstance(node, ast.Assign)
                     and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
                     for target in node.targets if isinstance(target, ast.Name)}
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) == "Finding"):
                continue
            for arg in node.args[:1] + [k.value for k in node.keywords if k.arg == "rule_id"]:
                rule = arg.value if isinstance(arg, ast.Constant) else constants.get(getattr(arg, "id", ""))
                if isinstance(rule, str) and RULE_ID.match(rule):
                    raised.setdefault(rule, set()).add(str(path.relative_to(REPO)))
    return raised


def _catalogue() -> set[str]:
    text = (REPO / "docs" / "rules.md").read_text(encoding="utf-8")
    return set(re.findall(r"^\| ((?:ORG|ACC|CON|PUB|SEC)-\d+) \|", text, flags=re.MULTILINE))


def test_the_scan_finds_the_findings_raised():
    raised = _raised_rules()
    # the ones known to be raised: the registry, the complaint clocks, the crisis finding of the comment watch
    assert {"ACC-1", "ACC-3", "SEC-3", "SEC-4"} <= set(raised), raised


def test_every_rule_raised_has_a_chinese_title():
    missing = {rule: sorted(modules) for rule, modules in _raised_rules().items() if rule not in RULE_TITLES}
    assert not missing, f"rules raised in findings without a title in herald.cadence.labels.RULE_TITLES: {missing}"


def test_issue_15_rules_have_titles_and_every_title_is_a_catalogued_rule():
    assert ISSUE_15_RULES <= set(RULE_TITLES), sorted(ISSUE_15_RULES - set(RULE_TITLES))
    assert set(RULE_TITLES) <= _catalogue(), sorted(set(RULE_TITLES) - _catalogue())
    for rule, title in RULE_TITLES.items():
        assert title and title != rule and re.search(r"[\u4e00-\u9fff]", title), (rule, title)
