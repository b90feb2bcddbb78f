"""``python -m herald pack list|build|verify``: the annual audit packs from the command line (ACC-6, SEC-5).

``build`` asks the builder (``herald.audit.build.build_packs``) for the packs of a year as of a cutoff and writes
each with ``herald.audit.render.write_pack``, with a progress bar (tqdm) on standard error. ``verify`` re-checks a
pack's manifests and names the files changed, missing or added (exit 1 when any). ``list`` shows the packs found.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def _root(value: str | None) -> Path:
    from herald.audit.render import default_pack_root

    return Path(value) if value else default_pack_root()


class _Progress:
    """A tqdm bar on standard error, or a plain counter where tqdm is missing. Called as ``progress(done, total)``
    (or with no arguments to count one more)."""

    def __init__(self, label: str):
        self.label, self.done, self.total = label, 0, None
        try:
            from tqdm import tqdm
        except ImportError:
            self.bar = None
        else:
            self.bar = tqdm(desc=label, unit="包", file=sys.stderr, dynamic_ncols=True)

    def __call__(self, done: int | None = None, total: int | None = None, *_: Any, **__: Any) -> None:
        self.done = self.done + 1 if done is None else done
        self.total = total if total is not None else self.total
        if self.bar is not None:
            if self.total is not None:
                self.bar.total = self.total
            self.bar.n = self.done
            self.bar.refresh()
        else:
            print(f"\r{self.label}: {self.done}/{self.total or '?'}", end="", file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
        else:
            print(file=sys.stderr)


def cmd_pack_build(args: argparse.Namespace) -> int:
    from herald.audit.render import write_pack
    from herald.boundary import parse_request
    from herald.boundary.packs import PackBuildIn
    from herald.connection_url import herald_db_url
    from herald.db import Database

    given = {"--year": args.year, "--cutoff": args.cutoff, "--account": args.account, "--root": args.root}
    request = parse_request(PackBuildIn, {k: v for k, v in given.items() if v is not None})
    from herald.audit.build import build_packs

    root = _root(request.root)
    building = _Progress("读取数据并生成审计包")
    try:
        packs = list(build_packs(Database(herald_db_url(args.db)), request.year, request.cutoff,
                                 account_ids=request.account_ids, progress=building))
    finally:
        building.close()
    writing, drafts = _Progress("写出审计包"), 0
    written = []
    try:
        for done, pack in enumerate(packs, start=1):
            written.append(write_pack(pack, root))
            drafts += pack.status == "draft"
            writing(done, len(packs))
    finally:
        writing.close()
    for folder in written:
        print(folder / "data" / "index.html")
    print(f"已生成 {len(written)} 个审计包（草稿 {drafts} 个），位于 {root}")
    return 0


def cmd_pack_list(args: argparse.Namespace) -> int:
    from herald.audit.render import list_packs
    from herald.boundary import parse_request
    from herald.boundary.packs import PackQueryIn
    from herald.timeutil import format_shanghai

    query = parse_request(PackQueryIn, {k: v for k, v in {"year": args.year, "account": args.account}.items()
                                        if v is not None})
    root = _root(args.root)
    entries = list_packs(root, year=query.year, account_id=query.account)
    for e in entries:
        quality = "数据质量通过" if e.quality_passed else "数据质量未通过"
        print(f"{e.year}  {e.title}  截止 {format_shanghai(e.cutoff)}  {e.status_label}  {quality}  "
              f"{e.verdict_label or '—'}  {e.folder}")
    print(f"{len(entries)} 个审计包（{root}）")
    return 0


def cmd_pack_verify(args: argparse.Namespace) -> int:
    from herald.audit.render import verify_pack

    problems = verify_pack(args.folder)
    for problem in problems:
        print(problem)
    print(f"{args.folder}: " + ("完好，与清单一致" if not problems else f"发现 {len(problems)} 处问题"))
    return 1 if problems else 0


def add_pack_commands(commands) -> None:
    pack = commands.add_parser("pack", help="年度审计包：列出、生成、校验（ACC-6、SEC-5）").add_subparsers(
        dest="pack_command", required=True)
    root_help = "审计包存放目录（默认 HERALD_PACK_ROOT，否则仓库下的 .demo/packs）"
    listing = pack.add_parser("list", help="列出已生成的审计包（年度、账号、数据截止、状态、数据质量）")
    listing.add_argument("--root", help=root_help)
    listing.add_argument("--year", help="只列这一年度")
    listing.add_argument("--account", help="只列这个账号（集团汇总为 group）")
    listing.set_defaults(func=cmd_pack_list)
    build = pack.add_parser("build", help="生成某年度、某数据截止时间的审计包（已存在且相同则跳过，从不覆盖）")
    build.add_argument("--year", required=True, help="审计年度，如 2026")
    build.add_argument("--cutoff", required=True, help="数据截止时间，带时区，如 2027-01-15T00:00:00+08:00")
    build.add_argument("--account", action="append", help="只生成这个账号的审计包（可重复）")
    build.add_argument("--root", help=root_help)
    build.set_defaults(func=cmd_pack_build)
    verify = pack.add_parser("verify", help="按清单（SHA-256）校验一个审计包，列出被修改、缺失或多出的文件；有问题时退出码 1")
    verify.add_argument("folder", type=Path, help="审计包目录（含 bagit.txt 的那一层）")
    verify.set_defaults(func=cmd_pack_verify)
