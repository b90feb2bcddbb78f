"""Run a CPU-heavy call on a fresh Python stack (a thread of its own), so that it is not slowed by where it is called.

Why: CPython 3.11 keeps each thread's frames in 16 KiB chunks and frees a chunk as soon as the stack unwinds out
of it. Code that loops calling functions at exactly a chunk's edge maps and unmaps a chunk on every call
(CPython gh-142183, "Calls across stack chunks perform badly"; fixed for 3.13 and later, not 3.11). An Airflow
task runs some 60 frames deep (Celery, the supervisor, the task runner, the operator), and there the audit pack's
Great Expectations gate hits that edge: measured on the stack, 200,000 minor page faults and 16 KiB ``mmap``/
``munmap`` pairs per pack, the gate 2.7 times and the Data Docs 1.6 times slower than the same packs built by a plain
process. A new thread starts its frames at the bottom of a new chunk, as a plain process does.

The call runs in the caller's ``contextvars`` context (log fields bound by the caller stay bound) and the caller
waits for it: its value is returned and its exception re-raised here, as if it had been called directly.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


def call_on_fresh_stack(fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """``fn(*args, **kwargs)`` on a thread of its own, waited for; its value, or its exception raised here."""
    context = contextvars.copy_context()
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = context.run(fn, *args, **kwargs)
        except BaseException as exc:  # handed to the caller, whatever it is
            outcome["error"] = exc

    # A daemon: should the caller be stopped while waiting (a task killed), the process can still exit.
    worker = threading.Thread(target=run, name=f"fresh-stack:{getattr(fn, '__name__', 'call')}", daemon=True)
    worker.start()
    worker.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]
