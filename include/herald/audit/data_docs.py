"""GX's own Data Docs for an audit pack: built by GX's site builder, readable offline, the same bytes every time.

The pack carries the data-quality gate's validation results (``quality/validation_results.json``, stamped with the
pack's cutoff by ``herald.audit.quality``). ``data_docs(pack)`` turns them into GX's Data Docs site under
``quality/docs/`` (``index.html``, one page per validation, one per expectation suite), as GX's ``SiteBuilder`` renders
them, then makes the site fit a pack:

- **Offline.** GX's page templates load Bootstrap, bootstrap-table, jQuery, Popper, Font Awesome,
  bootstrap-datepicker, a dark theme and Vega from CDNs. Each is replaced by a local copy under ``static/vendor/``:
  the XStatic packages from PyPI (Bootstrap 4.5.3 whose bundle carries Popper 1, jQuery 3.7.1, Font Awesome 6.2.1
  with its woff2 fonts, bootstrap-datepicker 1.4.0) and bootstrap-table 1.19.1, which no PyPI package ships, vendored
  under ``herald/audit/vendor/`` with its licence. The dark theme is dropped (the pages stay light) and Vega too:
  no page of these suites draws a chart, and a page that would raises ``DataDocsError`` rather than ship without it.
  GX's logo comes from GX's own ``static/images``; its newsletter footer and links to its website are dropped.
  Whatever CDN address is left unmapped (a GX upgrade adding one) raises ``DataDocsError``: nothing in the
  docs loads from another host.
- **Reproducible.** The run is the pack's (``run_time`` = cutoff, from the results); the index shows it in Beijing
  time rather than the machine's zone; GX's random element ids (uuid4) become ids derived from the page and their
  order; the logo's cache-busting timestamp is gone; only files the pages use are shipped. Two builds of the same
  pack give the same bytes.

GX is imported only inside ``data_docs`` (``import great_expectations`` is slow); the module imports nothing heavy.
"""

from __future__ import annotations

import json
import re
import tempfile
import uuid
from collections.abc import Iterable
from functools import cache
from pathlib import Path, PurePosixPath
from typing import Any

from herald.audit.model import Pack
from herald.errors import HeraldError

DOCS = "quality/docs"
INDEX = f"{DOCS}/index.html"
VENDOR = Path(__file__).resolve().parent / "vendor"
SITE_NAME = "herald_audit_pack"
ID_NAMESPACE = uuid.UUID("0b5c3f0e-8f0a-4f43-9a57-3c1f1b3e9d21")

# CDN address (pattern) -> the local copies under static/vendor/ that stand in for it (none: not needed offline).
CDN_ASSETS: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = tuple((re.compile(p), local) for p, local in (
    (r"/bootstrap-table@[^/]+/dist/bootstrap-table\.min\.css$", ("bootstrap-table/bootstrap-table.min.css",)),
    (r"/bootstrap-table@[^/]+/dist/bootstrap-table\.min\.js$", ("bootstrap-table/bootstrap-table.min.js",)),
    (r"/bootstrap-table@[^/]+/dist/extensions/filter-control/bootstrap-table-filter-control(\.min)?\.css$",
     ("bootstrap-table/extensions/filter-control/bootstrap-table-filter-control.min.css",)),
    (r"/bootstrap-table@[^/]+/dist/extensions/filter-control/bootstrap-table-filter-control(\.min)?\.js$",
     ("bootstrap-table/extensions/filter-control/bootstrap-table-filter-control.min.js",)),
    (r"/bootstrap/4\.[0-9.]+/css/bootstrap\.min\.css$", ("bootstrap/css/bootstrap.min.css",)),
    (r"/bootstrap/4\.[0-9.]+/js/bootstrap\.min\.js$", ("bootstrap/js/bootstrap.bundle.min.js",)),  # carries Popper 1
    (r"/popper\.js/1\.[0-9.]+/umd/popper\.min\.js$", ()),  # inside bootstrap.bundle.min.js
    (r"/bootstrap-datepicker/1\.[0-9.]+/css/bootstrap-datepicker(\.min)?\.css$", ("bootstrap-datepicker/datepicker.css",)),
    (r"/bootstrap-datepicker/1\.[0-9.]+/js/bootstrap-datepicker(\.min)?\.js$",
     ("bootstrap-datepicker/bootstrap-datepicker.js",)),
    # The pages and bootstrap-table use the solid icons ("fas") alone: the core and the solid style, not all styles.
    (r"/font-awesome/6\.[0-9.]+/css/all\.min\.css$", ("font-awesome/css/fontawesome.min.css", "font-awesome/css/solid.min.css")),
    (r"/jquery-3\.[0-9.]+\.min\.js$", ("jquery/jquery.min.js",)),
    (r"/@forevolve/bootstrap-dark@[^/]+/", ()),  # the dark theme: the pages stay light
    (r"/npm/vega(-lite|-embed)?@[0-9]+$", ()),  # charts only; a page that draws one is refused below
))
# Images GX takes from its web-assets host -> GX's own copy in the site's static/images.
GX_IMAGES = {"logo-long.png": "logo-long.png", "full_logo_dark.png": "logo-long.png"}

