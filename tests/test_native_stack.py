"""Stopping a native stack (tests/stack.py, herald_dev.stack): what made ``airflow standalone`` hard to stop.

docker-compose.yaml's configuration itself runs natively in tests/test_make_stack.py (``make stack``'s HA
stack, a small end-to-end run on it, the auth manager's guards, nothing left after ``stack-down``).
"""

from __future__ import annotations

import os
import subprocess
import sys

import psutil

from stack import (
    stop_process_groups,
)

# A process that ignores SIGTERM and has a child that left its process group (as Airflow's task
# processes do with setpgid) and ignores SIGTERM too: what made `airflow standalone` hard to stop.
STUBBORN_TREE = """
import os, signal, subprocess, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
print(os.getpid(), flush=True)
subprocess.Popen([sys.executable, "-c",
    "import os, signal, time; os.setpgid(0, 0); signal.signal(signal.SIGTERM, signal.SIG_IGN);"
    "print(os.getpid(), flush=True); time.sleep(600)"])
time.sleep(600)
"""


def _running(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_stopping_kills_processes_that_ignore_sigterm_or_left_the_group():
    root = subprocess.Popen([sys.executable, "-c", STUBBORN_TREE], stdout=subprocess.PIPE, text=True,
                            start_new_session=True)
    pids = [int(root.stdout.readline()), int(root.stdout.readline())]
    assert os.getpgid(pids[1]) != root.pid, "the child should have left the group"

    assert stop_process_groups([root], grace=1) == []

    root.stdout.close()
    assert [pid for pid in pids if _running(pid)] == []
