"""No file of the repository names a folder of one machine (a home folder, a workstation's checkout, a drive).

Such a path works on the machine that wrote it and nowhere else: files beside the repository are found
relative to it (``Path(__file__).resolve().parents[...]``), policy texts are named by file name and clause.
Paths inside the containers (``/opt/airflow``), system paths (``/usr/bin``, ``/etc``, ``/dev/null``, ``/tmp``)
and URLs are not machine folders and are not flagged.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path, PurePosixPath

import pytest

REPO = Path(__file__).resolve().parents[1]

# Absolute folders of a machine. The leading look-behind skips URLs and relative paths (``host/work/x``,
# ``s3://bucket/root/``); Windows drives need a folder after the drive so that ``"s:\\n"`` is not one.
MACHINE_PATH = re.compile(
    r"(?<![A-Za-z0-9_.:/~-])/(?:work|farm|root|mnt/[a-z]|home/[A-Za-z_][A-Za-z0-9_.-]*|Users/[^/\s\"'`]+)/"
    r"|(?<![A-Za-z0-9_\\])[A-Z]:\\{1,2}(?:Users|Windows|Program Files|[A-Za-z0-9_. -]{2,}\\)"
)

# (file pattern, text that may appear there) -> why it is not a folder of one machine.
ALLOWED = {
    ("Dockerfile", "/home/airflow/"): "home of the airflow user inside the official apache/airflow image",
    ("docker-compose.yaml", "/home/airflow/"): "home of the airflow user inside the official apache/airflow image",
    ("Dockerfile", "/" + "root/"): "root's home inside the image (build caches), not on any host",
    ("tests/test_repository_hygiene.py", ""): "this test's own examples of what is and is not a machine path",
}


def machine_paths(text: str) -> list[str]:
    return [m.group(0) for m in MACHINE_PATH.finditer(text)]


def allowed(path: str, found: str) -> bool:
    return any(PurePosixPath(path).match(pattern) and found.startswith(text) for pattern, text in ALLOWED)


def repository_files() -> list[str]:
    """Tracked files and new files not ignored (so a file about to be committed is checked too)."""
    try:
        listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                                cwd=REPO, capture_output=True, check=True).stdout.decode()
    except (OSError, subprocess.CalledProcessError) as error:
        pytest.skip(f"the repository's files are listed with git, which failed here: {error}")
    return sorted(name for name in set(listed.split("\0")) if name and (REPO / name).is_file())


@pytest.mark.parametrize(
    "text",
    [
        # Spelled in pieces, so this file itself holds no machine path for the repository's own checks to find.
        "/" + "work/shared/seeds/000.md",
        'Path("/' + 'work/main/include")',
        "cd /" + "farm/run3 && make",
        "HOME=/" + "root/.cache",
        "/home/alice/herald/sql",
        "see /Users/bob/Desktop/x.md",
        "/mnt/c/code/herald",
        r"C:\Users\carol\herald",
        r'"D:\\projects\\herald\\dags"',
    ],
)
def test_machine_folders_are_found(text):
    assert machine_paths(text), text


@pytest.mark.parametrize(
    "text",
    [
        "AIRFLOW_HOME=/opt/airflow",
        "- ./dags:/opt/airflow/dags",
        "#!/usr/bin/env bash",
        "2>/dev/null",
        "/etc/hosts",
        "/tmp/herald-test/x.db",
        "https://example.com/work/x and http://host/root/y",
        "s3://herald-archive/home/user/",
        "../shared/seeds/000-group-self-media-measures.md",
        "include/herald/work/",
        r'f"after {timeout:.0f}s:\n{tail}"',
        r"pattern = r'(?P<x>\w+):\d'",
    ],
)
def test_container_and_system_paths_and_urls_are_not(text):
    assert machine_paths(text) == [], text


def test_the_allow_list_is_narrow():
    root, work = "/" + "root/", "/" + "work/"
    assert allowed("Dockerfile", root)
    assert not allowed("docker-compose.yaml", root) and not allowed("tests/test_x.py", "/home/airflow/")
    assert not allowed("tests/benchmarks/test_repository_hygiene.py", work)


def test_no_file_names_a_folder_of_one_machine():
    found = []
    for name in repository_files():
        try:
            text = (REPO / name).read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue  # binary
        for number, line in enumerate(text.splitlines(), start=1):
            found += [f"{name}:{number}: {p}" for p in machine_paths(line) if not allowed(name, p)]
    assert not found, "absolute paths of a machine (find the file relative to the repository instead):\n" + "\n".join(
        found)