SCRIPT = re.compile(r"<script\b[^>]*\bsrc=\"(https?://[^\"]+)\"[^>]*>\s*</script>\s*")
STYLESHEET = re.compile(r"<link\b[^>]*\bhref=\"(https?://[^\"]+)\"[^>]*>\s*")
GX_ASSET = re.compile(r"https://great-expectations-web-assets\.[a-z0-9.-]+/([A-Za-z0-9_.-]+?)(\?[^\"')\s]*)?(?=[\"')])")
EXTERNAL_LINK = re.compile(r"(<a\b[^>]*?)\s+href=\"https?://[^\"]*\"")
FOOTER = re.compile(r"\s*<footer>.*?</footer>", re.DOTALL)
FAVICON = re.compile(r"href=\"[./]*static/images/favicon\.ico\"")
RANDOM_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
# What would make a browser reach another host: attributes, CSS url() and @import.
EXTERNAL_REFERENCE = re.compile(r"(?:\b(?:src|href|action|srcset|data)\s*=\s*[\"']?|url\(\s*[\"']?|@import\s+[\"']?)https?://",
                                re.IGNORECASE)
LOCAL_REFERENCE = re.compile(r"\b(?:src|href)=\"(?!https?:|#|data:|javascript:|mailto:)([^\"]+)\"|url\(['\"]?(?!data:)([^'\")]+)['\"]?\)")
TTF_FALLBACK = re.compile(r",url\(\.\./webfonts/[A-Za-z0-9-]+\.ttf\) format\(\"truetype\"\)")


class DataDocsError(HeraldError):
    """GX's Data Docs could not be made offline and reproducible (an unmapped CDN asset, a chart, a broken link)."""


def docs_path(pack: Pack) -> str | None:
    """Where the docs' index sits in the pack's ``data/`` (None when the pack has no validation results)."""
    return INDEX if _validation_results(pack) else None


def data_docs(pack: Pack) -> dict[str, bytes]:
    """GX's Data Docs site of ``pack``'s validation results: {path relative to the pack's ``data/``: bytes}.

    Empty when the pack carries no validation results (a pack built without the gate).
    """
    results = _validation_results(pack)
    if not results:
        return {}
    with tempfile.TemporaryDirectory(prefix="herald-data-docs-") as folder:
        _build_site(pack, results, Path(folder))
        built = {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(Path(folder).rglob("*")) if p.is_file()}
    pages = {path: _offline(path, content.decode("utf-8")) for path, content in built.items() if path.endswith(".html")}
    _check_pages(pages, results)
    files: dict[str, bytes] = {path: text.encode("utf-8") for path, text in pages.items()}
    for path in sorted(_referenced(pages)):
        if path in files:
            continue
        if path.startswith("static/vendor/"):
            files[path] = _vendor_asset(path.removeprefix("static/vendor/"))
        elif path in built:
            files[path] = built[path]
        else:
            raise DataDocsError(f"GX Data Docs: a page links to {path}, which the site does not have")
    for path in [p for p in files if p.endswith(".css")]:
        for reference in _css_references(files[path].decode("utf-8")):
            target = _resolve(path, reference)
            if target not in files:
                files[target] = _vendor_asset(target.removeprefix("static/vendor/"))
    _check_offline(files)
    return {f"{DOCS}/{path}": content for path, content in sorted(files.items())}


def _validation_results(pack: Pack) -> dict[str, dict[str, Any]]:
    """The pack's validation results by dataset: the entries of ``results_json`` that are GX validation results."""
    try:
        document = json.loads(pack.quality.results_json or "{}")
    except json.JSONDecodeError as broken:
        raise DataDocsError(f"the pack's validation results are not JSON: {broken}") from broken
    if not isinstance(document, dict):
        return {}
    return {name: body for name, body in sorted(document.items())
            if isinstance(body, dict) and isinstance(body.get("results"), list) and body.get("suite_name")}


