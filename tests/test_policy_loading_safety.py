"""Policy files are loaded safely: input that could cost unbounded CPU or run code is refused (rule 格式)
before PyYAML builds it, naming the line and the reason, at a cost comparable to loading a valid pack.

Costs are CPU time (``time.process_time``) relative to loading a shipped pack in the same test, never
absolute times. A billion-laughs file used to cost about two minutes before it was refused.
"""

from __future__ import annotations

import os
import shutil
import statistics
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from herald.policy import PolicyError, PolicyIssue, load_policy
from herald.policy.loader import MAX_BYTES, PACKS_DIR
from herald.policy.yamltree import MAX_DEPTH, MAX_ITEMS, MAX_NODES

DATA = Path(__file__).resolve().parent / "data" / "policies"
VALID_MINIMAL = DATA / "valid_minimal.yaml"
COST_FACTOR = 20  # a refusal may cost at most this many times loading a valid pack

HEAD = 'policy_id: "900"\ntitle: 测试制度\n'  # two harmless lines, so refusals are not all on line 1


def cpu_seconds(action: Callable[[], object]) -> float:
    started = time.process_time()
    action()
    return time.process_time() - started


@pytest.fixture
def valid_pack_cost(tmp_path) -> float:
    """CPU seconds to load pack 000 from a file not yet cached (median of three fresh copies)."""
    load_policy("000")  # imports, the compiled schema
    costs = []
    for n in range(3):
        copy = shutil.copy(PACKS_DIR / "000.yaml", tmp_path / f"baseline-{n}.yaml")
        costs.append(cpu_seconds(lambda copy=copy: load_policy(copy)))
    return statistics.median(costs)


def refusal_and_cost(path: Path) -> tuple[PolicyIssue, float]:
    """The one problem loading ``path`` reports, and the CPU seconds it took to report it."""
    caught: list[PolicyError] = []

    def load() -> None:
        with pytest.raises(PolicyError) as error:
            load_policy(path)
        caught.append(error.value)

    cost = cpu_seconds(load)
    [issue] = caught[0].issues
    return issue, cost


def valid_with(old: str, new: str, valid: Path = VALID_MINIMAL) -> str:
    text = valid.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    return text.replace(old, new)


def write(directory: Path, text: str) -> Path:
    path = directory / "policy.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def billion_laughs() -> str:
    """Ten levels of ten aliases each: 10**9 "lol"s once expanded, under 1 KiB on disk."""
    lines = ['lol0: &lol0 "lol"']
    lines += [f"lol{n}: &lol{n} [{', '.join([f'*lol{n - 1}'] * 10)}]" for n in range(1, 10)]
    return HEAD + "\n".join(lines) + "\n"


def many_nodes() -> str:
    """More than MAX_NODES nodes, in lists short enough and shallow enough to be allowed one by one."""
    keys = MAX_NODES // MAX_ITEMS + 2
    return HEAD + "".join(f"k{k}: [{', '.join(['x'] * (MAX_ITEMS - 1))}]\n" for k in range(keys))


