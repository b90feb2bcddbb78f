"""The audit packs page (「审计包」, ACC-6, SEC-5): list the packs by year and account, open and download their files.

Mounted at ``/herald`` with the rest of Herald's door, so every route needs Airflow's login (``GetUserDep``: the
bearer token or the UI's session cookie). The packs are read from the folder named by the Airflow Variable
``herald_pack_root`` (default ``<repo>/.demo/packs``); only files that a pack's manifests name are served, so a path
can never leave the pack. A pack's HTML links relatively, so ``.../data/index.html`` browses the whole pack here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from airflow.api_fastapi.core_api.security import GetUserDep
from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse

from herald.boundary import parse_request
from herald.boundary.packs import PackFileIn, PackQueryIn
from herald.errors import Violation
from herald_airflow.api_common import refusal

router = APIRouter(tags=["审计包"])
PAGE_DOWNLOADS = (("pdf", "PDF"), ("xlsx", "Excel"))
MEDIA_TYPES = {".md": "text/markdown; charset=utf-8", ".txt": "text/plain; charset=utf-8",
               ".csv": "text/csv; charset=utf-8", ".json": "application/json", ".svg": "image/svg+xml",
               ".html": "text/html; charset=utf-8", ".css": "text/css; charset=utf-8", ".pdf": "application/pdf",
               ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
               # GX's Data Docs inside a pack: their scripts, fonts and images
               ".js": "text/javascript; charset=utf-8", ".woff2": "font/woff2", ".png": "image/png",
               ".ico": "image/x-icon"}


def pack_root() -> Path:
    """The Variable ``herald_pack_root`` (environment ``AIRFLOW_VAR_HERALD_PACK_ROOT`` or the metadata DB), else the demo's."""
    from airflow.models import Variable

    from herald.audit.render import default_pack_root

    configured = Variable.get("herald_pack_root", default_var=None)
    return Path(configured) if configured else default_pack_root()


def _entry(entry) -> dict[str, Any]:
    return {"year": entry.year, "account_id": entry.account_id, "title": entry.title, "cutoff": entry.cutoff.isoformat(),
            "status": entry.status, "status_label": entry.status_label, "quality_passed": entry.quality_passed,
            "verdict_label": entry.verdict_label, "path": entry.relative}


def _listed(query: PackQueryIn) -> list:
    from herald.audit.render import list_packs

    return list_packs(pack_root(), year=query.year, account_id=query.account)


@router.get("/packs", response_class=HTMLResponse, summary="审计包：按年度和账号列出，打开或下载")
def packs_page(request: Request, user: GetUserDep, query: Annotated[PackQueryIn, Query()]) -> HTMLResponse:
    from itertools import groupby

    from herald.audit.render import list_packs
    from herald.audit.render_formats import render_template

    root = pack_root()
    entries = _listed(query)
    years = sorted({e.year for e in list_packs(root)}, reverse=True)
    by_year = [(year, [_with_downloads(e) for e in group]) for year, group in groupby(entries, key=lambda e: e.year)]
    base = f"{request.scope.get('root_path', '')}/packs"
    html = render_template("packs_page.html", by_year=by_year, years=years, year=query.year, account=query.account,
                           base=base, root=str(root))
    return HTMLResponse(html.decode("utf-8"))


def _with_downloads(entry) -> dict[str, Any]:
    shown = _entry(entry)
    shown["relative"] = entry.relative
    shown["cutoff"] = entry.cutoff
    shown["downloads"] = [{"path": f"data/{entry.stem}.{ext}", "title": title} for ext, title in PAGE_DOWNLOADS]
    return shown


@router.get("/packs/index.json", summary="审计包清单（JSON）：年度、账号、数据截止、状态、数据质量结果、检查结论")
def packs_index(user: GetUserDep, query: Annotated[PackQueryIn, Query()]) -> dict[str, Any]:
    return {"root": str(pack_root()), "packs": [_entry(e) for e in _listed(query)]}


def _folder(year: int, stamp: str, subject: str, path: str | None = None) -> tuple[Path, PackFileIn]:
    wanted = parse_request(PackFileIn, {"year": year, "stamp": stamp, "subject": subject,
                                        **({"path": path} if path is not None else {})})
    return pack_root() / str(wanted.year) / wanted.stamp / wanted.subject, wanted


def _not_found(what: str):
    return refusal(404, [Violation("path", "ACC-6", f"没有这个审计包或文件：{what}")])


@router.get("/packs/{year}/{stamp}/{subject}/verify", summary="按清单（SHA-256）校验一个审计包")
def verify(year: int, stamp: str, subject: str, user: GetUserDep) -> Any:
    from herald.audit.render import verify_pack

    folder, _ = _folder(year, stamp, subject)
    if not (folder / "bagit.txt").is_file():
        return _not_found(f"{year}/{stamp}/{subject}")
    return {"problems": verify_pack(folder)}


@router.get("/packs/{year}/{stamp}/{subject}/", include_in_schema=False)
def open_pack(year: int, stamp: str, subject: str, request: Request, user: GetUserDep) -> Any:
    return RedirectResponse(f"{request.scope.get('root_path', '')}/packs/{year}/{stamp}/{subject}/data/index.html")


@router.get("/packs/{year}/{stamp}/{subject}/{path:path}", summary="审计包中的一个文件（?download=1 下载）")
def pack_file(year: int, stamp: str, subject: str, path: str, user: GetUserDep, download: bool = False) -> Any:
    from herald.audit.render import pack_files

    folder, wanted = _folder(year, stamp, subject, path)
    if wanted.path is None or wanted.path not in pack_files(folder):
        return _not_found(f"{year}/{stamp}/{subject}/{path}")
    target = folder / wanted.path
    if not target.is_file():
        return _not_found(f"{year}/{stamp}/{subject}/{path}")
    media_type = MEDIA_TYPES.get(target.suffix, "application/octet-stream")
    disposition = "attachment" if download else "inline"
    return FileResponse(target, media_type=media_type, filename=target.name, content_disposition_type=disposition)