def _build_site(pack: Pack, results: dict[str, dict[str, Any]], folder: Path) -> None:
    """GX's SiteBuilder over an ephemeral context holding the pack's suites and validation results."""
    import great_expectations as gx
    from great_expectations.core.expectation_validation_result import expectationSuiteValidationResultSchema
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration
    from great_expectations.render.renderer.site_builder import SiteBuilder

    context = gx.get_context(mode="ephemeral")
    run_id = RunIdentifier(run_name=f"herald_audit_pack_{pack.year}", run_time=pack.cutoff)
    for dataset, body in results.items():
        suite = gx.ExpectationSuite(name=body["suite_name"], id=str(uuid.uuid5(ID_NAMESPACE, body["suite_name"])))
        for result in body["results"]:
            config = result["expectation_config"]
            suite.add_expectation_configuration(ExpectationConfiguration(
                type=config["type"], kwargs=config["kwargs"], meta=config.get("meta"), id=config.get("id")))
        context.suites.add(suite)
        validation = expectationSuiteValidationResultSchema.load(_one_domain_key(body))
        key = ValidationResultIdentifier(ExpectationSuiteIdentifier(name=body["suite_name"]), run_id, dataset)
        context.validation_results_store.set(key, validation)
    site = SiteBuilder(data_context=context, site_name=SITE_NAME, show_how_to_buttons=False,
                       store_backend={"class_name": "TupleFilesystemStoreBackend", "base_directory": str(folder)},
                       site_section_builders={"profiling": "None"})
    # GX's index renderer shows run times in the machine's zone and lists equal run times in store order: this one
    # shows Beijing time and orders by suite, so the index is the same bytes on every machine.
    site.site_index_builder.renderer_class = _index_renderer()
    site.build()


def _one_domain_key(body: dict[str, Any]) -> dict[str, Any]:
    """The validation with each failed row's checked columns joined into one key, for rendering only.

    GX's table of unexpected rows groups them by the checked columns, taken from a ``set`` of the row's keys: with two
    or more columns (compound uniqueness, column pairs) their order, and so the page's bytes, follow the process's
    string hash seed. One key holding the values in the row's key order shows the same text, the same way every time.
    """
    results = []
    for result in body["results"]:
        detail = result.get("result") or {}
        rows, ids = detail.get("unexpected_index_list"), detail.get("unexpected_index_column_names") or []
        if rows and all(isinstance(row, dict) for row in rows) and len([k for k in rows[0] if k not in ids]) > 1:
            keys = [k for k in rows[0] if k not in ids]
            joined = [{**{k: row.get(k) for k in ids}, ", ".join(keys): str(tuple(row.get(k) for k in keys))} for row in rows]
            result = {**result, "result": {**detail, "unexpected_index_list": joined}}
        results.append(result)
    return {**body, "results": results}


@cache
def _index_renderer():
    from zoneinfo import ZoneInfo

    from great_expectations.render.renderer.site_index_page_renderer import SiteIndexPageRenderer

    shanghai = ZoneInfo("Asia/Shanghai")

    class BeijingTimeIndexRenderer(SiteIndexPageRenderer):
        @classmethod
        def _get_formatted_datetime(cls, _datetime):
            from datetime import datetime

            if isinstance(_datetime, str):
                _datetime = datetime.fromisoformat(_datetime)
            if not isinstance(_datetime, datetime):
                return None
            return _datetime.astimezone(shanghai).strftime("%Y-%m-%d %H:%M:%S") + " 北京时间"

        @classmethod
        def render(cls, index_links_dict):
            for links in ("validations_links", "expectations_links"):
                if links in index_links_dict:
                    index_links_dict[links] = sorted(index_links_dict[links], key=lambda link: (
                        link.get("expectation_suite_name", ""), link.get("filepath", "")))
            return super().render(index_links_dict)

    return BeijingTimeIndexRenderer()