def _cases() -> list:
    anchored = valid_with('  clause: "000 §4.3"\napproval_chains:', '  clause: &c "000 §4.3"\napproval_chains:')
    anchored = anchored.replace('  response_timeout_hours: 48\n  clause: "000 §4.3"', "  response_timeout_hours: 48\n  clause: *c")
    assert "*c" in anchored
    python_tag = HEAD + 'handler: !!python/object/apply:os.system ["echo pwned"]\n'
    object_tag = HEAD + "policy: !!python/object:herald.policy.model.Policy {policy_id: '900'}\n"
    local_tag = valid_with("author_role: info_officer", "author_role: !role info_officer")
    directive_tag = "%TAG !py! tag:yaml.org,2002:python/\n---\n" + HEAD + "x: !py!name:os.system ''\n"
    deep_block = HEAD + "nested:\n  " + "- " * 10_000 + "x\n"
    deep_flow = HEAD + "nested: " + "[\n" * 10_000 + "]" * 10_000 + "\n"
    long_list = valid_with("codes: [wechat, qq]", "codes: [" + ", ".join(["wechat"] * (MAX_ITEMS + 1)) + "]")
    return [
        # (id, text, expected line, what the message must say)
        ("billion-laughs", billion_laughs(), 3, "YAML 锚点“&lol0”"),
        ("one-harmless-anchor", anchored, line_of(anchored, "&c"), "YAML 锚点“&c”"),
        ("undefined-alias", HEAD + "title2: *nowhere\n", 3, "YAML 别名“*nowhere”"),
        ("python-object-apply-tag", python_tag, 3, "YAML 标签“!!python/object/apply:os.system”"),
        ("python-object-tag", object_tag, 3, "YAML 标签“!!python/object:herald.policy.model.Policy”"),
        ("tag-from-a-directive", directive_tag, 5, "YAML 标签“!!python/name:os.system”"),
        ("local-tag", local_tag, line_of(local_tag, "!role"), "YAML 标签“!role”"),
        ("timestamp-tag", HEAD + "since: !!timestamp 2018-06-01\n", 3, "YAML 标签“!!timestamp”"),
        ("nested-10000-block", deep_block, 4, f"嵌套超过 {MAX_DEPTH} 层"),
        ("nested-10000-flow", deep_flow, 3 + MAX_DEPTH - 1, f"嵌套超过 {MAX_DEPTH} 层"),
        ("long-list", long_list, line_of(long_list, "codes:"), f"一个列表或映射超过 {MAX_ITEMS} 项"),
        # The root mapping and HEAD are 5 nodes; each further line holds MAX_ITEMS + 1 (key, list, items).
        ("many-nodes", many_nodes(), 3 + (MAX_NODES - 5) // (MAX_ITEMS + 1), f"节点超过 {MAX_NODES} 个"),
    ]


CASES = _cases()


@pytest.mark.parametrize("text, line, reason", [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_unsafe_file_is_refused_at_once_naming_line_and_reason(tmp_path, valid_pack_cost, text, line, reason):
    issue, cost = refusal_and_cost(write(tmp_path, text))
    assert reason in issue.message and issue.message.startswith("格式："), issue
    assert issue.line == line, issue
    assert str(issue).startswith(f"{issue.file}:{line}: 格式："), issue
    assert cost < COST_FACTOR * valid_pack_cost, (cost, valid_pack_cost)


def test_ten_megabyte_file_is_refused_with_its_size_before_it_is_read(tmp_path, valid_pack_cost):
    path = tmp_path / "huge.yaml"
    text = VALID_MINIMAL.read_text(encoding="utf-8")
    path.write_text(text + "#" * (10 * 1024 * 1024 - len(text.encode()) - 1) + "\n", encoding="utf-8")
    assert path.stat().st_size == 10 * 1024 * 1024
    issue, cost = refusal_and_cost(path)
    assert issue.line is None
    assert issue.message == f"格式：文件大小 {10 * 1024 * 1024} 字节，超过上限 {MAX_BYTES} 字节", issue
    assert cost < COST_FACTOR * valid_pack_cost, (cost, valid_pack_cost)


def test_file_at_the_size_limit_still_loads(tmp_path):
    text = (PACKS_DIR / "000.yaml").read_text(encoding="utf-8")
    padding = MAX_BYTES - len(text.encode()) - 1
    path = tmp_path / "padded.yaml"
    path.write_text(text + "#" * padding + "\n", encoding="utf-8")
    assert path.stat().st_size == MAX_BYTES
    assert load_policy(path).policy_id == "000"
    path.write_text(text + "#" * (padding + 1) + "\n", encoding="utf-8")
    with pytest.raises(PolicyError, match=f"文件大小 {MAX_BYTES + 1} 字节"):
        load_policy(path)


def test_a_pipe_that_reports_no_size_is_read_only_up_to_the_limit(tmp_path):
    """A FIFO (or a device) reports size 0 whatever it holds: the loader stops reading past the limit."""
    fifo = tmp_path / "policy.fifo"
    os.mkfifo(fifo)

    def feed() -> None:
        try:
            with open(fifo, "wb") as pipe:
                pipe.write(b"#" * (4 * MAX_BYTES))
        except BrokenPipeError:  # the loader stopped reading, as it should
            pass

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    try:
        with pytest.raises(PolicyError, match=f"文件大小 {MAX_BYTES + 1} 字节，超过上限"):
            load_policy(fifo)
    finally:
        if writer.is_alive():  # the loader never opened the pipe: let the writer's open() return
            os.close(os.open(fifo, os.O_RDONLY | os.O_NONBLOCK))
        writer.join()


@pytest.mark.parametrize("pack", sorted(PACKS_DIR.glob("*.yaml")), ids=lambda p: p.stem)
def test_shipped_packs_still_load(pack, tmp_path):
    copy = shutil.copy(pack, tmp_path / pack.name)  # a fresh path: not answered from the cache
    assert load_policy(copy).policy_id == pack.stem


def test_valid_minimal_still_loads():
    assert load_policy(VALID_MINIMAL).policy_id == "900"


def test_failsafe_tags_are_accepted(tmp_path):
    text = valid_with('policy_id: "000"', "policy_id: !!str 000", PACKS_DIR / "000.yaml")
    text = text.replace("codes: [wechat, weibo,", "codes: !!seq [wechat, weibo,")
    assert "!!seq" in text
    assert load_policy(write(tmp_path, text)).policy_id == "000"


def test_lists_and_nesting_up_to_the_limits_are_not_refused(tmp_path):
    """MAX_ITEMS items and MAX_DEPTH levels are not refused: only the schema objects (to the unknown keys)."""
    items = ", ".join(["x"] * MAX_ITEMS)
    nested = "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1)  # the document mapping is the first level
    extra = f"\nextra_items: [{items}]\nextra_nested: {nested}\n"
    path = write(tmp_path, (PACKS_DIR / "000.yaml").read_text(encoding="utf-8") + extra)
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    assert [i.path for i in caught.value.issues] == ["extra_items", "extra_nested"], caught.value
    assert all("格式" not in i.message for i in caught.value.issues)

