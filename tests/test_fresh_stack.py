"""herald.fresh_stack: a call made deep in a stack runs on a thread whose frames start at the bottom, as if called
directly (value returned, exception re-raised, context variables kept).

The chunk churn it avoids (CPython 3.11, gh-142183) is shown by counting the ``mmap`` calls of the frame-stack
chunks indirectly: a loop calling a function right at a chunk's edge costs the process minor page faults on every
call, the same loop on a fresh stack almost none (under 1 per 100 calls). Counts, not times: faults do not
depend on the load.
"""

from __future__ import annotations

import contextvars
import sys
import threading

import pytest

from herald.fresh_stack import call_on_fresh_stack

NAME = contextvars.ContextVar("name", default="unset")


def _depth() -> int:
    frame, depth = sys._getframe(), 0
    while frame is not None:
        frame, depth = frame.f_back, depth + 1
    return depth


def _at_depth(n: int, fn):
    return fn() if n == 0 else _at_depth(n - 1, fn)


def test_the_call_starts_at_the_bottom_of_a_new_stack_and_its_value_is_returned():
    here = _at_depth(300, _depth)
    there = _at_depth(300, lambda: call_on_fresh_stack(_depth))
    assert here > 300
    assert there < 10
    assert call_on_fresh_stack(divmod, 17, 5) == (3, 2)
    assert call_on_fresh_stack(dict, a=1) == {"a": 1}


def test_its_exception_is_raised_to_the_caller_and_nothing_is_left_running():
    before = threading.active_count()

    def refuse():
        raise LookupError("account acct-x is not inspected")

    with pytest.raises(LookupError, match="acct-x"):
        call_on_fresh_stack(refuse)
    with pytest.raises(SystemExit):
        call_on_fresh_stack(sys.exit, 3)
    assert threading.active_count() == before


def test_the_callers_context_variables_are_seen():
    NAME.set("acct-grp-weibo")
    assert call_on_fresh_stack(NAME.get) == "acct-grp-weibo"


def _minor_faults() -> int:
    with open("/proc/self/stat", encoding="ascii") as stat:
        text = stat.read()
    return int(text[text.rindex(")") + 2:].split()[7])


def _leaf(x):
    return x


def _loop_at(depth: int, calls: int, fresh: bool = False) -> int:
    """Page faults of ``calls`` calls made ``depth`` frames down (each frame with a few locals, to fill a chunk
    sooner), or, with ``fresh``, made from there through ``call_on_fresh_stack``."""
    if depth:
        a = b = c = d = e = f = g = h = depth  # noqa: F841
        return _loop_at(depth - 1, calls, fresh)
    if fresh:
        return call_on_fresh_stack(_loop_at, 0, calls)
    before = _minor_faults()
    for n in range(calls):
        _leaf(n)
    return _minor_faults() - before


@pytest.mark.skipif(sys.version_info >= (3, 13) or not sys.platform.startswith("linux"),
                    reason="the churn is CPython 3.11's (fixed in 3.13), counted through /proc")
def test_a_loop_at_a_chunks_edge_churns_pages_except_on_a_fresh_stack():
    calls = 20_000
    # A depth where the loop's calls cross a chunk's edge (which depth depends on the frames below this test).
    churning = next((d for d in range(20, 600) if _loop_at(d, calls) > calls // 2), None)
    assert churning is not None, "no depth made the calls cross a chunk's edge"
    assert _loop_at(churning, calls) > calls // 2
    assert _loop_at(churning, calls, fresh=True) < calls // 100