def _offline(path: str, text: str) -> str:
    """One page with every CDN asset local, GX's own images local, no external link, and stable ids."""
    up = "../" * path.count("/")

    def script(match: re.Match[str]) -> str:
        return "".join(f'<script src="{up}static/vendor/{local}"></script>\n' for local in _local_assets(match.group(1)))

    def stylesheet(match: re.Match[str]) -> str:
        return "".join(f'<link rel="stylesheet" href="{up}static/vendor/{local}">\n' for local in _local_assets(match.group(1)))

    def gx_image(match: re.Match[str]) -> str:
        name = GX_IMAGES.get(match.group(1))
        if name is None:
            raise DataDocsError(f"GX Data Docs: {path} shows {match.group(0)}, which has no local copy")
        return f"{up}static/images/{name}"

    text = SCRIPT.sub(script, text)
    text = STYLESHEET.sub(stylesheet, text)
    text = GX_ASSET.sub(gx_image, text)
    text = FOOTER.sub("", text)  # GX's newsletter invitation
    text = EXTERNAL_LINK.sub(r"\1", text)  # links to GX's website: kept as text
    text = FAVICON.sub(f'href="{up}static/images/favicon.ico"', text)  # GX's validation pages point one folder short
    ids: dict[str, str] = {}
    return RANDOM_ID.sub(lambda m: ids.setdefault(m.group(0), str(uuid.uuid5(ID_NAMESPACE, f"{path}#{len(ids)}"))), text)


def _local_assets(url: str) -> tuple[str, ...]:
    for pattern, local in CDN_ASSETS:
        if pattern.search(url):
            return local
    raise DataDocsError(f"GX Data Docs load {url}, which has no local copy (add it to herald.audit.data_docs.CDN_ASSETS)")


def _check_pages(pages: dict[str, str], results: dict[str, dict[str, Any]]) -> None:
    """GX logs rendering errors and writes what it has: make sure every page is there and none needs Vega."""
    if "index.html" not in pages or "bootstrapTable(" not in pages["index.html"]:
        raise DataDocsError("GX Data Docs: the index page was not rendered")
    for dataset, body in results.items():
        if not any(p.startswith(f"validations/{body['suite_name']}/") and p.endswith(f"/{dataset}.html") for p in pages):
            raise DataDocsError(f"GX Data Docs: no page for the validation of {dataset}")
    for path, text in pages.items():
        if "vegaEmbed(" in text:
            raise DataDocsError(f"GX Data Docs: {path} draws a chart, and the pack ships no Vega")


def _referenced(pages: dict[str, str]) -> set[str]:
    """The files the pages use (relative to the docs root), other pages included."""
    found: set[str] = set()
    for path, text in pages.items():
        for match in LOCAL_REFERENCE.finditer(text):
            reference = match.group(1) or match.group(2)
            if reference and not reference.startswith("{"):
                found.add(_resolve(path, reference))
    return found


def _css_references(text: str) -> Iterable[str]:
    for match in re.finditer(r"url\(['\"]?(?!data:|#)([^'\")]+)['\"]?\)", text):
        yield match.group(1)


def _resolve(base: str, reference: str) -> str:
    reference = reference.split("#", 1)[0].split("?", 1)[0]
    parts: list[str] = list(PurePosixPath(base).parent.parts)
    for part in PurePosixPath(reference).parts:
        if part == "..":
            if not parts:
                raise DataDocsError(f"GX Data Docs: {base} links to {reference}, outside the docs")
            parts.pop()
        elif part != ".":
            parts.append(part)
    return "/".join(parts)


def _check_offline(files: dict[str, bytes]) -> None:
    for path, content in files.items():
        if path.endswith((".html", ".css")):
            found = EXTERNAL_REFERENCE.search(content.decode("utf-8"))
            if found:
                raise DataDocsError(f"GX Data Docs: {path} still loads from another host ({found.group(0)}...)")


def _vendor_asset(local: str) -> bytes:
    """The bytes of a local copy named in ``CDN_ASSETS`` (or a font its stylesheet names)."""
    sources = _asset_sources()
    library, _, rest = local.partition("/")
    if library not in sources:
        raise DataDocsError(f"GX Data Docs: no local copy of {local}")
    path = (sources[library] / rest).resolve()
    if not path.is_relative_to(sources[library].resolve()) or not path.is_file():
        raise DataDocsError(f"GX Data Docs: no local copy of {local}")
    content = path.read_bytes()
    if local.startswith("font-awesome/css/"):
        content = TTF_FALLBACK.sub("", content.decode("utf-8")).encode("utf-8")  # the woff2 fonts alone are shipped
    return content


@cache
def _asset_sources() -> dict[str, Path]:
    from xstatic.pkg import bootstrap, bootstrap_datepicker, font_awesome, jquery

    return {"bootstrap": Path(bootstrap.BASE_DIR), "bootstrap-datepicker": Path(bootstrap_datepicker.BASE_DIR),
            "font-awesome": Path(font_awesome.BASE_DIR), "jquery": Path(jquery.BASE_DIR),
            "bootstrap-table": VENDOR / "bootstrap-table-1.19.1"}
